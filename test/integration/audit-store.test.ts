import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
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

/**
 * The table as DynamoDB pages it: every Query goes to dynalite with a small `Limit`, so a page
 * boundary falls between entries (DynamoDB pages at 1 MB; a `Limit` moves the boundary, nothing
 * else). Records each Query input as sent.
 */
function pagingDoc(pageSize: number): { doc: DynamoDBDocumentClient; queries: QueryCommandInput[] } {
  const queries: QueryCommandInput[] = [];
  const doc = {
    send: async (command: unknown) => {
      if (command instanceof QueryCommand) {
        queries.push(command.input);
        return await audit.db.doc.send(new QueryCommand({ ...command.input, Limit: pageSize }));
      }
      return await audit.db.doc.send(command as PutCommand);
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, queries };
}

/**
 * A document client whose first Query answers only the run's first `seen` items (a read that
 * raced another writer), and whose puts can be made to fail; everything else goes to dynalite.
 */
function staleClient(seen: number, putError?: unknown): DynamoDBDocumentClient {
  let stale = true;
  return {
    send: async (command: unknown) => {
      if (stale && command instanceof QueryCommand) {
        stale = false;
        const page = await audit.db.doc.send(command);
        return { ...page, Items: (page.Items ?? []).slice(0, seen) };
      }
      if (putError !== undefined && command instanceof PutCommand) throw putError;
      return await audit.db.doc.send(command as QueryCommand);
    },
  } as unknown as DynamoDBDocumentClient;
}

function storeWith(doc: DynamoDBDocumentClient): AuditStore {
  return new AuditStore({
    doc,
    s3: audit.ledger.s3,
    tableName: store.tableName,
    bucketName: 'ops-dev-audit-ledger',
  });
}

/** Three phases of one run, in order. */
async function threePhaseRun(execution: string, resourceKey = 'vol-0store00000000001'): Promise<void> {
  await store.append({ ...draft(execution, 'started', '2026-11-23T00:00:00Z'), resourceKey });
  await store.append({
    ...draft(execution, 'awaiting-approval', '2026-11-23T00:00:30Z', { approval: { status: 'pending' } }),
    resourceKey,
  });
  await store.append({
    ...draft(execution, 'succeeded', '2026-11-23T00:05:00Z', {
      result: { outcome: 'succeeded', summary: 'ok' },
    }),
    resourceKey,
  });
}

describe('audit store: paging and order', () => {
  it('reads a run whose entries span several pages: a page boundary loses no entry', async () => {
    // Prepare
    await threePhaseRun('run-pages');
    const { doc, queries } = pagingDoc(1);

    // Act
    const entries = await storeWith(doc).runEntries('run-pages');

    // Assess
    expect(entries.map((e) => `${e.seq}:${e.phase}`)).toEqual([
      '0:started',
      '1:awaiting-approval',
      '2:succeeded',
    ]);
    expect(queries.length).toBeGreaterThan(1);
  });

  it('a run past seq 999 still reads in seq order (its sort key "1000" sorts before "999")', async () => {
    // Prepare: items as toItem writes them for seq 998..1000 (the key is the seq, padded to 3)
    for (const seq of [998, 999, 1000])
      await audit.db.doc.send(
        new PutCommand({
          TableName: store.tableName,
          Item: {
            pk: 'run#run-long',
            sk: String(seq),
            entry: JSON.stringify({ executionName: 'run-long', seq, phase: 'started' }),
          },
        }),
      );

    // Act
    const entries = await store.runEntries('run-long');

    // Assess
    expect(entries.map((e) => e.seq)).toEqual([998, 999, 1000]);
  });

  it("lists a run's ledger copies across several ListObjectsV2 pages", async () => {
    // Prepare
    await threePhaseRun('run-ledger-pages');
    audit.ledger.setListPageSize(1);

    // Act
    const copies = await store
      .ledgerEntries(await store.runEntries('run-ledger-pages'))
      .finally(() => audit.ledger.setListPageSize(1000));

    // Assess
    expect(copies.map((c) => c.phase)).toEqual(['started', 'awaiting-approval', 'succeeded']);
  });
});

describe('audit store: a lost race answers the winner, anything else is an error', () => {
  it('a stale writer of a phase already recorded at a later seq gets that entry back, not the one at its seq', async () => {
    // Prepare: the run has started(0), awaiting-approval(1); the stale writer saw no entry
    await store.append(draft('run-stale-phase', 'started', '2026-11-23T00:00:00Z'));
    const recorded = await store.append(
      draft('run-stale-phase', 'awaiting-approval', '2026-11-23T00:00:30Z', {
        approval: { status: 'pending' },
      }),
    );

    // Act: it tries awaiting-approval as seq 0
    const mine = await storeWith(staleClient(0)).append(
      draft('run-stale-phase', 'awaiting-approval', '2026-11-23T00:00:31Z', {
        approval: { status: 'pending' },
      }),
    );

    // Assess
    expect(mine.status).toBe('exists');
    expect(mine.entry).toEqual(recorded.entry);
    expect(mine.entry.seq).toBe(1);
  });

  it('a stale writer of a new phase that lost its seq gets the entry holding that seq, not the run’s first', async () => {
    // Prepare: started(0), awaiting-approval(1); the stale writer saw only started
    await store.append(draft('run-stale-seq', 'started', '2026-11-23T00:00:00Z'));
    await store.append(
      draft('run-stale-seq', 'awaiting-approval', '2026-11-23T00:00:30Z', {
        approval: { status: 'pending' },
      }),
    );

    // Act: it appends succeeded as seq 1
    const mine = await storeWith(staleClient(1)).append(
      draft('run-stale-seq', 'succeeded', '2026-11-23T00:05:00Z', {
        result: { outcome: 'succeeded', summary: 'ok' },
      }),
    );

    // Assess
    expect(mine.status).toBe('exists');
    expect(`${mine.entry.seq}:${mine.entry.phase}`).toBe('1:awaiting-approval');
  });

  it('a throttled write is an error even when its seq is taken: only a refused condition means another writer won', async () => {
    // Prepare
    await store.append(draft('run-throttled', 'started', '2026-11-23T00:00:00Z'));
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });

    // Act
    const err = await storeWith(staleClient(0, throttled))
      .append(draft('run-throttled', 'awaiting-approval', '2026-11-23T00:00:30Z'))
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as Error).message).toBe(
      'audit table write failed for run-throttled/awaiting-approval: ProvisionedThroughputExceededException',
    );
  });

  it('a refused write with no matching entry to answer (the item at its seq holds another entry) raises AuditWriteError', async () => {
    // Prepare: a corrupt item at seq 0 whose entry claims to be seq 7, phase failed
    await audit.db.doc.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          pk: 'run#run-corrupt',
          sk: '000',
          entry: JSON.stringify({ executionName: 'run-corrupt', seq: 7, phase: 'failed' }),
        },
      }),
    );

    // Act: a writer that read the run as empty writes started as seq 0
    const err = await storeWith(staleClient(0))
      .append(draft('run-corrupt', 'started', '2026-11-23T00:00:00Z'))
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as Error).message).toBe(
      'audit table write failed for run-corrupt/started: ConditionalCheckFailedException',
    );
  });

  it('a write rejected with no error object at all still raises AuditWriteError, naming "Error"', async () => {
    // Act
    const err = await storeWith(staleClient(0, null))
      .append(draft('run-null-error', 'started', '2026-11-23T00:00:00Z'))
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as Error).message).toBe('audit table write failed for run-null-error/started: Error');
  });
});

describe('audit store: history across pages', () => {
  /** Three runs on one resource, a day apart, each started then succeeded five minutes later. */
  async function threeRuns(resourceKey: string, prefix: string): Promise<void> {
    for (const [name, day] of [
      [`${prefix}-old`, '20'],
      [`${prefix}-mid`, '21'],
      [`${prefix}-new`, '22'],
    ] as const) {
      const at = `2026-11-${day}T10:00:00Z`;
      const base = { ...draft(name, 'started', at), resourceKey, startedAt: at };
      await store.append(base);
      await store.append({
        ...base,
        phase: 'succeeded',
        at: `2026-11-${day}T10:05:00Z`,
        result: { outcome: 'succeeded', summary: name },
      });
    }
  }

  it('answers every run on the resource when the index answers one item per page', async () => {
    // Prepare
    await threeRuns('vol-0paging0000000001', 'pg');
    const { doc } = pagingDoc(1);

    // Act
    const all = await storeWith(doc).history({ stage: 'dev', resourceKey: 'vol-0paging0000000001' });

    // Assess
    expect(all.map((e) => `${e.executionName}:${e.phase}`)).toEqual([
      'pg-new:succeeded',
      'pg-mid:succeeded',
      'pg-old:succeeded',
    ]);
  });

  it('with a limit, answers the newest runs (reading the index newest first) and stops reading once it has them', async () => {
    // Prepare: two index items per page = exactly the newest run's two entries
    await threeRuns('vol-0limit00000000001', 'lim');
    const { doc, queries } = pagingDoc(2);

    // Act
    const newest = await storeWith(doc).history({
      stage: 'dev',
      resourceKey: 'vol-0limit00000000001',
      limit: 1,
    });

    // Assess
    expect(newest.map((e) => `${e.executionName}:${e.phase}`)).toEqual(['lim-new:succeeded']);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatchObject({ IndexName: 'by-resource', ScanIndexForward: false });
  });

  it('orders runs by start, newest first, when a long run started earlier but ended later than a short one', async () => {
    // Prepare: long 10:00 → 12:00; short 11:00 → 11:05 (the index, by entry time, gives long first)
    const resourceKey = 'vol-0longrun000000001';
    for (const [name, start, end] of [
      ['run-long-job', '2026-11-23T10:00:00Z', '2026-11-23T12:00:00Z'],
      ['run-short-job', '2026-11-23T11:00:00Z', '2026-11-23T11:05:00Z'],
    ] as const) {
      const base = { ...draft(name, 'started', start), resourceKey, startedAt: start };
      await store.append(base);
      await store.append({
        ...base,
        phase: 'succeeded',
        at: end,
        result: { outcome: 'succeeded', summary: name },
      });
    }

    // Act
    const runs = await store.history({ stage: 'dev', resourceKey });

    // Assess
    expect(runs.map((e) => e.executionName)).toEqual(['run-short-job', 'run-long-job']);
  });

  it("answers a run's highest seq as its latest entry, even when a writer's clock stamped it earlier", async () => {
    // Prepare: succeeded (seq 1) is stamped a second before started (seq 0)
    const resourceKey = 'vol-0skew000000000001';
    const base = { ...draft('run-skew', 'started', '2026-11-23T10:00:05Z'), resourceKey };
    await store.append(base);
    await store.append({
      ...base,
      phase: 'succeeded',
      at: '2026-11-23T10:00:04Z',
      result: { outcome: 'succeeded', summary: 'ok' },
    });

    // Act
    const [latest] = await store.history({ stage: 'dev', resourceKey });

    // Assess
    expect(`${latest?.seq}:${latest?.phase}`).toBe('1:succeeded');
  });
});
