import type { Signal } from '../../events/signal.js';
import { fact, facts, ignore, NOT_APPLICABLE, notify, type PolicyRule, runReason, start } from '../policy.js';

const AT_MAX = /max node group size reached|max limit reached|maximum size|node group.*at (its )?max/i;
/** Without the normaliser's verdict, only a message that names the node group's maximum counts as "no room". */
const NO_ROOM = /size increase too large|max(imum)? (node group )?size|max limit/i;
/** The cloud (capacity, quota) said no: a bigger maximum would not help. */
const SHORTAGE =
  /InsufficientInstanceCapacity|OutOfResource|placeholder-cannot-be-fulfilled|cannot provision any more instances|quota|limit ?exceeded|RESOURCE_POOL_EXHAUSTED/i;

/** The normaliser writes `unknown-cluster` / `*` when the event does not name them. */
const known = (v: string | undefined) => (v && v !== '*' && v !== 'unknown-cluster' ? v : undefined);

function clusterAndNodegroup(signal: Signal): { cluster?: string; nodegroup?: string } {
  const [idCluster, idGroup] = signal.resource.type === 'node-group' ? signal.resource.id.split('/') : [];
  const cluster = fact(signal, 'cluster', 'clusterName') ?? idCluster;
  const group = fact(signal, 'nodegroup', 'nodeGroup') ?? idGroup;
  const c = known(cluster);
  const g = known(group);
  // Key by key, not as spreads of conditional literals (slow in V8, every autoscaler event: issue 17).
  const target: { cluster?: string; nodegroup?: string } = {};
  if (c) target.cluster = c;
  if (g) target.nodegroup = g;
  return target;
}

/** `{ ...target, reason }` without a spread-first copy: the same keys in the same order. */
function withReason(
  target: { cluster?: string; nodegroup?: string },
  reason: string,
): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (target.cluster !== undefined) parameters.cluster = target.cluster;
  if (target.nodegroup !== undefined) parameters.nodegroup = target.nodegroup;
  parameters.reason = reason;
  return parameters;
}

/**
 * cluster-autoscaler: a node group at its maximum (the only case a bigger maximum helps)
 * → scale-node-group for that cluster (and node group when the event names it; otherwise the
 * runbook finds the groups at their maximum). Other autoscaler events are informational.
 */
export const clusterAutoscaler: PolicyRule = {
  name: 'cluster-autoscaler',
  description:
    "'max node group size reached' (or a scale-up refused for the group's maximum) → scale-node-group; a " +
    'scale-up the cloud refused (capacity, quota) → notify critical with node group, AZ and instance types',
  evaluate(signal) {
    if (signal.source !== 'cluster-autoscaler') return NOT_APPLICABLE;
    const [, what = ''] = signal.kind.split('.');
    // Each pattern runs only when its answer is needed (all pure): a refused scale-up needs one.
    const text = [signal.summary, ...facts(signal, 'reasons'), fact(signal, 'message') ?? ''].join(' ');
    const failed = /scale-up-failed|failed-to-scale-up/.test(what);
    const lackOfRoom = signal.details.lackOfRoom;
    const shortageFact = signal.details.capacityShortage;
    const timedOut = what.includes('timed-out') || what.includes('timeout');
    const target = clusterAndNodegroup(signal);
    const shortage = failed && (typeof shortageFact === 'boolean' ? shortageFact : SHORTAGE.test(text));
    if (shortage) {
      // Raising the maximum does not conjure capacity or quota: tell people, never scale.
      const group = target.nodegroup ?? fact(signal, 'autoScalingGroupName') ?? '*';
      const zones = facts(signal, 'availabilityZones');
      const types = facts(signal, 'instanceTypes');
      return notify(
        'critical',
        `capacity incident: node group ${target.cluster ?? 'unknown-cluster'}/${group} could not add nodes ` +
          `(${fact(signal, 'failure') ?? 'cloud refused'}: ${fact(signal, 'errorCode') ?? ''} ${fact(signal, 'error') ?? ''}`.trim() +
          `); AZ ${zones.length ? zones.join(', ') : 'not named by the event'}; instance types ` +
          `${types.length ? types.join(', ') : 'not named by the event'}. Raising the node group maximum would not help.`,
      );
    }
    const atMax =
      what.includes('at-max') || fact(signal, 'maxNodeGroupSizeReached') === 'true' || AT_MAX.test(text);
    const noRoom = failed && (typeof lackOfRoom === 'boolean' ? lackOfRoom : NO_ROOM.test(text));
    if (atMax || noRoom) {
      if (!target.cluster) return notify('warning', `${signal.summary} (the event names no cluster)`);
      const where = `${target.cluster}/${target.nodegroup ?? '*'}`;
      const why = atMax ? 'is at its maximum size' : 'failed to scale up for lack of room';
      return start(
        'scale-node-group',
        withReason(target, runReason(`cluster-autoscaler: node group ${where} ${why}`)),
        `cluster-autoscaler reports node group ${where} ${why}`,
      );
    }
    if (failed || timedOut || what === 'max-nodes-total-reached' || what === 'scale-down-failed') {
      return notify('warning', `cluster-autoscaler: ${signal.summary}`);
    }
    return ignore(`cluster-autoscaler ${what || signal.kind} is informational`);
  },
};
