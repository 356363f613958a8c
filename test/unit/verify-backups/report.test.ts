import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignalSchema } from '../../../events/signal.js';
import { type Evaluation, evaluateItem } from '../../../runbooks/verify-backups/logic.js';
import {
  buildReport,
  failureSignals,
  renderMarkdown,
  renderSlack,
  renderTable,
  summaryLine,
} from '../../../runbooks/verify-backups/report.js';
import { ebsItem, NOW, OTHER_KEY_ARN, point, SETTINGS } from './fixtures.js';

/** The report as the README shows it: two EBS volumes (one stale), the database, a Velero schedule. */
function sampleReport() {
  const evaluations = [
    evaluateItem(ebsItem({ resource: 'vol-0bbbbbbbbbbbbbbb2', label: 'pvc app/data-pg-0' }), SETTINGS, NOW),
    evaluateItem(
      ebsItem({ latestCompleted: point({ id: 'snap-0a00000000000000a' }, 30), drCopy: undefined }),
      SETTINGS,
      NOW,
    ),
    evaluateItem(
      ebsItem({
        class: 'rds',
        resource: 'prod-platform',
        label: 'RDS MySQL',
        recoveryPoints: 30,
        latestCompleted: point({ id: 'rds:prod-platform-2026-11-22-03-10', kmsKeyId: OTHER_KEY_ARN }, 2.9),
      }),
      SETTINGS,
      NOW,
    ),
    evaluateItem(
      ebsItem({
        class: 'velero',
        resource: 'daily',
        label: 's3://prod-velero/backups/',
        recoveryPoints: 30,
        newest: point({ id: 'daily-20261122050012', rawState: 'Completed', errors: 0, warnings: 1 }, 0.9),
        latestCompleted: point(
          {
            id: 'daily-20261122050012',
            rawState: 'Completed',
            objects: { metadata: true, tarball: true, logs: true },
          },
          0.9,
        ),
        drCopy: undefined,
      }),
      SETTINGS,
      NOW,
    ),
  ];
  return buildReport(evaluations, {
    stage: 'prod',
    executionName: 'verify-backups-all-backups-20261122T0500',
    now: NOW,
  });
}

describe('verify-backups report: the table of every backup checked', () => {
  it('renders failures first, then by class and resource, with verdict, age, RPO and reason', () => {
    // Prepare
    const report = sampleReport();
    // Act
    const md = renderMarkdown(report);
    // Assess
    expect(md).toBe(
      [
        '# Backup verification: prod',
        '',
        'Run `verify-backups-all-backups-20261122T0500` at 2026-11-22T06:00:00.000Z: 4 checked, 2 passed, 2 failed.',
        '',
        '| Verdict | Class | Resource | Backup | Age | RPO | Reason |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| FAIL | ebs | vol-0aaaaaaaaaaaaaaa1 | snap-0a00000000000000a | 30.0 h | 26 h | fresh: age 30.0 h exceeds RPO 26 h; dr-copy: no copy in eu-central-1 |',
        '| FAIL | rds | prod-platform (RDS MySQL) | rds:prod-platform-2026-11-22-03-10 | 2.9 h | 26 h | encrypted: rds:prod-platform-2026-11-22-03-10 is encrypted with 99999999-0000-0000-0000-000000000000, not the expected alias/test-data (1234abcd-12ab-34cd-56ef-1234567890ab) |',
        '| pass | ebs | vol-0bbbbbbbbbbbbbbb2 (pvc app/data-pg-0) | snap-0123456789abcdef0 | 2.0 h | 26 h | all checks passed |',
        '| pass | velero | daily (s3://prod-velero/backups/) | daily-20261122050012 | 0.9 h | 26 h | all checks passed |',
        '',
      ].join('\n'),
    );
  });

  it('is the example the runbook README shows, verbatim', () => {
    const readme = readFileSync(
      new URL('../../../runbooks/verify-backups/README.md', import.meta.url),
      'utf8',
    );
    expect(readme).toContain(`\`\`\`\n${renderMarkdown(sampleReport())}\`\`\``);
  });

  it('escapes pipes in reasons so a row never breaks the table', () => {
    const report = sampleReport();
    const withPipe = {
      ...report,
      rows: [{ ...report.rows[0], reason: 'a | b' } as (typeof report.rows)[number]],
    };
    expect(renderMarkdown(withPipe)).toContain('| a \\| b |');
  });

  it('sums up for Slack: the summary line and only the failures, with a link to the full report', () => {
    // Prepare
    const report = sampleReport();
    // Act
    const slack = renderSlack(report, { reportUrl: 'https://example.invalid/report.md' });
    // Assess
    expect(slack.text).toBe('verify-backups prod: 2 of 4 backups FAILED verification (2 passed)');
    expect(slack.blocks[0]?.text?.text).toBe(
      ':rotating_light: *verify-backups prod: 2 of 4 backups FAILED verification (2 passed)*',
    );
    const failures = slack.blocks[1]?.text?.text ?? '';
    expect(failures.split('\n')).toHaveLength(2);
    expect(failures).toContain(
      '• `ebs` *vol-0aaaaaaaaaaaaaaa1*: age 30.0 h / RPO 26 h: fresh: age 30.0 h exceeds RPO 26 h',
    );
    expect(failures).not.toContain('vol-0bbbbbbbbbbbbbbb2');
    expect(slack.blocks.at(-1)?.elements?.[0]?.text).toBe(
      'run `verify-backups-all-backups-20261122T0500` · 2/4 passed · <https://example.invalid/report.md|full report>',
    );
  });

  it('caps the failures listed in Slack', () => {
    const report = sampleReport();
    const slack = renderSlack(report, { maxFailures: 1 });
    expect(slack.blocks[1]?.text?.text?.split('\n').at(-1)).toBe('…and 1 more in the full report');
  });

  it('says so when every backup passed, or when nothing was found', () => {
    const ok = buildReport([evaluateItem(ebsItem(), SETTINGS, NOW)], {
      stage: 'dev',
      executionName: 'x',
      now: NOW,
    });
    expect(summaryLine(ok)).toBe('verify-backups dev: all 1 backups verified');
    expect(renderSlack(ok).blocks).toHaveLength(3);
    expect(summaryLine(buildReport([], { stage: 'dev', executionName: 'x', now: NOW }))).toBe(
      'verify-backups dev: no backups found to check',
    );
  });
});

describe('verify-backups report: failure signals into the intake', () => {
  it('makes one valid Signal per failed backup, with a stable correlation id', () => {
    // Prepare
    const report = sampleReport();
    // Act
    const signals = failureSignals(report, { region: 'eu-west-1', account: '333333333333' });
    // Assess
    expect(signals).toHaveLength(2);
    for (const s of signals) expect(SignalSchema.safeParse(s).success).toBe(true);
    expect(signals[0]).toMatchObject({
      source: 'backup-verification',
      kind: 'backup-verification.backup-failed',
      severity: 'critical',
      correlationId: 'verify-backups-all-backups-20261122T0500/ebs/vol-0aaaaaaaaaaaaaaa1',
      resource: {
        type: 'ebs-volume',
        id: 'vol-0aaaaaaaaaaaaaaa1',
        region: 'eu-west-1',
        account: '333333333333',
      },
      details: { failedChecks: ['fresh', 'dr-copy'], rpoHours: 26, ageHours: 30 },
    });
    expect(signals[1]?.resource).toMatchObject({
      type: 'backup',
      id: 'prod-platform',
      attributes: { backupClass: 'rds' },
    });
  });
});

describe('verify-backups report: the daily Slack table', () => {
  type Verdict = 'pass' | 'fail' | 'not-applicable';
  const row = (
    cls: 'ebs' | 'rds' | 'velero',
    resource: string,
    ageHours: number | undefined,
    restore: Verdict,
    dr: Verdict,
    other: Verdict = 'pass',
  ): Evaluation => ({
    class: cls,
    resource,
    verdict: [restore, dr, other].includes('fail') ? 'fail' : 'pass',
    ...(ageHours !== undefined ? { ageHours } : {}),
    rpoHours: 26,
    reason: 'r',
    checks: [
      { check: 'fresh', verdict: other, reason: 'x' },
      { check: 'dr-copy', verdict: dr, reason: 'x' },
      { check: 'restore', verdict: restore, reason: 'x' },
    ],
  });

  it('is one table, failures first, with backup age, content/restore verdict and DR copy', () => {
    // Prepare: rows in no particular order.
    const report = buildReport(
      [
        row('velero', 'daily', 5, 'pass', 'pass'),
        row('ebs', 'vol-0bbbbbbbbbbbbbbb2', 3.3, 'pass', 'pass'),
        row('rds', 'prod-platform', 2.9, 'not-applicable', 'fail'),
        row('ebs', 'vol-0aaaaaaaaaaaaaaa1', 30, 'pass', 'pass', 'fail'),
        row('ebs', 'vol-0ccccccccccccccc3', undefined, 'fail', 'not-applicable'),
      ],
      { stage: 'prod', executionName: 'run', now: NOW },
    );
    // Act
    const table = renderTable(report);
    // Assess: written by hand.
    expect(table).toEqual([
      [
        '```',
        '      resource               kind    backup age  content/restore  DR copy',
        'FAIL  vol-0aaaaaaaaaaaaaaa1  ebs     30.0 h      content ok       ok',
        'FAIL  vol-0ccccccccccccccc3  ebs     —           FAILED           n/a',
        'FAIL  prod-platform          rds     2.9 h       not run          FAILED',
        'ok    vol-0bbbbbbbbbbbbbbb2  ebs     3.3 h       content ok       ok',
        'ok    daily                  velero  5.0 h       restore ok       ok',
        '```',
      ].join('\n'),
    ]);
    const slack = renderSlack(report);
    expect(slack.blocks.map((b) => b.text?.text ?? b.elements?.[0]?.text).slice(2, 3)).toEqual(table);
  });

  it('splits a long table into sections that fit Slack, header repeated', () => {
    const rows = Array.from({ length: 60 }, (_, i) =>
      row('ebs', `vol-${String(i).padStart(17, '0')}`, 1, 'pass', 'pass'),
    );
    const table = renderTable(buildReport(rows, { stage: 'prod', executionName: 'run', now: NOW }));
    // Rows of 64 characters, header 69 (only "ok" and "ebs": those columns are 2 and 4 wide),
    // fences 2 × 4: 4 + 69 + 43 × 65 + 4 = 2,872 fits in 2,900, 44 rows (2,937) would not.
    expect(table.map((c) => c.split('\n').length - 3)).toEqual([43, 17]);
    for (const chunk of table) {
      expect(chunk.length).toBeLessThanOrEqual(2900);
      expect(chunk.split('\n')[1]).toMatch(/^ +resource/);
    }
  });
});
