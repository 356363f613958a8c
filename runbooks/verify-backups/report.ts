import type { Signal } from '../../events/signal.js';
import {
  BACKUP_VERIFICATION_DETAIL_TYPE,
  BACKUP_VERIFICATION_SOURCE,
} from '../../events/sources/backup-verification/schema.js';
import type { Evaluation } from './logic.js';

/**
 * The report of one verify-backups run: a table of every backup checked (resource, class,
 * verdict, age, RPO, reason), rendered as Markdown and JSON for the audit copy in S3, as a
 * Slack message (summary + failures only), and as one intake `Signal` per failure.
 */

export interface BackupReport {
  readonly stage: string;
  readonly executionName: string;
  readonly generatedAt: string;
  readonly totals: { readonly checked: number; readonly passed: number; readonly failed: number };
  /** Failures first, then by class and resource. */
  readonly rows: readonly Evaluation[];
}

const CLASS_ORDER = { ebs: 0, rds: 1, velero: 2 } as const;

export function buildReport(
  evaluations: readonly Evaluation[],
  meta: { readonly stage: string; readonly executionName: string; readonly now: number },
): BackupReport {
  const rows = [...evaluations].sort(
    (a, b) =>
      (a.verdict === 'fail' ? 0 : 1) - (b.verdict === 'fail' ? 0 : 1) ||
      CLASS_ORDER[a.class] - CLASS_ORDER[b.class] ||
      a.resource.localeCompare(b.resource),
  );
  const failed = rows.filter((r) => r.verdict === 'fail').length;
  return {
    stage: meta.stage,
    executionName: meta.executionName,
    generatedAt: new Date(meta.now).toISOString(),
    totals: { checked: rows.length, passed: rows.length - failed, failed },
    rows,
  };
}

export function formatAge(row: Pick<Evaluation, 'ageHours'>): string {
  return row.ageHours === undefined ? '—' : `${row.ageHours.toFixed(1)} h`;
}

function resourceName(row: Evaluation): string {
  return row.label ? `${row.resource} (${row.label})` : row.resource;
}

/** One line for Slack, Datadog and the run result. */
export function summaryLine(report: BackupReport): string {
  const { checked, passed, failed } = report.totals;
  if (checked === 0) return `verify-backups ${report.stage}: no backups found to check`;
  return failed === 0
    ? `verify-backups ${report.stage}: all ${checked} backups verified`
    : `verify-backups ${report.stage}: ${failed} of ${checked} backups FAILED verification (${passed} passed)`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

/** The audit copy: a Markdown table of every backup checked. */
export function renderMarkdown(report: BackupReport): string {
  const lines = [
    `# Backup verification: ${report.stage}`,
    '',
    `Run \`${report.executionName}\` at ${report.generatedAt}: ${report.totals.checked} checked, ${report.totals.passed} passed, ${report.totals.failed} failed.`,
    '',
    '| Verdict | Class | Resource | Backup | Age | RPO | Reason |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...report.rows.map(
      (r) =>
        `| ${r.verdict === 'fail' ? 'FAIL' : 'pass'} | ${r.class} | ${cell(resourceName(r))} | ${cell(r.backupId ?? '—')} | ${formatAge(r)} | ${r.rpoHours} h | ${cell(r.reason)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function renderJson(report: BackupReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

interface SlackText {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
}
export interface SlackBlock {
  readonly type: 'section' | 'context' | 'header';
  readonly text?: SlackText;
  readonly elements?: readonly SlackText[];
}

/** Slack shows the summary and the failures only (at most `maxFailures`); the full table is linked. */
export function renderSlack(
  report: BackupReport,
  options: { readonly reportUrl?: string; readonly maxFailures?: number } = {},
): { text: string; blocks: SlackBlock[] } {
  const max = options.maxFailures ?? 15;
  const failures = report.rows.filter((r) => r.verdict === 'fail');
  const icon = failures.length === 0 ? ':white_check_mark:' : ':rotating_light:';
  const text = summaryLine(report);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `${icon} *${text}*` } }];
  if (failures.length > 0) {
    const lines = failures
      .slice(0, max)
      .map(
        (r) =>
          `• \`${r.class}\` *${resourceName(r)}*: age ${formatAge(r)} / RPO ${r.rpoHours} h: ${r.reason}`,
      );
    if (failures.length > max) lines.push(`…and ${failures.length - max} more in the full report`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } });
  }
  const context = [
    `run \`${report.executionName}\``,
    `${report.totals.passed}/${report.totals.checked} passed`,
  ];
  if (options.reportUrl) context.push(`<${options.reportUrl}|full report>`);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  return { text, blocks };
}

/** EventBridge `source` and `detail-type` of a backup-failure signal on the default bus (defined in events/). */
export const BACKUP_SIGNAL_EVENT = {
  source: BACKUP_VERIFICATION_SOURCE,
  detailType: BACKUP_VERIFICATION_DETAIL_TYPE,
} as const;

const RESOURCE_TYPE = { ebs: 'ebs-volume', rds: 'backup', velero: 'backup' } as const;

/**
 * One intake `Signal` per failed backup, so the normal incident path follows (notify; for an
 * EBS volume with no fresh snapshot, the policy may start a snapshot). Correlation ids are
 * stable per run and resource, so a re-delivered event is de-duplicated by the intake.
 */
export function failureSignals(
  report: BackupReport,
  meta: { readonly region?: string; readonly account?: string } = {},
): Signal[] {
  return report.rows
    .filter((r) => r.verdict === 'fail')
    .map((r) => {
      const failedChecks = r.checks.filter((c) => c.verdict === 'fail').map((c) => c.check);
      return {
        source: 'backup-verification',
        kind: 'backup-verification.backup-failed',
        resource: {
          type: RESOURCE_TYPE[r.class],
          id: r.resource,
          ...(meta.region ? { region: meta.region } : {}),
          ...(meta.account ? { account: meta.account } : {}),
          attributes: {
            backupClass: r.class,
            ...(r.backupId ? { backupId: r.backupId } : {}),
            ...(r.label ? { label: r.label } : {}),
          },
        },
        severity: 'critical',
        occurredAt: report.generatedAt,
        correlationId: `${report.executionName}/${r.class}/${r.resource}`,
        details: {
          failedChecks,
          reason: r.reason.slice(0, 1000),
          rpoHours: r.rpoHours,
          ...(r.ageHours !== undefined ? { ageHours: r.ageHours } : {}),
          executionName: report.executionName,
          stage: report.stage,
        },
        summary:
          `${r.class} backup of ${resourceName(r)} failed verification: ${failedChecks.join(', ')}`.slice(
            0,
            300,
          ),
        raw: { row: r },
      } satisfies Signal;
    });
}
