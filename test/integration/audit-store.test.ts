import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../functions/audit/record.js';
import { AuditStore, AuditWriteError } from '../../functions/audit/store.js';
import { type AuditHarness, startAudit } from './report-support.js';

/**
 * The audit store's table layout, ledger requests and failure paths, against dynalite (the
 * conditions are evaluated by it) and the ledger fake (which records every request as sent).
 * Expected keys and attributes are written out by hand from the layout in store.ts's comment.
 */

let audit: AuditHarness;
let store: AuditStore;

beforeAll(async () => {
  audit = await startAudit();
  store = audit.store;
});
afterAll(async () => {
  await audit?.stop();
});

function draft(execution: string, phase: AuditEntry['phase'], at: string, extra: Partial<AuditEntry> = {}) {
  return {
    executionName: execution,
    phase,
    at,
    startedAt: '2026-11-22T23:59:00Z',
    stage: 'dev',
    runbook: 'snapshot-volume',
    resourceKey: 'vol-0store00000000001',
    trigger: {
      source: 'schedule',
      kind: 'schedule.tick',
      eventId: 'e1',
      occurredAt: '2026-11-22T23:58:59Z',
      requestedBy: 'schedule:nightly',
      summary: 'nightly',
    },
    decision: { mode: 'auto' as const, dryRun: false, reasons: [], parameters: {} },
    approval: { status: 'not-requested' as const },
    changes: [],
    delivery: { slack: { status: 'skipped' as const }, datadog: { status: 'skipped' as const } },
    timings: {},
    ...extra,
  };
}

/** A document client whose first Query answers an empty run (a read that raced another writer). */
function staleFirstRead(): DynamoDBDocumentClient {
  let stale = true;
  return {
    send: async (command: unknown) => {
      if (stale && command instanceof QueryCommand) {
        stale = false;
        return { Items: [] };
      }
      return await audit.db.doc.send(command as QueryCommand);
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('audit store: what is written', () => {
  it('writes one item per entry with the documented keys, indexes and attributes', async () => {
    // Act
    const { entry } = await store.append(
      draft('run-layout', 'succeeded', '2026-11-23T00:01:00Z', {
        result: { outcome: 'succeeded', summary: 'ok' },
      }),
    );

    // Assess
    const { Item } = await audit.db.doc.send(
      new GetCommand({ TableName: store.tableName, Key: { pk: 'run#run-layout', sk: '000' } }),
    );
    expect(Item).toMatchObject({
      gsi1pk: 'res#dev#vol-0store00000000001',
      gsi1sk: '2026-11-23T00:01:00Z#run-layout',
      gsi2pk: 'day#dev#2026-11-23',
      gsi2sk: '2026-11-23T00:01:00Z#run-layout',
      executionName: 'run-layout',
      phase: 'succeeded',
      at: '2026-11-23T00:01:00Z',
      runbook: 'snapshot-volume',
      stage: 'dev',
      resourceKey: 'vol-0store00000000001',
      outcome: 'succeeded',
      hash: entry.hash,
      previousHash: null,
      ledgerKey: 'runs/dev/2026-11-22/run-layout/000-succeeded.json',
    });
    expect(JSON.parse(Item?.entry as string)).toEqual(entry);
    expect(entry.schemaVersion).toBe(1);
  });

  it('keeps a given schema version, and writes no outcome attribute before there is a result', async () => {
    // Act
    const { entry } = await store.append({
      ...draft('run-schema', 'started', '2026-11-23T00:00:00Z'),
      schemaVersion: 2,
    });

    // Assess
    const { Item } = await audit.db.doc.send(
      new GetCommand({ TableName: store.tableName, Key: { pk: 'run#run-schema', sk: '000' } }),
    );
    expect(entry.schemaVersion).toBe(2);
    expect(Item).not.toHaveProperty('outcome');
  });

  it('sends each ledger copy as JSON, conditional, checksummed, with the chain in its metadata', async () => {
    // Prepare
    const before = audit.ledger.puts.length;

    // Act
    const first = await store.append(draft('run-meta', 'started', '2026-11-23T00:00:00Z'));
    const second = await store.append(draft('run-meta', 'failed', '2026-11-23T00:02:00Z'));

    // Assess: the first entry's put, then (backfill of the first: 412) and the second's
    const puts = audit.ledger.puts.slice(before);
    expect(puts[0]).toMatchObject({
      ContentType: 'application/json',
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
      Metadata: { 'entry-hash': first.entry.hash, 'previous-hash': 'none' },
    });
    expect(puts.at(-1)).toMatchObject({
      Key: 'runs/dev/2026-11-22/run-meta/001-failed.json',
      Metadata: { 'entry-hash': second.entry.hash, 'previous-hash': first.entry.hash },
    });
    expect([first.ledger, second.ledger]).toEqual(['written', 'written']);
  });

  it('a retried phase reports the ledger copy as already there', async () => {
    // Prepare
    await store.append(draft('run-retry', 'started', '2026-11-23T00:00:00Z'));

    // Act
    const again = await store.append(draft('run-retry', 'started', '2026-11-23T00:00:09Z'));

    // Assess
    expect(again).toMatchObject({ status: 'exists', ledger: 'exists' });
  });
});

describe('audit store: races and failures', () => {
  it('a racing writer of another phase at the same seq: the entry already at that seq is kept and returned', async () => {
    // Prepare: `started` is written; a stale writer then appends `awaiting-approval` as seq 0
    const theirs = await store.append(draft('run-race-seq', 'started', '2026-11-23T00:00:00Z'));
    const racing = new AuditStore({
      doc: staleFirstRead(),
      s3: audit.ledger.s3,
      tableName: store.tableName,
      bucketName: 'ops-dev-audit-ledger',
    });

    // Act
    const mine = await racing.append(
      draft('run-race-seq', 'awaiting-approval', '2026-11-23T00:00:01Z', { approval: { status: 'pending' } }),
    );

    // Assess: refused by the condition, answered with the entry at seq 0
    expect(mine.status).toBe('exists');
    expect(mine.entry).toEqual(theirs.entry);
    expect((await store.runEntries('run-race-seq')).map((e) => e.phase)).toEqual(['started']);
  });

  it('a table that cannot be written raises AuditWriteError naming the run and phase, never the content', async () => {
    // Prepare
    const broken = new AuditStore({
      doc: audit.db.doc,
      s3: audit.ledger.s3,
      tableName: store.tableName,
      bucketName: 'ops-dev-audit-ledger',
    });
    const failing = {
      send: async (command: unknown) => {
        if (command instanceof QueryCommand) return { Items: [] };
        throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      },
    } as unknown as DynamoDBDocumentClient;
    Object.assign(broken, {
      options: { ...(broken as unknown as { options: object }).options, doc: failing },
    });

    // Act
    const err = await broken
      .append(
        draft('run-broken', 'started', '2026-11-23T00:00:00Z', {
          trigger: { ...draft('x', 'started', '').trigger, summary: 'CONTENT' },
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as Error).name).toBe('AuditWriteError');
    expect((err as Error).message).toBe(
      'audit table write failed for run-broken/started: ResourceNotFoundException',
    );
  });

  it('finds no ledger copies for no entries', async () => {
    expect(await store.ledgerEntries([])).toEqual([]);
  });

  it("lists only this run's ledger copies, not those of a run whose name extends it", async () => {
    // Prepare
    await store.append(draft('run-prefix', 'started', '2026-11-23T00:00:00Z'));
    await store.append(draft('run-prefix2', 'started', '2026-11-23T00:00:00Z'));

    // Act
    const copies = await store.ledgerEntries(await store.runEntries('run-prefix'));

    // Assess
    expect(copies.map((c) => c.executionName)).toEqual(['run-prefix']);
  });
});

describe('audit store: history', () => {
  it('answers the latest entry of each run, newest start first, at most `limit`, falling back to `at` without a start', async () => {
    // Prepare: three runs on one resource; the middle one has no startedAt
    const resourceKey = 'vol-0history000000001';
    const runs: [string, string, string | undefined][] = [
      ['h-old', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z'],
      ['h-mid', '2026-11-21T10:00:00Z', undefined],
      ['h-new', '2026-11-22T10:00:00Z', '2026-11-22T10:00:00Z'],
    ];
    for (const [name, at, startedAt] of runs) {
      const base = { ...draft(name, 'started', at), resourceKey, startedAt };
      await store.append(base);
      await store.append({
        ...base,
        phase: 'succeeded',
        at: at.replace('10:00', '10:05'),
        result: { outcome: 'succeeded', summary: name },
      });
    }

    // Act
    const all = await store.history({ stage: 'dev', resourceKey });
    const two = await store.history({ stage: 'dev', resourceKey, limit: 2 });

    // Assess
    expect(all.map((e) => `${e.executionName}:${e.phase}`)).toEqual([
      'h-new:succeeded',
      'h-mid:succeeded',
      'h-old:succeeded',
    ]);
    expect(two.map((e) => e.executionName)).toEqual(['h-new', 'h-mid']);
  });
});
