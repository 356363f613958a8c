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

function checkWord(row: Evaluation, check: 'restore' | 'dr-copy'): string {
  const c = row.checks.find((x) => x.check === check);
  if (!c || c.verdict === 'not-applicable') return check === 'restore' ? 'not run' : 'n/a';
  if (c.verdict === 'fail') return 'FAILED';
  return check === 'restore' ? (row.class === 'ebs' ? 'content ok' : 'restore ok') : 'ok';
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * The daily table for Slack: one line per backup in the report's order (failures first), fixed-width
 * columns in a code block: verdict, resource, kind, backup age, content/restore verdict, DR copy.
 * Split into chunks that each fit one Slack section (3,000 characters).
 */
export function renderTable(report: BackupReport, maxChars = 2900): string[] {
  const header = ['', 'resource', 'kind', 'backup age', 'content/restore', 'DR copy'];
  const lines = report.rows.map((r) => [
    r.verdict === 'fail' ? 'FAIL' : 'ok',
    clip(r.resource, 32),
    r.class,
    formatAge(r),
    checkWord(r, 'restore'),
    checkWord(r, 'dr-copy'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const head = render(header);
  const chunks: string[] = [];
  let current: string[] = [];
  for (const line of lines.map(render)) {
    const size = [head, ...current, line].join('\n').length + 8;
    if (current.length > 0 && size > maxChars) {
      chunks.push(['```', head, ...current, '```'].join('\n'));
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) chunks.push(['```', head, ...current, '```'].join('\n'));
  return chunks;
}

/**
 * Slack shows the summary, the failures with their reasons (at most `maxFailures`), then the table
 * of every backup (failures first); the full report is linked.
 */
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
  // A message holds at most 50 blocks: the table keeps 45 of them (about 1,200 rows).
  for (const chunk of renderTable(report).slice(0, 45))
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
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
