import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AutomationConfig } from '../../config/schema.js';
import type { Severity, Signal } from '../../events/signal.js';
import { findRunbook } from '../../runbooks/registry.js';
import type { OpsLogger } from '../shared/powertools.js';
import { admit } from './admit.js';
import { decide } from './decide.js';
import { type Decision, type GuardResult, REASON } from './decision.js';
import { effectivePolicy } from './guards.js';
import type { PolicyRule } from './policy/index.js';
import { type StartDeps, start } from './start.js';
import { firstSweepNotice } from './sweep-notice.js';

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

/**
 * The guards whose refusal of a real incident's run people must hear about (never only a log line):
 * not allow-listed, runbook disabled in the stage, kill switch, paused, circuit breaker open, rate limited.
 * A lock (a run on that resource is already going) and a duplicate (this run exists) are not refusals.
 */
const REFUSING_GUARDS: Readonly<Record<string, string>> = {
  'allow-list': 'not allow-listed',
  enabled: 'runbook disabled in this stage',
  'kill-switch': 'kill switch on',
  paused: 'runbook paused',
  'circuit-breaker': 'circuit breaker open',
  'rate-limit': 'rate limited',
};

export interface Refusal {
  readonly runbook: string;
  readonly resourceKey: string;
  /** The refusing guard's name: the de-duplication key's reason part. */
  readonly guard: string;
  readonly why: string;
  readonly detail: string;
}

/**
 * Whether `decision` is a run the policy wanted for an incident that a guard refused. Manual requests
 * (Slack, CLI) are answered where they were asked, so only event-driven signals count.
 */
export function refusalOf(signal: Signal, decision: Decision): Refusal | undefined {
  if (signal.request || decision.action === 'start' || !decision.runbook) return undefined;
  const last: GuardResult | undefined = [...decision.guards].reverse().find((g) => g.outcome === 'block');
  if (!last) return undefined;
  const why = REFUSING_GUARDS[last.name];
  if (!why) return undefined;
  return {
    runbook: decision.runbook,
    resourceKey: decision.resourceKey ?? `${signal.resource.type}:${signal.resource.id}`,
    guard: last.name,
    why,
    detail: last.detail,
  };
}

export interface IntakeDeps extends StartDeps {
  readonly automation: AutomationConfig;
  readonly notifier: Notifier;
  readonly logger: OpsLogger;
  readonly rules?: readonly PolicyRule[];
  /** Where rule canaries are recorded (functions/intake/canary.ts); without it a canary is only logged. */
  readonly metrics?: Pick<Metrics, 'singleMetric'>;
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
    const refusal = refusalOf(signal, decision);
    if (refusal) await tellRefusal(deps, signal, decision, refusal);
    else if (decision.action === 'notify' && (await firstSweepNotice(deps, signal)))
      await tell(deps, signal, decision);
    // A started repair of a critical incident (a runbook's incident rule) is still told as the incident it is.
    else if (decision.action === 'start' && decision.alsoNotify) await tell(deps, signal, decision);
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

/**
 * A refused run of a real incident: people are told once per runbook, resource, reason and the runbook's
 * de-duplication window (the guard store remembers). If the store cannot say whether they were told, they
 * are told again: a duplicate is better than silence.
 */
async function tellRefusal(
  deps: IntakeDeps,
  signal: Signal,
  decision: Decision,
  refusal: Refusal,
): Promise<void> {
  const spec = findRunbook(refusal.runbook);
  const windowMinutes = spec ? effectivePolicy(spec, deps.automation).windowMinutes : 15;
  let first = true;
  try {
    first = await deps.store.claimRefusalNotice(
      refusal.runbook,
      refusal.resourceKey,
      refusal.guard,
      windowMinutes,
    );
  } catch (err) {
    deps.logger.warn('refusal notice could not be de-duplicated; telling anyway', {
      error: err instanceof Error ? err.message : String(err),
    });
  }
  if (!first) {
    deps.logger.info('refusal already told in this window', { ...refusal, windowMinutes });
    return;
  }
  const severity: Severity = signal.severity === 'critical' ? 'critical' : 'warning';
  await tell(deps, signal, {
    ...decision,
    action: 'notify',
    severity,
    reasons: [
      ...decision.reasons,
      `runbook ${refusal.runbook} was refused for ${refusal.resourceKey}: ${refusal.why} (${refusal.detail}). ` +
        `Nothing ran; this is said once per ${windowMinutes}-minute window.`,
    ],
  });
}
