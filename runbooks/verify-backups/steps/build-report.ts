import * as z from 'zod';
import { CHECKS, type Evaluation } from '../logic.js';
import {
  BACKUP_SIGNAL_EVENT,
  type BackupReport,
  buildReport,
  failureSignals,
  renderJson,
  renderMarkdown,
  renderSlack,
  summaryLine,
} from '../report.js';

/** The build-report step: every Map result → the report, its renderings, and the failure signals. */

const CheckResultSchema = z.object({
  check: z.enum(CHECKS),
  verdict: z.enum(['pass', 'fail', 'not-applicable']),
  reason: z.string(),
});

export const EvaluationSchema = z.object({
  class: z.enum(['ebs', 'rds', 'velero']),
  resource: z.string().min(1),
  label: z.string().optional(),
  backupId: z.string().optional(),
  verdict: z.enum(['pass', 'fail']),
  ageHours: z.number().optional(),
  rpoHours: z.number(),
  reason: z.string(),
  checks: z.array(CheckResultSchema),
});

export const BuildReportEventSchema = z.object({
  /** The workflow passes one array per Map (one Map per restore kind): flattened here. */
  evaluations: z.array(z.union([EvaluationSchema, z.array(EvaluationSchema)])).transform((xs) => xs.flat()),
  stage: z.string().min(1),
  executionName: z.string().min(1),
  region: z.string().optional(),
  account: z.string().optional(),
  bucket: z.string().min(1),
});
export interface BuildReportEvent {
  readonly evaluations: readonly (Evaluation | readonly Evaluation[])[];
  readonly stage: string;
  readonly executionName: string;
  readonly region?: string;
  readonly account?: string;
  readonly bucket: string;
}

export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface BuiltReport {
  readonly summary: string;
  readonly totals: BackupReport['totals'];
  readonly report: BackupReport;
  readonly keys: { readonly json: string; readonly markdown: string };
  readonly reportUrl: string;
  readonly json: string;
  readonly markdown: string;
  readonly slack: ReturnType<typeof renderSlack>;
  /** PutEvents entries, at most 10 per batch (the API's limit). */
  readonly signalBatches: PutEventsEntry[][];
}

/** Where a run's report is kept: by stage and day, named after the execution. */
export function reportKeys(
  stage: string,
  executionName: string,
  now: Date,
): { json: string; markdown: string } {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
  const base = `verify-backups/${stage}/${day}/${executionName}`;
  return { json: `${base}.json`, markdown: `${base}.md` };
}

export function buildReportStep(event: BuildReportEvent, now: Date): BuiltReport {
  const e = BuildReportEventSchema.parse(event);
  const report = buildReport(e.evaluations, {
    stage: e.stage,
    executionName: e.executionName,
    now: now.getTime(),
  });
  const keys = reportKeys(e.stage, e.executionName, now);
  const region = e.region ?? 'eu-west-1';
  const reportUrl = `https://${region}.console.aws.amazon.com/s3/object/${e.bucket}?prefix=${encodeURIComponent(keys.markdown)}`;
  const entries: PutEventsEntry[] = failureSignals(report, {
    ...(e.region ? { region: e.region } : {}),
    ...(e.account ? { account: e.account } : {}),
  }).map((signal) => ({
    Source: BACKUP_SIGNAL_EVENT.source,
    DetailType: BACKUP_SIGNAL_EVENT.detailType,
    Detail: JSON.stringify(signal),
  }));
  const signalBatches: PutEventsEntry[][] = [];
  for (let i = 0; i < entries.length; i += 10) signalBatches.push(entries.slice(i, i + 10));
  return {
    summary: summaryLine(report),
    totals: report.totals,
    report,
    keys,
    reportUrl,
    json: renderJson(report),
    markdown: renderMarkdown(report),
    slack: renderSlack(report, { reportUrl }),
    signalBatches,
  };
}
