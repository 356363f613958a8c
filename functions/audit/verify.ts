import { type AuditEntry, type ChainProblem, chainProblems, hashEntry } from './record.js';

/**
 * End-to-end verification of a run's audit chain: the DynamoDB entries checked on their own
 * (seq, hash, link, run: `chainProblems`) AND against the run's copies in the Object-Locked S3
 * ledger.
 *
 * Why the ledger: the hash is unkeyed, so whoever can write the table unconditionally can rewrite
 * an entry and re-hash it and every later one; the table alone then verifies. The ledger cannot be
 * rewritten that way: its bucket policy denies every PutObject without `If-None-Match: *` (so an
 * existing key answers 412) and Object Lock keeps every version from deletion for the retention
 * period. A table entry that is not byte-for-byte its ledger copy (same hash) was changed after it
 * was written, whatever its own hash says.
 *
 * Pure: the caller reads both sides (AuditStore.runEntries, AuditStore.ledgerEntries).
 */

export interface ChainVerdict {
  /** Every rule holds and every entry has its ledger copy. */
  readonly valid: boolean;
  /** By seq, table rules before ledger rules for one entry. The first names the first bad entry. */
  readonly problems: readonly ChainProblem[];
}

export const VERIFIED = 'verified against the ledger';

export function verifyChain(
  entries: readonly AuditEntry[],
  ledgerEntries: readonly AuditEntry[],
): ChainVerdict {
  const problems: ChainProblem[] = [...chainProblems(entries)];
  const ledgerBySeq = new Map<number, AuditEntry>();
  for (const copy of ledgerEntries) {
    if (hashEntry(copy) !== copy.hash) {
      problems.push({
        seq: copy.seq,
        phase: copy.phase,
        check: 'ledger-corrupt',
        detail: 'the ledger copy does not match its own hash',
      });
    }
    ledgerBySeq.set(copy.seq, copy);
  }
  const tableSeqs = new Set<number>();
  for (const entry of entries) {
    tableSeqs.add(entry.seq);
    const copy = ledgerBySeq.get(entry.seq);
    const at = { seq: entry.seq, phase: entry.phase };
    if (!copy) {
      problems.push({ ...at, check: 'ledger-missing', detail: 'has no ledger copy' });
    } else if (copy.hash !== entry.hash) {
      // (The hash covers every field, the run's name included.)
      problems.push({
        ...at,
        check: 'ledger-differs',
        detail: 'differs from its ledger copy: the table entry was rewritten after it was written',
      });
    }
  }
  for (const copy of ledgerEntries) {
    if (!tableSeqs.has(copy.seq)) {
      problems.push({
        seq: copy.seq,
        phase: copy.phase,
        check: 'ledger-extra',
        detail: 'is in the ledger but not in the table: it was removed from the table',
      });
    }
  }
  // By entry; for one entry in the order found (table rules first, then the ledger's): the sort is stable.
  problems.sort((a, b) => a.seq - b.seq);
  return { valid: problems.length === 0, problems };
}

/** One line for people: `verified against the ledger`, or the first bad entry and why. */
export function describeVerdict(verdict: ChainVerdict): string {
  const first = verdict.problems[0];
  if (!first) return VERIFIED;
  const more = verdict.problems.length > 1 ? ` (+${verdict.problems.length - 1} more)` : '';
  return `CHAIN BROKEN at entry ${first.seq} (${first.phase}): ${first.detail} [${first.check}]${more}`;
}
