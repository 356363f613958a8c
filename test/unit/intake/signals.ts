import { type Signal, SignalSchema } from '../../../events/signal.js';

/**
 * Hand-built signals, valid per SignalSchema, shaped as the events/ normalisers emit them: what
 * the policy tests feed `decide` without depending on any one normaliser.
 */
type SignalInput = Partial<Omit<Signal, 'resource'>> & { resource?: Partial<Signal['resource']> };

export function signal(input: SignalInput): Signal {
  const { resource, ...rest } = input;
  return SignalSchema.parse({
    source: 'cloudtrail',
    kind: 'cloudtrail.api-call',
    severity: 'info',
    occurredAt: '2026-11-22T10:07:00.000Z',
    correlationId: 'evt-0001',
    summary: 'test signal',
    raw: {},
    details: {},
    ...rest,
    resource: { type: 'unknown', id: 'unknown', attributes: {}, ...resource },
  });
}

export const human = { type: 'human' as const, id: 'arn:aws:iam::111111111111:user/alice', name: 'alice' };

export function cloudTrail(
  eventName: string,
  resource: SignalInput['resource'],
  details: Signal['details'] = {},
  actor: Signal['actor'] = human,
): Signal {
  return signal({
    details: { eventName, ...details },
    resource,
    actor,
    summary: `${eventName} by ${actor?.name}`,
  });
}

export function nodeGroupAtMax(cluster: string, nodegroup?: string): Signal {
  return signal({
    source: 'cluster-autoscaler',
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resource: {
      type: 'node-group',
      id: `${cluster}/${nodegroup ?? '*'}`,
      attributes: { cluster, ...(nodegroup ? { nodegroup } : {}) },
    },
    summary: `pod didn't trigger scale-up: 1 max node group size reached`,
  });
}

export function datadogAlert(
  transition: string,
  tags: string[],
  monitorId = '148972345',
  occurredAt?: string,
): Signal {
  return signal({
    source: 'datadog',
    kind: `datadog.monitor-${transition.toLowerCase().replace(/\s+/g, '-')}`,
    severity: transition === 'Recovered' ? 'info' : 'warning',
    resource: { type: 'monitor', id: monitorId, attributes: {} },
    details: { transition, tags, monitorId },
    summary: `[${transition}] monitor ${monitorId}`,
    ...(occurredAt ? { occurredAt } : {}),
  });
}
