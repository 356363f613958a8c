import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normaliseEvent } from '../../events/index.js';
import { verifyChain } from '../../functions/audit/verify.js';
import type { Decision } from '../../functions/intake/decision.js';
import { notify } from '../../functions/notify/core.js';
import { type ReportDeps, reportPhase } from '../../functions/report/core.js';
import { type ReportEvent, ReportEventSchema } from '../../functions/report/schema.js';
import { logger as sharedLogger } from '../../functions/shared/powertools.js';
import { clearRegisteredSecretValues, registerSecretValue } from '../../functions/shared/redact.js';
import { RunbookFrame } from '../../runbooks/workflow-kit.js';
import { renderAsl, runAsl, type TaskHandler, workflowStack } from '../support/local-sfn.js';
import {
  type AuditHarness,
  captureOutput,
  DD_API_KEY,
  datadogClient,
  deadOrigin,
  type FakeApi,
  SLACK_TOKEN,
  slackClient,
  startAudit,
  startDatadog,
  startSlack,
} from './report-support.js';

const CHANNEL = 'C0DEVOPS001';
const DB_PASSWORD = 'Pa55w0rd-NeverShown-91x';
const TASK_TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAA${'x7Y2'.repeat(40)}`;
const RESPONSE_URL = 'https://hooks.slack.com/commands/T0001/1234567890/NeverLeaveThisUrl';

function input(overrides: Partial<ReportEvent['input']> = {}): ReportEvent['input'] {
  return {
    runbook: 'scale-node-group',
    stage: 'dev',
    parameters: {
      cluster: 'dev-platform',
      nodegroup: 'dev-platform-a',
      increaseBy: 2,
      reason: 'pods pending',
    },
    dryRun: false,
    mode: 'auto',
    executionName: 'scale-node-group-3f2a9c-20261122T2000',
    resourceKey: 'dev-platform/dev-platform-a',
    trigger: {
      source: 'datadog',
      kind: 'datadog.monitor-triggered',
      correlationId: '7481224735922104587',
      occurredAt: '2026-11-22T20:00:00Z',
      summary: 'Pods pending on dev-platform-a',
      link: 'https://app.datadoghq.eu/monitors/123456',
      requestedBy: 'datadog:123456',
      slack: { channel: 'C0ALERTS001', threadTs: '1700000000.000100' },
    },
    reasons: ['node group at max size with pending pods'],
    guards: [
      { name: 'allow-list', outcome: 'pass', detail: 'dev-platform-a is allow-listed (ceiling 6)' },
      { name: 'lock', outcome: 'pass', detail: 'lock acquired' },
    ],
    ...overrides,
  };
}

const EXECUTION = 'scale-node-group-3f2a9c-20261122T2000';
const CHANGE = {
  action: 'eks:UpdateNodegroupConfig',
  resource: 'dev-platform/dev-platform-a',
  before: { desiredSize: 4, maxSize: 4 },
  after: { desiredSize: 6, maxSize: 6 },
  requestId: '5f1b6c2e-8a3d-4f7e-9b0a-1c2d3e4f5a6b',
  at: '2026-11-22T20:00:40Z',
};

describe('report hook: one Slack message per run, a Datadog event per phase, an audit entry per phase', () => {
  let slack: FakeApi;
  let datadog: FakeApi;
  let audit: AuditHarness;
  let output: ReturnType<typeof captureOutput>;
  let clock: Date;
  let deps: ReportDeps;
  const runEnds: string[] = [];

  beforeAll(async () => {
    [slack, datadog, audit] = await Promise.all([startSlack(), startDatadog(), startAudit()]);
  });
  afterAll(async () => {
    await Promise.all([slack.stop(), datadog.stop(), audit.stop()]);
  });
  beforeEach(() => {
    slack.requests.length = 0;
    datadog.requests.length = 0;
    slack.failWith(undefined);
    datadog.failWith(undefined);
    runEnds.length = 0;
    output = captureOutput();
    clock = new Date('2026-11-22T20:00:05Z');
    deps = {
      slack: slackClient(slack),
      datadog: datadogClient(datadog),
      audit: audit.store,
      logger: output.logger,
      metrics: output.metrics,
      channel: CHANNEL,
      now: () => clock,
      console: { region: 'eu-west-1', account: '111111111111', namePrefix: 'ops-dev' },
      onRunEnd: async (_input, execution, outcome) => {
        runEnds.push(`${execution}:${outcome}`);
      },
    };
  });
  afterEach(() => output.restore());

  it('a successful run: posts on started (threaded under the alert), updates in place on success, sends events and metrics, audits both phases', async () => {
    // Prepare
    const execution = `${EXECUTION}-ok`;
    const started: ReportEvent = {
      phase: 'started',
      execution,
      startTime: '2026-11-22T20:00:02Z',
      input: input(),
      approval: { status: 'not-requested' },
    };

    // Act
    const first = await reportPhase(started, deps);
    clock = new Date('2026-11-22T20:01:00Z');
    const done = await reportPhase(
      {
        ...started,
        phase: 'succeeded',
        result: {
          outcome: 'succeeded',
          summary: 'Node group dev-platform-a scaled from 4 to 6 nodes; all nodes Ready.',
          changes: [CHANGE],
          revert: { desiredSize: 4, maxSize: 4 },
        },
      },
      deps,
    );

    // Assess: Slack, one message, posted then updated in place
    expect(slack.paths()).toEqual(['/api/chat.postMessage', '/api/chat.update']);
    for (const req of slack.requests) expect(req.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    const [post, update] = slack.requests;
    expect(post?.body).toMatchObject({ channel: 'C0ALERTS001', thread_ts: '1700000000.000100' });
    expect(String(post?.body.text)).toContain('scale-node-group on dev-platform/dev-platform-a: running');
    expect(JSON.stringify(post?.body.blocks)).toContain('https://app.datadoghq.eu/monitors/123456');
    expect(update?.body).toMatchObject({ channel: 'C0ALERTS001', ts: first.slack.ts });
    const updated = JSON.stringify(update?.body.blocks);
    expect(String(update?.body.text)).toContain('succeeded');
    expect(updated).toContain('{\\"desiredSize\\":4,\\"maxSize\\":4}');
    expect(updated).toContain('{\\"desiredSize\\":6,\\"maxSize\\":6}');
    expect(updated).toContain(CHANGE.requestId);
    expect(updated).toContain(`/ops revert ${execution}`);
    const revert = (
      (update?.body.blocks ?? []) as { type: string; elements?: { action_id?: string; value?: string }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'ops-revert');
    expect(revert?.value).toBe(execution);

    // Assess: Datadog, an event per phase (grouped by run) and the run's metrics at the end
    // The last event and the series are sent in parallel: their order is not fixed.
    expect(datadog.paths().sort()).toEqual(['/api/v1/events', '/api/v1/events', '/api/v1/series']);
    const events = datadog.requests.filter((r) => r.path === '/api/v1/events');
    for (const req of datadog.requests) {
      expect(req.headers['dd-api-key']).toBe(DD_API_KEY);
      expect(req.headers['dd-application-key']).toBeUndefined();
    }
    const successEvent = events[1]?.body;
    expect(successEvent).toMatchObject({ alert_type: 'success', aggregation_key: execution });
    expect(successEvent?.tags).toEqual(
      expect.arrayContaining([
        'runbook:scale-node-group',
        'stage:dev',
        'resource:dev-platform/dev-platform-a',
        'outcome:succeeded',
        `execution:${execution.toLowerCase()}`, // Datadog lower-cases tags; aggregation_key keeps the exact name
        'monitor_id:123456',
      ]),
    );
    expect(String(successEvent?.text)).toContain('(https://app.datadoghq.eu/monitors/123456)');
    const series = (datadog.requests.find((r) => r.path === '/api/v1/series')?.body.series ?? []) as {
      metric: string;
      points: [number, number][];
      tags: string[];
    }[];
    expect(series.map((s) => s.metric)).toEqual([
      'ops_automation.runs',
      'ops_automation.time_to_change',
      'ops_automation.time_to_verified_result',
    ]);
    expect(series[0]?.tags).toContain('outcome:succeeded');
    expect(series[1]?.points[0]?.[1]).toBe(40);
    expect(series[2]?.points[0]?.[1]).toBe(60);

    // Assess: the audit record
    expect(first.status).toBe('reported');
    expect(done.status).toBe('reported');
    const entries = await audit.store.runEntries(execution);
    expect(entries.map((e) => e.phase)).toEqual(['started', 'succeeded']);
    expect(verifyChain(entries, await audit.store.ledgerEntries(entries)).valid).toBe(true);
    expect(done.entry.delivery.slack).toMatchObject({ status: 'sent', ts: first.slack.ts });
    expect(runEnds).toEqual([`${execution}:succeeded`]);
    expect(output.lines.join('\n')).toContain('run reported');
  });

  it('a failed run: the message and the event say which step failed and why; the run is audited as failed', async () => {
    // Prepare
    const execution = `${EXECUTION}-fail`;
    const started: ReportEvent = {
      phase: 'started',
      execution,
      input: input({ trigger: { ...input().trigger, slack: undefined } }),
    };
    await reportPhase(started, deps);

    // Act
    const out = await reportPhase(
      {
        ...started,
        phase: 'failed',
        error: {
          Error: 'Eks.InvalidRequestException',
          Cause: 'Nodegroup dev-platform-a is in UPDATING state and cannot be modified',
        },
      },
      deps,
    );

    // Assess
    expect(slack.paths()).toEqual(['/api/chat.postMessage', '/api/chat.update']);
    expect(slack.requests[0]?.body.channel).toBe(CHANNEL);
    expect(slack.requests[0]?.body.thread_ts).toBeUndefined();
    expect(String(slack.requests[1]?.body.text)).toContain(': failed');
    expect(JSON.stringify(slack.requests[1]?.body.blocks)).toContain('Eks.InvalidRequestException');
    const failedEvent = datadog.requests.find((r) => r.body.alert_type === 'error');
    expect(failedEvent?.body.tags).toEqual(expect.arrayContaining(['outcome:failed', 'phase:failed']));
    const series = datadog.requests.find((r) => r.path === '/api/v1/series')?.body.series as {
      metric: string;
      tags: string[];
    }[];
    expect(series.map((s) => s.metric)).toEqual(['ops_automation.runs']);
    expect(series[0]?.tags).toContain('outcome:failed');
    expect(out.entry.result).toMatchObject({
      outcome: 'failed',
      error: { step: 'Eks.InvalidRequestException', cause: expect.stringContaining('UPDATING') },
    });
    expect(runEnds).toEqual([`${execution}:failed`]);
  });

  it('a run awaiting approval: the message says so, the event is a warning, the audit holds the approver once approved', async () => {
    // Prepare
    const execution = `${EXECUTION}-approval`;
    const slackInput = input({
      mode: 'approval',
      trigger: {
        ...input().trigger,
        source: 'slack',
        kind: 'slack.command',
        requestedBy: 'U0PLATFORM1',
        link: undefined,
        slack: { channel: CHANNEL, threadTs: '1700000000.000200', responseUrl: RESPONSE_URL },
      },
    });

    // Act
    const waiting = await reportPhase(
      { phase: 'started', execution, input: slackInput, approval: { status: 'not-requested' } },
      deps,
    );
    const done = await reportPhase(
      {
        phase: 'succeeded',
        execution,
        input: slackInput,
        approval: { approved: true, approver: 'U0PLATFORM2', at: '2026-11-22T20:03:00Z' },
        result: { outcome: 'succeeded', summary: 'scaled', changes: [CHANGE] },
      },
      deps,
    );

    // Assess
    expect(String(slack.requests[0]?.body.text)).toContain('awaiting approval');
    expect(slack.requests[0]?.body.thread_ts).toBe('1700000000.000200');
    expect(datadog.requests[0]?.body).toMatchObject({ alert_type: 'warning' });
    expect(datadog.requests[0]?.body.tags).toEqual(
      expect.arrayContaining(['outcome:awaiting-approval', 'trigger_source:slack']),
    );
    expect(waiting.entry.approval).toEqual({ status: 'pending' });
    expect(waiting.entry.trigger).toMatchObject({ slackUser: 'U0PLATFORM1', eventId: '7481224735922104587' });
    expect(JSON.stringify(slack.requests[1]?.body.blocks)).toContain('Approved by <@U0PLATFORM2>');
    expect(done.entry.approval).toEqual({
      status: 'approved',
      approver: 'U0PLATFORM2',
      at: '2026-11-22T20:03:00Z',
    });
  });

  it('a rejected run is reported as rejected with who rejected it, and nothing changed', async () => {
    // Prepare
    const execution = `${EXECUTION}-rejected`;
    const approvalInput = input({ mode: 'approval' });
    await reportPhase({ phase: 'started', execution, input: approvalInput }, deps);

    // Act
    const out = await reportPhase(
      {
        phase: 'rejected',
        execution,
        input: approvalInput,
        approval: { status: 'not-requested' },
        error: { Error: 'ApprovalRejected', Cause: 'rejected by U0PLATFORM2' },
      },
      deps,
    );

    // Assess
    expect(out.entry.approval).toMatchObject({ status: 'rejected', approver: 'U0PLATFORM2' });
    expect(out.entry.result?.outcome).toBe('rejected');
    expect(out.entry.changes).toEqual([]);
    expect(String(slack.requests.at(-1)?.body.text)).toContain('rejected: nothing changed');
  });

  it('a Slack outage (HTTP 500) and a Datadog outage (connection refused) are retried with a bound, recorded, and never thrown', async () => {
    // Prepare
    const execution = `${EXECUTION}-outage`;
    slack.failWith(500);
    const downDatadog = datadogClient({ url: await deadOrigin() });
    const outageDeps = { ...deps, datadog: downDatadog };

    // Act
    const out = await reportPhase({ phase: 'started', execution, input: input() }, outageDeps);

    // Assess
    expect(slack.paths()).toEqual(Array(3).fill('/api/chat.postMessage'));
    expect(out.slack).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('HTTP 500'),
    });
    expect(out.datadog).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('ECONNREFUSED'),
    });
    const [entry] = await audit.store.runEntries(execution);
    expect(entry?.delivery.slack.status).toBe('failed');
    expect(entry?.delivery.datadog.status).toBe('failed');
  });

  it('the other way round (Slack refusing connections, Datadog answering 500) is retried, recorded and not thrown either', async () => {
    // Prepare
    const execution = `${EXECUTION}-outage-2`;
    datadog.failWith(500);
    const downSlack = slackClient({ url: await deadOrigin() });

    // Act
    const out = await reportPhase(
      { phase: 'started', execution, input: input() },
      { ...deps, slack: downSlack },
    );

    // Assess
    expect(datadog.paths()).toEqual(Array(3).fill('/api/v1/events'));
    expect(out.slack).toMatchObject({ status: 'failed', attempts: 3 });
    expect(out.datadog).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('HTTP 500'),
    });
    expect((await audit.store.runEntries(execution))[0]?.delivery).toMatchObject({
      slack: { status: 'failed' },
      datadog: { status: 'failed' },
    });
  });

  it('a retried invocation of a phase already reported repeats nothing: no message, no event, no entry', async () => {
    // Prepare
    const execution = `${EXECUTION}-retry`;
    const event: ReportEvent = { phase: 'started', execution, input: input() };
    await reportPhase(event, deps);
    const slackCalls = slack.requests.length;
    const datadogCalls = datadog.requests.length;

    // Act
    const again = await reportPhase(event, deps);

    // Assess
    expect(again.status).toBe('duplicate');
    expect(slack.requests.length).toBe(slackCalls);
    expect(datadog.requests.length).toBe(datadogCalls);
    expect(await audit.store.runEntries(execution)).toHaveLength(1);
  });

  it('a critical notify reaches Slack and Datadog with who / what / where', async () => {
    // Prepare
    const raw = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../events/samples/cloudtrail/cloudtrail-stoplogging.json'),
        'utf8',
      ),
    );
    const signal = normaliseEvent(raw);
    const decision: Decision = {
      action: 'notify',
      dryRun: false,
      severity: 'critical',
      reasons: ['CloudTrail logging was stopped'],
      guards: [],
    };

    // Act
    const out = await notify(signal, decision, {
      slack: deps.slack,
      datadog: deps.datadog,
      channel: CHANNEL,
      stage: 'dev',
      logger: output.logger,
    });

    // Assess
    expect(out.slack.status).toBe('sent');
    expect(out.datadog.status).toBe('sent');
    expect(slack.paths()).toEqual(['/api/chat.postMessage']);
    expect(slack.requests[0]?.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(slack.requests[0]?.body.channel).toBe(CHANNEL);
    const blocks = JSON.stringify(slack.requests[0]?.body.blocks);
    expect(blocks).toContain('*Who:*');
    expect(blocks).toContain(signal.actor?.name ?? signal.actor?.id ?? '?');
    expect(blocks).toContain(`*Where:* ${signal.resource.type} ${signal.resource.id}`);
    expect(blocks).toContain('StopLogging');
    const event = datadog.requests[0];
    expect(event?.path).toBe('/api/v1/events');
    expect(event?.headers['dd-api-key']).toBe(DD_API_KEY);
    expect(event?.body).toMatchObject({ alert_type: 'error', aggregation_key: signal.correlationId });
    expect(event?.body.tags).toEqual(
      expect.arrayContaining(['severity:critical', 'source:cloudtrail', 'event_name:stoplogging']),
    );
  });

  it('a critical notify during a Slack outage still reaches Datadog and does not throw', async () => {
    // Prepare
    slack.failWith(503);
    const raw = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../events/samples/cloudtrail/kms-schedulekeydeletion.json'),
        'utf8',
      ),
    );
    const signal = normaliseEvent(raw);

    // Act
    const out = await notify(
      signal,
      {
        action: 'notify',
        dryRun: false,
        severity: 'critical',
        reasons: ['KMS key scheduled for deletion'],
        guards: [],
      },
      { slack: deps.slack, datadog: deps.datadog, channel: CHANNEL, stage: 'dev', logger: output.logger },
    );

    // Assess
    expect(out.slack).toMatchObject({ status: 'failed', attempts: 3 });
    expect(out.datadog.status).toBe('sent');
    expect(output.lines.join('\n')).toContain('notification not fully delivered');
  });

  it('no secret value, token, password, task token or response_url leaves: not in Slack, Datadog, the audit record or the logs', async () => {
    // Prepare: secrets fed in everywhere a careless run could carry them
    clearRegisteredSecretValues();
    registerSecretValue(SLACK_TOKEN);
    registerSecretValue(DD_API_KEY);
    const execution = `${EXECUTION}-secrets`;
    const leaky = input({
      runbook: 'rotate-secret',
      resourceKey: 'dev/rds/app-user',
      parameters: { secretId: 'dev/rds/app-user', taskToken: TASK_TOKEN, reason: `password=${DB_PASSWORD}` },
      trigger: {
        ...input().trigger,
        source: 'slack',
        requestedBy: 'U0PLATFORM1',
        summary: `rotate please, token ${SLACK_TOKEN}`,
        slack: { channel: CHANNEL, responseUrl: RESPONSE_URL },
      },
      reasons: [`old secret was ${DB_PASSWORD}`],
    });
    registerSecretValue(DB_PASSWORD);

    // Act
    await reportPhase({ phase: 'started', execution, input: leaky }, deps);
    await reportPhase(
      {
        phase: 'succeeded',
        execution,
        input: leaky,
        result: {
          outcome: 'succeeded',
          summary: `rotated; new value ${DB_PASSWORD}`,
          changes: [
            {
              action: 'secretsmanager:RotateSecret',
              resource: 'dev/rds/app-user',
              before: { versionId: 'v1', password: DB_PASSWORD },
              after: { versionId: 'v2', SecretString: `{"username":"app","password":"${DB_PASSWORD}"}` },
            },
          ],
        },
      },
      deps,
    );
    await reportPhase(
      {
        phase: 'failed',
        execution: `${execution}-2`,
        input: leaky,
        error: { Error: 'X', Cause: `Bearer ${SLACK_TOKEN} ${TASK_TOKEN}` },
      },
      deps,
    );

    // Assess
    const leaving = [
      ...slack.requests.map((r) => r.raw),
      ...datadog.requests.map((r) => r.raw),
      ...[...audit.ledger.objects.values()].flat(),
      JSON.stringify(await audit.store.runEntries(execution)),
      JSON.stringify(await audit.store.runEntries(`${execution}-2`)),
      ...output.lines,
    ].join('\n');
    expect(leaving.length).toBeGreaterThan(1000);
    for (const secret of [
      DB_PASSWORD,
      SLACK_TOKEN,
      DD_API_KEY,
      TASK_TOKEN,
      RESPONSE_URL,
      'NeverLeaveThisUrl',
    ]) {
      expect(leaving).not.toContain(secret);
    }
    // What was cut is visibly marked, and what names the secret (not its value) is kept for the audit.
    expect(leaving).toContain('[REDACTED]');
    expect(leaving).toContain('dev/rds/app-user');
    clearRegisteredSecretValues();
  });

  it('the shared logger every function uses redacts whatever it is handed', () => {
    // Prepare
    clearRegisteredSecretValues();
    registerSecretValue(DB_PASSWORD);

    // Act: at INFO for this line (the suite runs quiet, vitest.config.ts)
    sharedLogger.setLogLevel('INFO');
    sharedLogger.info('careless line', {
      password: DB_PASSWORD,
      input: { taskToken: TASK_TOKEN, trigger: { slack: { responseUrl: RESPONSE_URL } } },
      note: `token ${SLACK_TOKEN} and ${DB_PASSWORD}`,
      secretId: 'dev/rds/app-user',
    });

    // Assess
    const printed = output.lines.join('\n');
    expect(printed).toContain('careless line');
    expect(printed).toContain('dev/rds/app-user');
    for (const secret of [DB_PASSWORD, SLACK_TOKEN, TASK_TOKEN, RESPONSE_URL])
      expect(printed).not.toContain(secret);
    sharedLogger.setLogLevel('SILENT');
    clearRegisteredSecretValues();
  });

  it('inside a real run, a Slack and Datadog outage neither fails nor repeats the remediation', async () => {
    // Prepare: the frame every runbook runs in, its report steps bound to the real report core
    const stack = workflowStack('ReportOutage');
    const fn = (id: string) =>
      lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
    const frame = new RunbookFrame(stack, 'Frame', {
      runbook: 'scale-node-group',
      namePrefix: 'ops-dev',
      hooks: { report: fn('Report'), approval: fn('Approval') },
      approvalTimeout: Duration.minutes(30),
      timeout: Duration.hours(1),
      body: (scope, { fail, done }) => {
        const scale = new tasks.CallAwsService(scope, 'Scale node group', {
          service: 'eks',
          action: 'updateNodegroupConfig',
          parameters: {
            ClusterName: 'dev-platform',
            NodegroupName: 'dev-platform-a',
            ScalingConfig: { MinSize: 1, MaxSize: 6, DesiredSize: 4 },
          },
          iamResources: ['arn:aws:eks:eu-west-1:111111111111:nodegroup/dev-platform/*'],
          resultPath: '$.update',
        });
        scale.addCatch(fail('Scale failed'), { resultPath: '$.error' });
        return scale.next(
          new sfn.Pass(scope, 'Build result', {
            parameters: { outcome: 'succeeded', summary: 'scaled', changes: [] },
            resultPath: '$.result',
          }).next(done),
        );
      },
    });
    const asl = renderAsl(frame.stateMachine);
    slack.failWith(500);
    const outageDeps = { ...deps, datadog: datadogClient({ url: await deadOrigin() }) };
    const report: TaskHandler = async (payload) =>
      (await reportPhase(ReportEventSchema.parse(payload), outageDeps)).status;
    const execution = `${EXECUTION}-frame`;

    // Act
    const out = await runAsl(asl, input(), {
      handlers: {
        'Announce start': report,
        'Report result': report,
        'Report failure': report,
        'Report rejection': report,
        'Request approval': () => ({}),
        'Scale node group': () => ({ Update: { Id: 'u-1', Status: 'InProgress' } }),
      },
      context: { Execution: { Name: execution, StartTime: '2026-11-22T20:00:02Z' } },
    });

    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Scale node group']).toBe(1);
    expect(out.calls['Announce start']).toBe(1);
    expect(out.calls['Report result']).toBe(1);
    const entries = await audit.store.runEntries(execution);
    expect(entries.map((e) => `${e.phase}:${e.delivery.slack.status}:${e.delivery.datadog.status}`)).toEqual([
      'started:failed:failed',
      'succeeded:failed:failed',
    ]);
    // The frame hands the execution's start time to every report (the local runner sets its own clock).
    expect(entries[0]?.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
  });
});
