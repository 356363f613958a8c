import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditEntryBody,
  canonicalJson,
  chainProblems,
  hashEntry,
  ledgerKey,
  sealEntry,
} from '../../functions/audit/record.js';
import { AuditStore } from '../../functions/audit/store.js';
import { describeVerdict, VERIFIED, verifyChain } from '../../functions/audit/verify.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { runOps } from '../support/ops-cli.js';
import { type LedgerServer, startLedgerServer } from '../support/s3-ledger-server.js';
import { createAuditTable } from './report-support.js';

/**
 * The audit chain verified end to end: DynamoDB (dynalite) for the table, the Object-Locked S3
 * ledger as a real-HTTP stand-in that refuses overwrites as S3 does. The attacker here can write
 * the table unconditionally (as anyone with dynamodb:PutItem on it can) but not the ledger.
 */

const STAGE_BUCKET = 'ops-dev-audit-ledger-111111111111-eu-west-1';
const RESOURCE = 'vol-0chain000000000001';

let db: LocalDynamo;
let ledger: LedgerServer;
let store: AuditStore;

beforeAll(async () => {
  db = await startDynalite();
  await createAuditTable(db, 'ops-dev-audit');
  ledger = await startLedgerServer(STAGE_BUCKET);
  store = new AuditStore({
    doc: db.doc,
    s3: ledger.client(),
    tableName: 'ops-dev-audit',
    bucketName: STAGE_BUCKET,
  });
});

afterAll(async () => {
  await ledger?.stop();
  await db?.stop();
});

function draft(execution: string, phase: AuditEntry['phase'], at: string, extra: Partial<AuditEntry> = {}) {
  return {
    executionName: execution,
    phase,
    at,
    startedAt: '2026-11-23T09:00:00Z',
    stage: 'dev',
    runbook: 'snapshot-volume',
    resourceKey: RESOURCE,
    trigger: {
      source: 'cloudtrail',
      kind: 'cloudtrail.api-call',
      eventId: '7d0c3c2e-1f53-4b8e-a3a5-0f1e2d3c4b5a',
      occurredAt: '2026-11-23T08:59:50Z',
      requestedBy: 'arn:aws:iam::111111111111:role/AWSReservedSSO_Developer',
      summary: 'DetachVolume on a protected volume',
    },
    decision: {
      mode: 'approval' as const,
      dryRun: false,
      reasons: ['protected volume detached'],
      parameters: {},
    },
    approval: { status: 'not-requested' as const },
    changes: [],
    delivery: { slack: { status: 'skipped' as const }, datadog: { status: 'skipped' as const } },
    timings: {},
    ...extra,
  };
}

/** A run of three entries: started, awaiting-approval, succeeded (approved by U0PLATFORM2). */
async function threeEntryRun(execution: string): Promise<AuditEntry[]> {
  await store.append(draft(execution, 'started', '2026-11-23T09:00:01Z'));
  await store.append(
    draft(execution, 'awaiting-approval', '2026-11-23T09:00:02Z', { approval: { status: 'pending' } }),
  );
  await store.append(
    draft(execution, 'succeeded', '2026-11-23T09:04:00Z', {
      approval: { status: 'approved', approver: 'U0PLATFORM2', at: '2026-11-23T09:03:00Z' },
      result: { outcome: 'succeeded', summary: 'snapshot completed' },
    }),
  );
  return await store.runEntries(execution);
}

/** Re-seals an edited entry: its hash is recomputed, so the hash check alone passes. */
function reseal(entry: AuditEntry, edit: Partial<AuditEntryBody>): AuditEntry {
  const { hash: _old, ...body } = entry;
  return sealEntry({ ...body, ...edit });
}

/** What someone with unconditional dynamodb:PutItem on the table can do: replace an item's entry. */
async function overwriteInTable(entry: AuditEntry): Promise<void> {
  const Key = {
    pk: `run#${entry.executionName}`,
    sk: String(entry.seq).padStart(3, '0'),
  };
  const { Item } = await db.doc.send(new GetCommand({ TableName: 'ops-dev-audit', Key }));
  expect(Item).toBeDefined();
  await db.doc.send(
    new PutCommand({
      TableName: 'ops-dev-audit',
      Item: { ...Item, hash: entry.hash, previousHash: entry.previousHash, entry: canonicalJson(entry) },
    }),
  );
}

describe('audit chain: the table-only rules name the rule an entry breaks', () => {
  it('an entry re-hashed consistently but linked to the wrong predecessor is caught by the link rule, and only by it', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-link1-20261123T0900');
    const last = entries[2] as AuditEntry;

    // Act: the last entry now claims another predecessor, and its own hash is recomputed
    const relinked = [entries[0], entries[1], reseal(last, { previousHash: 'a'.repeat(64) })] as AuditEntry[];

    // Assess: its hash is right, so only the link rule can see it
    expect(hashEntry(relinked[2] as AuditEntry)).toBe((relinked[2] as AuditEntry).hash);
    expect(chainProblems(relinked)).toEqual([
      { seq: 2, phase: 'succeeded', check: 'link', detail: 'previousHash does not link to entry 1' },
    ]);
  });

  it('a first entry that links to an earlier one is caught by the link rule', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-link2-20261123T0900');

    // Act: entry 0 re-sealed with a previousHash (as if entries before it had been cut off)
    const first = reseal(entries[0] as AuditEntry, { previousHash: 'b'.repeat(64) });
    const cut = [first, ...entries.slice(1)];

    // Assess: entry 0 breaks the link rule; entry 1 no longer links to the re-sealed entry 0
    expect(chainProblems(cut).map((p) => `${p.seq}:${p.check}`)).toEqual(['0:link', '1:link']);
    expect(chainProblems(cut)[0]?.detail).toBe('the first entry links to an earlier one');
  });

  it('an entry of another run is named', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-link3-20261123T0900');

    // Act
    const mixed = entries.map((e) =>
      e.seq === 2 ? reseal(e, { executionName: 'snapshot-volume-other' }) : e,
    );

    // Assess
    expect(chainProblems(mixed)).toEqual([
      { seq: 2, phase: 'succeeded', check: 'run', detail: 'belongs to another run (snapshot-volume-other)' },
    ]);
  });
});

describe('audit chain: verified against the Object-Locked ledger', () => {
  it('a run as written verifies against the ledger', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-v1-20261123T0900');

    // Act
    const copies = await store.ledgerEntries(entries);
    const verdict = verifyChain(entries, copies);

    // Assess: three copies, under the run's prefix, byte-for-byte the table's
    expect(copies.map((c) => c.seq).sort()).toEqual([0, 1, 2]);
    for (const entry of entries) expect(ledger.objects.get(ledgerKey(entry))).toBe(canonicalJson(entry));
    expect(verdict).toEqual({ valid: true, problems: [] });
    expect(describeVerdict(verdict)).toBe('verified against the ledger');
  });

  it('a run re-hashed in DynamoDB passes the table-only rules but not the ledger cross-check', async () => {
    // Prepare: the approver of entry 2 is rewritten in the table, entry 2 re-hashed: a consistent chain
    const execution = 'snapshot-volume-v2-20261123T0900';
    const entries = await threeEntryRun(execution);
    const forged = reseal(entries[2] as AuditEntry, {
      approval: { status: 'approved', approver: 'U0SOMEONEELSE', at: '2026-11-23T09:03:00Z' },
    });
    await overwriteInTable(forged);

    // Act
    const table = await store.runEntries(execution);
    const verdict = verifyChain(table, await store.ledgerEntries(table));

    // Assess
    expect(table[2]?.approval.approver).toBe('U0SOMEONEELSE');
    expect(chainProblems(table)).toEqual([]);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toEqual([
      {
        seq: 2,
        phase: 'succeeded',
        check: 'ledger-differs',
        detail: 'differs from its ledger copy: the table entry was rewritten after it was written',
      },
    ]);
  });

  it('a middle entry rewritten and every later one re-linked and re-hashed: the first rewritten entry is named', async () => {
    // Prepare
    const execution = 'snapshot-volume-v3-20261123T0900';
    const entries = await threeEntryRun(execution);
    const one = reseal(entries[1] as AuditEntry, { approval: { status: 'not-requested' } });
    const two = reseal(entries[2] as AuditEntry, { previousHash: one.hash });
    await overwriteInTable(one);
    await overwriteInTable(two);

    // Act
    const table = await store.runEntries(execution);
    const verdict = verifyChain(table, await store.ledgerEntries(table));

    // Assess
    expect(chainProblems(table)).toEqual([]);
    expect(verdict.problems.map((p) => `${p.seq}:${p.check}`)).toEqual([
      '1:ledger-differs',
      '2:ledger-differs',
    ]);
    expect(describeVerdict(verdict)).toBe(
      'CHAIN BROKEN at entry 1 (awaiting-approval): differs from its ledger copy: the table entry was rewritten after it was written [ledger-differs] (+1 more)',
    );
  });

  it('an entry removed from the end of the table is found in the ledger', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-v4-20261123T0900');
    const copies = await store.ledgerEntries(entries);

    // Act: the table as someone who deleted the terminal entry would leave it
    const verdict = verifyChain(entries.slice(0, 2), copies);

    // Assess
    expect(verdict.problems).toEqual([
      {
        seq: 2,
        phase: 'succeeded',
        check: 'ledger-extra',
        detail: 'is in the ledger but not in the table: it was removed from the table',
      },
    ]);
  });

  it('an entry without its ledger copy, and a ledger copy that does not match its own hash, are named', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-v5-20261123T0900');
    const copies = await store.ledgerEntries(entries);
    const sorted = [...copies].sort((a, b) => a.seq - b.seq);

    // Act
    const missing = verifyChain(entries, sorted.slice(0, 2));
    const corrupt = verifyChain(
      entries,
      sorted.map((c) => (c.seq === 0 ? { ...c, trigger: { ...c.trigger, summary: 'edited' } } : c)),
    );

    // Assess
    expect(missing.problems).toEqual([
      { seq: 2, phase: 'succeeded', check: 'ledger-missing', detail: 'has no ledger copy' },
    ]);
    expect(corrupt.problems.map((p) => `${p.seq}:${p.check}`)).toEqual(['0:ledger-corrupt']);
  });

  it('a whole run copied to another run name has no ledger copies', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-v6-20261123T0900');

    // Act: the ledger of another run offered as this run's
    const others = await store.ledgerEntries(await threeEntryRun('snapshot-volume-v7-20261123T0900'));
    const verdict = verifyChain(entries, others);

    // Assess: same seqs, other hashes (another run name is hashed in)
    expect(verdict.problems.map((p) => `${p.seq}:${p.check}`)).toEqual([
      '0:ledger-differs',
      '1:ledger-differs',
      '2:ledger-differs',
    ]);
  });
});

/** `ops history` as operators run it, against dynalite and the ledger stand-in. */
const opsHistory = (args: string[]) =>
  runOps(['history', ...args], {
    env: {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_S3: ledger.endpoint,
    },
  });

describe('audit chain: ops history', () => {
  it('ops history says "verified against the ledger", then detects an entry re-hashed in DynamoDB', async () => {
    // Prepare
    const resource = 'vol-0chain0000000000cli';
    const execution = 'snapshot-volume-cli-20261123T0900';
    await store.append({ ...draft(execution, 'started', '2026-11-23T09:00:01Z'), resourceKey: resource });
    await store.append({
      ...draft(execution, 'succeeded', '2026-11-23T09:04:00Z', {
        result: { outcome: 'succeeded', summary: 'snapshot completed' },
      }),
      resourceKey: resource,
    });
    const before = await opsHistory([resource]);
    const [, last] = await store.runEntries(execution);

    // Act: the outcome is rewritten in the table and the entry re-hashed, consistently
    await overwriteInTable(
      reseal(last as AuditEntry, { result: { outcome: 'failed', summary: 'nothing was done' } }),
    );
    const after = await opsHistory([resource]);

    // Assess
    expect(before.code).toBe(0);
    expect(before.stdout.trim()).toMatch(new RegExp(`  ${execution}  ${VERIFIED}$`));
    expect(after.code).toBe(1);
    expect(after.stdout.trim()).toMatch(
      new RegExp(
        `  failed  .*  ${execution}  CHAIN BROKEN at entry 1 \\(succeeded\\): differs from its ledger copy: the table entry was rewritten after it was written \\[ledger-differs\\]$`,
      ),
    );
  });
});

describe('audit chain: verdict details', () => {
  it('the ledger cross-check keeps the table-only findings, ordered by entry', async () => {
    // Prepare: entry 1 removed from the table; the ledger has all three
    const entries = await threeEntryRun('snapshot-volume-d1-20261123T0900');
    const copies = await store.ledgerEntries(entries);

    // Act
    const verdict = verifyChain([entries[2], entries[0]] as AuditEntry[], copies);

    // Assess
    expect(verdict.problems).toEqual([
      {
        seq: 1,
        phase: 'awaiting-approval',
        check: 'ledger-extra',
        detail: 'is in the ledger but not in the table: it was removed from the table',
      },
      { seq: 2, phase: 'succeeded', check: 'seq', detail: 'has seq 2, expected 1' },
      { seq: 2, phase: 'succeeded', check: 'link', detail: 'previousHash does not link to entry 0' },
    ]);
    expect(describeVerdict(verdict)).toBe(
      'CHAIN BROKEN at entry 1 (awaiting-approval): is in the ledger but not in the table: it was removed from the table [ledger-extra] (+2 more)',
    );
  });

  it('a relinked entry is reported by the link rule and the ledger, in that order; one problem has no "more"', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-d2-20261123T0900');
    const copies = await store.ledgerEntries(entries);
    const relinked = [
      entries[0],
      entries[1],
      reseal(entries[2] as AuditEntry, { previousHash: 'c'.repeat(64) }),
    ];

    // Act
    const verdict = verifyChain(relinked as AuditEntry[], copies);
    const single = verifyChain(
      entries.slice(0, 2),
      copies.filter((c) => c.seq < 2),
    );
    const lone = verifyChain(
      entries,
      copies.filter((c) => c.seq !== 1),
    );

    // Assess
    expect(verdict.problems.map((p) => `${p.seq}:${p.check}`)).toEqual(['2:link', '2:ledger-differs']);
    expect(single).toEqual({ valid: true, problems: [] });
    expect(describeVerdict(lone)).toBe(
      'CHAIN BROKEN at entry 1 (awaiting-approval): has no ledger copy [ledger-missing]',
    );
  });

  it('a ledger copy that is both altered and re-labelled is reported as corrupt and as differing', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-d3-20261123T0900');
    const copies = await store.ledgerEntries(entries);

    // Act
    const verdict = verifyChain(
      entries,
      copies.map((c) => (c.seq === 0 ? { ...c, hash: 'd'.repeat(64) } : c)),
    );

    // Assess
    expect(verdict.problems).toEqual([
      {
        seq: 0,
        phase: 'started',
        check: 'ledger-corrupt',
        detail: 'the ledger copy does not match its own hash',
      },
      {
        seq: 0,
        phase: 'started',
        check: 'ledger-differs',
        detail: 'differs from its ledger copy: the table entry was rewritten after it was written',
      },
    ]);
  });

  it('the table-only rules take entries in any order, and an empty run has no problems', async () => {
    // Prepare
    const entries = await threeEntryRun('snapshot-volume-d4-20261123T0900');

    // Act + Assess
    expect(chainProblems([...entries].reverse())).toEqual([]);
    expect(chainProblems([])).toEqual([]);
    expect(
      chainProblems(
        entries.map((e) => (e.seq === 1 ? { ...e, changes: [{ action: 'x', resource: 'y' }] } : e)),
      ),
    ).toEqual([
      { seq: 1, phase: 'awaiting-approval', check: 'hash', detail: 'content does not match its hash' },
    ]);
  });
});
