import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuditEntryBody,
  canonicalJson,
  hashEntry,
  ledgerKey,
  RUN_PHASES,
  sealEntry,
  TERMINAL_PHASES,
} from '../../../functions/audit/record.js';

/** The audit record's canonical form, hash and ledger key, with expected values written out by hand. */

describe('audit record: canonical JSON', () => {
  it('sorts keys at every level, keeps array order, drops undefined, keeps null', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [{ z: 1, y: 2 }, 'x'], e: null } })).toBe(
      '{"a":{"c":[{"y":2,"z":1},"x"],"e":null},"b":1}',
    );
    expect(canonicalJson([3, { b: [], a: {} }])).toBe('[3,{"a":{},"b":[]}]');
    expect(canonicalJson('text')).toBe('"text"');
    expect(canonicalJson(null)).toBe('null');
  });
});

const BODY: AuditEntryBody = {
  schemaVersion: 1,
  executionName: 'snapshot-volume-x-20261122T2100',
  seq: 2,
  phase: 'succeeded',
  at: '2026-11-23T00:01:00Z',
  stage: 'dev',
  runbook: 'snapshot-volume',
  resourceKey: 'vol-1',
  startedAt: '2026-11-22T23:59:00Z',
  trigger: {
    source: 'schedule',
    kind: 'schedule.tick',
    eventId: 'e1',
    occurredAt: '2026-11-22T23:58:59Z',
    requestedBy: 'schedule:nightly',
    summary: 's',
  },
  decision: { mode: 'auto', dryRun: false, reasons: [], parameters: {} },
  approval: { status: 'not-requested' },
  changes: [],
  delivery: { slack: { status: 'skipped' }, datadog: { status: 'skipped' } },
  timings: {},
  previousHash: null,
};

describe('audit record: hash and seal', () => {
  it('hashes the canonical JSON of everything but `hash` with SHA-256', () => {
    // The canonical text, written out: keys sorted, no `hash`.
    const text =
      '{"approval":{"status":"not-requested"},"at":"2026-11-23T00:01:00Z","changes":[],"decision":{"dryRun":false,"mode":"auto","parameters":{},"reasons":[]},"delivery":{"datadog":{"status":"skipped"},"slack":{"status":"skipped"}},"executionName":"snapshot-volume-x-20261122T2100","phase":"succeeded","previousHash":null,"resourceKey":"vol-1","runbook":"snapshot-volume","schemaVersion":1,"seq":2,"stage":"dev","startedAt":"2026-11-22T23:59:00Z","timings":{},"trigger":{"eventId":"e1","kind":"schedule.tick","occurredAt":"2026-11-22T23:58:59Z","requestedBy":"schedule:nightly","source":"schedule","summary":"s"}}';
    const expected = createHash('sha256').update(text).digest('hex');
    expect(hashEntry(BODY)).toBe(expected);
    expect(hashEntry({ ...BODY, hash: 'ignored' } as AuditEntryBody)).toBe(expected);
    expect(sealEntry(BODY)).toEqual({ ...BODY, hash: expected });
    expect(hashEntry({ ...BODY, seq: 3 })).not.toBe(expected);
  });
});

describe('audit record: ledger key', () => {
  it("files an entry under its stage and its run's start day, seq padded to three digits", () => {
    expect(ledgerKey(BODY)).toBe('runs/dev/2026-11-22/snapshot-volume-x-20261122T2100/002-succeeded.json');
    const { startedAt: _s, ...noStart } = BODY;
    expect(ledgerKey({ ...noStart, seq: 0, phase: 'started' })).toBe(
      'runs/dev/2026-11-23/snapshot-volume-x-20261122T2100/000-started.json',
    );
    expect(ledgerKey({ ...BODY, seq: 12 })).toBe(
      'runs/dev/2026-11-22/snapshot-volume-x-20261122T2100/012-succeeded.json',
    );
  });

  it('knows the phases of a run and which end it', () => {
    expect(RUN_PHASES).toEqual(['started', 'awaiting-approval', 'succeeded', 'failed', 'rejected']);
    expect(TERMINAL_PHASES).toEqual(['succeeded', 'failed', 'rejected']);
  });
});
