import type { Severity } from '../../events/signal.js';
import type { RunbookMode } from '../../runbooks/types.js';

/**
 * What the intake decided for one signal. Everything downstream (the start, the log line, the
 * notification, `ops plan`) reads this one shape. `guards` lists every guard that was evaluated,
 * in order, so an operator can see why a run did or did not start.
 */
export type DecisionAction = 'start' | 'notify' | 'ignore' | 'reject';

export type GuardOutcome = 'pass' | 'block' | 'skip';

export interface GuardResult {
  readonly name: string;
  readonly outcome: GuardOutcome;
  readonly detail: string;
}

export interface Decision {
  readonly action: DecisionAction;
  readonly runbook?: string;
  /** The policy rule that decided (absent when loop protection ignored the signal or no rule applies). */
  readonly rule?: string;
  /** Validated by the runbook's parameters schema (defaults applied). */
  readonly parameters?: Record<string, unknown>;
  /** Deterministic Step Functions execution name: runbook + hash(resourceKey) + window start. */
  readonly executionName?: string;
  /** The runbook's lock / rate-limit / dedup key (`RunbookSpec.resourceKey`). */
  readonly resourceKey?: string;
  readonly mode?: RunbookMode;
  readonly dryRun: boolean;
  readonly severity: Severity;
  readonly reasons: readonly string[];
  readonly guards: readonly GuardResult[];
  /** A start that people are also told about at once (a critical incident the run repairs: a runbook's incident rule). */
  readonly alsoNotify?: boolean;
}

/** Reason codes that callers (handler, bench, Slack) branch on. */
export const REASON = {
  duplicate: 'duplicate',
  guardStoreUnavailable: 'guard-store-unavailable',
} as const;

/** A copy of `decision` turned into `action` (with the reason and guard appended): used when a guard blocks. */
export function blocked(
  decision: Decision,
  action: Exclude<DecisionAction, 'start'>,
  guard: GuardResult,
  reason: string,
): Decision {
  return {
    ...decision,
    action,
    reasons: [...decision.reasons, reason],
    guards: [...decision.guards, guard],
  };
}

export function withGuard(decision: Decision, guard: GuardResult): Decision {
  return { ...decision, guards: [...decision.guards, guard] };
}
