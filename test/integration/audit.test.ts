import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, canonicalJson, chainProblems, ledgerKey } from '../../functions/audit/record.js';
import { AuditStore } from '../../functions/audit/store.js';
import { VERIFIED, verifyChain } from '../../functions/audit/verify.js';
import { runOps } from '../support/ops-cli.js';
import { startLedgerServer } from '../support/s3-ledger-server.js';
import { type AuditHarness, createAuditTable, startAudit } from './report-support.js';

/** Runs `ops history …` as an operator would (bin/ops.mjs, a child process), with the given environment only. */
const opsHistory = (args: string[], env: Record<string, string>) => runOps(['history', ...args], { env });

/** stderr without the AWS SDK's Node-version notice (this machine runs Node 20). */
function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('ops '));
}

function draft(execution: string, phase: AuditEntry['phase'], at: string, extra: Partial<AuditEntry> = {}) {
  return {
    executionName: execution,
    phase,
    at,
    startedAt: '2026-11-22T21:00:00Z',
    stage: 'dev',
    runbook: 'snapshot-volume',
    resourceKey: 'vol-0abc1234def567890',
    trigger: {
      source: 'cloudtrail',
      kind: 'cloudtrail.api-call',
      eventId: '2f6a1e9c-3b7d-4e0a-9c1f-5d8e7a6b4c3d',
      occurredAt: '2026-11-22T20:59:50Z',
      requestedBy: 'arn:aws:iam::111111111111:role/AWSReservedSSO_Developer',
      summary: 'DetachVolume on a protected volume',
    },
    decision: {
      mode: 'approval' as const,
      dryRun: false,
      reasons: ['protected volume detached: snapshot first'],
      guards: [
        { name: 'allow-list', outcome: 'pass', detail: 'tag backup=required' },
        { name: 'rate-limit', outcome: 'pass', detail: '1 of 3 in 60 min' },
      ],
      parameters: { volumeId: 'vol-0abc1234def567890' },
    },
    approval: { status: 'not-requested' as const },
    changes: [],
    delivery: {
      slack: { status: 'sent' as const, channel: 'C0DEVOPS001', ts: '1.1' },
      datadog: { status: 'sent' as const },
    },
    timings: {},
    ...extra,
  };
}

const SNAPSHOT = {
  action: 'ec2:CreateSnapshot',
  resource: 'vol-0abc1234def567890',
  before: { snapshots: 2 },
  after: { snapshotId: 'snap-0123456789abcdef0', state: 'completed' },
  requestId: 'a1b2c3d4-5678-90ab-cdef-1234567890ab',
  at: '2026-11-22T21:02:00Z',
};

describe('audit store: an append-only, tamper-evident record per run', () => {
  let audit: AuditHarness;
  let store: AuditStore;

  beforeAll(async () => {
    audit = await startAudit();
    store = audit.store;
  });
  afterAll(async () => {
    await audit.stop();
  });

  it('the record of a run holds its trigger, decision with guard outcomes, approval, changes with request ids, and result', async () => {
    // Prepare
    const execution = 'snapshot-volume-a1-20261122T2100';

    // Act
    await store.append(
      draft(execution, 'started', '2026-11-22T21:00:01Z', { approval: { status: 'pending' } }),
    );
    await store.append(
      draft(execution, 'succeeded', '2026-11-22T21:02:10Z', {
        approval: { status: 'approved', approver: 'U0PLATFORM2', at: '2026-11-22T21:01:00Z' },
        changes: [SNAPSHOT],
        result: { outcome: 'succeeded', summary: 'snapshot snap-0123456789abcdef0 completed' },
        timings: { triggerToChangeSeconds: 130, triggerToResultSeconds: 140 },
      }),
    );

    // Assess
    const entries = await store.runEntries(execution);
    const record = entries.at(-1);
    expect(entries.map((e) => e.seq)).toEqual([0, 1]);
    expect(record?.trigger).toMatchObject({
      source: 'cloudtrail',
      eventId: '2f6a1e9c-3b7d-4e0a-9c1f-5d8e7a6b4c3d',
    });
    expect(record?.decision.guards?.map((g) => `${g.name}:${g.outcome}`)).toEqual([
      'allow-list:pass',
      'rate-limit:pass',
    ]);
    expect(record?.approval).toEqual({
      status: 'approved',
      approver: 'U0PLATFORM2',
      at: '2026-11-22T21:01:00Z',
    });
    expect(record?.changes).toEqual([SNAPSHOT]);
    expect(record?.result?.outcome).toBe('succeeded');
    expect(record?.previousHash).toBe(entries[0]?.hash);
    expect(chainProblems(entries)).toEqual([]);
    expect(verifyChain(entries, await store.ledgerEntries(entries))).toEqual({ valid: true, problems: [] });
    // The ledger holds byte-for-byte the same entries.
    for (const entry of entries) {
      expect(audit.ledger.objects.get(ledgerKey(entry))).toEqual([canonicalJson(entry)]);
    }
  });

  it('a second write of a phase cannot alter it: the stored entry stays as first written', async () => {
    // Prepare
    const execution = 'snapshot-volume-a2-20261122T2100';
    const first = await store.append(
      draft(execution, 'succeeded', '2026-11-22T21:02:10Z', {
        changes: [SNAPSHOT],
        result: { outcome: 'succeeded', summary: 'snapshot completed' },
      }),
    );

    // Act
    const second = await store.append(
      draft(execution, 'succeeded', '2026-11-22T21:09:00Z', {
        changes: [],
        result: { outcome: 'failed', summary: 'rewritten history' },
      }),
    );

    // Assess
    expect(first.status).toBe('written');
    expect(second.status).toBe('exists');
    expect(second.entry).toEqual(first.entry);
    const stored = await store.runEntries(execution);
    expect(stored).toEqual([first.entry]);
    expect(audit.ledger.objects.get(ledgerKey(first.entry))).toEqual([canonicalJson(first.entry)]);
  });

  it("a concurrent append of the same seq cannot overwrite the first: the store's own condition refuses it in DynamoDB", async () => {
    // Prepare: another invocation wrote `started` between this one's read and its write. The
    // racing store reads a stale, empty run (its first Query answers nothing), so it builds seq 0
    // too and puts it: only the store's ConditionExpression, evaluated by dynalite, stands between
    // it and an overwrite.
    const execution = 'snapshot-volume-a3-20261122T2100';
    const theirs = await store.append(draft(execution, 'started', '2026-11-22T21:00:01Z'));
    let stale = true;
    const racingDoc = {
      send: async (command: unknown) => {
        if (stale && command instanceof QueryCommand) {
          stale = false;
          return { Items: [] };
        }
        return await audit.db.doc.send(command as QueryCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const racing = new AuditStore({
      doc: racingDoc,
      s3: audit.ledger.s3,
      tableName: store.tableName,
      bucketName: 'ops-dev-audit-ledger',
    });

    // Act
    const mine = await racing.append(
      draft(execution, 'started', '2026-11-22T21:00:09Z', {
        decision: { ...draft(execution, 'started', '').decision, reasons: ['forged'] },
      }),
    );

    // Assess: dynalite refused the put (the racing store fell back to theirs), nothing changed
    expect(stale).toBe(false);
    expect(mine.status).toBe('exists');
    expect(mine.entry).toEqual(theirs.entry);
    expect(await store.runEntries(execution)).toEqual([theirs.entry]);
  });

  it('the store writes ledger copies only conditionally (If-None-Match: *, which the bucket policy requires)', async () => {
    // Prepare
    const execution = 'snapshot-volume-a4-20261122T2100';
    const before = audit.ledger.puts.length;

    // Act
    const { entry } = await store.append(draft(execution, 'started', '2026-11-22T21:00:01Z'));
    await store.append(draft(execution, 'started', '2026-11-22T21:00:05Z'));

    // Assess: every put this store made carried the condition, on the entry's key, with its checksum
    const puts = audit.ledger.puts.slice(before);
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const put of puts) {
      expect(put).toMatchObject({ Bucket: 'ops-dev-audit-ledger', Key: ledgerKey(entry), IfNoneMatch: '*' });
      expect(put.ChecksumAlgorithm).toBe('SHA256');
    }
    expect(audit.ledger.objects.get(ledgerKey(entry))).toEqual([canonicalJson(entry)]);
  });

  it('a ledger outage loses nothing: the table keeps the entry and the next append backfills the ledger copy', async () => {
    // Prepare
    const execution = 'snapshot-volume-a6-20261122T2100';
    audit.ledger.failNextPuts(1);
    const first = await store.append(draft(execution, 'started', '2026-11-22T21:00:01Z'));

    // Act
    const second = await store.append(
      draft(execution, 'succeeded', '2026-11-22T21:02:10Z', {
        result: { outcome: 'succeeded', summary: 'done' },
      }),
    );

    // Assess
    expect(first.ledger).toBe('failed');
    expect(first.ledgerError).toBe('SlowDown');
    expect(second.ledger).toBe('written');
    expect(audit.ledger.objects.get(ledgerKey(first.entry))).toEqual([canonicalJson(first.entry)]);
    expect(audit.ledger.objects.get(ledgerKey(second.entry))).toEqual([canonicalJson(second.entry)]);
  });

  it('tampering is evident: an edited entry, a removed entry or a re-ordered chain fails verification', async () => {
    // Prepare
    const execution = 'snapshot-volume-a5-20261122T2100';
    await store.append(draft(execution, 'started', '2026-11-22T21:00:01Z'));
    await store.append(
      draft(execution, 'awaiting-approval', '2026-11-22T21:00:02Z', { approval: { status: 'pending' } }),
    );
    await store.append(
      draft(execution, 'succeeded', '2026-11-22T21:02:10Z', {
        changes: [SNAPSHOT],
        result: { outcome: 'succeeded', summary: 'done' },
      }),
    );
    const entries = await store.runEntries(execution);

    // Act
    const edited = entries.map((e) => (e.phase === 'succeeded' ? { ...e, changes: [] } : e));
    const removed = entries.filter((e) => e.phase !== 'awaiting-approval');
    const swapped = entries.map((e) => (e.seq === 1 ? { ...e, previousHash: 'f'.repeat(64) } : e));
    const checks = (list: AuditEntry[]) => chainProblems(list).map((p) => `${p.seq}:${p.check}`);

    // Assess: each tampering is named by the rule it breaks
    expect(checks(entries)).toEqual([]);
    expect(checks(edited)).toEqual(['2:hash']);
    expect(checks(removed)).toEqual(['2:seq', '2:link']);
    expect(checks(swapped)).toEqual(['1:hash', '1:link']);
  });

  it('history finds the runs that touched a resource, newest first, since a time', async () => {
    // Prepare
    const resourceKey = 'vol-0fff0000aaaa11112';
    for (const [n, startedAt] of [
      [1, '2026-11-20T10:00:00Z'],
      [2, '2026-11-21T10:00:00Z'],
      [3, '2026-11-22T10:00:00Z'],
    ] as const) {
      const execution = `snapshot-volume-h${n}`;
      await store.append(draft(execution, 'started', startedAt, { resourceKey, startedAt }));
      await store.append(
        draft(execution, 'succeeded', startedAt.replace('10:00:00', '10:05:00'), {
          resourceKey,
          startedAt,
          result: { outcome: 'succeeded', summary: `run ${n}` },
        }),
      );
    }

    // Act
    const all = await store.history({ stage: 'dev', resourceKey });
    const recent = await store.history({ stage: 'dev', resourceKey, since: '2026-11-21T00:00:00Z' });
    const otherStage = await store.history({ stage: 'prod', resourceKey });

    // Assess
    expect(all.map((e) => `${e.executionName}:${e.phase}`)).toEqual([
      'snapshot-volume-h3:succeeded',
      'snapshot-volume-h2:succeeded',
      'snapshot-volume-h1:succeeded',
    ]);
    expect(recent.map((e) => e.executionName)).toEqual(['snapshot-volume-h3', 'snapshot-volume-h2']);
    expect(otherStage).toEqual([]);
  });

  it('ops history with no AWS credentials fails with one clear line', async () => {
    // Act
    const out = await opsHistory(['vol-0abc1234def567890'], {});

    // Assess
    expect(out.code).toBe(1);
    expect(ownLines(out.stderr)).toEqual([
      'ops history: no AWS credentials found: sign in to account 111111111111 (e.g. aws sso login, AWS_PROFILE) to read ops-dev-audit',
    ]);
    expect(out.stdout).toBe('');
  });

  it('ops history reads the stage audit table and prints each run with its verified chain', async () => {
    // Prepare: the dev audit table, by its real name, in dynalite
    await createAuditTable(audit.db, 'ops-dev-audit');
    const ledger = await startLedgerServer('ops-dev-audit-ledger-111111111111-eu-west-1');
    const devStore = new AuditStore({
      doc: audit.db.doc,
      s3: ledger.client(),
      tableName: 'ops-dev-audit',
      bucketName: ledger.bucket,
    });
    const execution = 'snapshot-volume-cli-20261122T2100';
    await devStore.append(
      draft(execution, 'started', '2026-11-22T21:00:01Z', { approval: { status: 'pending' } }),
    );
    await devStore.append(
      draft(execution, 'succeeded', '2026-11-22T21:02:10Z', {
        approval: { status: 'approved', approver: 'U0PLATFORM2', at: '2026-11-22T21:01:00Z' },
        changes: [SNAPSHOT],
        result: { outcome: 'succeeded', summary: 'done' },
      }),
    );

    // Act
    const env = {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: audit.db.endpoint,
      AWS_ENDPOINT_URL_S3: ledger.endpoint,
    };
    const out = await opsHistory(['vol-0abc1234def567890', '--since', '2026-11-22T00:00:00Z'], env);
    const json = await opsHistory(['vol-0abc1234def567890', '--json'], env);
    await ledger.stop();

    // Assess: a table with a header, one row per run, columns split by two or more spaces
    expect(ownLines(out.stderr)).toEqual([]);
    expect(out.code).toBe(0);
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/ {2,}/)),
    ).toEqual([
      ['STARTED', 'RUNBOOK', 'OUTCOME', 'REQUESTED BY', 'APPROVAL', 'CHANGES', 'EXECUTION', 'CHAIN'],
      [
        '2026-11-22T21:00:00Z',
        'snapshot-volume',
        'succeeded',
        'arn:aws:iam::111111111111:role/AWSReservedSSO_Developer',
        'approved by U0PLATFORM2',
        `ec2:CreateSnapshot (${SNAPSHOT.requestId})`,
        execution,
        VERIFIED,
      ],
    ]);
    expect(json.code).toBe(0);
    const runs = JSON.parse(json.stdout) as { executionName: string; seq: number; chain: string }[];
    expect(runs.map((r) => [r.executionName, r.seq, r.chain])).toEqual([[execution, 1, VERIFIED]]);
  });
});
