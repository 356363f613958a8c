import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import type { AutomationConfig } from '../../config/schema.js';
import { admit, release } from '../../functions/intake/admit.js';
import type { Decision } from '../../functions/intake/decision.js';
import { type FlagReader, GuardStore } from '../../functions/intake/guard-store.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * `admit` (the stateful guards, in order) against a real guard store on dynalite. The start
 * decisions are written by hand (not built by `decide`), and every expected guard, reason and
 * item is written out from admit.ts's documented order and wording.
 */

const T0 = Date.parse('2026-11-22T10:07:00Z');
const dev = loadStage('dev');

function automation(policy: Record<string, unknown> = {}): AutomationConfig {
  return {
    ...dev.automation,
    dryRun: false,
    runbooks: {
      'scale-node-group': {
        enabled: true,
        rateLimit: { maxRuns: 2, perMinutes: 60 },
        circuitBreaker: { failures: 3, perMinutes: 60, openMinutes: 30 },
        lockMinutes: 20,
        windowMinutes: 15,
        ...policy,
      },
    },
  } as AutomationConfig;
}

const OFF = { '/ops/dev/kill-switch': 'off', '/ops/dev/paused/scale-node-group': 'off' };
const flagsOf = (values: Record<string, string>): FlagReader => ({ get: async (name) => values[name] });

function start(overrides: Partial<Decision> = {}): Decision {
  return {
    action: 'start',
    runbook: 'scale-node-group',
    rule: 'autoscaling-at-max',
    parameters: {},
    resourceKey: 'dev-platform/dev-platform-a',
    executionName: 'exec-admit',
    mode: 'auto',
    dryRun: false,
    severity: 'warning',
    reasons: ['node group at max'],
    guards: [{ name: 'policy', outcome: 'pass', detail: 'rule autoscaling-at-max' }],
    ...overrides,
  };
}

let db: LocalDynamo;
let table = 0;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

async function fresh(
  flags: Record<string, string> = OFF,
  doc?: (real: DynamoDBDocumentClient) => DynamoDBDocumentClient,
) {
  const tableName = `admit-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  const store = new GuardStore({
    doc: doc ? doc(db.doc) : db.doc,
    tableName,
    stage: 'dev',
    flags: flagsOf(flags),
    now: () => T0,
  });
  const item = async (pk: string) =>
    (await db.doc.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }))).Item;
  return { store, item };
}

const LOCK = 'lock#scale-node-group#dev-platform/dev-platform-a';
const RATE = 'rate#scale-node-group#dev-platform/dev-platform-a#498706'; // the 10:00–11:00 bucket

describe('admit: a start that passes every guard', () => {
  it('appends the six stateful guards in order and holds the claim, the lock and a rate token', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('start');
    expect(decision.reasons).toEqual(['node group at max']);
    expect(decision.guards).toEqual([
      { name: 'policy', outcome: 'pass', detail: 'rule autoscaling-at-max' },
      { name: 'kill-switch', outcome: 'pass', detail: 'off' },
      { name: 'paused', outcome: 'pass', detail: 'off' },
      { name: 'circuit-breaker', outcome: 'pass', detail: 'closed' },
      { name: 'dedup', outcome: 'pass', detail: 'claimed exec-admit' },
      { name: 'lock', outcome: 'pass', detail: 'held until the run ends (at most 20 min)' },
      { name: 'rate-limit', outcome: 'pass', detail: 'within 2 runs per 60 min' },
    ]);
    expect(held).toMatchObject({
      runbook: 'scale-node-group',
      resourceKey: 'dev-platform/dev-platform-a',
      executionName: 'exec-admit',
      claim: true,
      lock: true,
      rateToken: true,
    });
    expect(await item(LOCK)).toMatchObject({ holder: 'exec-admit' });
    expect(await item(RATE)).toMatchObject({ runs: 1 });
  });

  it('keeps the claim for a day at least, and for two windows when that is longer', async () => {
    // Prepare
    const short = await fresh();
    const long = await fresh();

    // Act
    await admit(start(), short.store, { automation: automation({ windowMinutes: 15 }) });
    await admit(start(), long.store, { automation: automation({ windowMinutes: 1440 }) });

    // Assess: 15 min × 120 s = 1800 s < 86400 s; 1440 min × 120 s = 172800 s
    expect(await short.item('dedup#exec-admit')).toMatchObject({ expiresAt: 1795342020 + 86_400 });
    expect(await long.item('dedup#exec-admit')).toMatchObject({ expiresAt: 1795342020 + 172_800 });
  });

  it('a dry run claims the name but takes no lock and no rate token', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const { decision, held } = await admit(start({ dryRun: true }), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('start');
    expect(decision.guards.slice(-3)).toEqual([
      { name: 'dedup', outcome: 'pass', detail: 'claimed exec-admit' },
      { name: 'lock', outcome: 'skip', detail: 'dry run changes nothing' },
      { name: 'rate-limit', outcome: 'skip', detail: 'dry run changes nothing' },
    ]);
    expect(held).toMatchObject({ claim: true, lock: false, rateToken: false });
    expect(await item(LOCK)).toBeUndefined();
    expect(await item(RATE)).toBeUndefined();
  });
});

describe('admit: each guard refusing', () => {
  it('the kill switch ignores the start before anything is claimed', async () => {
    // Prepare
    const { store, item } = await fresh({ ...OFF, '/ops/dev/kill-switch': 'on' });

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('ignore');
    expect(decision.reasons).toEqual(['node group at max', 'kill switch is on: no automation starts']);
    expect(decision.guards.at(-1)).toEqual({
      name: 'kill-switch',
      outcome: 'block',
      detail: 'the kill switch /ops/dev/kill-switch is on',
    });
    expect(held).toBeUndefined();
    expect(await item('dedup#exec-admit')).toBeUndefined();
  });

  it('a paused runbook is ignored after the kill switch passed', async () => {
    // Prepare
    const { store, item } = await fresh({ ...OFF, '/ops/dev/paused/scale-node-group': 'on' });

    // Act
    const { decision } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('ignore');
    expect(decision.reasons.at(-1)).toBe('runbook scale-node-group is paused');
    expect(decision.guards.slice(-2)).toEqual([
      { name: 'kill-switch', outcome: 'pass', detail: 'off' },
      { name: 'paused', outcome: 'block', detail: '/ops/dev/paused/scale-node-group is on' },
    ]);
    expect(await item('dedup#exec-admit')).toBeUndefined();
  });

  it('an open circuit breaker turns the start into a notification, saying until when', async () => {
    // Prepare
    const { store, item } = await fresh();
    for (let i = 0; i < 3; i++)
      await store.recordRunOutcome('scale-node-group', false, {
        failures: 3,
        perMinutes: 60,
        openMinutes: 30,
      });

    // Act
    const { decision } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('notify');
    expect(decision.reasons.at(-1)).toBe(
      'circuit breaker for scale-node-group is open after repeated failures',
    );
    expect(decision.guards.at(-1)).toEqual({
      name: 'circuit-breaker',
      outcome: 'block',
      detail: 'open until 2026-11-22T10:37:00.000Z',
    });
    expect(await item('dedup#exec-admit')).toBeUndefined();
  });

  it('a duplicate is ignored with reason "duplicate"', async () => {
    // Prepare
    const { store } = await fresh();
    await store.claimExecution('exec-admit', 86_400);

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('ignore');
    expect(decision.reasons.at(-1)).toBe('duplicate');
    expect(decision.guards.at(-1)).toEqual({
      name: 'dedup',
      outcome: 'block',
      detail: 'exec-admit was already claimed or started',
    });
    expect(held).toBeUndefined();
  });

  it('a held lock ignores the start, names the holder and its end, and gives the claim back', async () => {
    // Prepare
    const { store, item } = await fresh();
    await store.acquireLock('scale-node-group', 'dev-platform/dev-platform-a', 'exec-other', 20);

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('ignore');
    expect(decision.reasons.at(-1)).toBe('resource dev-platform/dev-platform-a is locked by run exec-other');
    expect(decision.guards.at(-1)).toEqual({
      name: 'lock',
      outcome: 'block',
      detail: 'held by exec-other until 2026-11-22T10:27:00.000Z',
    });
    expect(held).toBeUndefined();
    expect(await item('dedup#exec-admit')).toBeUndefined();
    expect(await item(LOCK)).toMatchObject({ holder: 'exec-other' });
  });

  it('a reached rate limit notifies, and gives back the claim and the lock (the count stays)', async () => {
    // Prepare
    const { store, item } = await fresh();
    for (let i = 0; i < 2; i++)
      await store.takeRateToken('scale-node-group', 'dev-platform/dev-platform-a', {
        maxRuns: 2,
        perMinutes: 60,
      });

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('notify');
    expect(decision.reasons.at(-1)).toBe(
      'rate limit for scale-node-group on dev-platform/dev-platform-a reached (2/60 min)',
    );
    expect(decision.guards.at(-1)).toEqual({
      name: 'rate-limit',
      outcome: 'block',
      detail: '2 runs per 60 min reached',
    });
    expect(held).toBeUndefined();
    expect(await item('dedup#exec-admit')).toBeUndefined();
    expect(await item(LOCK)).toBeUndefined();
    expect(await item(RATE)).toMatchObject({ runs: 2 });
  });
});

describe('admit: fails closed and gives back what it took', () => {
  it('a store failing at the rate limit rejects the start and releases the claim and the lock', async () => {
    // Prepare: UpdateCommand (the rate token) fails as a dropped connection would
    const { store, item } = await fresh(OFF, (real) => {
      return {
        send: async (command: unknown) => {
          if (command instanceof UpdateCommand)
            throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
          return await real.send(command as GetCommand);
        },
      } as unknown as DynamoDBDocumentClient;
    });

    // Act
    const { decision, held } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.action).toBe('reject');
    expect(decision.reasons.at(-1)).toBe('guard-store-unavailable');
    expect(decision.guards.at(-1)).toEqual({
      name: 'guard-store',
      outcome: 'block',
      detail: 'guard store: counting the rate limit failed: TimeoutError: socket hang up',
    });
    expect(held).toBeUndefined();
    expect(await item('dedup#exec-admit')).toBeUndefined();
    expect(await item(LOCK)).toBeUndefined();
  });

  it("a store failing before the claim never gives back another invocation's live claim of the same name", async () => {
    // Prepare: another invocation of the same event holds the claim; this one's breaker read fails
    const { store, item } = await fresh(OFF, (real) => {
      return {
        send: async (command: unknown) => {
          if (
            command instanceof GetCommand &&
            (command.input.Key as { pk: string }).pk.startsWith('breaker#')
          )
            throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
          return await real.send(command as GetCommand);
        },
      } as unknown as DynamoDBDocumentClient;
    });
    await store.claimExecution('exec-admit', 86_400);

    // Act
    const { decision } = await admit(start(), store, { automation: automation() });

    // Assess
    expect(decision.reasons.at(-1)).toBe('guard-store-unavailable');
    expect(await item('dedup#exec-admit')).toMatchObject({ state: 'claimed' });
  });

  it('an error that is not the store being unavailable is not turned into a decision', async () => {
    // Prepare: a flag reader that breaks the program, not the store
    const tableName = `admit-${++table}`;
    await db.createTable({ name: tableName, partitionKey: 'pk' });
    const store = new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: flagsOf(OFF),
      now: () => T0,
    });
    Object.assign(store, {
      breakerOpenUntil: () => Promise.reject(new TypeError('bug')),
    });

    // Act / Assess
    await expect(admit(start(), store, { automation: automation() })).rejects.toThrow(TypeError);
  });

  it('a start decision without runbook, resource or execution name is rejected as incomplete', async () => {
    // Prepare
    const { store, item } = await fresh();

    // Act
    const results = await Promise.all([
      admit(start({ executionName: undefined }), store, { automation: automation() }),
      admit(start({ resourceKey: undefined }), store, { automation: automation() }),
      admit(start({ runbook: 'no-such-runbook' }), store, { automation: automation() }),
      admit(start({ runbook: undefined }), store, { automation: automation() }),
    ]);

    // Assess
    for (const { decision, held } of results) {
      expect(decision.action).toBe('reject');
      expect(decision.reasons.at(-1)).toBe('incomplete start decision');
      expect(decision.guards.at(-1)).toEqual({
        name: 'admission',
        outcome: 'block',
        detail: 'incomplete start decision',
      });
      expect(held).toBeUndefined();
    }
    expect(await item('dedup#exec-admit')).toBeUndefined();
  });

  it('passes any decision other than start through as the same object, touching no store', async () => {
    // Prepare: a store that fails on any call
    const store = new GuardStore({
      doc: {} as DynamoDBDocumentClient,
      tableName: 'none',
      stage: 'dev',
      flags: { get: () => Promise.reject(new Error('SSM is down')) },
    });
    const notify: Decision = { ...start(), action: 'notify' };

    // Act
    const out = await admit(notify, store, { automation: automation() });

    // Assess
    expect(out.decision).toBe(notify);
    expect(out.held).toBeUndefined();
  });
});

describe('admit: release', () => {
  it('gives back exactly what is held and marks it all given back', async () => {
    // Prepare: a full admission, then release
    const { store, item } = await fresh();
    const { held } = await admit(start(), store, { automation: automation() });
    if (!held) throw new Error('expected an admission');

    // Act
    await release(store, held);

    // Assess
    expect(held).toMatchObject({ claim: false, lock: false, rateToken: false });
    expect(await item('dedup#exec-admit')).toBeUndefined();
    expect(await item(LOCK)).toBeUndefined();
    expect(await item(RATE)).toMatchObject({ runs: 0 });
  });

  it('leaves alone what it does not hold (another run’s lock, tokens it did not take)', async () => {
    // Prepare: the lock is another run's; this admission holds only its claim
    const { store, item } = await fresh();
    await store.acquireLock('scale-node-group', 'dev-platform/dev-platform-a', 'exec-admit', 20);
    await store.takeRateToken('scale-node-group', 'dev-platform/dev-platform-a', {
      maxRuns: 2,
      perMinutes: 60,
    });
    await store.claimExecution('exec-admit', 86_400);

    // Act
    await release(store, {
      runbook: 'scale-node-group',
      resourceKey: 'dev-platform/dev-platform-a',
      executionName: 'exec-admit',
      policy: {
        enabled: true,
        dryRun: false,
        mode: 'auto',
        windowMinutes: 15,
        rateLimit: { maxRuns: 2, perMinutes: 60 },
        circuitBreaker: { failures: 3, perMinutes: 60, openMinutes: 30 },
        lockMinutes: 20,
      },
      claim: true,
      lock: false,
      rateToken: false,
    });

    // Assess
    expect(await item('dedup#exec-admit')).toBeUndefined();
    expect(await item(LOCK)).toMatchObject({ holder: 'exec-admit' });
    expect(await item(RATE)).toMatchObject({ runs: 1 });
  });
});
