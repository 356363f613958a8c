import type { AutomationConfig } from '../../config/schema.js';
import { findRunbook } from '../../runbooks/registry.js';
import type { RunbookInput, RunResult } from '../../runbooks/types.js';
import type { GuardStore } from './guard-store.js';
import { effectivePolicy } from './guards.js';

/**
 * What a run's end (the report hook's final phase) calls, so the next run for the resource may start
 * without waiting for the lock to expire. A release by a run that no longer holds the lock is a no-op.
 */
export async function releaseLock(
  store: GuardStore,
  input: Pick<RunbookInput, 'runbook' | 'resourceKey' | 'executionName'>,
): Promise<void> {
  await store.releaseLock(input.runbook, input.resourceKey, input.executionName);
}

/**
 * Feeds the runbook's circuit breaker: `failed` and `timed-out` runs count as failures (with the
 * stage's breaker settings); other outcomes do not. Returns true when this failure opened the breaker.
 */
export async function recordRunOutcome(
  store: GuardStore,
  automation: AutomationConfig,
  runbook: string,
  outcome: RunResult['outcome'],
): Promise<boolean> {
  const spec = findRunbook(runbook);
  if (!spec) return false;
  const failed = outcome === 'failed' || outcome === 'timed-out';
  if (!failed) return false;
  return store.recordRunOutcome(runbook, false, effectivePolicy(spec, automation).circuitBreaker);
}
