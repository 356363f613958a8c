import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../shared/conditional.js';

/**
 * Durable guard state for the intake, in one DynamoDB table (partition key `pk`, TTL attribute
 * `expiresAt`), plus the operator's flags in SSM Parameter Store.
 *
 * Items (one per concern, every write a single conditional request, no transactions):
 * - `dedup#<executionName>`: the execution name was claimed (`claimed`) and then started (`started`).
 *   A claim that never reached `started` within `claimLeaseSeconds` may be taken over, so a crash
 *   between claim and start does not swallow the event's redelivery.
 * - `lock#<runbook>#<resourceKey>`: one run per resource at a time; held by an execution name
 *   until `releaseLock` (the run's end) or its expiry.
 * - `rate#<runbook>#<resourceKey>#<bucket>`: starts counted in a fixed time bucket of `perMinutes`.
 * - `fail#<runbook>#<bucket>`: failed runs counted in a fixed bucket; reaching the threshold writes
 * - `breaker#<runbook>`: open until `openUntilMs`.
 * - `notice#<runbook>#<resourceKey>#<reason>#<bucket>`: people were told of a refused start in this
 *   window (one notification per runbook, resource, reason and window).
 *
 * The table has no transactions to lean on (and dynalite, used in tests, has none either): each
 * step is conditional on its own, taken in a fixed order, and undone in reverse when a later step
 * refuses. Undo is best effort; what it cannot undo expires (locks) or can be taken over (claims).
 */

/** Raised when DynamoDB or SSM cannot answer: the intake fails closed. */
export class GuardStoreUnavailableError extends Error {
  override readonly name = 'GuardStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Reads the operator's flags: "on" / "off". Anything else (or a missing parameter) is an error. */
export interface FlagReader {
  get(name: string): Promise<string | undefined>;
}

/** Flags from SSM Parameter Store through Powertools parameters, cached for `maxAgeSeconds`. */
export function ssmFlagReader(client: SSMClient, maxAgeSeconds = 5): FlagReader {
  const provider = new SSMProvider({ awsSdkV3Client: client });
  return { get: (name) => provider.get(name, { maxAge: maxAgeSeconds }) };
}

export interface GuardStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Stage name: the flags live under `/ops/<stage>/`. */
  readonly stage: string;
  readonly flags: FlagReader;
  /** Clock in epoch milliseconds (tests move it). */
  readonly now?: () => number;
  /** How long a claimed-but-not-started execution name blocks a redelivery. */
  readonly claimLeaseSeconds?: number;
}

export type ClaimResult = 'claimed' | 'duplicate';
export type LockResult = { acquired: true } | { acquired: false; heldBy: string; untilMs: number };

export interface BreakerSettings {
  readonly failures: number;
  readonly perMinutes: number;
  readonly openMinutes: number;
}

export function killSwitchParameter(stage: string): string {
  return `/ops/${stage}/kill-switch`;
}
export function pauseParameter(stage: string, runbook: string): string {
  return `/ops/${stage}/paused/${runbook}`;
}

export class GuardStore {
  readonly tableName: string;
  readonly stage: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly flags: FlagReader;
  private readonly clock: () => number;
  private readonly claimLeaseMs: number;

  constructor(options: GuardStoreOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
    this.stage = options.stage;
    this.flags = options.flags;
    this.clock = options.now ?? Date.now;
    this.claimLeaseMs = (options.claimLeaseSeconds ?? 120) * 1000;
  }

  now(): number {
    return this.clock();
  }

  /** Wraps every store call: a refused condition is an answer, anything else makes the store unavailable. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw err;
      throw new GuardStoreUnavailableError(`guard store: ${what} failed: ${describe(err)}`, { cause: err });
    }
  }

  private async flag(name: string): Promise<boolean> {
    const value = await this.call(`reading ${name}`, () => this.flags.get(name));
    if (value === 'on') return true;
    if (value === 'off') return false;
    throw new GuardStoreUnavailableError(
      `flag ${name} is ${value === undefined ? 'missing' : `"${value}"`}, not on/off`,
    );
  }

  /** The global kill switch and the runbook's pause flag (`/ops/<stage>/kill-switch`, `/ops/<stage>/paused/<runbook>`). */
  async readFlags(runbook: string): Promise<{ killSwitch: boolean; paused: boolean }> {
    const [killSwitch, paused] = await Promise.all([
      this.flag(killSwitchParameter(this.stage)),
      this.flag(pauseParameter(this.stage, runbook)),
    ]);
    return { killSwitch, paused };
  }

  /** Whether the runbook's circuit breaker is open, and until when. */
  async breakerOpenUntil(runbook: string): Promise<number | undefined> {
    const out = await this.call('reading the circuit breaker', () =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: `breaker#${runbook}` },
          ConsistentRead: true,
        }),
      ),
    );
    const until = out.Item?.openUntilMs;
    return typeof until === 'number' && until > this.now() ? until : undefined;
  }

  /** Claims an execution name; `duplicate` when it was already claimed (and the claim is live) or started. */
  async claimExecution(executionName: string, keepSeconds: number): Promise<ClaimResult> {
    const now = this.now();
    try {
      await this.call('claiming the execution name', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: `dedup#${executionName}`,
              state: 'claimed',
              claimedAtMs: now,
              expiresAt: Math.ceil(now / 1000) + keepSeconds,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#s = :claimed AND claimedAtMs < :stale)',
            ExpressionAttributeNames: { '#s': 'state' },
            ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now - this.claimLeaseMs },
          }),
        ),
      );
      return 'claimed';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'duplicate';
      throw err;
    }
  }

  async markStarted(executionName: string, executionArn: string): Promise<void> {
    await this.call('marking the execution started', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `dedup#${executionName}` },
          UpdateExpression: 'SET #s = :started, executionArn = :arn',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':started': 'started', ':arn': executionArn },
        }),
      ),
    );
  }

  /** Gives a claim back (a later guard refused, or the start failed) so a redelivery may try again. */
  async releaseClaim(executionName: string): Promise<void> {
    await this.ignoringCondition('releasing the claim', () =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `dedup#${executionName}` },
          ConditionExpression: '#s = :claimed',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      ),
    );
  }

  /** Takes the resource's lock for `holder` (re-entrant for the same holder) until released or expired. */
  async acquireLock(
    runbook: string,
    resourceKey: string,
    holder: string,
    lockMinutes: number,
  ): Promise<LockResult> {
    const now = this.now();
    const key = { pk: `lock#${runbook}#${resourceKey}` };
    const untilMs = now + lockMinutes * 60_000;
    try {
      await this.call('taking the resource lock', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, holder, untilMs, expiresAt: Math.ceil(untilMs / 1000) },
            ConditionExpression: 'attribute_not_exists(pk) OR untilMs < :now OR holder = :holder',
            ExpressionAttributeValues: { ':now': now, ':holder': holder },
          }),
        ),
      );
      return { acquired: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const held = await this.call('reading the resource lock', () =>
        this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      );
      return {
        acquired: false,
        heldBy: String(held.Item?.holder ?? 'unknown'),
        untilMs: Number(held.Item?.untilMs ?? 0),
      };
    }
  }

  /** Releases the lock if `holder` still holds it (a run's end calls this; a stale release is a no-op). */
  async releaseLock(runbook: string, resourceKey: string, holder: string): Promise<void> {
    await this.ignoringCondition('releasing the resource lock', () =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `lock#${runbook}#${resourceKey}` },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  private rateKey(
    runbook: string,
    resourceKey: string,
    perMinutes: number,
  ): { pk: string; bucketEndMs: number } {
    const size = perMinutes * 60_000;
    const bucket = Math.floor(this.now() / size);
    return { pk: `rate#${runbook}#${resourceKey}#${bucket}`, bucketEndMs: (bucket + 1) * size };
  }

  /** Counts one start against `maxRuns` per `perMinutes` (fixed buckets); false when the limit is reached. */
  async takeRateToken(
    runbook: string,
    resourceKey: string,
    limit: { readonly maxRuns: number; readonly perMinutes: number },
  ): Promise<boolean> {
    const { pk, bucketEndMs } = this.rateKey(runbook, resourceKey, limit.perMinutes);
    try {
      await this.call('counting the rate limit', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk },
            UpdateExpression: 'ADD runs :one SET expiresAt = :exp',
            ConditionExpression: 'attribute_not_exists(runs) OR runs < :max',
            ExpressionAttributeValues: {
              ':one': 1,
              ':max': limit.maxRuns,
              ':exp': Math.ceil(bucketEndMs / 1000) + 3600,
            },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** Gives back a start that did not happen. */
  async returnRateToken(
    runbook: string,
    resourceKey: string,
    limit: { readonly maxRuns: number; readonly perMinutes: number },
  ): Promise<void> {
    const { pk } = this.rateKey(runbook, resourceKey, limit.perMinutes);
    await this.ignoringCondition('returning the rate token', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD runs :minus',
          ConditionExpression: 'runs > :zero',
          ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
        }),
      ),
    );
  }

  /**
   * Records a finished run for the runbook's circuit breaker: failures are counted in fixed buckets of
   * `perMinutes`; the `failures`-th failure in a bucket opens the breaker for `openMinutes`.
   * Returns whether this call opened it.
   */
  async recordRunOutcome(runbook: string, succeeded: boolean, breaker: BreakerSettings): Promise<boolean> {
    if (succeeded) return false;
    const now = this.now();
    const size = breaker.perMinutes * 60_000;
    const bucket = Math.floor(now / size);
    const out = await this.call('counting the failure', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `fail#${runbook}#${bucket}` },
          UpdateExpression: 'ADD failures :one SET expiresAt = :exp',
          ExpressionAttributeValues: { ':one': 1, ':exp': Math.ceil(((bucket + 1) * size) / 1000) + 3600 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const failures = Number(out.Attributes?.failures ?? 0);
    if (failures < breaker.failures) return false;
    const openUntilMs = now + breaker.openMinutes * 60_000;
    await this.call('opening the circuit breaker', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `breaker#${runbook}`,
            openUntilMs,
            openedAtMs: now,
            expiresAt: Math.ceil(openUntilMs / 1000) + 3600,
          },
        }),
      ),
    );
    return failures === breaker.failures;
  }

  /**
   * Claims the one notification of a refused start for (runbook, resource, reason) in the current window of
   * `windowMinutes` (fixed buckets, like the execution names). True for the first caller in the window.
   */
  async claimRefusalNotice(
    runbook: string,
    resourceKey: string,
    reason: string,
    windowMinutes: number,
  ): Promise<boolean> {
    const size = Math.max(1, windowMinutes) * 60_000;
    const bucket = Math.floor(this.now() / size);
    try {
      await this.call('claiming the refusal notice', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: `notice#${runbook}#${resourceKey}#${reason}#${bucket}`,
              toldAtMs: this.now(),
              expiresAt: Math.ceil(((bucket + 1) * size) / 1000) + 3600,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  private async ignoringCondition(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(what, fn);
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
