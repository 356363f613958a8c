import { wildcardMatch } from '../../config/wildcard.js';
import { allowed, defineRunbook, refused } from '../plugin.js';
import { clusterAutoscaler } from './policy.js';
import { scaleNodeGroup } from './spec.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** scale-node-group as a plugin: its spec, the autoscaler rule that starts it, its allow-list. */
export const scaleNodeGroupPlugin = defineRunbook({
  spec: scaleNodeGroup,
  rules: [clusterAutoscaler],
  /** Only allow-listed node groups (a wildcard pattern per cluster), each up to its ceiling. */
  allowList(params, automation) {
    const cluster = str(params.cluster) ?? '';
    const nodegroup = str(params.nodegroup);
    const entry = automation.allowLists.nodeGroups.find(
      (g) => g.cluster === cluster && (nodegroup === undefined || wildcardMatch(g.nodegroup, nodegroup)),
    );
    if (!entry) return refused(`node group ${cluster}/${nodegroup ?? '*'} is not allow-listed`);
    return allowed(
      `node group ${cluster}/${nodegroup ?? entry.nodegroup} allowed up to ${entry.ceiling} nodes`,
    );
  },
  datadog: { parameters: { cluster: ['cluster'], nodegroup: ['nodegroup'] }, targets: ['node-group'] },
});
