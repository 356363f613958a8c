import { createHash } from 'node:crypto';
import type { RunbookMode, RunChange, RunResult } from '../../runbooks/types.js';

/**
 * The audit record of a run: an append-only chain of entries, one per reported phase
 * (`started`, `awaiting-approval`, then one terminal phase). Each entry repeats everything known
 * so far (trigger, decision, approval, changes, result), so the terminal entry alone is the
 * complete record of the run, and carries
 *
 *   previousHash = hash of the run's previous entry (null for the first), and
 *   hash         = sha256 of the entry's canonical JSON without `hash`,
 *
 * so altering, removing or reordering an entry breaks the chain (`chainProblems`), and the
 * Object-Locked ledger copy of each entry anchors it against a re-hashed table (./verify.ts). Entries are
 * written once: a conditional put in DynamoDB and a conditional, Object-Locked put in the S3
 * ledger (see ./store.ts); nothing in this product updates or deletes one.
 */

export const AUDIT_SCHEMA_VERSION = 1;

export const RUN_PHASES = ['started', 'awaiting-approval', 'succeeded', 'failed', 'rejected'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];
export const TERMINAL_PHASES: readonly RunPhase[] = ['succeeded', 'failed', 'rejected'];

export interface AuditTrigger {
  readonly source: string;
  readonly kind: string;
  /** Id of the source event (CloudTrail eventID, EventBridge id, Datadog event id, Slack trigger id). */
  readonly eventId: string;
  readonly occurredAt: string;
  /** Slack user id, IAM ARN, `schedule:<name>` or `datadog:<monitor>`. */
  readonly requestedBy: string;
  readonly summary: string;
  readonly link?: string;
  /** Set when a person asked in Slack. */
  readonly slackUser?: string;
  /** Set when a schedule started the run. */
  readonly schedule?: string;
}

export interface AuditGuard {
  readonly name: string;
  readonly outcome: string;
  readonly detail: string;
}

export interface AuditDecision {
  readonly mode: RunbookMode;
  readonly dryRun: boolean;
  readonly reasons: readonly string[];
  /** The guards the intake evaluated, when it passed them on. */
  readonly guards?: readonly AuditGuard[];
  readonly parameters: Record<string, unknown>;
}

export interface AuditApproval {
  readonly status: 'not-requested' | 'pending' | 'approved' | 'rejected' | 'expired';
  readonly approver?: string;
  readonly at?: string;
  readonly detail?: string;
}

export interface AuditResult {
  readonly outcome: RunResult['outcome'];
  readonly summary: string;
  readonly error?: { readonly step: string; readonly cause: string };
  readonly revert?: Record<string, unknown>;
  readonly links?: readonly { readonly title: string; readonly url: string }[];
}

/** Whether Slack / Datadog heard about this phase; an outage is recorded here, not thrown. */
export interface AuditDelivery {
  readonly status: 'sent' | 'failed' | 'skipped';
  readonly attempts?: number;
  readonly error?: string;
  /** Slack: where the run's message lives. */
  readonly channel?: string;
  readonly ts?: string;
  /** Datadog: the event id. */
  readonly eventId?: string;
}

export interface AuditEntryBody {
  readonly schemaVersion: number;
  readonly executionName: string;
  readonly seq: number;
  readonly phase: RunPhase;
  /** When this entry was written (ISO-8601 UTC). */
  readonly at: string;
  readonly stage: string;
  readonly runbook: string;
  readonly resourceKey: string;
  readonly startedAt?: string;
  readonly trigger: AuditTrigger;
  readonly decision: AuditDecision;
  readonly approval: AuditApproval;
  readonly changes: readonly RunChange[];
  readonly result?: AuditResult;
  readonly delivery: { readonly slack: AuditDelivery; readonly datadog: AuditDelivery };
  readonly timings: {
    /** Seconds from the triggering event to the first change (terminal entries with changes). */
    readonly triggerToChangeSeconds?: number;
    /** Seconds from the triggering event to the verified result (terminal entries). */
    readonly triggerToResultSeconds?: number;
  };
  readonly previousHash: string | null;
}

export interface AuditEntry extends AuditEntryBody {
  readonly hash: string;
}

/** JSON with object keys sorted at every level, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // An undefined value stays undefined, which JSON.stringify leaves out.
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function hashEntry(body: AuditEntryBody): string {
  const { hash: _ignored, ...rest } = body as AuditEntryBody & { hash?: string };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function sealEntry(body: AuditEntryBody): AuditEntry {
  return { ...body, hash: hashEntry(body) };
}

/** Which rule an entry breaks; the table-only rules first, then the ledger cross-check (./verify.ts). */
export type ChainCheck =
  | 'seq'
  | 'hash'
  | 'link'
  | 'run'
  | 'ledger-missing'
  | 'ledger-differs'
  | 'ledger-corrupt'
  | 'ledger-extra';

export interface ChainProblem {
  readonly seq: number;
  readonly phase: string;
  readonly check: ChainCheck;
  readonly detail: string;
}

/**
 * The table-only rules of a run's entries (any order): seqs are 0..n-1, each hash matches its
 * content, each previousHash is the hash of the entry before (null for the first), all one run.
 * These prove nothing against someone who can write the table (they can re-hash the whole run):
 * that is what the ledger cross-check in ./verify.ts is for.
 */
export function chainProblems(entries: readonly AuditEntry[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const run = sorted[0]?.executionName;
  sorted.forEach((entry, i) => {
    const at = { seq: entry.seq, phase: entry.phase };
    if (entry.seq !== i)
      problems.push({ ...at, check: 'seq', detail: `has seq ${entry.seq}, expected ${i}` });
    if (hashEntry(entry) !== entry.hash)
      problems.push({ ...at, check: 'hash', detail: 'content does not match its hash' });
    const expected = i === 0 ? null : (sorted[i - 1] as AuditEntry).hash;
    if (entry.previousHash !== expected)
      problems.push({
        ...at,
        check: 'link',
        detail:
          i === 0
            ? 'the first entry links to an earlier one'
            : `previousHash does not link to entry ${(sorted[i - 1] as AuditEntry).seq}`,
      });
    if (entry.executionName !== run)
      problems.push({ ...at, check: 'run', detail: `belongs to another run (${entry.executionName})` });
  });
  return problems;
}

/** S3 ledger key of an entry: by stage and start day, then run, so a day's runs list together. */
export function ledgerKey(
  entry: Pick<AuditEntry, 'stage' | 'at' | 'startedAt' | 'executionName' | 'seq' | 'phase'>,
): string {
  // The run's start day, so every entry of one run sits under one prefix even across midnight.
  const day = (entry.startedAt ?? entry.at).slice(0, 10);
  return `runs/${entry.stage}/${day}/${entry.executionName}/${String(entry.seq).padStart(3, '0')}-${entry.phase}.json`;
}
