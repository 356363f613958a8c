import type { Signal } from '../../events/signal.js';
import type { NormaliseOptions } from '../../events/sources/shared.js';
import { eventObject, looksLikeDatadogWebhook, parseEventText } from '../../functions/intake/plan-input.js';

/**
 * `ops plan`'s reading of one event, loading only the normaliser that event needs. Each source's zod
 * schemas are built when its module loads, and building all of them (events/index.ts) was the largest
 * part of a plan's start-up; one source's are a fraction. The answer is the one functions/intake/plan.ts's
 * `signalFromText` gives, through the same source normalisers: test/unit/cli/event-sources.test.ts
 * holds this table to events/index.ts's `normaliseEvent` for every sample and every source/detail-type
 * pairing. An event no entry claims goes to `normaliseEvent` itself, which names what it handles.
 */

type Normalise = (event: Record<string, unknown>, options: NormaliseOptions) => Signal;

export interface LazySource {
  readonly name: string;
  /** The envelope test of events/index.ts's `normaliseEvent` for this source (same order, same strings). */
  readonly claims: (source: unknown, detailType: unknown, event: Record<string, unknown>) => boolean;
  readonly load: () => Promise<Normalise>;
}

// The strings are events/sources/*/schema.ts's constants, written out: importing them would build that
// module's schemas, which is what this table avoids. The test checks each against its constant.
const AUTOSCALING_DETAIL_TYPES: readonly string[] = [
  'EC2 Instance Launch Successful',
  'EC2 Instance Launch Unsuccessful',
  'EC2 Instance Terminate Successful',
  'EC2 Instance Terminate Unsuccessful',
  'EC2 Instance-launch Lifecycle Action',
  'EC2 Instance-terminate Lifecycle Action',
];

export const LAZY_SOURCES: readonly LazySource[] = [
  {
    name: 'schedule (EventBridge Scheduler input)',
    claims: (source, detailType, event) =>
      source === undefined && detailType === undefined && 'scheduleArn' in event,
    load: async () => (await import('../../events/sources/schedule/normalise.js')).scheduleSignal,
  },
  {
    name: 'cloudtrail',
    claims: (source, detailType) =>
      (detailType === 'AWS API Call via CloudTrail' || detailType === 'AWS Console Sign In via CloudTrail') &&
      typeof source === 'string' &&
      source.startsWith('aws.'),
    load: async () => (await import('../../events/sources/cloudtrail/normalise.js')).normaliseCloudTrail,
  },
  {
    name: 'autoscaling',
    claims: (source, detailType) =>
      source === 'aws.autoscaling' &&
      typeof detailType === 'string' &&
      AUTOSCALING_DETAIL_TYPES.includes(detailType),
    load: async () => {
      const { normaliseAutoScaling } = await import('../../events/sources/autoscaling/normalise.js');
      return (event) => normaliseAutoScaling(event, event['detail-type'] as string);
    },
  },
  {
    name: 'cluster-autoscaler',
    claims: (source, detailType) =>
      source === 'kubernetes-event-exporter' && detailType === 'Kubernetes Event',
    load: async () =>
      (await import('../../events/sources/cluster-autoscaler/normalise.js')).normaliseClusterAutoscaler,
  },
  {
    name: 'datadog',
    claims: (source, detailType) =>
      detailType === 'Datadog Alert Notification' &&
      typeof source === 'string' &&
      source.startsWith('aws.partner/datadog.com/'),
    load: async () => (await import('../../events/sources/datadog/normalise.js')).normaliseDatadogEvent,
  },
  {
    name: 'schedule (scheduled rule)',
    claims: (source, detailType) => source === 'aws.events' && detailType === 'Scheduled Event',
    load: async () => (await import('../../events/sources/schedule/normalise.js')).normaliseScheduledRule,
  },
  {
    name: 'backup-verification',
    claims: (source, detailType) =>
      source === 'ops.backup-verification' && detailType === 'Backup Verification Failed',
    load: async () =>
      (await import('../../events/sources/backup-verification/normalise.js')).normaliseBackupVerification,
  },
  {
    name: 'sweep',
    claims: (source, detailType) => source === 'ops.sweep' && detailType === 'Ops Sweep Finding',
    load: async () => (await import('../../events/sources/sweep/normalise.js')).normaliseSweep,
  },
];

/** The source that reads this EventBridge event (or Scheduler input), if one in the table claims it. */
export function lazySourceFor(event: Record<string, unknown>): LazySource | undefined {
  return LAZY_SOURCES.find((s) => s.claims(event.source, event['detail-type'], event));
}

/** Every source at once: what `normaliseEvent` says of an event no entry claims (it is unrecognised). */
async function everySource(): Promise<Normalise> {
  return (await import('../../events/index.js')).normaliseEvent;
}

/**
 * Raw event text → its signal, as `signalFromText` (functions/intake/plan.ts) reads it: a Datadog
 * webhook body, a bare CloudTrail record (put into its EventBridge envelope), or an EventBridge event.
 * Throws what that throws.
 */
export async function signalFromTextLazily(text: string, options: NormaliseOptions): Promise<Signal> {
  const parsed = parseEventText(text);
  const value = eventObject(parsed);
  if (looksLikeDatadogWebhook(value))
    return (await import('../../events/sources/datadog/normalise.js')).normaliseDatadogWebhook(text, options);
  let event = value;
  // A bare CloudTrail record has no detail-type (isCloudTrailRecord's first test): an EventBridge event
  // skips loading the envelope module, which builds the CloudTrail schemas.
  if (!('detail-type' in value)) {
    const { cloudTrailRecordToEvent, isCloudTrailRecord } = await import(
      '../../events/sources/cloudtrail/envelope.js'
    );
    if (isCloudTrailRecord(value)) event = cloudTrailRecordToEvent(value);
  }
  const normalise = await (lazySourceFor(event)?.load() ?? everySource());
  return normalise(event, options);
}
