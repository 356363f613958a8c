import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RunChange, RunResult } from '../../runbooks/types.js';
import {
  type AuditApproval,
  type AuditDelivery,
  type AuditEntry,
  type AuditResult,
  type AuditTrigger,
  TERMINAL_PHASES,
} from '../audit/record.js';
import type { AuditStore } from '../audit/store.js';
import { type DatadogApi, type DatadogMetric, tag } from '../shared/datadog.js';
import type { OpsLogger } from '../shared/powertools.js';
import { redactString } from '../shared/redact.js';
import { type SlackApi, SlackError } from '../shared/slack.js';
import { datadogEvent, type RunView, slackMessage, statusOf } from './message.js';
import type { ReportEvent, ReportInput } from './schema.js';

/**
 * The report hook's core: for one phase of a run, update the run's one Slack message, send the
 * Datadog event (and, at the end, the metrics), and append the phase to the audit record.
 *
 * - One Slack message per run: posted on the first phase (threaded under `trigger.slack.threadTs`
 *   when the run came from or was announced in Slack), `chat.update`d afterwards. Where it lives
 *   is read back from the run's audit entries, so no other state is needed.
 * - A Slack or Datadog outage never throws: each client retries within its bound, then the
 *   failure is written into the audit entry (`delivery`) and logged. Only an audit-store failure
 *   throws, and then before anything changed (on `started` the frame fails the run: no change is
 *   ever made without a record).
 * - A phase reported twice (a retried invocation) is recognised from the audit record and does
 *   nothing: no second message, no second event, no second entry.
 */

export type RunOutcome = RunResult['outcome'];

export interface ReportDeps {
  readonly slack: SlackApi;
  readonly datadog: DatadogApi;
  readonly audit: AuditStore;
  readonly logger: OpsLogger;
  readonly metrics: Pick<Metrics, 'singleMetric'>;
  /** Where runs without a Slack thread of their own are reported (config `automation.slack.channel`). */
  readonly channel: string;
  readonly now: () => Date;
  /** For console links to the execution. */
  readonly console?: { readonly region: string; readonly account: string; readonly namePrefix: string };
  /** Called once when a run ends (lock release, circuit breaker); its failure is logged, never thrown. */
  readonly onRunEnd?: (input: ReportInput, execution: string, outcome: RunOutcome) => Promise<void>;
}

export interface ReportOutcome {
  readonly status: 'reported' | 'duplicate';
  readonly slack: AuditDelivery;
  readonly datadog: AuditDelivery;
  readonly entry: AuditEntry;
}

const METRIC = {
  runs: 'ops_automation.runs',
  timeToChange: 'ops_automation.time_to_change',
  timeToResult: 'ops_automation.time_to_verified_result',
} as const;

function seconds(fromIso: string | undefined, to: Date): number | undefined {
  if (!fromIso) return undefined;
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return undefined;
  return Math.max(0, Math.round((to.getTime() - from) / 100) / 10);
}

/** The cause of a failure as a person can read it: Lambda errors arrive as JSON with `errorMessage`. */
function readableCause(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (parsed && typeof parsed.errorMessage === 'string') {
      return `${parsed.errorType ? `${parsed.errorType}: ` : ''}${parsed.errorMessage}`.slice(0, 500);
    }
  } catch {
    // plain text
  }
  return cause.slice(0, 500);
}

function resultOf(event: ReportEvent): AuditResult | undefined {
  if (event.result) {
    const { changes: _changes, ...rest } = event.result;
    return rest;
  }
  if (event.phase === 'failed') {
    const error = event.error?.Error ?? 'Error';
    const cause = readableCause(event.error?.Cause);
    return {
      outcome: error === 'States.Timeout' ? 'timed-out' : 'failed',
      summary: `Failed: ${error}`,
      error: { step: error, cause },
    };
  }
  if (event.phase === 'rejected') {
    const expired = ['States.Timeout', 'States.HeartbeatTimeout'].includes(event.error?.Error ?? '');
    return {
      outcome: 'rejected',
      summary: expired ? 'The approval expired: nothing was changed.' : 'Rejected: nothing was changed.',
    };
  }
  return undefined;
}

function approvalOf(event: ReportEvent, previous: AuditApproval | undefined): AuditApproval {
  const answer = event.approval;
  if (answer?.approved === true) {
    return {
      status: 'approved',
      ...(answer.approver ? { approver: answer.approver } : {}),
      ...(answer.at ? { at: answer.at } : {}),
    };
  }
  if (event.phase === 'rejected') {
    const expired = ['States.Timeout', 'States.HeartbeatTimeout'].includes(event.error?.Error ?? '');
    const detail = readableCause(event.error?.Cause);
    const approver = /\b[UW][A-Z0-9]{6,}\b/.exec(detail)?.[0];
    return {
      status: expired ? 'expired' : 'rejected',
      ...(approver && !expired ? { approver } : {}),
      detail,
    };
  }
  if (previous && previous.status !== 'not-requested' && previous.status !== 'pending') return previous;
  if (event.input.mode === 'approval') return { status: 'pending' };
  return { status: 'not-requested' };
}

function triggerOf(input: ReportInput): AuditTrigger {
  const t = input.trigger;
  return {
    source: t.source,
    kind: t.kind,
    eventId: t.correlationId,
    occurredAt: t.occurredAt,
    requestedBy: t.requestedBy,
    summary: t.summary,
    ...(t.link ? { link: t.link } : {}),
    ...(t.source === 'slack' ? { slackUser: t.requestedBy } : {}),
    ...(t.source === 'schedule' ? { schedule: t.requestedBy.replace(/^schedule:/, '') } : {}),
  };
}

function executionUrl(deps: ReportDeps, runbook: string, execution: string): string | undefined {
  if (!deps.console) return undefined;
  const { region, account, namePrefix } = deps.console;
  const arn = `arn:aws:states:${region}:${account}:execution:${namePrefix}-${runbook}:${execution}`;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(arn)}`;
}

function failure(err: unknown, attempts: number): AuditDelivery {
  const message = err instanceof Error ? err.message : String(err);
  return { status: 'failed', attempts, error: redactString(message).slice(0, 300) };
}

async function deliverSlack(
  deps: ReportDeps,
  view: RunView,
  input: ReportInput,
  previous: AuditDelivery | undefined,
): Promise<AuditDelivery> {
  const message = slackMessage(view);
  const attempts = deps.slack.maxAttempts;
  if (previous?.channel && previous.ts) {
    try {
      const ref = await deps.slack.update({ channel: previous.channel, ts: previous.ts, ...message });
      return { status: 'sent', channel: ref.channel, ts: ref.ts };
    } catch (err) {
      // A message that is gone (deleted by someone) is re-posted; anything else is an outage.
      const gone =
        err instanceof SlackError && ['message_not_found', 'cant_update_message'].includes(err.code);
      if (!gone) return { ...failure(err, attempts), channel: previous.channel, ts: previous.ts };
    }
  }
  const where = input.trigger.slack;
  try {
    const ref = await deps.slack.postMessage({
      channel: where?.channel ?? deps.channel,
      ...(where?.threadTs ? { threadTs: where.threadTs } : {}),
      ...message,
    });
    return { status: 'sent', channel: ref.channel, ts: ref.ts };
  } catch (err) {
    return failure(err, attempts);
  }
}

async function deliverDatadog(
  deps: ReportDeps,
  view: RunView,
  metrics: readonly DatadogMetric[],
): Promise<AuditDelivery> {
  const attempts = deps.datadog.maxAttempts;
  // Event and metrics in parallel: the hook's worst case is one bounded retry sequence, not two.
  const [event, series] = await Promise.allSettled([
    deps.datadog.postEvent(datadogEvent(view)),
    deps.datadog.submitMetrics(metrics),
  ]);
  const eventId = event.status === 'fulfilled' ? event.value : undefined;
  const failed = event.status === 'rejected' ? event : series.status === 'rejected' ? series : undefined;
  if (failed) return { ...failure(failed.reason, attempts), ...(eventId ? { eventId } : {}) };
  return { status: 'sent', ...(eventId ? { eventId } : {}) };
}

export async function reportPhase(event: ReportEvent, deps: ReportDeps): Promise<ReportOutcome> {
  const { input, execution, phase } = event;
  const now = deps.now();
  const prior = await deps.audit.runEntries(execution);
  const already = prior.find((e) => e.phase === phase);
  if (already) {
    deps.logger.info('phase already reported: nothing repeated', { phase, hash: already.hash });
    return {
      status: 'duplicate',
      slack: already.delivery.slack,
      datadog: already.delivery.datadog,
      entry: already,
    };
  }
  const last = prior.at(-1);
  const approval = approvalOf(event, last?.approval);
  const result = resultOf(event);
  const changes: RunChange[] = event.result?.changes ?? [...(last?.changes ?? [])];
  const terminal = TERMINAL_PHASES.includes(phase);
  const view: RunView = {
    phase,
    execution,
    input,
    approval,
    changes,
    ...(result ? { result } : {}),
    ...(executionUrl(deps, input.runbook, execution)
      ? { executionUrl: executionUrl(deps, input.runbook, execution) }
      : {}),
  };

  const outcome: RunOutcome | undefined = terminal ? (result?.outcome ?? 'failed') : undefined;
  const changeTimes = changes
    .map((c) => c.at)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  const triggerToChange =
    terminal && changes.length > 0
      ? seconds(input.trigger.occurredAt, changeTimes[0] ? new Date(changeTimes[0]) : now)
      : undefined;
  const triggerToResult = terminal ? seconds(input.trigger.occurredAt, now) : undefined;

  const tags = [tag('runbook', input.runbook), tag('stage', input.stage), tag('dry_run', input.dryRun)];
  const ddMetrics: DatadogMetric[] = [];
  if (outcome) {
    ddMetrics.push({ name: METRIC.runs, type: 'count', value: 1, tags: [...tags, tag('outcome', outcome)] });
    if (triggerToChange !== undefined)
      ddMetrics.push({
        name: METRIC.timeToChange,
        type: 'gauge',
        value: triggerToChange,
        tags,
      });
    if (triggerToResult !== undefined && outcome === 'succeeded')
      ddMetrics.push({
        name: METRIC.timeToResult,
        type: 'gauge',
        value: triggerToResult,
        tags,
      });
  }

  // Slack and Datadog in parallel: an outage of one costs its own bounded retries, not both.
  const [slack, datadog] = await Promise.all([
    deliverSlack(
      deps,
      view,
      input,
      last?.delivery.slack.ts ? last.delivery.slack : prior.find((e) => e.delivery.slack.ts)?.delivery.slack,
    ),
    deliverDatadog(deps, view, ddMetrics),
  ]);
  for (const [channel, delivery] of [
    ['slack', slack],
    ['datadog', datadog],
  ] as const) {
    if (delivery.status === 'failed') {
      deps.logger.warn('report delivery failed: recorded in the audit entry', {
        channel,
        error: delivery.error,
      });
      const m = deps.metrics.singleMetric();
      m.addDimensions({ channel });
      m.addMetric('ReportDeliveryFailures', MetricUnit.Count, 1);
    }
  }

  const appended = await deps.audit.append({
    executionName: execution,
    phase,
    at: now.toISOString(),
    stage: input.stage,
    runbook: input.runbook,
    resourceKey: input.resourceKey,
    ...(event.startTime
      ? { startedAt: event.startTime }
      : last?.startedAt
        ? { startedAt: last.startedAt }
        : {}),
    trigger: triggerOf(input),
    decision: {
      mode: input.mode,
      dryRun: input.dryRun,
      reasons: input.reasons,
      ...(input.guards ? { guards: input.guards } : {}),
      parameters: input.parameters,
    },
    approval,
    changes,
    ...(result ? { result } : {}),
    delivery: { slack, datadog },
    timings: {
      ...(triggerToChange !== undefined ? { triggerToChangeSeconds: triggerToChange } : {}),
      ...(triggerToResult !== undefined ? { triggerToResultSeconds: triggerToResult } : {}),
    },
  });
  if (appended.ledger === 'failed') {
    deps.logger.error('audit ledger write failed: the table holds the entry, the next report retries it', {
      error: appended.ledgerError,
    });
  }

  if (outcome) {
    const runs = deps.metrics.singleMetric();
    runs.addDimensions({ runbook: input.runbook, outcome });
    runs.addMetric('Runs', MetricUnit.Count, 1);
    if (triggerToChange !== undefined) {
      const m = deps.metrics.singleMetric();
      m.addDimensions({ runbook: input.runbook });
      m.addMetric('TimeToChange', MetricUnit.Seconds, triggerToChange);
    }
    if (triggerToResult !== undefined && outcome === 'succeeded') {
      const m = deps.metrics.singleMetric();
      m.addDimensions({ runbook: input.runbook });
      m.addMetric('TimeToVerifiedResult', MetricUnit.Seconds, triggerToResult);
    }
    if (deps.onRunEnd) {
      try {
        await deps.onRunEnd(input, execution, outcome);
      } catch (err) {
        deps.logger.error('run end bookkeeping failed (lock expires on its own)', {
          error: err instanceof Error ? err.name : 'Error',
        });
      }
    }
  }

  deps.logger.info('run reported', {
    phase,
    status: statusOf(view).label,
    runbook: input.runbook,
    resourceKey: input.resourceKey,
    outcome,
    slack: slack.status,
    datadog: datadog.status,
    auditHash: appended.entry.hash,
    auditLedger: appended.ledger,
  });
  return {
    status: appended.status === 'exists' ? 'duplicate' : 'reported',
    slack,
    datadog,
    entry: appended.entry,
  };
}
