import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import type { Signal } from '../../events/signal.js';
import { type IntakeDeps, processSignal } from '../../functions/intake/core.js';
import type { Decision } from '../../functions/intake/decision.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { nodeGroupAtMax } from '../unit/intake/signals.js';

/**
 * Issue 14, no silent refusals: when a guard refuses the run a real incident asked for (not allow-listed,
 * kill switch, paused, circuit breaker open, rate limited), the people on call are told, once per runbook,
 * resource, reason and window. The once-per-window memory is the guard store's, on dynalite; the clock is
 * the store's own (moved by the test). scale-node-group's window is 15 minutes (its spec).
 */

const dev = loadStage('dev');
const ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-scale-node-group';
const WINDOW_MS = 15 * 60_000;
const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);

const quiet: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
} as unknown as OpsLogger;

let db: LocalDynamo;
let table = 0;
let notified: Decision[];
let clock: number;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(() => {
  notified = [];
  // Start at a window boundary plus one minute, so "same window" and "next window" are unambiguous.
  clock = Date.UTC(2026, 10, 22, 10, 1);
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
});

async function deps(): Promise<IntakeDeps> {
  const tableName = `refusals-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  return {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store: new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
      now: () => clock,
    }),
    stateMachines: { 'scale-node-group': ARN },
    stage: 'dev',
    automation: dev.automation,
    logger: quiet,
    notifier: { notify: async (_s: Signal, d: Decision) => void notified.push(d) },
  };
}

/** A node group the dev stage allow-lists (dev-platform-*), and one it does not. */
const allowed = () => nodeGroupAtMax('dev-platform', 'dev-platform-a');
const notAllowed = () => nodeGroupAtMax('prod-eu-west-1', 'ng-a');

function flag(name: string, value: 'on' | 'off') {
  ssmMock.on(GetParameterCommand, { Name: name }).resolves({ Parameter: { Value: value } });
}

describe('intake: a refused run of a real incident is told once per window', () => {
  it('not allow-listed: two refusals in one window → one notification; the next window → another', async () => {
    // Prepare
    const d = await deps();
    // Act
    await processSignal(notAllowed(), d);
    clock += 5 * 60_000;
    await processSignal(notAllowed(), d);
    // Assess
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ action: 'notify', runbook: 'scale-node-group' });
    expect(notified[0]?.reasons.join(' ')).toContain('not allow-listed');
    expect(notified[0]?.reasons.join(' ')).toContain('prod-eu-west-1/ng-a');
    // Act: the next window
    clock += WINDOW_MS;
    await processSignal(notAllowed(), d);
    // Assess
    expect(notified).toHaveLength(2);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('kill switch on: told once with the reason, nothing starts', async () => {
    flag('/ops/dev/kill-switch', 'on');
    const d = await deps();
    await processSignal(allowed(), d);
    await processSignal(allowed(), d);
    expect(notified).toHaveLength(1);
    expect(notified[0]?.reasons.join(' ')).toContain('kill switch on');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('runbook paused: told once with the reason', async () => {
    flag('/ops/dev/paused/scale-node-group', 'on');
    const d = await deps();
    await processSignal(allowed(), d);
    await processSignal(allowed(), d);
    expect(notified).toHaveLength(1);
    expect(notified[0]?.reasons.join(' ')).toContain('runbook paused');
  });

  it('circuit breaker open: told once per window, not once per event', async () => {
    const d = await deps();
    const breaker = { failures: 1, perMinutes: 60, openMinutes: 120 };
    await d.store.recordRunOutcome('scale-node-group', false, breaker);
    await processSignal(allowed(), d);
    await processSignal(allowed(), d);
    expect(notified).toHaveLength(1);
    expect(notified[0]?.reasons.join(' ')).toContain('circuit breaker open');
  });

  it('different reasons are told separately (not allow-listed vs kill switch)', async () => {
    const d = await deps();
    await processSignal(notAllowed(), d);
    flag('/ops/dev/kill-switch', 'on');
    await processSignal(allowed(), d);
    expect(notified.map((n) => n.reasons.at(-1))).toEqual([
      expect.stringContaining('not allow-listed'),
      expect.stringContaining('kill switch on'),
    ]);
  });

  it('a manual request that is refused is answered where it was asked, not broadcast', async () => {
    const d = await deps();
    const asked: Signal = {
      ...notAllowed(),
      source: 'slack',
      kind: 'slack.command',
      request: {
        runbook: 'scale-node-group',
        parameters: { cluster: 'prod-eu-west-1', nodegroup: 'ng-a' },
        requestedBy: 'U123',
      },
    };
    const [result] = await processSignal(asked, d);
    expect(result?.decision.action).toBe('reject');
    expect(notified).toHaveLength(0);
  });
});
