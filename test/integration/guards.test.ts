import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStage, type StageConfig } from '../../config/index.js';
import { admit } from '../../functions/intake/admit.js';
import { decide } from '../../functions/intake/decide.js';
import type { Decision } from '../../functions/intake/decision.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import { recordRunOutcome, releaseLock } from '../../functions/intake/run-end.js';
import { deadEndpoint, documentClient, type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { datadogAlert, nodeGroupAtMax } from '../unit/intake/signals.js';

/**
 * The stateful guards against a real DynamoDB-compatible server (dynalite), with the operator's
 * flags read through the real SSM code path (Powertools provider) from a faked SSM client.
 */
const dev = loadStage('dev');
const stage: StageConfig = {
  ...dev,
  automation: {
    ...dev.automation,
    runbooks: {
      'scale-node-group': {
        enabled: true,
        rateLimit: { maxRuns: 2, perMinutes: 60 },
        circuitBreaker: { failures: 3, perMinutes: 60, openMinutes: 30 },
        lockMinutes: 20,
      },
    },
  },
};
const ctx = { stage: stage.name, automation: stage.automation };

const ssm = mockClient(SSMClient);
let flags: Record<string, string>;
let db: LocalDynamo;
let now: number;
let table = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

/** A fresh table per test, so no guard state leaks between cases. */
async function freshStore(
  overrides: Partial<ConstructorParameters<typeof GuardStore>[0]> = {},
): Promise<GuardStore> {
  const tableName = `guards-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  return new GuardStore({
    doc: db.doc,
    tableName,
    stage: 'dev',
    flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    now: () => now,
    ...overrides,
  });
}

beforeEach(() => {
  now = Date.parse('2026-11-22T10:07:00Z');
  flags = {
    '/ops/dev/kill-switch': 'off',
    '/ops/dev/paused/scale-node-group': 'off',
    '/ops/dev/paused/rotate-secret': 'off',
  };
  ssm.reset();
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = flags[input.Name];
    if (value === undefined)
      throw new ParameterNotFound({ message: `${input.Name} not found`, $metadata: {} });
    return { Parameter: { Name: input.Name, Value: value, Type: 'String' } };
  });
});

/** A start decision for node group `group`, for an event at `occurredAt`. */
function startFor(group = 'dev-platform-a', occurredAt = '2026-11-22T10:07:00Z'): Decision {
  const signal = { ...nodeGroupAtMax('dev-platform', group), occurredAt };
  const [d] = decide(signal, ctx);
  if (d?.action !== 'start') throw new Error(`expected a start decision, got ${d?.action}`);
  return d;
}

describe('intake guards on DynamoDB: de-duplication', () => {
  it('admits an execution name once; the repeat is a duplicate', async () => {
    // Prepare
    const store = await freshStore();
    const decision = startFor();
    // Act
    const first = await admit(decision, store, ctx);
    const second = await admit(decision, store, ctx);
    // Assess
    expect(first.decision.action).toBe('start');
    expect(first.decision.guards.map((g) => g.name)).toEqual(
      expect.arrayContaining(['kill-switch', 'paused', 'circuit-breaker', 'dedup', 'lock', 'rate-limit']),
    );
    expect(second.decision).toMatchObject({
      action: 'ignore',
      reasons: expect.arrayContaining(['duplicate']),
    });
    expect(second.decision.guards.at(-1)).toMatchObject({ name: 'dedup', outcome: 'block' });
  });

  it('lets exactly one of many concurrent admits of the same event through', async () => {
    const store = await freshStore();
    const decision = startFor();
    const results = await Promise.all(Array.from({ length: 25 }, () => admit(decision, store, ctx)));
    expect(results.filter((r) => r.decision.action === 'start')).toHaveLength(1);
    expect(results.filter((r) => r.decision.reasons.includes('duplicate'))).toHaveLength(24);
  });

  it('lets exactly one run per resource start when concurrent events fall in different windows', async () => {
    const store = await freshStore();
    const decisions = Array.from({ length: 12 }, (_, i) =>
      startFor(
        'dev-platform-a',
        new Date(Date.parse('2026-11-22T08:00:00Z') + i * 15 * 60_000).toISOString(),
      ),
    );
    expect(new Set(decisions.map((d) => d.executionName)).size).toBe(12);
    const results = await Promise.all(decisions.map((d) => admit(d, store, ctx)));
    const started = results.filter((r) => r.decision.action === 'start');
    expect(started).toHaveLength(1);
    const locked = results.filter((r) => r.decision.guards.at(-1)?.name === 'lock');
    expect(locked).toHaveLength(11);
    expect(locked.every((r) => r.decision.action === 'ignore')).toBe(true);
  });

  it('gives the claim back when the lock refuses, so the event can be admitted once the lock is released', async () => {
    const store = await freshStore();
    const holder = startFor('dev-platform-a', '2026-11-22T09:50:00Z');
    const waiting = startFor('dev-platform-a', '2026-11-22T10:07:00Z');
    expect((await admit(holder, store, ctx)).decision.action).toBe('start');
    expect((await admit(waiting, store, ctx)).decision.guards.at(-1)).toMatchObject({
      name: 'lock',
      outcome: 'block',
    });
    // Act: the first run ends and its report hook releases the lock.
    await releaseLock(store, {
      runbook: 'scale-node-group',
      resourceKey: holder.resourceKey ?? '',
      executionName: holder.executionName ?? '',
    });
    // Assess
    expect((await admit(waiting, store, ctx)).decision.action).toBe('start');
  });

  it('lets a lock expire after lockMinutes even if no run released it', async () => {
    const store = await freshStore();
    expect(
      (await admit(startFor('dev-platform-a', '2026-11-22T09:50:00Z'), store, ctx)).decision.action,
    ).toBe('start');
    const next = startFor('dev-platform-a', '2026-11-22T10:07:00Z');
    expect((await admit(next, store, ctx)).decision.action).toBe('ignore');
    now += 21 * 60_000;
    expect((await admit(next, store, ctx)).decision.action).toBe('start');
  });
});

describe('intake guards on DynamoDB: rate limit and circuit breaker', () => {
  it('notifies instead of starting once a resource had maxRuns starts in the period', async () => {
    const store = await freshStore();
    const runs = ['09:00', '09:15', '09:30'].map((t) => startFor('dev-platform-a', `2026-11-22T${t}:00Z`));
    const outcomes: string[] = [];
    for (const d of runs) {
      const { decision } = await admit(d, store, ctx);
      outcomes.push(decision.action);
      if (decision.action === 'start') {
        await releaseLock(store, {
          runbook: 'scale-node-group',
          resourceKey: d.resourceKey ?? '',
          executionName: d.executionName ?? '',
        });
      }
    }
    expect(outcomes).toEqual(['start', 'start', 'notify']);
    // Another resource has its own budget; the next period starts afresh.
    expect((await admit(startFor('dev-platform-b'), store, ctx)).decision.action).toBe('start');
    now += 60 * 60_000;
    expect((await admit(runs[2] as Decision, store, ctx)).decision.action).toBe('start');
  });

  it('opens after N failures in the period, blocks starts while open, and closes after openMinutes', async () => {
    const store = await freshStore();
    const opened: boolean[] = [];
    for (let i = 0; i < 3; i++)
      opened.push(await recordRunOutcome(store, stage.automation, 'scale-node-group', 'failed'));
    expect(opened).toEqual([false, false, true]);
    // A success or a rejection never counts; other runbooks are unaffected.
    expect(await recordRunOutcome(store, stage.automation, 'scale-node-group', 'succeeded')).toBe(false);
    const blocked = await admit(startFor(), store, ctx);
    expect(blocked.decision).toMatchObject({ action: 'notify' });
    expect(blocked.decision.guards.at(-1)).toMatchObject({ name: 'circuit-breaker', outcome: 'block' });
    const other = decide(
      datadogAlert('Triggered', ['runbook:rotate-secret', 'secret:dev/rds/app-user']),
      ctx,
    )[0] as Decision;
    expect((await admit(other, store, ctx)).decision.action).toBe('start');
    now += 31 * 60_000;
    expect((await admit(startFor(), store, ctx)).decision.action).toBe('start');
  });

  it('does not open on failures spread over separate periods', async () => {
    const store = await freshStore();
    for (let i = 0; i < 4; i++) {
      expect(await recordRunOutcome(store, stage.automation, 'scale-node-group', 'timed-out')).toBe(false);
      if (i % 2 === 1) now += 60 * 60_000;
    }
    expect(
      (await admit(startFor('dev-platform-a', new Date(now).toISOString()), store, ctx)).decision.action,
    ).toBe('start');
  });
});

describe('intake guards: kill switch and pause flags (SSM)', () => {
  it('starts nothing while the kill switch is on', async () => {
    const store = await freshStore();
    flags['/ops/dev/kill-switch'] = 'on';
    const { decision } = await admit(startFor(), store, ctx);
    expect(decision).toMatchObject({
      action: 'ignore',
      reasons: expect.arrayContaining(['kill switch is on: no automation starts']),
    });
    flags['/ops/dev/kill-switch'] = 'off';
    expect((await admit(startFor(), store, ctx)).decision.action).toBe('start');
  });

  it('holds back only the paused runbook', async () => {
    const store = await freshStore();
    flags['/ops/dev/paused/scale-node-group'] = 'on';
    expect((await admit(startFor(), store, ctx)).decision.guards.at(-1)).toMatchObject({
      name: 'paused',
      outcome: 'block',
    });
    const other = decide(
      datadogAlert('Triggered', ['runbook:rotate-secret', 'secret:dev/rds/app-user']),
      ctx,
    )[0] as Decision;
    expect((await admit(other, store, ctx)).decision.action).toBe('start');
  });

  it('fails closed when a flag is missing or holds something other than on/off', async () => {
    const store = await freshStore();
    delete flags['/ops/dev/paused/scale-node-group'];
    expect((await admit(startFor(), store, ctx)).decision).toMatchObject({
      action: 'reject',
      reasons: expect.arrayContaining(['guard-store-unavailable']),
    });
    flags['/ops/dev/paused/scale-node-group'] = 'yes';
    const { decision } = await admit(startFor(), store, ctx);
    expect(decision.action).toBe('reject');
    expect(decision.guards.at(-1)?.detail).toContain('/ops/dev/paused/scale-node-group is "yes", not on/off');
  });

  it('caches flags for the configured time', async () => {
    const store = await freshStore({ flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 60) });
    await admit(startFor('dev-platform-a'), store, ctx);
    await admit(startFor('dev-platform-b'), store, ctx);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });
});

describe('intake guards: the guard store failing', () => {
  it('rejects with guard-store-unavailable when DynamoDB does not answer (dead port)', async () => {
    const store = new GuardStore({
      doc: documentClient(await deadEndpoint()),
      tableName: 'guards',
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    });
    const { decision, held } = await admit(startFor(), store, ctx);
    expect(decision.action).toBe('reject');
    expect(decision.reasons).toContain('guard-store-unavailable');
    expect(held).toBeUndefined();
  });

  it('rejects when the table is missing, and when the server stops mid-way', async () => {
    const missing = new GuardStore({
      doc: db.doc,
      tableName: 'no-such-table',
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    });
    expect((await admit(startFor(), missing, ctx)).decision.reasons).toContain('guard-store-unavailable');

    const own = await startDynalite([{ name: 'guards', partitionKey: 'pk' }]);
    const store = new GuardStore({
      doc: own.doc,
      tableName: 'guards',
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    });
    expect((await admit(startFor('dev-platform-a'), store, ctx)).decision.action).toBe('start');
    await own.stop();
    const after = await admit(startFor('dev-platform-b'), store, ctx);
    expect(after.decision).toMatchObject({
      action: 'reject',
      reasons: expect.arrayContaining(['guard-store-unavailable']),
    });
  });

  it('passes notifications through untouched (they never depend on the guard store)', async () => {
    const store = new GuardStore({
      doc: documentClient(await deadEndpoint()),
      tableName: 'guards',
      stage: 'dev',
      flags: { get: () => Promise.reject(new Error('SSM is down')) },
    });
    const [notify] = decide(datadogAlert('Triggered', ['service:api']), ctx);
    expect((await admit(notify as Decision, store, ctx)).decision.action).toBe('notify');
  });
});
