import type { StageConfig } from '../../config/schema.js';
import {
  cloudTrailRecordToEvent,
  isCloudTrailRecord,
  type NormaliseOptions,
  normaliseDatadogWebhook,
  normaliseEvent,
} from '../../events/index.js';
import type { Signal } from '../../events/signal.js';
import { eventObject, looksLikeDatadogWebhook, parseEventText } from './plan-input.js';
import { normaliseOptions, type PlanOutput, planSignal } from './plan-output.js';

export { PlanInputError } from './plan-input.js';
export { normaliseOptions, type PlannedDecision, type PlanOutput, planSignal } from './plan-output.js';

/**
 * Raw text of an event exactly as delivered (an EventBridge event, or a Datadog webhook body) →
 * its normalised signal. The Datadog body is handed over as text so ids beyond 2^53 survive.
 * Throws `PlanInputError` for text that is not a JSON object, and the normalisers' errors otherwise.
 */
export function signalFromText(text: string, options: NormaliseOptions = {}): Signal {
  return signalFromValue(parseEventText(text), text, options);
}

/**
 * One parsed event → its signal: a Datadog webhook body (normalised from `text`, its raw JSON, so ids
 * beyond 2^53 survive), a bare CloudTrail log record (put into the EventBridge envelope the CloudTrail
 * integration delivers), or an EventBridge event. Throws `PlanInputError` for anything but an object.
 */
export function signalFromValue(parsed: unknown, text: string, options: NormaliseOptions = {}): Signal {
  const value = eventObject(parsed);
  if (looksLikeDatadogWebhook(value)) return normaliseDatadogWebhook(text, options);
  if (isCloudTrailRecord(value)) return normaliseEvent(cloudTrailRecordToEvent(value), options);
  return normaliseEvent(parsed, options);
}

/** `ops plan`: raw event text → signal → decisions, offline. */
export function planEvent(text: string, stage: StageConfig): PlanOutput {
  return planSignal(signalFromText(text, normaliseOptions(stage)), stage);
}
