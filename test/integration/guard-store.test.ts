import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FlagReader,
  GuardStore,
  GuardStoreUnavailableError,
  killSwitchParameter,
  pauseParameter,
} from '../../functions/intake/guard-store.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * The guard store's own contract, method by method, on dynalite (which evaluates every condition
 * expression as DynamoDB does). The layout (keys, TTLs, counters) is written out by hand from the
 * comment at the top of guard-store.ts; times are ISO strings or hand-computed epoch values:
 * 2026-11-22T10:07:00Z = 1795342020000 ms.
 */

const T0 = Date.parse('2026-11-22T10:07:00Z');

let db: LocalDynamo;
let table = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

const fixedFlags = (values: Record<string, string>): FlagReader => ({
  get: async (name) => values[name],
});

/** A fresh table and a store whose clock the test moves (`clock.now`). */
async function fresh(options: { flags?: FlagReader; claimLeaseSeconds?: number } = {}): Promise<{
  store: GuardStore;
  clock: { now: number };
  item: (pk: string) => Promise<Record<string, unknown> | undefined>;
}> {
  const tableName = `guard-store-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  const clock = { now: T0 };
  const store = new GuardStore({
    doc: db.doc,
    tableName,
    stage: 'dev',
    flags: options.flags ?? fixedFlags({}),
    now: () => clock.now,
    ...(options.claimLeaseSeconds === undefined ? {} : { claimLeaseSeconds: options.claimLeaseSeconds }),
  });
  const item = async (pk: string) =>
    (await db.doc.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item;
  return { store, clock, item };
}

describe('guard store: flags', () => {
  it('names the flags /ops/<stage>/kill-switch and /ops/<stage>/paused/<runbook>', () => {
    expect(killSwitchParameter('prod')).toBe('/ops/prod/kill-switch');
    expect(pauseParameter('prod', 'rotate-secret')).toBe('/ops/prod/paused/rotate-secret');
  });

  it('reads on/off into booleans for the kill switch and the pause of that runbook', async () => {
    // Prepare
    const { store } = await fresh({
      flags: fixedFlags({ '/ops/dev/kill-switch': 'off', '/ops/dev/paused/scale-node-group': 'on' }),
    });

    // Act / Assess
    expect(await store.readFlags('scale-node-group')).toEqual({ killSwitch: false, paused: true });
  });

  it('fails closed on a missing flag, naming it as missing', async () => {
    // Prepare
    const { store } = await fresh({ flags: fixedFlags({ '/ops/dev/kill-switch': 'off' }) });

    // Act
    const err = await store.readFlags('scale-node-group').catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(GuardStoreUnavailableError);
    expect((err as Error).message).toBe('flag /ops/dev/paused/scale-node-group is missing, not on/off');
  });

  it('fails closed on a flag that is neither on nor off, quoting what it holds', async () => {
    // Prepare
    const { store } = await fresh({
      flags: fixedFlags({ '/ops/dev/kill-switch': 'ON', '/ops/dev/paused/scale-node-group': 'off' }),
    });

    // Act
    const err = await store.readFlags('scale-node-group').catch((e: unknown) => e);

    // Assess
    expect((err as Error).message).toBe('flag /ops/dev/kill-switch is "ON", not on/off');
  });

  it('an SSM failure makes the store unavailable, with the error name and message in the reason', async () => {
    // Prepare
    const { store } = await fresh({
      flags: {
        get: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
      },
    });

    // Act
    const err = await store.readFlags('scale-node-group').catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(GuardStoreUnavailableError);
    expect((err as Error).name).toBe('GuardStoreUnavailableError');
    expect((err as Error).message).toBe(
      'guard store: reading /ops/dev/kill-switch failed: ThrottlingException: Rate exceeded',
    );
    expect((err as Error).cause).toMatchObject({ name: 'ThrottlingException' });
  });

  it('a failure that is not an Error is described by its text', async () => {
    // Prepare
    const { store } = await fresh({ flags: { get: () => Promise.reject('socket closed') } });

    // Act
    const err = await store.readFlags('scale-node-group').catch((e: unknown) => e);

    // Assess
    expect((err as Error).message).toBe('guard store: reading /ops/dev/kill-switch failed: socket closed');
  });
});

describe('guard store: de-duplication claims', () => {
  it('writes the claim with its time and a TTL of keepSeconds after now', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const result = await store.claimExecution('exec-a', 86_400);

    // Assess
    expect(result).toBe('claimed');
    expect(await item('dedup#exec-a')).toEqual({
      pk: 'dedup#exec-a',
      state: 'claimed',
      claimedAtMs: 1795342020000,
      expiresAt: 1795342020 + 86_400,
    });
  });

  it('a live claim is a duplicate until the lease (120 s by default) has passed, then it can be taken over', async () => {
    // Prepare
    const { store, clock } = await fresh();
    await store.claimExecution('exec-b', 86_400);

    // Act / Assess: exactly at the lease it is still live; a millisecond later it is stale
    clock.now = T0 + 120_000;
    expect(await store.claimExecution('exec-b', 86_400)).toBe('duplicate');
    clock.now = T0 + 120_001;
    expect(await store.claimExecution('exec-b', 86_400)).toBe('claimed');
  });

  it('honours a configured lease', async () => {
    // Prepare
    const { store, clock } = await fresh({ claimLeaseSeconds: 10 });
    await store.claimExecution('exec-c', 86_400);

    // Act / Assess
    clock.now = T0 + 10_001;
    expect(await store.claimExecution('exec-c', 86_400)).toBe('claimed');
  });

  it('a started execution is never taken over, however old its claim', async () => {
    // Prepare
    const { store, clock, item } = await fresh();
    await store.claimExecution('exec-d', 86_400);
    await store.markStarted('exec-d', 'arn:aws:states:eu-west-1:111111111111:execution:sm:exec-d');

    // Act
    clock.now = T0 + 3_600_000;
    const again = await store.claimExecution('exec-d', 86_400);

    // Assess
    expect(again).toBe('duplicate');
    expect(await item('dedup#exec-d')).toMatchObject({
      state: 'started',
      executionArn: 'arn:aws:states:eu-west-1:111111111111:execution:sm:exec-d',
    });
  });

  it('gives a claim back, but never a started execution', async () => {
    // Prepare
    const { store, item } = await fresh();
    await store.claimExecution('exec-e', 86_400);
    await store.claimExecution('exec-f', 86_400);
    await store.markStarted('exec-f', 'arn:aws:states:eu-west-1:111111111111:execution:sm:exec-f');

    // Act
    await store.releaseClaim('exec-e');
    await store.releaseClaim('exec-f');

    // Assess
    expect(await item('dedup#exec-e')).toBeUndefined();
    expect(await item('dedup#exec-f')).toMatchObject({ state: 'started' });
    expect(await store.claimExecution('exec-e', 86_400)).toBe('claimed');
  });
});

describe('guard store: resource locks', () => {
  it('writes the holder, the end of the lock and its TTL', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const result = await store.acquireLock('scale-node-group', 'res-1', 'exec-1', 20);

    // Assess: 10:07 + 20 min = 10:27
    expect(result).toEqual({ acquired: true });
    expect(await item('lock#scale-node-group#res-1')).toEqual({
      pk: 'lock#scale-node-group#res-1',
      holder: 'exec-1',
      untilMs: Date.parse('2026-11-22T10:27:00Z'),
      expiresAt: Date.parse('2026-11-22T10:27:00Z') / 1000,
    });
  });

  it('refuses another holder until the lock has ended, naming the holder and the end', async () => {
    // Prepare
    const { store, clock } = await fresh();
    await store.acquireLock('scale-node-group', 'res-2', 'exec-1', 20);

    // Act / Assess: at its very end it is still held; a millisecond later it can be taken
    clock.now = Date.parse('2026-11-22T10:27:00Z');
    expect(await store.acquireLock('scale-node-group', 'res-2', 'exec-2', 20)).toEqual({
      acquired: false,
      heldBy: 'exec-1',
      untilMs: Date.parse('2026-11-22T10:27:00Z'),
    });
    clock.now += 1;
    expect(await store.acquireLock('scale-node-group', 'res-2', 'exec-2', 20)).toEqual({ acquired: true });
  });

  it('is re-entrant for the same holder, and separate per runbook and resource', async () => {
    // Prepare
    const { store } = await fresh();
    await store.acquireLock('scale-node-group', 'res-3', 'exec-1', 20);

    // Act / Assess
    expect(await store.acquireLock('scale-node-group', 'res-3', 'exec-1', 20)).toEqual({ acquired: true });
    expect(await store.acquireLock('scale-node-group', 'res-4', 'exec-2', 20)).toEqual({ acquired: true });
    expect(await store.acquireLock('rotate-secret', 'res-3', 'exec-2', 20)).toEqual({ acquired: true });
  });

  it('a lock released between the refused take and the read of its holder answers "unknown", never a crash', async () => {
    // Prepare: exec-1 holds the lock and releases it right after exec-2's conditional put was refused
    const tableName = `guard-store-${++table}`;
    await db.createTable({ name: tableName, partitionKey: 'pk' });
    const holder = new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: fixedFlags({}),
      now: () => T0,
    });
    await holder.acquireLock('scale-node-group', 'res-race', 'exec-1', 20);
    const racing = new GuardStore({
      doc: {
        send: async (command: unknown) => {
          if (command instanceof GetCommand)
            await holder.releaseLock('scale-node-group', 'res-race', 'exec-1');
          return await db.doc.send(command as GetCommand);
        },
      } as unknown as DynamoDBDocumentClient,
      tableName,
      stage: 'dev',
      flags: fixedFlags({}),
      now: () => T0,
    });

    // Act
    const result = await racing.acquireLock('scale-node-group', 'res-race', 'exec-2', 20);

    // Assess
    expect(result).toEqual({ acquired: false, heldBy: 'unknown', untilMs: 0 });
  });

  it('a held lock whose holder cannot be read makes the store unavailable, saying so', async () => {
    // Prepare: exec-1 holds the lock; exec-2's read of the holder fails
    const tableName = `guard-store-${++table}`;
    await db.createTable({ name: tableName, partitionKey: 'pk' });
    const holder = new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: fixedFlags({}),
      now: () => T0,
    });
    await holder.acquireLock('scale-node-group', 'res-unread', 'exec-1', 20);
    const reader = new GuardStore({
      doc: {
        send: async (command: unknown) => {
          if (command instanceof GetCommand)
            throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
          return await db.doc.send(command as PutCommand);
        },
      } as unknown as DynamoDBDocumentClient,
      tableName,
      stage: 'dev',
      flags: fixedFlags({}),
      now: () => T0,
    });

    // Act
    const err = await reader
      .acquireLock('scale-node-group', 'res-unread', 'exec-2', 20)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(GuardStoreUnavailableError);
    expect((err as Error).message).toBe(
      'guard store: reading the resource lock failed: TimeoutError: timed out',
    );
  });

  it('a release by another holder changes nothing; the holder’s own release frees it', async () => {
    // Prepare
    const { store, item } = await fresh();
    await store.acquireLock('scale-node-group', 'res-5', 'exec-1', 20);

    // Act / Assess
    await store.releaseLock('scale-node-group', 'res-5', 'exec-2');
    expect(await item('lock#scale-node-group#res-5')).toMatchObject({ holder: 'exec-1' });
    await store.releaseLock('scale-node-group', 'res-5', 'exec-1');
    expect(await item('lock#scale-node-group#res-5')).toBeUndefined();
  });
});

describe('guard store: rate limit', () => {
  const limit = { maxRuns: 2, perMinutes: 60 };

  it('counts starts per runbook, resource and fixed bucket, with a TTL an hour after the bucket ends', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const taken = await store.takeRateToken('scale-node-group', 'res-1', limit);

    // Assess: the bucket of 10:07 with 60-min buckets is number 498706 (10:00–11:00)
    expect(taken).toBe(true);
    expect(await item('rate#scale-node-group#res-1#498706')).toEqual({
      pk: 'rate#scale-node-group#res-1#498706',
      runs: 1,
      expiresAt: Date.parse('2026-11-22T12:00:00Z') / 1000,
    });
  });

  it('refuses the start after maxRuns in the bucket, and allows again in the next bucket', async () => {
    // Prepare
    const { store, clock } = await fresh();

    // Act / Assess
    expect(await store.takeRateToken('scale-node-group', 'res-2', limit)).toBe(true);
    expect(await store.takeRateToken('scale-node-group', 'res-2', limit)).toBe(true);
    expect(await store.takeRateToken('scale-node-group', 'res-2', limit)).toBe(false);
    clock.now = Date.parse('2026-11-22T10:59:59.999Z');
    expect(await store.takeRateToken('scale-node-group', 'res-2', limit)).toBe(false);
    clock.now = Date.parse('2026-11-22T11:00:00Z');
    expect(await store.takeRateToken('scale-node-group', 'res-2', limit)).toBe(true);
  });

  it('a returned token frees a start; returns never take the count below zero', async () => {
    // Prepare
    const { store, item } = await fresh();
    await store.takeRateToken('scale-node-group', 'res-3', limit);
    await store.takeRateToken('scale-node-group', 'res-3', limit);

    // Act
    await store.returnRateToken('scale-node-group', 'res-3', limit);

    // Assess
    expect(await item('rate#scale-node-group#res-3#498706')).toMatchObject({ runs: 1 });
    await store.returnRateToken('scale-node-group', 'res-3', limit);
    await store.returnRateToken('scale-node-group', 'res-3', limit);
    expect(await item('rate#scale-node-group#res-3#498706')).toMatchObject({ runs: 0 });
  });
});

describe('guard store: circuit breaker', () => {
  const breaker = { failures: 3, perMinutes: 60, openMinutes: 30 };

  it('a success counts nothing', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const opened = await store.recordRunOutcome('scale-node-group', true, breaker);

    // Assess
    expect(opened).toBe(false);
    expect(await item('fail#scale-node-group#498706')).toBeUndefined();
  });

  it('the third failure in the bucket opens the breaker for 30 minutes; the fourth does not open it again', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const outcomes = [];
    for (let i = 0; i < 4; i++)
      outcomes.push(await store.recordRunOutcome('scale-node-group', false, breaker));

    // Assess
    expect(outcomes).toEqual([false, false, true, false]);
    expect(await item('fail#scale-node-group#498706')).toEqual({
      pk: 'fail#scale-node-group#498706',
      failures: 4,
      expiresAt: Date.parse('2026-11-22T12:00:00Z') / 1000,
    });
    expect(await item('breaker#scale-node-group')).toEqual({
      pk: 'breaker#scale-node-group',
      openUntilMs: Date.parse('2026-11-22T10:37:00Z'),
      openedAtMs: T0,
      expiresAt: Date.parse('2026-11-22T11:37:00Z') / 1000,
    });
  });

  it('fewer failures than the threshold leave the breaker closed (nothing written)', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    await store.recordRunOutcome('scale-node-group', false, breaker);
    await store.recordRunOutcome('scale-node-group', false, breaker);

    // Assess
    expect(await item('breaker#scale-node-group')).toBeUndefined();
    expect(await store.breakerOpenUntil('scale-node-group')).toBeUndefined();
  });

  it('is open until its end (exclusive), then closed', async () => {
    // Prepare
    const { store, clock } = await fresh();
    for (let i = 0; i < 3; i++) await store.recordRunOutcome('scale-node-group', false, breaker);

    // Act / Assess
    expect(await store.breakerOpenUntil('scale-node-group')).toBe(Date.parse('2026-11-22T10:37:00Z'));
    clock.now = Date.parse('2026-11-22T10:36:59.999Z');
    expect(await store.breakerOpenUntil('scale-node-group')).toBe(Date.parse('2026-11-22T10:37:00Z'));
    clock.now = Date.parse('2026-11-22T10:37:00Z');
    expect(await store.breakerOpenUntil('scale-node-group')).toBeUndefined();
    expect(await store.breakerOpenUntil('rotate-secret')).toBeUndefined();
  });
});

describe('guard store: refusal notices', () => {
  it('the first caller in a window is told to notify, with a TTL an hour after the window', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const first = await store.claimRefusalNotice('scale-node-group', 'res-1', 'paused', 30);
    const second = await store.claimRefusalNotice('scale-node-group', 'res-1', 'paused', 30);

    // Assess: 30-min windows, 10:07 is in window 997412 (10:00–10:30)
    expect([first, second]).toEqual([true, false]);
    expect(await item('notice#scale-node-group#res-1#paused#997412')).toEqual({
      pk: 'notice#scale-node-group#res-1#paused#997412',
      toldAtMs: T0,
      expiresAt: Date.parse('2026-11-22T11:30:00Z') / 1000,
    });
  });

  it('a window of 0 minutes counts as one minute (never a division by zero)', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    expect(await store.claimRefusalNotice('scale-node-group', 'res-2', 'paused', 0)).toBe(true);

    // Assess: one-minute windows, 10:07 is window 29922367 (10:07–10:08)
    expect(await item('notice#scale-node-group#res-2#paused#29922367')).toMatchObject({
      expiresAt: Date.parse('2026-11-22T11:08:00Z') / 1000,
    });
  });
});

describe('guard store: failures', () => {
  it('a missing table makes every call unavailable, naming what it was doing', async () => {
    // Prepare
    const store = new GuardStore({
      doc: db.doc,
      tableName: 'no-such-guards',
      stage: 'dev',
      flags: fixedFlags({}),
    });

    // Act
    const errors = await Promise.all([
      store.breakerOpenUntil('scale-node-group').catch((e: unknown) => e),
      store.claimExecution('x', 60).catch((e: unknown) => e),
      store.acquireLock('scale-node-group', 'r', 'x', 20).catch((e: unknown) => e),
      store.takeRateToken('scale-node-group', 'r', { maxRuns: 1, perMinutes: 1 }).catch((e: unknown) => e),
      store.releaseClaim('x').catch((e: unknown) => e),
      store.markStarted('x', 'arn').catch((e: unknown) => e),
      store.releaseLock('scale-node-group', 'r', 'x').catch((e: unknown) => e),
      store.returnRateToken('scale-node-group', 'r', { maxRuns: 1, perMinutes: 1 }).catch((e: unknown) => e),
      store
        .recordRunOutcome('scale-node-group', false, { failures: 1, perMinutes: 1, openMinutes: 1 })
        .catch((e: unknown) => e),
      store.claimRefusalNotice('scale-node-group', 'r', 'paused', 15).catch((e: unknown) => e),
    ]);

    // Assess
    expect(errors.map((e) => (e as Error).message.replace(/: ResourceNotFoundException.*$/, ''))).toEqual([
      'guard store: reading the circuit breaker failed',
      'guard store: claiming the execution name failed',
      'guard store: taking the resource lock failed',
      'guard store: counting the rate limit failed',
      'guard store: releasing the claim failed',
      'guard store: marking the execution started failed',
      'guard store: releasing the resource lock failed',
      'guard store: returning the rate token failed',
      'guard store: counting the failure failed',
      'guard store: claiming the refusal notice failed',
    ]);
    expect(errors.every((e) => e instanceof GuardStoreUnavailableError)).toBe(true);
  });

  it('a failure to write the open breaker is reported as such (the failure was counted)', async () => {
    // Prepare: the table takes updates (the failure count) but this put fails
    const tableName = `guard-store-${++table}`;
    await db.createTable({ name: tableName, partitionKey: 'pk' });
    const store = new GuardStore({
      doc: {
        send: async (command: unknown) => {
          if (command instanceof PutCommand)
            throw Object.assign(new Error('503'), { name: 'InternalServerError' });
          return await db.doc.send(command as GetCommand);
        },
      } as unknown as DynamoDBDocumentClient,
      tableName,
      stage: 'dev',
      flags: fixedFlags({}),
      now: () => T0,
    });

    // Act
    const err = await store
      .recordRunOutcome('scale-node-group', false, { failures: 1, perMinutes: 60, openMinutes: 30 })
      .catch((e: unknown) => e);

    // Assess
    expect((err as Error).message).toBe(
      'guard store: opening the circuit breaker failed: InternalServerError: 503',
    );
  });

  it('uses the system clock when none is given', () => {
    // Prepare
    const store = new GuardStore({ doc: db.doc, tableName: 'x', stage: 'dev', flags: fixedFlags({}) });
    const before = Date.now();

    // Act
    const now = store.now();

    // Assess
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
