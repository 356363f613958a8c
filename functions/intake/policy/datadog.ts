import type { Signal } from '../../../events/signal.js';
import {
  fact,
  facts,
  ignore,
  NOT_APPLICABLE,
  notify,
  type PolicyRule,
  reject,
  runReason,
  start,
} from './types.js';

/** Tags as `key → value` (first value wins; keys lower-cased; `key` without a value maps to ''). */
export function tagMap(tags: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags) {
    const i = tag.indexOf(':');
    const key = (i < 0 ? tag : tag.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : tag.slice(i + 1).trim();
    if (key && !map.has(key)) map.set(key, value);
  }
  return map;
}

/** Which Datadog tags feed which runbook parameter (several common tag spellings each). */
const TAG_PARAMETERS: Record<string, Record<string, readonly string[]>> = {
  'scale-node-group': {
    cluster: ['cluster', 'cluster_name', 'kube_cluster_name', 'eks_cluster_name'],
    nodegroup: ['nodegroup', 'node_group', 'eks_nodegroup-name', 'eks_nodegroup_name'],
  },
  'snapshot-volume': {
    volumeId: ['volume', 'volume_id', 'volumeid', 'ebs_volume_id'],
    cluster: ['cluster', 'cluster_name', 'kube_cluster_name'],
    namespace: ['namespace', 'kube_namespace'],
    pvc: ['pvc', 'persistentvolumeclaim'],
  },
  'update-dns': {
    zoneName: ['zone', 'zone_name', 'hosted_zone'],
    recordName: ['record', 'record_name', 'dns_record'],
    recordType: ['record_type'],
    change: ['change', 'dns_change'],
  },
  'rotate-secret': { secretId: ['secret', 'secret_name', 'secretid'] },
  'verify-backups': {},
};

function transitionOf(signal: Signal): string {
  const t = fact(signal, 'transition', 'alertTransition', 'alert_transition');
  if (t) return t.toLowerCase().replace(/[\s_]+/g, '-');
  return signal.kind.split('.')[1]?.replace(/^monitor-/, '') ?? '';
}

/**
 * Datadog monitors: Triggered / Re-Triggered with a `runbook:<name>` tag → that runbook, its
 * parameters read from the alert's tags; no runbook tag → notify; Recovered → ignore (the run it
 * started, if any, finishes on its own); Warn / No Data → notify.
 */
export const datadogMonitor: PolicyRule = {
  name: 'datadog-monitor',
  description:
    'Triggered / Re-Triggered with runbook:<name> → that runbook (parameters from tags); else notify; Recovered → ignore',
  evaluate(signal) {
    if (signal.source !== 'datadog') return NOT_APPLICABLE;
    const transition = transitionOf(signal);
    const monitor = fact(signal, 'monitorId') ?? signal.resource.id;
    if (transition === 'recovered') return ignore(`Datadog monitor ${monitor} recovered`);
    if (transition !== 'triggered' && transition !== 're-triggered') {
      return notify(signal.severity, `Datadog monitor ${monitor}: ${transition || 'unknown transition'}`);
    }
    const tags = tagMap(facts(signal, 'tags'));
    const runbook = tags.get('runbook');
    if (!runbook)
      return notify(signal.severity, `Datadog monitor ${monitor} ${transition} with no runbook tag`);
    const mapping = TAG_PARAMETERS[runbook];
    if (!mapping) return reject(`Datadog monitor ${monitor} names unknown runbook "${runbook}"`);
    const parameters: Record<string, unknown> = {
      reason: runReason(`Datadog monitor ${monitor} ${transition}: ${signal.summary}`),
    };
    for (const [param, keys] of Object.entries(mapping)) {
      const value = keys.map((k) => tags.get(k)).find((v) => v !== undefined && v !== '');
      if (value !== undefined) parameters[param] = value;
    }
    return start(
      runbook,
      parameters,
      `Datadog monitor ${monitor} ${transition} and names runbook ${runbook}`,
    );
  },
};
