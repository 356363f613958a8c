import type { Signal } from '../../../events/signal.js';
import { fact, facts, ignore, NOT_APPLICABLE, notify, type PolicyRule, runReason, start } from './types.js';

const AT_MAX = /max node group size reached|max limit reached|maximum size|node group.*at (its )?max/i;
const NO_ROOM = /capacity|insufficient|max(imum)? (node group )?size|max limit|quota|out of (room|capacity)/i;

function clusterAndNodegroup(signal: Signal): { cluster?: string; nodegroup?: string } {
  const [idCluster, idGroup] = signal.resource.type === 'node-group' ? signal.resource.id.split('/') : [];
  const cluster = fact(signal, 'cluster', 'clusterName') ?? idCluster;
  const group = fact(signal, 'nodegroup', 'nodeGroup') ?? idGroup;
  // The normaliser writes `unknown-cluster` / `*` when the event does not name them.
  const known = (v: string | undefined) => (v && v !== '*' && v !== 'unknown-cluster' ? v : undefined);
  const c = known(cluster);
  const g = known(group);
  return { ...(c ? { cluster: c } : {}), ...(g ? { nodegroup: g } : {}) };
}

/**
 * cluster-autoscaler: a node group at its maximum, or a scale-up that failed for lack of room
 * → scale-node-group for that cluster (and node group when the event names it; otherwise the
 * runbook finds the groups at their maximum). Other autoscaler events are informational.
 */
export const clusterAutoscaler: PolicyRule = {
  name: 'cluster-autoscaler',
  description: 'node group at its maximum, or a scale-up that failed for lack of room → scale-node-group',
  evaluate(signal) {
    if (signal.source !== 'cluster-autoscaler') return NOT_APPLICABLE;
    const [, what = ''] = signal.kind.split('.');
    const text = [signal.summary, ...facts(signal, 'reasons'), fact(signal, 'message') ?? ''].join(' ');
    const atMax =
      what.includes('at-max') || fact(signal, 'maxNodeGroupSizeReached') === 'true' || AT_MAX.test(text);
    const failed = /scale-up-failed|failed-to-scale-up/.test(what);
    const lackOfRoom = signal.details.lackOfRoom;
    const noRoom = typeof lackOfRoom === 'boolean' ? lackOfRoom : NO_ROOM.test(text);
    const timedOut = what.includes('timed-out') || what.includes('timeout');
    const target = clusterAndNodegroup(signal);
    if (atMax || (failed && noRoom)) {
      if (!target.cluster) return notify('warning', `${signal.summary} (the event names no cluster)`);
      const where = `${target.cluster}/${target.nodegroup ?? '*'}`;
      const why = atMax ? 'is at its maximum size' : 'failed to scale up for lack of room';
      return start(
        'scale-node-group',
        { ...target, reason: runReason(`cluster-autoscaler: node group ${where} ${why}`) },
        `cluster-autoscaler reports node group ${where} ${why}`,
      );
    }
    if (failed || timedOut || what === 'max-nodes-total-reached' || what === 'scale-down-failed') {
      return notify('warning', `cluster-autoscaler: ${signal.summary}`);
    }
    return ignore(`cluster-autoscaler ${what || signal.kind} is informational`);
  },
};
