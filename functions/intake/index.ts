/**
 * The intake's public API, for the intake Lambda, the `ops` command and the Slack endpoint:
 *
 *   const [planned] = decide(signal, { stage, automation });      // pure: policy + static guards
 *   const admission = await admit(planned, store, { automation });  // stateful guards (fail closed)
 *   const { decision, executionArn } = await start(signal, admission, { sfn, stateMachines, stage, store });
 *
 * or all three (plus notifications) with `processSignal(signal, deps)`. A run's end calls
 * `releaseLock` and `recordRunOutcome` (circuit breaker).
 */
export { type Admission, admit, type Held, release } from './admit.js';
export { type IntakeDeps, type IntakeResult, logNotifier, type Notifier, processSignal } from './core.js';
export { type DecideContext, decide } from './decide.js';
export type { Decision, DecisionAction, GuardOutcome, GuardResult } from './decision.js';
export { REASON } from './decision.js';
export { EXECUTION_NAME, executionName, windowStart } from './execution-name.js';
export {
  type BreakerSettings,
  type FlagReader,
  GuardStore,
  GuardStoreUnavailableError,
  killSwitchParameter,
  pauseParameter,
  ssmFlagReader,
} from './guard-store.js';
export { allowList, type EffectivePolicy, effectivePolicy, loopProtection } from './guards.js';
export {
  PlanInputError,
  type PlannedDecision,
  type PlanOutput,
  planEvent,
  planSignal,
  signalFromText,
} from './plan.js';
export { DEFAULT_RULES, type PolicyContext, type PolicyRule, type Verdict } from './policy/index.js';
export { recordRunOutcome, releaseLock } from './run-end.js';
export { runbookInput, type StartDeps, type StartOutcome, start, triggerOf } from './start.js';
