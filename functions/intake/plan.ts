import type { StageConfig } from '../../config/schema.js';
import {
  cloudTrailRecordToEvent,
  isCloudTrailRecord,
  type NormaliseOptions,
  normaliseDatadogWebhook,
  normaliseEvent,
} from '../../events/index.js';
import type { Signal } from '../../events/signal.js';
import { runbookTargets } from '../../runbooks/registry.js';
import { decide } from './decide.js';
import type { Decision } from './decision.js';

/** What `ops plan` prints: the signal's identity and the decision (the first; `decisions` when there are several). */
export interface PlanOutput {
  readonly signal: Pick<Signal, 'source' | 'kind' | 'resource' | 'severity' | 'occurredAt' | 'correlationId'>;
  readonly decision: PlannedDecision;
  readonly decisions?: readonly PlannedDecision[];
}

export interface PlannedDecision {
  readonly action: Decision['action'];
  readonly runbook: string | null;
  /** The policy rule that decided; null when none applied (or loop protection ignored the signal). */
  readonly rule: string | null;
  readonly parameters: Record<string, unknown> | null;
  readonly executionName: string | null;
  readonly mode: Decision['mode'] | null;
  readonly reasons: readonly string[];
  readonly severity: Decision['severity'];
  readonly dryRun: boolean;
  readonly guards: Decision['guards'];
}

/** The input of `ops plan` could not be read as an event at all. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
}

/** A Datadog webhook body (our payload template): no EventBridge envelope, Datadog's alert fields. */
function looksLikeDatadogWebhook(value: Record<string, unknown>): boolean {
  return (
    !('detail-type' in value) && ('alert_transition' in value || 'alert_id' in value || 'event_type' in value)
  );
}

/**
 * Raw text of an event exactly as delivered (an EventBridge event, or a Datadog webhook body) →
 * its normalised signal. The Datadog body is handed over as text so ids beyond 2^53 survive.
 * Throws `PlanInputError` for text that is not a JSON object, and the normalisers' errors otherwise.
 */
export function signalFromText(text: string, options: NormaliseOptions = {}): Signal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PlanInputError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return signalFromValue(parsed, text, options);
}

/**
 * One parsed event → its signal: a Datadog webhook body (normalised from `text`, its raw JSON, so ids
 * beyond 2^53 survive), a bare CloudTrail log record (put into the EventBridge envelope the CloudTrail
 * integration delivers), or an EventBridge event. Throws `PlanInputError` for anything but an object.
 */
export function signalFromValue(parsed: unknown, text: string, options: NormaliseOptions = {}): Signal {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PlanInputError('not a JSON object: an event or a Datadog webhook body is one object');
  }
  const value = parsed as Record<string, unknown>;
  if (looksLikeDatadogWebhook(value)) return normaliseDatadogWebhook(text, options);
  if (isCloudTrailRecord(value)) return normaliseEvent(cloudTrailRecordToEvent(value), options);
  return normaliseEvent(parsed, options);
}

function planned(d: Decision): PlannedDecision {
  return {
    action: d.action,
    runbook: d.runbook ?? null,
    rule: d.rule ?? null,
    parameters: d.parameters ?? null,
    executionName: d.executionName ?? null,
    mode: d.mode ?? null,
    reasons: d.reasons,
    severity: d.severity,
    dryRun: d.dryRun,
    guards: d.guards,
  };
}

/** The pure intake for one signal, shaped for `ops plan`: the same `decide` the Lambda runs. */
export function planSignal(signal: Signal, stage: StageConfig): PlanOutput {
  const decisions = decide(signal, { stage: stage.name, automation: stage.automation });
  const [first] = decisions;
  if (!first) throw new Error('decide returned no decision');
  const { source, kind, resource, severity, occurredAt, correlationId } = signal;
  return {
    signal: { source, kind, resource, severity, occurredAt, correlationId },
    decision: planned(first),
    ...(decisions.length > 1 ? { decisions: decisions.map(planned) } : {}),
  };
}

/** The stage's settings the normalisers take (the automation's own roles are marked as such). */
export function normaliseOptions(stage: StageConfig): NormaliseOptions {
  return { automationRolePrefix: stage.automation.automationRolePrefix, runbookTargets: runbookTargets() };
}

/** `ops plan`: raw event text → signal → decisions, offline. */
export function planEvent(text: string, stage: StageConfig): PlanOutput {
  return planSignal(signalFromText(text, normaliseOptions(stage)), stage);
}
