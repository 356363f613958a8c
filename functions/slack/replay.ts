import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/conditional.js';
import { MAX_SKEW_SECONDS } from './verify.js';

/**
 * Refuses a signature seen before within the verification window. A signature covers the
 * timestamp and the body, so a replayed request carries an identical one; one record per
 * signature, kept until the timestamp falls out of the window (then the staleness check
 * refuses it anyway, and DynamoDB's TTL removes the record).
 */
export interface ReplayGuard {
  /** true the first time a signature is seen; false for a replay. */
  claim(signature: string, timestampSeconds: number): Promise<boolean>;
}

/** How long a claim must outlive the request's timestamp: the window on either side. */
export const REPLAY_RETENTION_SECONDS = 2 * MAX_SKEW_SECONDS;

/** The production guard: a conditional put, atomic across concurrent Lambda instances. */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(signature: string, timestampSeconds: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `replay#${signature}`,
            kind: 'replay',
            ttl: timestampSeconds + REPLAY_RETENTION_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}

/** One process only (`ops serve`): the same rule held in memory. */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly nowMs: () => number = Date.now) {}

  async claim(signature: string, timestampSeconds: number): Promise<boolean> {
    const now = Math.floor(this.nowMs() / 1000);
    for (const [sig, until] of this.seen) if (until < now) this.seen.delete(sig);
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, timestampSeconds + REPLAY_RETENTION_SECONDS);
    return true;
  }
}
