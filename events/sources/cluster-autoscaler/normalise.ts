import { type Severity, type Signal, UnrecognisedEventError } from '../../signal.js';
import {
  compactDetails,
  compactStrings,
  eksNodegroupFromAsgName,
  finalise,
  nonEmpty,
  oneLine,
  parseOrThrow,
  requireIso,
  toIso,
} from '../shared.js';
import {
  CLUSTER_AUTOSCALER_REASONS,
  capacityWhere,
  type ParsedAutoscalerMessage,
  parseAutoscalerMessage,
} from './messages.js';
import { type KubernetesEventDetail, KubernetesEventSchema } from './schema.js';

type DetailValue = string | number | boolean | string[];

const COMPONENT = 'cluster-autoscaler';

/** The node group a cluster-autoscaler group id names: EKS managed groups are `eks-<nodegroup>-<uuid>` ASGs. */
export function nodegroupFromGroupId(groupId: string): string | undefined {
  const eks = eksNodegroupFromAsgName(groupId);
  if (eks) return eks;
  // An EKS ASG named only by the node group's uuid does not tell the node group's name.
  if (/^eks-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(groupId)) return undefined;
  // Other providers: GCE instance-group URLs, cluster-api `MachineDeployment/<ns>/<name>`: last path segment.
  const last = groupId.split('/').pop();
  return last && /^[0-9A-Za-z][A-Za-z0-9\-_]{0,62}$/.test(last) ? last : undefined;
}

interface Mapping {
  kind: string;
  severity: Severity;
  group?: string;
  node?: string;
  details: Record<string, DetailValue | undefined>;
  text: string;
}

function mapParsed(parsed: ParsedAutoscalerMessage, reason: string): Mapping {
  switch (parsed.type) {
    case 'triggered-scale-up': {
      const first = parsed.groups[0];
      return {
        kind: 'cluster-autoscaler.scale-up-triggered',
        severity: 'info',
        group: first?.group,
        details: {
          groups: parsed.groups.map((g) => g.group),
          fromSize: first?.from,
          toSize: first?.to,
          maxSize: first?.max,
          atMaxAfterScaleUp: parsed.groups.some((g) => g.max !== undefined && g.to >= g.max),
        },
        text: 'triggered scale-up',
      };
    }
    case 'not-triggered': {
      const atMax = parsed.reasons.filter((r) => r.code === 'max-node-group-size');
      return {
        kind:
          atMax.length > 0
            ? 'cluster-autoscaler.node-group-at-max'
            : 'cluster-autoscaler.scale-up-not-triggered',
        severity: atMax.length > 0 ? 'warning' : 'info',
        details: {
          reasons: parsed.reasons.map((r) => (r.count === undefined ? r.text : `${r.count} ${r.text}`)),
          reasonCodes: [...new Set(parsed.reasons.map((r) => r.code))],
          maxNodeGroupSizeReached: atMax.length > 0,
          nodeGroupsAtMax: atMax.reduce((sum, r) => sum + (r.count ?? 1), 0),
          messageFormat: parsed.format,
          combined: parsed.combined,
        },
        text: "didn't trigger scale-up",
      };
    }
    case 'scaled-up-group':
      return {
        kind: 'cluster-autoscaler.scaled-up-group',
        severity: 'info',
        group: parsed.group,
        details: {
          fromSize: parsed.previousSize,
          toSize: parsed.newSize,
          maxSize: parsed.max,
          atMaxAfterScaleUp: parsed.max !== undefined && parsed.newSize >= parsed.max,
        },
        text: `scaled up to ${parsed.newSize}`,
      };
    case 'scale-up-failed': {
      // Only a node group at its maximum lacks room that raising the maximum gives; the cloud running out of
      // capacity or quota is a capacity incident that more maximum cannot fix.
      const shortage = parsed.failure === 'out-of-capacity' || parsed.failure === 'quota-exceeded';
      const where = capacityWhere(parsed.error);
      return {
        kind: 'cluster-autoscaler.scale-up-failed',
        severity: shortage ? 'critical' : 'warning',
        group: parsed.group,
        details: {
          failure: parsed.failure,
          lackOfRoom: parsed.failure === 'max-size-reached',
          capacityShortage: shortage,
          instanceTypes: where.instanceTypes.length ? where.instanceTypes : undefined,
          availabilityZones: where.availabilityZones.length ? where.availabilityZones : undefined,
          error: parsed.error,
          errorCode: parsed.errorCode,
          nodes: parsed.nodes,
          desiredSize: parsed.desired,
          maxSize: parsed.max,
        },
        text: `scale-up failed (${parsed.failure})`,
      };
    }
    case 'scale-up-timed-out':
      return {
        kind: 'cluster-autoscaler.scale-up-timed-out',
        severity: 'warning',
        group: parsed.group,
        details: { failure: 'timeout', lackOfRoom: false, timedOutAfter: parsed.after },
        text: `new nodes failed to register within ${parsed.after ?? 'the timeout'}`,
      };
    case 'scale-down':
      return {
        kind: 'cluster-autoscaler.scale-down',
        severity: 'info',
        node: parsed.node,
        details: { emptyNode: parsed.empty, podsToReschedule: [...parsed.podsToReschedule] },
        text: 'scale-down',
      };
    case 'scale-down-failed':
      return {
        kind: 'cluster-autoscaler.scale-down-failed',
        severity: 'warning',
        details: { error: parsed.error },
        text: 'scale-down failed',
      };
    case 'max-nodes-total-reached':
      return {
        kind: 'cluster-autoscaler.max-nodes-total-reached',
        severity: 'warning',
        details: { limit: parsed.detail },
        text: 'max total nodes in cluster reached',
      };
    case 'unparsed':
      // A known reason whose message is in a format we do not know: keep it, say so, let policy notify.
      return {
        kind: 'cluster-autoscaler.unparsed',
        severity: 'info',
        details: { parsed: false },
        text: `${reason} (message not understood)`,
      };
  }
}

function occurredAt(detail: KubernetesEventDetail, envelopeTime: string): string {
  return (
    toIso(detail.lastTimestamp) ??
    toIso(detail.eventTime) ??
    toIso(detail.firstTimestamp) ??
    toIso(detail.metadata?.creationTimestamp) ??
    requireIso(envelopeTime, 'cluster-autoscaler', 'time')
  );
}

/** cluster-autoscaler Kubernetes Event (via the event exporter and EventBridge) → Signal. */
export function normaliseClusterAutoscaler(raw: unknown): Signal {
  const event = parseOrThrow(KubernetesEventSchema, raw, 'cluster-autoscaler', 'Kubernetes event');
  const d = event.detail;
  const component = nonEmpty(d.source?.component) ?? nonEmpty(d.reportingComponent);
  if (component !== undefined && component !== COMPONENT) {
    throw new UnrecognisedEventError(
      `Kubernetes event from component "${component}" (reason ${d.reason}): only ${COMPONENT} events are handled`,
    );
  }
  if (component === undefined && !(CLUSTER_AUTOSCALER_REASONS as readonly string[]).includes(d.reason)) {
    throw new UnrecognisedEventError(
      `Kubernetes event with reason "${d.reason}" and no source component: expected a ${COMPONENT} reason (${CLUSTER_AUTOSCALER_REASONS.join(', ')})`,
    );
  }

  const parsed = parseAutoscalerMessage(d.reason, d.message);
  const mapping = mapParsed(parsed, d.reason);
  const cluster = nonEmpty(d.clusterName) ?? nonEmpty(d.cluster);
  const involved = d.involvedObject;
  const isPod = involved?.kind === 'Pod';
  const namespace = nonEmpty(isPod ? involved?.namespace : undefined) ?? nonEmpty(d.namespace);
  const pod = isPod ? nonEmpty(involved?.name) : undefined;
  const node = mapping.node ?? (involved?.kind === 'Node' ? nonEmpty(involved.name) : undefined);
  const nodegroup = mapping.group ? nodegroupFromGroupId(mapping.group) : undefined;
  const resourceId = `${cluster ?? 'unknown-cluster'}/${nodegroup ?? '*'}`;

  const where = pod
    ? `pod ${namespace ?? ''}/${pod}`
    : node
      ? `node ${node}`
      : `node group ${nodegroup ?? mapping.group ?? '(unnamed)'}`;
  const message = mapping.kind === 'cluster-autoscaler.unparsed' ? mapping.text : oneLine(d.message, 200);
  return finalise(
    {
      source: 'cluster-autoscaler',
      kind: mapping.kind,
      resource: {
        type: 'node-group',
        id: resourceId,
        region: event.region,
        account: event.account,
        attributes: compactStrings({
          cluster,
          nodegroup,
          autoScalingGroupName: mapping.group,
          namespace,
          pod,
          node,
        }),
      },
      severity: mapping.severity,
      occurredAt: occurredAt(d, event.time),
      correlationId: event.id,
      actor: { type: 'service', id: COMPONENT, name: COMPONENT },
      details: compactDetails({
        reason: d.reason,
        message: d.message,
        eventType: nonEmpty(d.type),
        count: d.count,
        k8sEventUid: nonEmpty(d.metadata?.uid),
        k8sEventName: nonEmpty(d.metadata?.name),
        involvedKind: nonEmpty(involved?.kind),
        ...mapping.details,
      }),
      summary: oneLine(`${cluster ?? 'unknown cluster'}: ${where}: ${message}`),
      raw,
    },
    'cluster-autoscaler',
  );
}
