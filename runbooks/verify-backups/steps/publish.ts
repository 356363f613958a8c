import { z } from 'zod';
import type { DatadogApi, DatadogMetric } from '../../../functions/shared/datadog.js';
import { tag } from '../../../functions/shared/datadog.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import type { SlackApi, SlackBlocks } from '../../../functions/shared/slack.js';
import type { BackupReport, SlackBlock } from '../report.js';
import { EvaluationSchema } from './build-report.js';

/**
 * The publish step: the report's summary and failures to Slack, a metric per backup (age,
 * verified 0/1) and an event per failure to Datadog. Like the run report hook it never throws
 * for a Slack or Datadog outage: it records what failed and returns, because the report is
 * already kept in S3 and a failed verification fails the run (which the report hook announces).
 */

export const PublishEventSchema = z.object({
  report: z.object({
    stage: z.string(),
    executionName: z.string(),
    generatedAt: z.string(),
    totals: z.object({ checked: z.number(), passed: z.number(), failed: z.number() }),
    rows: z.array(EvaluationSchema),
  }),
  slack: z.object({ text: z.string(), blocks: z.array(z.record(z.string(), z.unknown())) }),
  reportUrl: z.string().optional(),
  /** The run's trigger: when it came from Slack, the report goes into that thread. */
  trigger: z
    .object({ slack: z.object({ channel: z.string(), threadTs: z.string().optional() }).optional() })
    .loose()
    .optional(),
});
/** What the workflow passes (the build step's output): validated against `PublishEventSchema`. */
export interface PublishEvent {
  readonly report: BackupReport;
  readonly slack: { readonly text: string; readonly blocks: readonly SlackBlock[] };
  readonly reportUrl?: string;
  readonly trigger?: { readonly slack?: { readonly channel: string; readonly threadTs?: string } };
}

export interface PublishDeps {
  readonly slack: Pick<SlackApi, 'postMessage'>;
  readonly datadog: Pick<DatadogApi, 'postEvent' | 'submitMetrics'>;
  /** The stage's automation channel (config automation.slack.channel). */
  readonly channel: string;
  readonly logger: OpsLogger;
}

export interface PublishOutcome {
  readonly slack: string;
  readonly metrics: string;
  readonly events: string;
}

export const METRIC_AGE = 'ops.backup.age_hours';
export const METRIC_VERIFIED = 'ops.backup.verified';

export function backupMetrics(report: BackupReport): DatadogMetric[] {
  const metrics: DatadogMetric[] = [];
  for (const r of report.rows) {
    const tags = [tag('stage', report.stage), tag('backup_class', r.class), tag('resource', r.resource)];
    if (r.ageHours !== undefined) metrics.push({ name: METRIC_AGE, type: 'gauge', value: r.ageHours, tags });
    metrics.push({ name: METRIC_VERIFIED, type: 'gauge', value: r.verdict === 'pass' ? 1 : 0, tags });
  }
  return metrics;
}

function why(err: unknown): string {
  return `failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 300);
}

export async function publishReport(event: PublishEvent, deps: PublishDeps): Promise<PublishOutcome> {
  const e = PublishEventSchema.parse(event);
  const report = e.report as BackupReport;
  const thread = e.trigger?.slack;
  let slack = 'posted';
  try {
    await deps.slack.postMessage({
      channel: thread?.channel ?? deps.channel,
      text: e.slack.text,
      blocks: e.slack.blocks as unknown as SlackBlocks,
      ...(thread?.threadTs ? { threadTs: thread.threadTs } : {}),
    });
  } catch (err) {
    slack = why(err);
    deps.logger.error('slack report failed', { error: slack });
  }
  let metrics = 'submitted';
  try {
    await deps.datadog.submitMetrics(backupMetrics(report));
  } catch (err) {
    metrics = why(err);
    deps.logger.error('datadog metrics failed', { error: metrics });
  }
  const failures = report.rows.filter((r) => r.verdict === 'fail');
  let posted = 0;
  let events = failures.length === 0 ? 'none' : 'posted';
  for (const r of failures) {
    try {
      await deps.datadog.postEvent({
        title: `Backup verification failed: ${r.class} ${r.resource} (${report.stage})`,
        text: `${r.reason}\n\nAge ${r.ageHours ?? '—'} h, RPO ${r.rpoHours} h. Run ${report.executionName}.${e.reportUrl ? ` [Report](${e.reportUrl})` : ''}`,
        tags: [
          tag('stage', report.stage),
          tag('backup_class', r.class),
          tag('resource', r.resource),
          'runbook:verify-backups',
        ],
        alertType: 'error',
        aggregationKey: report.executionName,
      });
      posted++;
    } catch (err) {
      events = `${posted} of ${failures.length} posted, then ${why(err)}`;
      deps.logger.error('datadog event failed', { error: events });
      break;
    }
  }
  return { slack, metrics, events };
}
