/**
 * `events/`: what comes in. Every source is translated here, once, into the normalised `Signal`.
 *
 * - `normaliseEvent(raw)`: anything EventBridge delivers to the intake (and EventBridge Scheduler's input);
 * - `normaliseDatadogWebhook(rawBody)`: the Datadog webhook, from its raw text;
 * - `scheduleSignal(input)`, `manualSignal(request)`: schedules and people asking for a runbook.
 *
 * Errors: `UnrecognisedEventError` (not a source we handle) and `MalformedEventError` (a known source that
 * fails its schema). Nothing else is thrown for any input.
 */

import { type Signal, UnrecognisedEventError } from './signal.js';
import { normaliseAutoScaling } from './sources/autoscaling/normalise.js';
import { AUTOSCALING_DETAIL_TYPES } from './sources/autoscaling/schema.js';
import { normaliseBackupVerification } from './sources/backup-verification/normalise.js';
import {
  BACKUP_VERIFICATION_DETAIL_TYPE,
  BACKUP_VERIFICATION_SOURCE,
} from './sources/backup-verification/schema.js';
import { normaliseCloudTrail } from './sources/cloudtrail/normalise.js';
import { CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN } from './sources/cloudtrail/schema.js';
import { normaliseClusterAutoscaler } from './sources/cluster-autoscaler/normalise.js';
import {
  KUBERNETES_EVENT_DETAIL_TYPE,
  KUBERNETES_EVENT_SOURCE,
} from './sources/cluster-autoscaler/schema.js';
import { normaliseDatadogEvent } from './sources/datadog/normalise.js';
import { DATADOG_DETAIL_TYPE, DATADOG_PARTNER_SOURCE_PREFIX } from './sources/datadog/schema.js';
import { normaliseScheduledRule, scheduleSignal } from './sources/schedule/normalise.js';
import { SCHEDULED_EVENT_DETAIL_TYPE } from './sources/schedule/schema.js';
import type { NormaliseOptions } from './sources/shared.js';
import { normaliseSweep } from './sources/sweep/normalise.js';
import { SWEEP_DETAIL_TYPE, SWEEP_SOURCE } from './sources/sweep/schema.js';

export {
  type AnyOfPattern,
  AUTOSCALING_RULE,
  BACKUP_VERIFICATION_RULE,
  CLOUDTRAIL_SECRET_READS_RULE,
  CLOUDTRAIL_WRITE_CALLS,
  CLOUDTRAIL_WRITE_CALLS_RULE,
  CLUSTER_AUTOSCALER_RULE,
  CONSOLE_SIGN_IN_RULE,
  DATADOG_ALERTS_RULE,
  EVENT_RULES,
  type EventPattern,
  type EventRuleSpec,
  GLOBAL_EVENTS_REGION,
  GLOBAL_SERVICE_SOURCES,
  globalEventPatterns,
  globalForwardingPattern,
  hasCanary,
  matchesPattern,
  matchesRulePattern,
  type PatternMatcher,
  type RulePattern,
  type RuleState,
  rulesMatching,
  subscribedPattern,
} from './patterns.js';
export * from './signal.js';
export {
  BACKUP_VERIFICATION_DETAIL_TYPE,
  BACKUP_VERIFICATION_SOURCE,
} from './sources/backup-verification/schema.js';
export { readCanary } from './sources/canary/read.js';
export {
  CANARY_DETAIL_TYPE,
  CANARY_SOURCE,
  type CanaryDetail,
  canaryPattern,
} from './sources/canary/schema.js';
export { parseAssumedRoleArn } from './sources/cloudtrail/actor.js';
export { cloudTrailRecordToEvent, isCloudTrailRecord } from './sources/cloudtrail/envelope.js';
export { CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN } from './sources/cloudtrail/schema.js';
export {
  CLUSTER_AUTOSCALER_REASONS,
  type NoScaleUpReason,
  type NoScaleUpReasonCode,
  type ParsedAutoscalerMessage,
  parseAutoscalerMessage,
  parseNoScaleUpReasons,
} from './sources/cluster-autoscaler/messages.js';
export {
  KUBERNETES_EVENT_DETAIL_TYPE,
  KUBERNETES_EVENT_SOURCE,
} from './sources/cluster-autoscaler/schema.js';
export { normaliseDatadogWebhook, parseJsonLosslessly, transitionKind } from './sources/datadog/normalise.js';
export { DATADOG_DETAIL_TYPE, DATADOG_PARTNER_SOURCE_PREFIX } from './sources/datadog/schema.js';
export { manualSignal } from './sources/manual/normalise.js';
export type { ManualRequest } from './sources/manual/schema.js';
export { scheduleSignal } from './sources/schedule/normalise.js';
export { type SchedulerInput, schedulerTargetInput } from './sources/schedule/schema.js';
export type { NormaliseOptions } from './sources/shared.js';
export { decidedAs, normaliseSweep, sweepEvent } from './sources/sweep/normalise.js';
export * from './sources/sweep/schema.js';

const AUTOSCALING_TYPES: readonly string[] = Object.values(AUTOSCALING_DETAIL_TYPES);

const HANDLED =
  `"${CLOUDTRAIL_API_CALL}" / "${CLOUDTRAIL_CONSOLE_SIGN_IN}" (aws.*), ` +
  `aws.autoscaling (${AUTOSCALING_TYPES.map((t) => `"${t}"`).join(', ')}), ` +
  `"${KUBERNETES_EVENT_DETAIL_TYPE}" from ${KUBERNETES_EVENT_SOURCE}, ` +
  `"${DATADOG_DETAIL_TYPE}" from ${DATADOG_PARTNER_SOURCE_PREFIX}/*, ` +
  `"${SCHEDULED_EVENT_DETAIL_TYPE}" from aws.events, "${BACKUP_VERIFICATION_DETAIL_TYPE}" from ` +
  `${BACKUP_VERIFICATION_SOURCE}, "${SWEEP_DETAIL_TYPE}" from ${SWEEP_SOURCE}, or an EventBridge Scheduler input with scheduleArn`;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value.slice(0, 80)}"` : typeof value;
}

/**
 * Anything EventBridge (or EventBridge Scheduler) delivers to the intake → `Signal`. The source is detected
 * from the envelope's `source` and `detail-type`.
 */
export function normaliseEvent(raw: unknown, options: NormaliseOptions = {}): Signal {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UnrecognisedEventError(
      `expected an EventBridge event object, got ${describe(raw)}; we handle ${HANDLED}`,
    );
  }
  const event = raw as Record<string, unknown>;
  const source = event.source;
  const detailType = event['detail-type'];

  if (source === undefined && detailType === undefined && 'scheduleArn' in event) return scheduleSignal(raw);

  if (typeof source !== 'string' || typeof detailType !== 'string') {
    throw new UnrecognisedEventError(
      `not an EventBridge event: "source" is ${describe(source)} and "detail-type" is ${describe(detailType)} ` +
        `(both must be strings); we handle ${HANDLED}`,
    );
  }
  if (
    (detailType === CLOUDTRAIL_API_CALL || detailType === CLOUDTRAIL_CONSOLE_SIGN_IN) &&
    source.startsWith('aws.')
  ) {
    return normaliseCloudTrail(raw, options);
  }
  if (source === 'aws.autoscaling' && AUTOSCALING_TYPES.includes(detailType)) {
    return normaliseAutoScaling(raw, detailType);
  }
  if (source === KUBERNETES_EVENT_SOURCE && detailType === KUBERNETES_EVENT_DETAIL_TYPE) {
    return normaliseClusterAutoscaler(raw);
  }
  if (detailType === DATADOG_DETAIL_TYPE && source.startsWith(`${DATADOG_PARTNER_SOURCE_PREFIX}/`)) {
    return normaliseDatadogEvent(raw, options);
  }
  if (source === 'aws.events' && detailType === SCHEDULED_EVENT_DETAIL_TYPE)
    return normaliseScheduledRule(raw);
  if (source === BACKUP_VERIFICATION_SOURCE && detailType === BACKUP_VERIFICATION_DETAIL_TYPE) {
    return normaliseBackupVerification(raw);
  }
  if (source === SWEEP_SOURCE && detailType === SWEEP_DETAIL_TYPE) return normaliseSweep(raw);
  throw new UnrecognisedEventError(
    `no normaliser for source ${describe(source)} with detail-type ${describe(detailType)}; we handle ${HANDLED}`,
  );
}
