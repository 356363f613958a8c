import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import type { DatadogApi, DatadogMetric } from '../../../functions/shared/datadog.js';
import { tag } from '../../../functions/shared/datadog.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import type { SlackApi, SlackBlocks } from '../../../functions/shared/slack.js';
import {
  emitCloudWatch,
  LAST_VERIFIED_DATADOG,
  type LastVerifiedAge,
  type LastVerifiedStore,
  lastVerifiedAges,
} from '../last-verified.js';
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
  /** "Last verified restore": the record kept across runs, and CloudWatch (EMF) for its ages. */
  readonly lastVerified?: {
    readonly store: LastVerifiedStore;
    readonly metrics: Pick<Metrics, 'singleMetric'>;
  };
}

export interface PublishOutcome {
  readonly slack: string;
  readonly metrics: string;
  readonly events: string;
  /** `recorded` once every resource's last-verified record was updated, else what failed. */
  readonly lastVerified?: string;
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

/** Datadog's "last verified restore" gauge, one per resource. */
export function lastVerifiedMetrics(stage: string, ages: readonly LastVerifiedAge[]): DatadogMetric[] {
  return ages.map((a) => ({
    name: LAST_VERIFIED_DATADOG,
    type: 'gauge' as const,
    value: a.ageHours,
    tags: [
      tag('stage', stage),
      tag('backup_class', a.kind),
      tag('resource', a.resource),
      tag('verified', a.everVerified ? 'yes' : 'never'),
    ],
  }));
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
  // The last-verified record first: its ages go to Datadog with the other metrics, and to CloudWatch.
  let lastVerified: string | undefined;
  let ages: LastVerifiedAge[] = [];
  if (deps.lastVerified) {
    try {
      ages = await lastVerifiedAges(report, deps.lastVerified.store);
      lastVerified = 'recorded';
    } catch (err) {
      lastVerified = why(err);
      deps.logger.error('last-verified record failed', { error: lastVerified });
    }
    // Per-kind checked/failed counts go out even when the store failed (its ages are then missing,
    // which the age alarms treat as breaching).
    emitCloudWatch(report, ages, deps.lastVerified.metrics);
  }
  let metrics = 'submitted';
  try {
    await deps.datadog.submitMetrics([...backupMetrics(report), ...lastVerifiedMetrics(report.stage, ages)]);
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
  return { slack, metrics, events, ...(lastVerified ? { lastVerified } : {}) };
}
