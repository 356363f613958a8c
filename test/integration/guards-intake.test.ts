import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStage, type StageConfig } from '../../config/index.js';
import type { Signal } from '../../events/signal.js';
import { processSignal } from '../../functions/intake/core.js';
import type { Decision } from '../../functions/intake/decision.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import {
  handleEvent,
  handleWebhook,
  RetryLaterError,
  type WebhookDeps,
} from '../../functions/intake/ingest.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import type { RunbookInput } from '../../runbooks/types.js';
import { deadEndpoint, documentClient, type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { nodeGroupAtMax } from '../unit/intake/signals.js';

/**
 * The intake end to end for one signal: decide → admit (real guard store on dynalite) → StartExecution
 * (faked Step Functions) → notifications; and the two entry points (EventBridge event, Datadog webhook).
 */
const ROOT = join(import.meta.dirname, '../..');
const sample = (name: string) => readFileSync(join(ROOT, 'events/samples', name), 'utf8');
const dev = loadStage('dev');
const stage: StageConfig = {
  ...dev,
  automation: {
    ...dev.automation,
    allowLists: {
      ...dev.automation.allowLists,
      nodeGroups: [
        ...dev.automation.allowLists.nodeGroups,
        { cluster: 'prod-eu-west-1', nodegroup: 'ng-*', ceiling: 10, stepSize: 2, scaleBackAfterMinutes: 0 },
      ],
    },
  },
};
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-scale-node-group';
const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);

interface LogLine {
  level: string;
  message: string;
  extra?: Record<string, unknown>;
}
function recordingLogger(lines: LogLine[]): OpsLogger {
  const log = (level: string) => (message: string, extra?: unknown) => {
    lines.push({ level, message, extra: extra as Record<string, unknown> });
  };
  return {
    info: log('info') as OpsLogger['info'],
    warn: log('warn') as OpsLogger['warn'],
    error: log('error') as OpsLogger['error'],
    debug: log('debug') as OpsLogger['debug'],
    appendKeys: () => undefined,
  };
}

let db: LocalDynamo;
let table = 0;
let logs: LogLine[];
let notified: Decision[];

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
const startsExecution = (input: { name: string }) => ({
  executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
  startDate: new Date(),
});

beforeEach(() => {
  logs = [];
  notified = [];
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake(startsExecution);
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
});

async function deps(overrides: Partial<WebhookDeps> = {}): Promise<WebhookDeps> {
  const tableName = `intake-${++table}`;
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  const store = new GuardStore({
    doc: db.doc,
    tableName,
    stage: 'dev',
    flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
  });
  return {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store,
    stateMachines: { 'scale-node-group': ARN },
    stage: 'dev',
    automation: stage.automation,
    logger: recordingLogger(logs),
    notifier: { notify: async (_s: Signal, d: Decision) => void notified.push(d) },
    webhookToken: async () => 'expected-token-value',
    ...overrides,
  };
}

describe('intake: processSignal with the guard store on dynalite', () => {
  it('starts the state machine named by the execution name, with the RunbookInput', async () => {
    // Prepare
    const d = await deps();
    // Act
    const [result] = await processSignal(nodeGroupAtMax('dev-platform', 'dev-platform-a'), d);
    // Assess
    expect(result?.decision.action).toBe('start');
    const calls = sfnMock.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]?.args[0].input;
    expect(sent?.stateMachineArn).toBe(ARN);
    expect(sent?.name).toBe(result?.decision.executionName);
    const input = JSON.parse(sent?.input ?? '{}') as RunbookInput;
    expect(input).toMatchObject({
      runbook: 'scale-node-group',
      stage: 'dev',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
      dryRun: false,
      mode: 'auto',
      executionName: sent?.name,
      resourceKey: 'dev-platform/dev-platform-a',
      trigger: {
        source: 'cluster-autoscaler',
        correlationId: 'evt-0001',
        requestedBy: 'cluster-autoscaler:unknown',
      },
    });
    // The guard outcomes travel with the run, for its audit record.
    expect(input.guards?.map((g) => `${g.name}:${g.outcome}`)).toEqual(
      expect.arrayContaining([
        'allow-list:pass',
        'dry-run:pass',
        'dedup:pass',
        'lock:pass',
        'rate-limit:pass',
      ]),
    );
    expect(result?.executionArn).toBe(
      `arn:aws:states:eu-west-1:111111111111:execution:ops-dev-scale-node-group:${sent?.name}`,
    );
  });

  it('treats ExecutionAlreadyExists as a duplicate, not an error', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const [result] = await processSignal(nodeGroupAtMax('dev-platform', 'dev-platform-a'), await deps());
    expect(result?.decision).toMatchObject({
      action: 'ignore',
      reasons: expect.arrayContaining(['duplicate']),
    });
  });

  it('rethrows a Step Functions outage after giving back the claim and lock, so the retry can start', async () => {
    const d = await deps();
    const signal = nodeGroupAtMax('dev-platform', 'dev-platform-a');
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .callsFake(startsExecution);
    await expect(processSignal(signal, d)).rejects.toThrow('Rate exceeded');
    const [retry] = await processSignal(signal, d);
    expect(retry?.decision.action).toBe('start');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('rejects a start when no state machine is deployed for the runbook', async () => {
    const [result] = await processSignal(
      nodeGroupAtMax('dev-platform', 'dev-platform-a'),
      await deps({ stateMachines: {} }),
    );
    expect(result?.decision.action).toBe('reject');
    expect(result?.decision.reasons.at(-1)).toBe(
      'no state machine is deployed for runbook scale-node-group in stage dev',
    );
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('fails closed when the guard store is down: nothing starts, people are told', async () => {
    const dead = new GuardStore({
      doc: documentClient(await deadEndpoint()),
      tableName: 'guards',
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    });
    const [result] = await processSignal(
      nodeGroupAtMax('dev-platform', 'dev-platform-a'),
      await deps({ store: dead }),
    );
    expect(result?.decision).toMatchObject({
      action: 'reject',
      reasons: expect.arrayContaining(['guard-store-unavailable']),
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ action: 'notify', severity: 'critical' });
  });
});

describe('intake: notifications', () => {
  it('sends notify decisions to the notifier, and a failing notifier never fails the event', async () => {
    const event = JSON.parse(sample('cloudtrail/kms-disablekey.json'));
    await handleEvent(event, await deps());
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ action: 'notify', severity: 'critical' });
    const broken = await deps({ notifier: { notify: () => Promise.reject(new Error('Slack is down')) } });
    await expect(handleEvent(event, broken)).resolves.toHaveLength(1);
    expect(logs.find((l) => l.message === 'notification failed')?.extra).toEqual({ error: 'Slack is down' });
  });
});

describe('intake: EventBridge events', () => {
  it('starts one run for an event delivered twice', async () => {
    const d = await deps();
    const event = JSON.parse(sample('cluster-autoscaler/failedtoscaleupgroup.json'));
    await handleEvent(event, d);
    await handleEvent(event, d);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('logs bad input with its size, hash and head, and returns without retrying or starting anything', async () => {
    const garbage = { source: 'aws.s3', 'detail-type': 'Object Created', id: 'x', time: 'now', detail: {} };
    await expect(handleEvent(garbage, await deps())).resolves.toEqual([]);
    const line = logs.find((l) => l.message === 'rejected event');
    expect(line?.level).toBe('error');
    const json = JSON.stringify(garbage);
    expect(line?.extra).toMatchObject({
      error: 'UnrecognisedEventError',
      payload: { bytes: json.length, sha256: sha256(json), head: json, truncated: false },
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('throws the event back for a retry (and the dead-letter queue) when the guard store is down', async () => {
    const dead = new GuardStore({
      doc: documentClient(await deadEndpoint()),
      tableName: 'guards',
      stage: 'dev',
      flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 0),
    });
    const event = JSON.parse(sample('cluster-autoscaler/failedtoscaleupgroup.json'));
    await expect(handleEvent(event, await deps({ store: dead }))).rejects.toBeInstanceOf(RetryLaterError);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('intake: Datadog webhooks', () => {
  const body = sample('datadog/webhook-triggered.json');

  it('refuses a missing or wrong token with 401 and starts nothing', async () => {
    const d = await deps();
    expect((await handleWebhook({ headers: {}, body }, d)).statusCode).toBe(401);
    expect(
      (await handleWebhook({ headers: { 'x-ops-webhook-token': 'expected-token-valuX' }, body }, d))
        .statusCode,
    ).toBe(401);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts the tagged runbook once for a flapping monitor (Triggered twice inside the window)', async () => {
    const d = await deps();
    const headers = { 'X-Ops-Webhook-Token': 'expected-token-value' };
    const first = await handleWebhook({ headers, body }, d);
    const again = await handleWebhook(
      { headers, body: body.replace('"id": "7281010972796602671"', '"id": "7281010972796602672"') },
      d,
    );
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body).decisions[0]).toMatchObject({
      action: 'start',
      runbook: 'scale-node-group',
    });
    expect(JSON.parse(again.body).decisions[0]).toMatchObject({
      action: 'ignore',
      reasons: expect.arrayContaining(['duplicate']),
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('answers 400 with the reason for a malformed body, and logs its size, hash and head', async () => {
    const bad = '{"alert_transition": 5}';
    const res = await handleWebhook(
      { headers: { 'x-ops-webhook-token': 'expected-token-value' }, body: bad },
      await deps(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/Datadog webhook/);
    expect(logs.find((l) => l.message === 'rejected webhook')?.extra).toMatchObject({
      payload: { bytes: 23, sha256: sha256(bad), head: bad, truncated: false },
    });
  });

  it('answers 413 for a 10 MB body: nothing starts, the log keeps its size and hash, not the body', async () => {
    // Prepare: a real alert padded to 10 MiB; the hash is computed here with node:crypto.
    const huge = body.replace('"priority": "normal"', `"priority": "${'n'.repeat(10 * 1024 * 1024)}"`);
    // Act
    const res = await handleWebhook(
      { headers: { 'x-ops-webhook-token': 'expected-token-value' }, body: huge },
      await deps(),
    );
    // Assess
    expect(res.statusCode).toBe(413);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const line = logs.find((l) => l.message === 'rejected webhook');
    expect(line?.extra).toMatchObject({
      error: 'PayloadTooLarge',
      payload: { bytes: Buffer.byteLength(huge), sha256: sha256(huge), truncated: true },
    });
    expect(JSON.stringify(line?.extra).length).toBeLessThan(4096);
  });

  it('answers 400 for a body nested 40,000 levels deep: a clear error, kept as size and hash', async () => {
    const deep = `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`;
    const res = await handleWebhook(
      { headers: { 'x-ops-webhook-token': 'expected-token-value' }, body: deep },
      await deps(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^Datadog webhook body /);
    expect(logs.find((l) => l.message === 'rejected webhook')?.extra).toMatchObject({
      error: 'MalformedEventError',
      payload: { bytes: deep.length, sha256: sha256(deep), truncated: true },
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('logs only the size and hash of an unauthenticated body, never its content', async () => {
    await handleWebhook({ headers: { 'x-ops-webhook-token': 'wrong-token-value' }, body }, await deps());
    const line = logs.find((l) => l.message === 'webhook refused: missing or wrong token');
    expect(line?.level).toBe('warn');
    expect(line?.extra).toMatchObject({
      tokenPresented: true,
      payload: { bytes: Buffer.byteLength(body), sha256: sha256(body), head: '' },
    });
  });

  it('answers 503 when the token cannot be read, so Datadog retries', async () => {
    const d = await deps({ webhookToken: () => Promise.reject(new Error('Secrets Manager down')) });
    expect((await handleWebhook({ headers: { 'x-ops-webhook-token': 'x' }, body }, d)).statusCode).toBe(503);
  });
});
