import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/conditional.js';

/**
 * Pending approvals: a random approval id → the Step Functions task token and who asked.
 * Slack buttons carry only the id, so the token never leaves AWS; the Slack endpoint
 * resolves the id here and calls SendTaskSuccess / SendTaskFailure itself.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'closed';

export interface ApprovalRecord {
  readonly id: string;
  readonly taskToken: string;
  readonly execution: string;
  readonly runbook: string;
  readonly stage: string;
  readonly resourceKey: string;
  /** Who asked for the run: Slack user id, IAM ARN, `schedule:<name>`… (the self-approval rule compares it). */
  readonly requestedBy: string;
  /** Unix seconds after which the approval is void (Step Functions' task timeout ends the run then). */
  readonly expiresAt: number;
  readonly status: ApprovalStatus;
  /** One line for the updated message. */
  readonly summary: string;
  readonly message?: { readonly channel: string; readonly ts: string };
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
}

/** Kept after expiry for a day, for the audit trail; then DynamoDB's TTL removes it. */
const KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600;

/** 128 random bits, URL-safe: unguessable, and nothing about the run can be read from it. */
export function newApprovalId(): string {
  return randomBytes(16).toString('base64url');
}

const key = (id: string) => ({ pk: `approval#${id}` });

export class ApprovalStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: Omit<ApprovalRecord, 'status'>): Promise<ApprovalRecord> {
    const item: ApprovalRecord = { ...record, status: 'pending' };
    await this.ddb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...key(record.id),
          kind: 'approval',
          ...item,
          ttl: record.expiresAt + KEEP_AFTER_EXPIRY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // Which approvals an execution has: when the run ends undecided, its buttons are closed.
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `approval-exec#${record.execution}` },
        UpdateExpression: 'ADD ids :id SET kind = :kind, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':id': new Set([record.id]),
          ':kind': 'approval-index',
          ':ttl': record.expiresAt + KEEP_AFTER_EXPIRY_SECONDS,
        },
      }),
    );
    return item;
  }

  /** The approvals an execution asked for (normally one). */
  async idsOf(execution: string): Promise<string[]> {
    const res = await this.ddb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `approval-exec#${execution}` },
        ConsistentRead: true,
      }),
    );
    const ids = res.Item?.ids as Set<string> | undefined;
    return ids ? [...ids] : [];
  }

  async attachMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(id),
        UpdateExpression: 'SET #m = :m',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#m': 'message' },
        ExpressionAttributeValues: { ':m': message },
      }),
    );
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(id)) return undefined;
    const res = await this.ddb.send(
      new GetCommand({ TableName: this.tableName, Key: key(id), ConsistentRead: true }),
    );
    const item = res.Item;
    if (item?.kind !== 'approval') return undefined;
    const { pk: _pk, kind: _kind, ttl: _ttl, ...record } = item;
    return record as ApprovalRecord;
  }

  /**
   * Moves a pending approval to its outcome, once: a second click, a concurrent click by someone
   * else, or a click after another outcome finds it no longer pending and gets false.
   */
  async resolve(
    id: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    by: string,
    at: Date,
  ): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(id),
          UpdateExpression: 'SET #s = :s, resolvedBy = :by, resolvedAt = :at',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':s': status,
            ':by': by,
            ':at': at.toISOString(),
            ':pending': 'pending',
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** Undo `resolve` when Step Functions could not be told (a transient error): the buttons work again. */
  async reopen(id: string): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(id),
        UpdateExpression: 'SET #s = :pending REMOVE resolvedBy, resolvedAt',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending' },
      }),
    );
  }
}
