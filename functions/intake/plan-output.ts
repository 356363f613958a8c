import type { StageConfig } from '../../config/schema.js';
import type { Signal } from '../../events/signal.js';
import type { NormaliseOptions } from '../../events/sources/shared.js';
import { runbookTargets } from '../../runbooks/registry.js';
import { decide } from './decide.js';
import type { Decision } from './decision.js';

/**
 * `ops plan`'s output from a signal: the same `decide` the Lambda runs. Imports no event source, so the
 * pre-built `ops plan` loads only the normaliser its event needs (plan.ts reads events with all of them).
 */

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
