import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatadogApi } from '../../../functions/shared/datadog.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import { SlackApi } from '../../../functions/shared/slack.js';
import {
  dynamoLastVerifiedStore,
  emitCloudWatch,
  lastVerifiedAges,
} from '../../../runbooks/verify-backups/last-verified.js';
import type { CheckResult, Evaluation } from '../../../runbooks/verify-backups/logic.js';
import { buildReport, renderSlack } from '../../../runbooks/verify-backups/report.js';
import { publishReport } from '../../../runbooks/verify-backups/steps/publish.js';
import { deadEndpoint, documentClient, type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { type FakeChatOps, receivedMetrics, startFakeChatOps } from './fixtures.js';

/**
 * "Last verified restore" (issue 15): the record survives runs that do not restore (the RDS
 * restore is weekly), only moves forward, and its ages reach CloudWatch (EMF as real Powertools
 * prints it) and Datadog (over HTTP). The store runs on dynalite. Every expected age below is
 * computed by hand from the run times.
 */

const T0 = Date.parse('2026-11-01T05:00:00Z');
const H = 3_600_000;
const TABLE = 'last-verified';

function row(
  cls: Evaluation['class'],
  resource: string,
  restore: CheckResult['verdict'],
  backupId = `${resource}-backup`,
): Evaluation {
  return {
    class: cls,
    resource,
    backupId,
    verdict: restore === 'fail' ? 'fail' : 'pass',
    ageHours: 2,
    rpoHours: 26,
    reason: restore === 'fail' ? 'restore: content check failed' : 'all checks passed',
    checks: [
      { check: 'exists', verdict: 'pass', reason: 'ok' },
      { check: 'restore', verdict: restore, reason: restore === 'not-applicable' ? 'not due' : 'x' },
    ],
  };
}
const report = (at: number, rows: Evaluation[], executionName = `run-${at}`) =>
  buildReport(rows, { stage: 'test', executionName, now: at });

describe('last verified restore: the record on dynalite', () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite([{ name: TABLE, partitionKey: 'pk' }]);
  });
  afterAll(async () => {
    await db.stop();
  });

  it('ages from the last success across runs without a restore, from first sight before any, and never goes back', async () => {
    const store = dynamoLastVerifiedStore(db.doc, TABLE);
    const ages = async (r: ReturnType<typeof report>) =>
      (await lastVerifiedAges(r, store)).map((a) => [a.resource, a.ageHours, a.everVerified]);

    // Day 0: the volume's content is verified; the database's restore is not due; a failed listing is no resource.
    expect(
      await ages(
        report(T0, [
          row('ebs', 'vol-a', 'pass'),
          row('rds', 'db-1', 'not-applicable'),
          { ...row('velero', 'velero inventory', 'not-applicable'), verdict: 'fail' },
        ]),
      ),
    ).toEqual([
      ['vol-a', 0, true],
      ['db-1', 0, false],
    ]);
    // Day 1: the volume's content check fails: its last success stays day 0.
    expect(
      await ages(report(T0 + 24 * H, [row('ebs', 'vol-a', 'fail'), row('rds', 'db-1', 'not-applicable')])),
    ).toEqual([
      ['vol-a', 24, true],
      ['db-1', 24, false],
    ]);
    // Day 2 (+50 h): both verified.
    expect(
      await ages(report(T0 + 50 * H, [row('ebs', 'vol-a', 'pass'), row('rds', 'db-1', 'pass')])),
    ).toEqual([
      ['vol-a', 0, true],
      ['db-1', 0, true],
    ]);
    // A replayed older run (+30 h) that verified the volume does not move its record back.
    await ages(report(T0 + 30 * H, [row('ebs', 'vol-a', 'pass', 'snap-old')], 'replayed'));
    const raw = await db.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'verified#test#ebs#vol-a' } } }),
    );
    expect(raw.Item?.verifiedAtMs).toEqual({ N: String(T0 + 50 * H) });
    expect(raw.Item?.firstSeenAtMs).toEqual({ N: String(T0) });
    expect(raw.Item?.backupId).toEqual({ S: 'vol-a-backup' });
    // Six days later the weekly restore has not run again: 170 h − 50 h = 120 h.
    expect(
      await ages(report(T0 + 170 * H, [row('ebs', 'vol-a', 'pass'), row('rds', 'db-1', 'not-applicable')])),
    ).toEqual([
      ['vol-a', 0, true],
      ['db-1', 120, true],
    ]);
  });
});

describe('last verified restore: CloudWatch EMF as Powertools prints it', () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('one blob per resource age and per kind (oldest, checked, failed), namespace OpsAutomation', () => {
    const metrics = new Metrics({ namespace: 'OpsAutomation', serviceName: 'verify-backups' });
    const r = report(T0, [
      row('ebs', 'vol-a', 'pass'),
      row('ebs', 'vol-b', 'fail'),
      row('rds', 'db-1', 'pass'),
    ]);
    emitCloudWatch(
      r,
      [
        { kind: 'ebs', resource: 'vol-a', ageHours: 0, everVerified: true },
        { kind: 'ebs', resource: 'vol-b', ageHours: 73.5, everVerified: true },
        { kind: 'rds', resource: 'db-1', ageHours: 12, everVerified: false },
      ],
      metrics,
    );
    const blobs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const seen = blobs.map((b) => {
      const meta = (
        b._aws as {
          CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
        }
      ).CloudWatchMetrics[0];
      const name = meta?.Metrics[0]?.Name ?? '';
      const dims = Object.fromEntries((meta?.Dimensions[0] ?? []).map((d) => [d, b[d]]));
      return [meta?.Namespace, name, dims, b[name]];
    });
    const base = { service: 'verify-backups', stage: 'test' };
    expect(seen).toEqual([
      ['OpsAutomation', 'LastVerifiedRestoreAgeHours', { ...base, kind: 'ebs', resource: 'vol-a' }, 0],
      ['OpsAutomation', 'LastVerifiedRestoreAgeHours', { ...base, kind: 'ebs', resource: 'vol-b' }, 73.5],
      ['OpsAutomation', 'LastVerifiedRestoreAgeHours', { ...base, kind: 'rds', resource: 'db-1' }, 12],
      ['OpsAutomation', 'LastVerifiedRestoreMaxAgeHours', { ...base, kind: 'ebs' }, 73.5],
      ['OpsAutomation', 'BackupsChecked', { ...base, kind: 'ebs' }, 2],
      ['OpsAutomation', 'BackupsFailed', { ...base, kind: 'ebs' }, 1],
      ['OpsAutomation', 'LastVerifiedRestoreMaxAgeHours', { ...base, kind: 'rds' }, 12],
      ['OpsAutomation', 'BackupsChecked', { ...base, kind: 'rds' }, 1],
      ['OpsAutomation', 'BackupsFailed', { ...base, kind: 'rds' }, 0],
    ]);
    // Exactly one dimension set per blob (no extra service-only series).
    for (const b of blobs)
      expect(
        (b._aws as { CloudWatchMetrics: { Dimensions: unknown[] }[] }).CloudWatchMetrics[0]?.Dimensions,
      ).toHaveLength(1);
  });
});

describe('last verified restore: the publish step (Datadog over HTTP, store on dynalite)', () => {
  let chat: FakeChatOps;
  let db: LocalDynamo;
  const errors: unknown[] = [];
  const logger: OpsLogger = {
    info: () => undefined,
    warn: () => undefined,
    error: (...a: unknown[]) => void errors.push(a),
    debug: () => undefined,
    appendKeys: () => undefined,
  };
  const emitted: string[] = [];
  const metrics = {
    singleMetric: () => {
      const dims: string[] = [];
      const m = {
        addDimension: (k: string, v: string) => {
          dims.push(`${k}=${v}`);
          return m;
        },
        addMetric: (name: string, _unit: unknown, value: number) => {
          emitted.push(`${name} ${dims.join(',')} ${value}`);
          return m;
        },
      };
      return m as unknown as Metrics;
    },
  };
  beforeAll(async () => {
    chat = await startFakeChatOps();
    db = await startDynalite([{ name: TABLE, partitionKey: 'pk' }]);
  });
  afterAll(async () => {
    await chat.close();
    await db.stop();
  });
  beforeEach(() => {
    chat.requests.length = 0;
    errors.length = 0;
    emitted.length = 0;
  });
  const deps = (store: ReturnType<typeof dynamoLastVerifiedStore>) => ({
    slack: new SlackApi({ token: async () => 'xoxb-test', apiUrl: `${chat.url}/api/`, maxRetries: 0 }),
    datadog: new DatadogApi({
      apiKey: async () => 'k',
      site: 'datadoghq.eu',
      baseUrl: chat.url,
      maxRetries: 0,
    }),
    channel: 'C0TEST00001',
    logger,
    lastVerified: { store, metrics },
  });

  it('sends each resource’s age to Datadog with the other metrics and to CloudWatch', async () => {
    const store = dynamoLastVerifiedStore(db.doc, TABLE);
    await lastVerifiedAges(report(T0, [row('rds', 'db-9', 'pass')]), store);
    const r = report(T0 + 31 * H, [row('rds', 'db-9', 'not-applicable'), row('ebs', 'vol-z', 'fail')]);
    const out = await publishReport({ report: r, slack: renderSlack(r) }, deps(store));
    expect(out).toEqual({
      slack: 'posted',
      metrics: 'submitted',
      events: 'posted',
      lastVerified: 'recorded',
    });
    const dd = receivedMetrics(chat).filter(([m]) => m === 'ops.backup.last_verified_age_hours');
    expect(dd).toEqual([
      [
        'ops.backup.last_verified_age_hours',
        0,
        ['stage:test', 'backup_class:ebs', 'resource:vol-z', 'verified:never'],
      ],
      [
        'ops.backup.last_verified_age_hours',
        31,
        ['stage:test', 'backup_class:rds', 'resource:db-9', 'verified:yes'],
      ],
    ]);
    expect(emitted).toContain('LastVerifiedRestoreAgeHours stage=test,kind=rds,resource=db-9 31');
    expect(emitted).toContain('LastVerifiedRestoreMaxAgeHours stage=test,kind=rds 31');
  });

  it('a store that cannot be reached is recorded, the report still goes out, and the counts still reach CloudWatch', async () => {
    const store = dynamoLastVerifiedStore(documentClient(await deadEndpoint()), TABLE);
    const r = report(T0, [row('ebs', 'vol-a', 'pass')]);
    const out = await publishReport({ report: r, slack: renderSlack(r) }, deps(store));
    expect(out.slack).toBe('posted');
    expect(out.lastVerified).toMatch(/^failed: /);
    expect(errors).toHaveLength(1);
    expect(emitted).toEqual(['BackupsChecked stage=test,kind=ebs 1', 'BackupsFailed stage=test,kind=ebs 0']);
  });
});
