import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, isPreconditionFailed } from '../shared/conditional.js';
import { redact } from '../shared/redact.js';
import { type HistoryQuery, resourceHistory } from './history.js';
import {
  type AuditEntry,
  type AuditEntryBody,
  canonicalJson,
  ledgerKey,
  type RunPhase,
  sealEntry,
} from './record.js';

/**
 * The audit store: DynamoDB for lookup (by run, by resource and time, by day), and an S3 bucket
 * with Object Lock for the append-only ledger. Both hold the same canonical JSON per entry.
 *
 * Table layout (one item per entry, never updated):
 *   pk = `run#<executionName>`, sk = `<seq:000>`                      a run's entries, in order
 *   (the sort key is the seq alone, so the conditional put makes each seq of a run unique: two
 *   writers racing with different phases cannot both become entry n; items written before this
 *   change carry `<seq>#<phase>` and still sort and read the same)
 *   gsi1pk = `res#<stage>#<resourceKey>`, gsi1sk = `<at>#<execution>`  history of a resource ("by-resource")
 *   gsi2pk = `day#<stage>#<YYYY-MM-DD>`, gsi2sk = `<at>#<execution>`   everything on a day ("by-day")
 *
 * Writes are conditional (`attribute_not_exists(pk)` in DynamoDB, `If-None-Match: *` in S3, which
 * the bucket policy makes mandatory), so a second write of the same entry cannot alter it; the
 * bucket's default Object Lock retention keeps every version from deletion.
 */

export { AUDIT_INDEX } from './history.js';

export interface AuditStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucketName: string;
}

export type AppendStatus = 'written' | 'exists';

export interface AppendOutcome {
  readonly entry: AuditEntry;
  /** `exists`: this phase of the run was recorded before (a retried report): nothing was changed. */
  readonly status: AppendStatus;
  /** Whether the ledger copy is known to be in S3 (false: DynamoDB has it, S3 failed; retried next time). */
  readonly ledger: 'written' | 'exists' | 'failed';
  readonly ledgerError?: string;
}

/** Raised when the store refuses or fails a write; the entry content is never in the message. */
export class AuditWriteError extends Error {
  override readonly name = 'AuditWriteError';
}

interface AuditItem {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk: string;
  gsi2sk: string;
  executionName: string;
  phase: RunPhase;
  at: string;
  runbook: string;
  stage: string;
  resourceKey: string;
  outcome?: string;
  hash: string;
  previousHash: string | null;
  ledgerKey: string;
  /** The canonical JSON of the entry, exactly as in the ledger. */
  entry: string;
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? 'Error';
}

export class AuditStore {
  constructor(private readonly options: AuditStoreOptions) {}

  get tableName(): string {
    return this.options.tableName;
  }

  /** The run's entries in order (strongly consistent). */
  async runEntries(executionName: string): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `run#${executionName}` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(JSON.parse((item as AuditItem).entry) as AuditEntry);
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Appends the next entry of a run: links it to the run's last entry, seals it (hash), and
   * writes it once. A phase already recorded is not written again (`status: 'exists'`, the stored
   * entry is returned unchanged); its ledger copy is re-attempted, since that is idempotent, and so
   * are the run's earlier entries' copies whenever a new entry is appended.
   * The body is redacted before hashing: what is hashed is exactly what is stored.
   */
  async append(
    draft: Omit<AuditEntryBody, 'seq' | 'previousHash' | 'schemaVersion'> & { schemaVersion?: number },
  ): Promise<AppendOutcome> {
    const existing = await this.runEntries(draft.executionName);
    const same = existing.find((e) => e.phase === draft.phase);
    if (same) {
      const ledger = await this.writeLedger(same);
      return { entry: same, status: 'exists', ...ledger };
    }
    const last = existing.at(-1);
    const body: AuditEntryBody = redact({
      ...draft,
      schemaVersion: draft.schemaVersion ?? 1,
      seq: existing.length,
      previousHash: last?.hash ?? null,
    });
    const entry = sealEntry(body);
    try {
      await this.options.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: this.toItem(entry),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        // Another invocation wrote this seq first (a concurrent retry): keep theirs.
        const now = await this.runEntries(draft.executionName);
        const theirs = now.find((e) => e.phase === draft.phase) ?? now.find((e) => e.seq === entry.seq);
        if (theirs) return { entry: theirs, status: 'exists', ...(await this.writeLedger(theirs)) };
      }
      throw new AuditWriteError(
        `audit table write failed for ${draft.executionName}/${draft.phase}: ${errorName(err)}`,
      );
    }
    // Earlier entries whose ledger copy failed are backfilled now (a present one answers 412: no change).
    await Promise.all(existing.map((e) => this.writeLedger(e)));
    return { entry, status: 'written', ...(await this.writeLedger(entry)) };
  }

  /** Conditional put into the Object-Locked ledger: never overwrites (412 = already there). */
  private async writeLedger(entry: AuditEntry): Promise<Pick<AppendOutcome, 'ledger' | 'ledgerError'>> {
    try {
      await this.options.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucketName,
          Key: ledgerKey(entry),
          Body: canonicalJson(entry),
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ChecksumAlgorithm: 'SHA256',
          Metadata: { 'entry-hash': entry.hash, 'previous-hash': entry.previousHash ?? 'none' },
        }),
      );
      return { ledger: 'written' };
    } catch (err) {
      if (isPreconditionFailed(err)) return { ledger: 'exists' };
      return { ledger: 'failed', ledgerError: errorName(err) };
    }
  }

  /**
   * The ledger copies of a run: every object under the run's ledger prefix (named from a
   * table entry; a table rewritten to another stage, day or run name finds none, which
   * verification reports). For `verifyChain` (./verify.ts); needs s3:ListBucket and s3:GetObject.
   */
  async ledgerEntries(entries: readonly AuditEntry[]): Promise<AuditEntry[]> {
    // Every entry of a run shares the prefix (stage, start day, run name): any one names it.
    const [any] = entries;
    if (!any) return [];
    const key = ledgerKey(any);
    const prefix = key.slice(0, key.lastIndexOf('/') + 1);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucketName,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return await Promise.all(
      keys.map(async (Key) => {
        const res = await this.options.s3.send(
          new GetObjectCommand({ Bucket: this.options.bucketName, Key }),
        );
        return JSON.parse((await res.Body?.transformToString('utf8')) ?? 'null') as AuditEntry;
      }),
    );
  }

  /**
   * The runs that touched a resource, newest first (./history.ts, which readers that need only this
   * use without the store's S3 client).
   */
  history(query: HistoryQuery): Promise<AuditEntry[]> {
    return resourceHistory(this.options.doc, this.options.tableName, query);
  }

  private toItem(entry: AuditEntry): AuditItem {
    return {
      pk: `run#${entry.executionName}`,
      sk: String(entry.seq).padStart(3, '0'),
      gsi1pk: `res#${entry.stage}#${entry.resourceKey}`,
      gsi1sk: `${entry.at}#${entry.executionName}`,
      gsi2pk: `day#${entry.stage}#${entry.at.slice(0, 10)}`,
      gsi2sk: `${entry.at}#${entry.executionName}`,
      executionName: entry.executionName,
      phase: entry.phase,
      at: entry.at,
      runbook: entry.runbook,
      stage: entry.stage,
      resourceKey: entry.resourceKey,
      ...(entry.result ? { outcome: entry.result.outcome } : {}),
      hash: entry.hash,
      previousHash: entry.previousHash,
      ledgerKey: ledgerKey(entry),
      entry: canonicalJson(entry),
    };
  }
}
