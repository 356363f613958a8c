import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { type SweepFinding, sweepEvent } from '../../events/index.js';
import type { Signal } from '../../events/signal.js';
import type { IntakeDeps } from '../../functions/intake/core.js';
import type { Decision } from '../../functions/intake/decision.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import { handleEvent } from '../../functions/intake/ingest.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * Issue 14, "Reconciliation": an event and a sweep finding of the same condition in one de-duplication
 * window start at most one run. Both go through the intake's own entry point (`handleEvent`) with the real
 * guard store on dynalite; only Step Functions is faked. The event is a recorded sample; the expected
 * rule, runbook and parameters are written by hand from the runbook READMEs.
 */
const ROOT = join(import.meta.dirname, '../..');
const sample = (path: string): unknown =>
  JSON.parse(readFileSync(join(ROOT, 'events/samples', path), 'utf8')) as unknown;
const dev = loadStage('dev');
const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);
const silent: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
} as unknown as OpsLogger;

let db: LocalDynamo;
let table = 0;
let notified: Decision[];

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(() => {
  notified = [];
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
});

async function deps(clock?: () => number): Promise<IntakeDeps> {
  const tableName = `sweep-dedup-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  return {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store: new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
      ...(clock ? { now: clock } : {}),
    }),
    stateMachines: {
      'scale-node-group': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-scale-node-group',
      'snapshot-volume': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-snapshot-volume',
      'restore-guardrail': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-restore-guardrail',
    },
    stage: 'dev',
    automation: dev.automation,
    logger: silent,
    notifier: { notify: async (_s: Signal, d: Decision) => void notified.push(d) },
  };
}

const finding = (f: SweepFinding, id: string) =>
  sweepEvent(f, { id, account: '111111111111', region: 'eu-west-1' });

const nodeGroupFinding = (observedAt: string): SweepFinding => ({
  check: 'node-groups',
  condition: 'node-group-at-max',
  resource: {
    type: 'node-group',
    id: 'dev-platform/dev-platform-a',
    attributes: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
  },
  observedAt,
  summary: 'node group dev-platform/dev-platform-a is at its maximum (4 of 4) with 3 unschedulable pods',
  facts: { maxSize: 4, desiredSize: 4, unschedulablePods: 3 },
});

describe('sweeps: an event and a sweep finding of one condition start at most one run', () => {
  it('cluster-autoscaler event at 14:02, node-group sweep at 14:09: one scale-node-group run', async () => {
    // Prepare
    const d = await deps();
    // Act
    const [byEvent] = await handleEvent(
      sample('cluster-autoscaler/failedtoscaleupgroup-dev-platform.json'),
      d,
    );
    const [bySweep] = await handleEvent(finding(nodeGroupFinding('2026-11-20T14:09:00Z'), 'sweep-1'), d);
    // Assess: the same rule decides both, with the same parameters and the same execution name.
    expect(byEvent?.decision).toMatchObject({
      action: 'start',
      rule: 'cluster-autoscaler',
      runbook: 'scale-node-group',
      resourceKey: 'dev-platform/dev-platform-a',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
    });
    expect(bySweep?.decision).toMatchObject({
      action: 'ignore',
      rule: 'cluster-autoscaler',
      runbook: 'scale-node-group',
      resourceKey: 'dev-platform/dev-platform-a',
      executionName: byEvent?.decision.executionName,
    });
    expect(bySweep?.decision.guards.find((g) => g.name === 'dedup')?.outcome).toBe('block');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('the sweep first, then the event in the same window: still one run', async () => {
    // Prepare
    const d = await deps();
    // Act
    const [bySweep] = await handleEvent(finding(nodeGroupFinding('2026-11-20T14:00:30Z'), 'sweep-2'), d);
    const [byEvent] = await handleEvent(
      sample('cluster-autoscaler/failedtoscaleupgroup-dev-platform.json'),
      d,
    );
    // Assess
    expect(bySweep?.decision.action).toBe('start');
    expect(byEvent?.decision.action).toBe('ignore');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('a finding in the next 15-minute window is not taken for the earlier run (the lock decides then)', async () => {
    // Prepare
    const d = await deps();
    // Act
    const [byEvent] = await handleEvent(
      sample('cluster-autoscaler/failedtoscaleupgroup-dev-platform.json'),
      d,
    );
    const [bySweep] = await handleEvent(finding(nodeGroupFinding('2026-11-20T14:15:00Z'), 'sweep-3'), d);
    // Assess: a different execution name; the first run still holds the resource's lock.
    expect(bySweep?.decision.executionName).not.toBe(byEvent?.decision.executionName);
    expect(bySweep?.decision.guards.find((g) => g.name === 'lock')?.outcome).toBe('block');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('verify-backups failure at 05:07 and the volume sweep at 05:20: one snapshot-volume run', async () => {
    // Prepare
    const d = await deps();
    const stale: SweepFinding = {
      check: 'volumes',
      condition: 'volume-snapshot-stale',
      resource: { type: 'ebs-volume', id: 'vol-0a1b2c3d4e5f60718', attributes: {} },
      observedAt: '2026-11-21T05:20:00Z',
      summary: 'newest snapshot of vol-0a1b2c3d4e5f60718 is 52.5 h old; RPO is 26 h',
      facts: { failedCheck: 'fresh', rpoHours: 26, ageHours: 52.5 },
    };
    // Act
    const [byEvent] = await handleEvent(sample('backup-verification/backup-failed-ebs-stale.json'), d);
    const [bySweep] = await handleEvent(finding(stale, 'sweep-4'), d);
    // Assess
    expect(byEvent?.decision).toMatchObject({
      action: 'start',
      rule: 'backup-failed',
      runbook: 'snapshot-volume',
      resourceKey: 'vol-0a1b2c3d4e5f60718',
    });
    expect(bySweep?.decision).toMatchObject({
      action: 'ignore',
      rule: 'backup-failed',
      executionName: byEvent?.decision.executionName,
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});

describe('sweeps: a condition the sweep keeps finding is told once a day, not at every run', () => {
  // A trail that is not the platform's (restore-guardrail puts back only allow-listed trails): the
  // finding is a notification, and that notification is what the daily claim holds back.
  const trail = (observedAt: string): SweepFinding => ({
    check: 'trails',
    condition: 'trail-not-logging',
    resource: { type: 'trail', id: 'team-audit-trail', attributes: {} },
    observedAt,
    summary: 'trail team-audit-trail is not logging (IsLogging false)',
    facts: {},
  });

  it('four runs 15 minutes apart: one critical notification; the next day: a reminder', async () => {
    // Prepare
    let now = Date.parse('2026-12-07T10:00:00Z');
    const d = await deps(() => now);
    // Act
    for (const t of ['10:00', '10:15', '10:30', '10:45']) {
      now = Date.parse(`2026-12-07T${t}:00Z`);
      await handleEvent(finding(trail(`2026-12-07T${t}:00Z`), `sweep-${t}`), d);
    }
    const sameDay = notified.length;
    now = Date.parse('2026-12-08T10:00:00Z');
    await handleEvent(finding(trail('2026-12-08T10:00:00Z'), 'sweep-next-day'), d);
    // Assess
    expect(sameDay).toBe(1);
    expect(notified).toHaveLength(2);
    expect(notified[0]).toMatchObject({ action: 'notify', severity: 'critical', rule: 'security-calls' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('the event path is never held back by it: each StopLogging record is told', async () => {
    // Prepare: the recorded StopLogging, on that same non-platform trail
    const d = await deps();
    const record = sample('cloudtrail/cloudtrail-stoplogging.json') as {
      detail: { requestParameters: { name: string } };
    };
    record.detail.requestParameters.name = 'team-audit-trail';
    // Act
    await handleEvent(finding(trail('2026-11-20T13:00:00Z'), 'sweep-first'), d);
    await handleEvent(record, d);
    await handleEvent(record, d);
    // Assess: the sweep's notice, then both records
    expect(notified.map((n) => n.rule)).toEqual(['security-calls', 'security-calls', 'security-calls']);
  });
});

describe('sweeps: the platform trail not logging is put back, once, whichever path sees it first', () => {
  it('StopLogging on dev-platform-trail at 13:06 and the trail sweep at 13:09: one restore-guardrail run, told once', async () => {
    // Prepare
    const d = await deps();
    const platformTrail: SweepFinding = {
      check: 'trails',
      condition: 'trail-not-logging',
      resource: { type: 'trail', id: 'dev-platform-trail', attributes: {} },
      observedAt: '2026-11-20T13:09:00Z',
      summary: 'trail dev-platform-trail is not logging (IsLogging false)',
      facts: {},
    };
    // Act
    const [byEvent] = await handleEvent(sample('cloudtrail/cloudtrail-stoplogging.json'), d);
    const [bySweep] = await handleEvent(finding(platformTrail, 'sweep-platform-trail'), d);
    // Assess
    expect(byEvent?.decision).toMatchObject({
      action: 'start',
      rule: 'restore-guardrail',
      runbook: 'restore-guardrail',
      parameters: { guardrail: 'trail-logging', target: 'dev-platform-trail' },
    });
    expect(bySweep?.decision).toMatchObject({
      rule: 'restore-guardrail',
      executionName: byEvent?.decision.executionName,
    });
    expect(bySweep?.decision.action).not.toBe('start');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(notified).toHaveLength(1);
  });
});
