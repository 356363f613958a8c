import type { AutomationConfig } from '../../config/schema.js';
import type { Signal } from '../../events/signal.js';
import type { OpsLogger } from '../shared/powertools.js';
import { admit } from './admit.js';
import { decide } from './decide.js';
import { type Decision, REASON } from './decision.js';
import type { PolicyRule } from './policy/index.js';
import { type StartDeps, start } from './start.js';

/** Tells people: a notification decision, or a start a guard turned into one. */
export interface Notifier {
  notify(signal: Signal, decision: Decision): Promise<void>;
}

/** The notifier used until the reporting construct provides Slack / Datadog delivery: one structured log line. */
export function logNotifier(logger: OpsLogger): Notifier {
  return {
    async notify(signal, decision) {
      const line = {
        severity: decision.severity,
        summary: signal.summary,
        reasons: decision.reasons,
        link: signal.link,
        resource: signal.resource,
      };
      if (decision.severity === 'critical') logger.error('notification', line);
      else logger.warn('notification', line);
    },
  };
}

/** A notifier failure is logged, never thrown: the decision (and any run it started) stands. */
async function tell(deps: IntakeDeps, signal: Signal, decision: Decision): Promise<void> {
  try {
    await deps.notifier.notify(signal, decision);
  } catch (err) {
    deps.logger.error('notification failed', { error: err instanceof Error ? err.message : String(err) });
  }
}

export interface IntakeDeps extends StartDeps {
  readonly automation: AutomationConfig;
  readonly notifier: Notifier;
  readonly logger: OpsLogger;
  readonly rules?: readonly PolicyRule[];
}

export interface IntakeResult {
  readonly decision: Decision;
  readonly executionArn?: string;
}

/**
 * The whole intake for one normalised signal: decide → admit → start, then tell people what needs
 * telling. Used by the intake Lambda for every event and webhook, and meant for the Slack endpoint's
 * manual requests (same guards, same names). Never throws for a decision; rethrows only what a retry
 * can fix (a Step Functions outage), after giving back what the guards took.
 */
export async function processSignal(signal: Signal, deps: IntakeDeps): Promise<IntakeResult[]> {
  const ctx = {
    stage: deps.stage,
    automation: deps.automation,
    ...(deps.rules ? { rules: deps.rules } : {}),
  };
  const results: IntakeResult[] = [];
  for (const planned of decide(signal, ctx)) {
    const admission = await admit(planned, deps.store, ctx);
    const outcome = await start(signal, admission, deps);
    const { decision } = outcome;
    deps.logger.appendKeys({ correlationId: decision.executionName ?? signal.correlationId });
    deps.logger.info('decision', {
      action: decision.action,
      runbook: decision.runbook,
      executionName: decision.executionName,
      reasons: decision.reasons,
      guards: decision.guards,
      dryRun: decision.dryRun,
    });
    if (decision.action === 'notify') await tell(deps, signal, decision);
    if (decision.action === 'reject' && decision.reasons.includes(REASON.guardStoreUnavailable)) {
      // Fail closed, loudly: the run did not start, and people hear why.
      await tell(deps, signal, {
        ...decision,
        action: 'notify',
        severity: 'critical',
        reasons: [...decision.reasons, 'a run was held back: the guard store is unavailable (failed closed)'],
      });
    }
    results.push(outcome);
  }
  return results;
}
