import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { normaliseEvent } from '../../events/index.js';
import type { Signal } from '../../events/signal.js';
import { type IntakeDeps, processSignal } from '../../functions/intake/core.js';
import type { Decision } from '../../functions/intake/decision.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * Issue 14: the intake starts restore-guardrail for a platform guardrail AND still tells people (the incident
 * is critical whether or not automation repairs it). The record is the real StopLogging detonation
 * adapted to the dev stage's trail (events/samples/SOURCES.md); the guard store runs on dynalite.
 */

const dev = loadStage('dev');
const ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-restore-guardrail';
const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);
const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
} as unknown as OpsLogger;
const stopLogging = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../../events/samples/cloudtrail/cloudtrail-stoplogging.json'),
    'utf8',
  ),
) as { detail: { requestParameters: Record<string, unknown> } };

let db: LocalDynamo;
let table = 0;
let notified: Decision[];

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(() => {
  notified = [];
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
});

async function deps(): Promise<IntakeDeps> {
  const tableName = `guardrail-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  return {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store: new GuardStore({
      doc: db.doc,
      tableName,
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
      now: () => Date.UTC(2026, 10, 20, 21, 50),
    }),
    stateMachines: { 'restore-guardrail': ARN },
    stage: 'dev',
    automation: dev.automation,
    logger: quiet,
    notifier: { notify: async (_s: Signal, d: Decision) => void notified.push(d) },
  };
}

describe('intake: restore-guardrail starts and people are still told', () => {
  it('StopLogging on the platform trail: one run started, one critical notification naming the change', async () => {
    // Act
    const [result] = await processSignal(normaliseEvent(stopLogging), await deps());
    // Assess
    expect(result?.decision).toMatchObject({ action: 'start', runbook: 'restore-guardrail' });
    const starts = sfnMock.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(JSON.parse(starts[0]?.args[0].input.input ?? '{}')).toMatchObject({
      parameters: { guardrail: 'trail-logging', target: 'dev-platform-trail' },
    });
    expect(notified).toHaveLength(1);
    expect(notified[0]?.severity).toBe('critical');
    expect(notified[0]?.reasons.join(' ')).toContain('logging was stopped');
    expect(notified[0]?.reasons.join(' ')).toContain('restore-guardrail started');
  });

  it('the same event delivered twice starts one run and tells once', async () => {
    const d = await deps();
    await processSignal(normaliseEvent(stopLogging), d);
    await processSignal(normaliseEvent(stopLogging), d);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(notified).toHaveLength(1);
  });

  it('a trail that is not the platform’s: notified only, nothing starts', async () => {
    const other = structuredClone(stopLogging);
    other.detail.requestParameters = { name: 'team-analytics-trail' };
    await processSignal(normaliseEvent(other), await deps());
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ action: 'notify', severity: 'critical' });
  });
});
