/**
 * Parsers for the Event messages cluster-autoscaler really emits, current and historical. Every format string
 * and the release that introduced it is listed in `events/samples/cluster-autoscaler/FORMATS.md`.
 * Pure functions of (reason, message): no Kubernetes or AWS types.
 */

/** Why a node group could not take a pending pod, in a form policy can match on. */
export type NoScaleUpReasonCode =
  | 'max-node-group-size'
  | 'max-cluster-resources'
  | 'max-total-nodes'
  | 'backoff'
  | 'not-ready'
  | 'node-affinity'
  | 'taint'
  | 'insufficient-resources'
  | 'cannot-increase'
  | 'other';

export interface NoScaleUpReason {
  /** How many node groups gave this reason (absent for the cluster-wide "max total nodes" message). */
  readonly count?: number;
  /** The reason text without its count, as emitted. */
  readonly text: string;
  readonly code: NoScaleUpReasonCode;
}

export interface ScaleUpGroupChange {
  readonly group: string;
  readonly from: number;
  readonly to: number;
  readonly max?: number;
}

export type ScaleUpFailureCategory =
  | 'max-size-reached'
  | 'out-of-capacity'
  | 'quota-exceeded'
  | 'timeout'
  | 'other';

export type ParsedAutoscalerMessage =
  | { readonly type: 'triggered-scale-up'; readonly groups: readonly ScaleUpGroupChange[] }
  | {
      readonly type: 'not-triggered';
      /** `current`: ≥1.20 wording; `legacy`: "(it wouldn't fit if a new node is added)" (≤1.19). */
      readonly format: 'current' | 'legacy';
      readonly reasons: readonly NoScaleUpReason[];
      /** client-go aggregated the event ("(combined from similar events): ..."). */
      readonly combined: boolean;
    }
  | {
      readonly type: 'scaled-up-group';
      readonly group: string;
      readonly newSize: number;
      readonly previousSize?: number;
      readonly max?: number;
    }
  | {
      readonly type: 'scale-up-failed';
      readonly group: string;
      readonly failure: ScaleUpFailureCategory;
      readonly error: string;
      readonly errorCode?: string;
      readonly nodes?: number;
      readonly desired?: number;
      readonly max?: number;
    }
  | { readonly type: 'scale-up-timed-out'; readonly group: string; readonly after?: string }
  | {
      readonly type: 'scale-down';
      readonly node?: string;
      readonly empty: boolean;
      readonly podsToReschedule: readonly string[];
    }
  | { readonly type: 'scale-down-failed'; readonly error: string }
  | { readonly type: 'max-nodes-total-reached'; readonly detail?: string }
  | { readonly type: 'unparsed' };

const COMBINED_PREFIX = '(combined from similar events): ';

export function classifyNoScaleUpReason(text: string): NoScaleUpReasonCode {
  const t = text.trim();
  if (t === 'max node group size reached' || t === 'max limit reached') return 'max-node-group-size';
  if (/^max cluster .+ limit reached$/.test(t)) return 'max-cluster-resources';
  if (
    t === 'max total nodes in cluster reached' ||
    t === 'atomic scale-up exceeds cluster node count limit'
  ) {
    return 'max-total-nodes';
  }
  if (t === 'in backoff after failed scale-up') return 'backoff';
  if (t === 'not ready for scale-up') return 'not-ready';
  if (/didn't match (Pod's )?node (affinity|selector)/i.test(t) || /node affinity/i.test(t))
    return 'node-affinity';
  if (/taint/i.test(t)) return 'taint';
  if (/^Insufficient /i.test(t)) return 'insufficient-resources';
  if (/can't increase node group size/i.test(t)) return 'cannot-increase';
  return 'other';
}

/**
 * Splits "2 max node group size reached, 1 node(s) had untolerated taint {a: b}" into reasons. The separator
 * is ", " but some reason texts contain ", " themselves ("max cluster cpu, memory limit reached",
 * "had taint {k: v}, that the pod didn't tolerate"): a new reason starts only where a count starts.
 */
export function parseNoScaleUpReasons(list: string): NoScaleUpReason[] {
  const trimmed = list.trim();
  if (trimmed === '') return [];
  const parts: string[] = [];
  for (const segment of trimmed.split(', ')) {
    if (parts.length === 0 || /^\d+ \S/.test(segment)) parts.push(segment);
    else parts[parts.length - 1] = `${parts[parts.length - 1]}, ${segment}`;
  }
  return parts.map((part) => {
    const match = /^(\d+) (.+)$/s.exec(part);
    if (match?.[1] && match[2]) {
      const text = match[2].trim();
      return { count: Number(match[1]), text, code: classifyNoScaleUpReason(text) };
    }
    return { text: part.trim(), code: classifyNoScaleUpReason(part) };
  });
}

function parseNotTriggered(message: string): ParsedAutoscalerMessage | undefined {
  const combined = message.startsWith(COMBINED_PREFIX);
  const body = combined ? message.slice(COMBINED_PREFIX.length) : message;
  const match =
    /^(?:capacity buffer \d+ fake )?pods? didn't trigger scale-up( \(it wouldn't fit if a new node is added\))?(?::(.*))?$/s.exec(
      body.trim(),
    );
  if (!match) return undefined;
  return {
    type: 'not-triggered',
    format: match[1] ? 'legacy' : 'current',
    reasons: parseNoScaleUpReasons(match[2] ?? ''),
    combined,
  };
}

function parseTriggered(message: string): ParsedAutoscalerMessage | undefined {
  const body = message.startsWith(COMBINED_PREFIX) ? message.slice(COMBINED_PREFIX.length) : message;
  // 0.5.x: "pod triggered scale-up, group: %s, sizes (current/new): %d/%d"
  const old = /triggered scale-up, group: (\S+), sizes \(current\/new\): (\d+)\/(\d+)/.exec(body);
  if (old?.[1] && old[2] && old[3]) {
    return {
      type: 'triggered-scale-up',
      groups: [{ group: old[1], from: Number(old[2]), to: Number(old[3]) }],
    };
  }
  if (!/triggered scale-up: /.test(body)) return undefined;
  const groups: ScaleUpGroupChange[] = [];
  for (const m of body.matchAll(/\{(\S+) (\d+)->(\d+) \(max: (\d+)\)\}/g)) {
    if (m[1] && m[2] && m[3] && m[4]) {
      groups.push({ group: m[1], from: Number(m[2]), to: Number(m[3]), max: Number(m[4]) });
    }
  }
  return { type: 'triggered-scale-up', groups };
}

function scaleUpFailureCategory(errorCode: string | undefined, error: string): ScaleUpFailureCategory {
  const text = `${errorCode ?? ''} ${error}`;
  if (/size increase too large|max size|max node group size/i.test(text)) return 'max-size-reached';
  if (/quota|limit ?exceeded|VcpuLimitExceeded|InstanceLimitExceeded|vCPU limit/i.test(text))
    return 'quota-exceeded';
  if (
    /placeholder-cannot-be-fulfilled|InsufficientInstanceCapacity|OutOfResource|out[- ]of[- ]resources|RESOURCE_POOL_EXHAUSTED|cannot provision any more instances|capacity/i.test(
      text,
    )
  ) {
    return 'out-of-capacity';
  }
  if (/time(d)? ?out/i.test(text)) return 'timeout';
  return 'other';
}

/**
 * Instance types and Availability Zones named in a scale-up failure's source errors. EC2 words an
 * InsufficientInstanceCapacity error "We currently do not have sufficient <type> capacity in the Availability
 * Zone you requested (<zone>). ... You can currently get <type> capacity by ... choosing <zone>, <zone>."
 * (EC2 API error codes reference; EC2 user guide, "Insufficient instance capacity"). Only the first sentence
 * names where it failed.
 */
export function capacityWhere(error: string): { instanceTypes: string[]; availabilityZones: string[] } {
  const types = new Set<string>();
  const zones = new Set<string>();
  for (const m of error.matchAll(
    /do not have sufficient ([a-z0-9-]+\.[a-z0-9]+) capacity in the Availability Zone you requested \(([a-z0-9-]+)\)/gi,
  )) {
    if (m[1]) types.add(m[1]);
    if (m[2]) zones.add(m[2]);
  }
  return { instanceTypes: [...types], availabilityZones: [...zones] };
}

function parseScaleDown(message: string): ParsedAutoscalerMessage {
  const removing = /^Scale-down: removing node (\S+), utilization: .*?, pods to reschedule: (.*)$/s.exec(
    message,
  );
  if (removing?.[1]) {
    const pods = (removing[2] ?? '').split(',').map((p) => p.trim());
    return {
      type: 'scale-down',
      node: removing[1],
      empty: false,
      podsToReschedule: pods.filter((p) => p !== ''),
    };
  }
  const empty = /^Scale-down: (?:removing empty node "?([^"\s]+)"?|empty node (\S+) removed)$/.exec(message);
  if (empty) return { type: 'scale-down', node: empty[1] ?? empty[2], empty: true, podsToReschedule: [] };
  const drained = /^Scale-down: node (\S+) removed with drain$/.exec(message);
  if (drained?.[1]) return { type: 'scale-down', node: drained[1], empty: false, podsToReschedule: [] };
  // Node/Pod-level texts ("nodes removed by cluster autoscaler", "marked the node as toBeDeleted/unschedulable",
  // "deleting pod for node scale down"): the node is the event's involvedObject.
  return { type: 'scale-down', empty: false, podsToReschedule: [] };
}

/** Parses one cluster-autoscaler Event by its `reason` and `message`. */
export function parseAutoscalerMessage(reason: string, message: string): ParsedAutoscalerMessage {
  const text = message.trim();
  switch (reason) {
    case 'TriggeredScaleUp':
      return parseTriggered(text) ?? { type: 'unparsed' };
    case 'NotTriggerScaleUp':
      return parseNotTriggered(text) ?? { type: 'unparsed' };
    case 'ScaledUpGroup': {
      const m =
        /^Scale-up: (?:setting group (\S+) size to (\d+)|group (\S+) size set to (\d+))(?: instead of (\d+) \(max: (\d+)\))?$/.exec(
          text,
        );
      if (!m) return { type: 'unparsed' };
      const group = m[1] ?? m[3];
      const size = m[2] ?? m[4];
      if (!group || !size) return { type: 'unparsed' };
      return {
        type: 'scaled-up-group',
        group,
        newSize: Number(size),
        previousSize: m[5] === undefined ? undefined : Number(m[5]),
        max: m[6] === undefined ? undefined : Number(m[6]),
      };
    }
    case 'FailedToScaleUpGroup': {
      const m = /^Scale-up failed for group (\S+): (.*)$/s.exec(text);
      if (!m?.[1]) return { type: 'unparsed' };
      const error = (m[2] ?? '').trim();
      const limits = /desired:(\d+) max:(\d+)/.exec(error);
      return {
        type: 'scale-up-failed',
        group: m[1],
        failure: scaleUpFailureCategory(undefined, error),
        error,
        desired: limits?.[1] ? Number(limits[1]) : undefined,
        max: limits?.[2] ? Number(limits[2]) : undefined,
      };
    }
    case 'ScaleUpFailed': {
      const m =
        /^Failed adding (\d+) nodes(?: \(\d+ unseen previously\))? to group (\S+) due to ([^;]+?)(?:; (?:source errors|errorMessages)[:=] ?(.*))?$/s.exec(
          text,
        );
      if (!m?.[2]) return { type: 'unparsed' };
      const errorCode = (m[3] ?? '').trim();
      const error = (m[4] ?? errorCode).trim();
      return {
        type: 'scale-up-failed',
        group: m[2],
        nodes: Number(m[1]),
        errorCode,
        error,
        failure: scaleUpFailureCategory(errorCode, error),
      };
    }
    case 'ScaleUpTimedOut': {
      const m = /^Nodes added to group (\S+) failed to register within (\S+)$/.exec(text);
      if (!m?.[1]) return { type: 'unparsed' };
      return { type: 'scale-up-timed-out', group: m[1], after: m[2] };
    }
    case 'ScaleDown':
    case 'ScaleDownEmpty':
      return parseScaleDown(text);
    case 'ScaleDownFailed':
      return { type: 'scale-down-failed', error: text };
    case 'MaxNodesTotalReached':
      return {
        type: 'max-nodes-total-reached',
        detail: /^Max total nodes in cluster reached: (.*)$/.exec(text)?.[1],
      };
    default:
      return { type: 'unparsed' };
  }
}

/** The cluster-autoscaler Event reasons this project handles (also the EventBridge pattern's `detail.reason`). */
export const CLUSTER_AUTOSCALER_REASONS = [
  'TriggeredScaleUp',
  'NotTriggerScaleUp',
  'ScaledUpGroup',
  'FailedToScaleUpGroup',
  'ScaleUpFailed',
  'ScaleUpTimedOut',
  'ScaleDown',
  'ScaleDownEmpty',
  'ScaleDownFailed',
  'MaxNodesTotalReached',
] as const;
