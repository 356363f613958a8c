import { randomBytes } from 'node:crypto';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalRequestEvent, requestApproval } from '../../functions/approval/core.js';
import { ACTION } from '../../functions/approval/messages.js';
import { closeApprovalsOf } from '../../functions/slack/run-ended.js';
import { RunbookFrame } from '../../runbooks/workflow-kit.js';
import {
  buttonClick,
  CHANNEL,
  type Harness,
  ONCALL,
  PLATFORM_1,
  PLATFORM_2,
  signedHeaders,
  silentLogger,
  startHarness,
} from '../integration/slack-harness.js';
import {
  type AslDefinition,
  awsError,
  type RunOutcome,
  renderAsl,
  runAsl,
  workflowStack,
} from '../support/local-sfn.js';
import type { SlackCall } from '../support/slack-api-server.js';

/**
 * The approval round trip through a runbook workflow executed locally: the frame's "Request
 * approval" step runs the real approval hook (token stored in dynalite, buttons posted to a
 * local Slack), a button click goes through the real Slack endpoint (signed HTTP request) and
 * worker, and the worker's SendTaskSuccess / SendTaskFailure completes the waiting step.
 */

const APPROVAL_MINUTES = 30;

function buildWorkflow(): AslDefinition {
  const stack = workflowStack('ApprovalTest');
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const frame = new RunbookFrame(stack, 'Frame', {
    runbook: 'update-dns',
    namePrefix: 'ops-dev',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    approvalTimeout: Duration.minutes(APPROVAL_MINUTES),
    timeout: Duration.hours(1),
    body: (scope, { fail, done }) => {
      const change = new tasks.CallAwsService(scope, 'Change the record', {
        service: 'route53',
        action: 'changeResourceRecordSets',
        parameters: {
          HostedZoneId: 'Z0EXAMPLE',
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: 'app.example.com.',
                  Type: 'CNAME',
                  Ttl: 60,
                  ResourceRecords: [{ Value: 'ingress.example.net' }],
                },
              },
            ],
          },
        },
        iamResources: ['arn:aws:route53:::hostedzone/Z0EXAMPLE'],
        resultPath: '$.change',
      });
      change.addCatch(fail('Change failed'), { resultPath: '$.error' });
      return change.next(
        new sfn.Pass(scope, 'Build result', {
          parameters: { outcome: 'succeeded', summary: 'record re-pointed', changes: [] },
          resultPath: '$.result',
        }).next(done),
      );
    },
  });
  return renderAsl(frame.stateMachine);
}

/** Task tokens the local run is waiting on → how to complete them (what Step Functions does). */
const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

let h: Harness;
let asl: AslDefinition;
beforeAll(async () => {
  h = await startHarness();
  asl = buildWorkflow();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(() => {
  h.now = Date.now();
  h.sfn.reset();
  h.slack.calls.length = 0;
  h.sfn.on(SendTaskSuccessCommand).callsFake((input: { taskToken: string; output: string }) => {
    const w = waiting.get(input.taskToken);
    if (!w) throw awsError('TaskDoesNotExist', 'no such task');
    waiting.delete(input.taskToken);
    w.resolve(JSON.parse(input.output));
    return {};
  });
  h.sfn.on(SendTaskFailureCommand).callsFake((input: { taskToken: string; error: string; cause: string }) => {
    const w = waiting.get(input.taskToken);
    if (!w) throw awsError('TaskDoesNotExist', 'no such task');
    waiting.delete(input.taskToken);
    w.reject(awsError(input.error, input.cause));
    return {};
  });
});

interface Run {
  readonly token: string;
  readonly outcome: Promise<RunOutcome>;
  readonly phases: string[];
  readonly bodyRan: () => boolean;
  /** Resolves once the approval hook has returned (message posted, record complete). */
  readonly requested: Promise<void>;
}

function startRun(trigger: Record<string, unknown>): Run {
  const token = `AQ${randomBytes(60).toString('base64url')}`;
  const phases: string[] = [];
  let changed = false;
  let hookDone!: () => void;
  const requested = new Promise<void>((resolve) => {
    hookDone = resolve;
  });
  const report = (i: unknown) => void phases.push((i as { phase: string }).phase);
  const outcome = runAsl(
    asl,
    {
      runbook: 'update-dns',
      stage: 'dev',
      mode: 'approval',
      dryRun: false,
      executionName: `update-dns-${randomBytes(6).toString('hex')}-20261122T2000Z`,
      resourceKey: 'dev.example.com/app.dev.example.com/A',
      parameters: { zoneName: 'dev.example.com', recordName: 'app.dev.example.com', recordType: 'A' },
      reasons: ['ingress load balancer replaced'],
      trigger: {
        source: 'slack',
        kind: 'slack.run-requested',
        correlationId: 't',
        occurredAt: new Date().toISOString(),
        summary: 's',
        ...trigger,
      },
    },
    {
      context: { Task: { Token: token } },
      handlers: {
        'Announce start': report,
        'Report result': report,
        'Report failure': report,
        'Report rejection': report,
        // The real approval hook, then wait as waitForTaskToken does, until someone answers the token.
        'Request approval': async (payload) => {
          const answered = new Promise((resolve, reject) => waiting.set(token, { resolve, reject }));
          await requestApproval(ApprovalRequestEvent.parse(payload), {
            store: h.approvals,
            slack: h.slackApi,
            channel: CHANNEL,
            approvalTimeoutMinutes: APPROVAL_MINUTES,
            logger: silentLogger,
            nowMs: () => h.now,
          });
          hookDone();
          return answered;
        },
        'Change the record': () => {
          changed = true;
          return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } };
        },
      },
    },
  );
  return { token, outcome, phases, bodyRan: () => changed, requested };
}

const isApprovalRequest = (c: SlackCall) =>
  c.method === 'chat.postMessage' && JSON.stringify(c.body).includes(ACTION.approve);

/** Waits for the approval message and returns it with the approval id its buttons carry. */
async function approvalMessage(run: Run): Promise<{ call: SlackCall; id: string; ts: string }> {
  await run.requested;
  const call = h.slack.calls.find(isApprovalRequest) as SlackCall;
  const blocks = call.body.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTION.approve);
  const ts = (await h.approvals.get(button?.value ?? ''))?.message?.ts ?? '';
  return { call, id: button?.value ?? '', ts };
}

async function click(
  action: 'approve' | 'reject',
  id: string,
  user: string,
  ts: string,
  responseUrl = h.slack.responseUrl(),
) {
  const body = buttonClick(action === 'approve' ? ACTION.approve : ACTION.reject, id, user, responseUrl, ts);
  const res = await h.post(body, signedHeaders(body, h.now));
  await h.settled();
  return res;
}

const responseTo = (url: string) =>
  h.slack.calls.filter((c) => c.method === 'response_url' && url.endsWith(c.path));

describe('approval: round trip through a runbook workflow', () => {
  it('waits for approval; another allowed user approves; the run continues and the message shows who approved', async () => {
    // Prepare
    const run = startRun({
      requestedBy: PLATFORM_1,
      slack: { channel: CHANNEL, threadTs: '1700000000.000100' },
    });
    const { call, id, ts } = await approvalMessage(run);

    // Act
    const res = await click('approve', id, PLATFORM_2, ts);
    const out = await run.outcome;

    // Assess
    expect(res.status).toBe(200);
    expect(out.status).toBe('SUCCEEDED');
    expect(run.bodyRan()).toBe(true);
    expect(run.phases).toEqual(['started', 'succeeded']);
    expect(call.body).toMatchObject({
      channel: CHANNEL,
      thread_ts: '1700000000.000100',
      reply_broadcast: 'true',
    });
    expect(h.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: run.token });
    const output = JSON.parse(h.sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output).toMatchObject({ approved: true, approver: PLATFORM_2 });
    const update = h.slack.callsOf('chat.update')[0];
    expect(update?.body).toMatchObject({ channel: CHANNEL, ts });
    expect(JSON.stringify(update?.body.blocks)).toContain(`Approved* by <@${PLATFORM_2}>`);
    expect(JSON.stringify(update?.body.blocks)).not.toContain(ACTION.approve);
    // The token never reaches Slack: only the random approval id does.
    expect(JSON.stringify(h.slack.calls)).not.toContain(run.token);
    expect((await h.approvals.get(id))?.status).toBe('approved');
  });

  it('a rejection ends the run through the frame rejection path, and nothing is changed', async () => {
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);

    await click('reject', id, PLATFORM_2, ts);
    const out = await run.outcome;

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApprovalRejected');
    expect(run.bodyRan()).toBe(false);
    expect(run.phases).toEqual(['started', 'rejected']);
    expect(h.sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: run.token,
      error: 'ApprovalRejected',
    });
    expect(JSON.stringify(h.slack.callsOf('chat.update')[0]?.body.blocks)).toContain(
      `Rejected* by <@${PLATFORM_2}>`,
    );
  });

  it('refuses self-approval (the requester cannot approve their own run); another approver still can', async () => {
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);
    const selfUrl = h.slack.responseUrl('self');

    const self = await click('approve', id, PLATFORM_1, ts, selfUrl);

    expect(self.status).toBe(200);
    expect(h.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(responseTo(selfUrl)[0]?.body).toMatchObject({
      text: 'You asked for this run: someone else must approve it.',
    });
    expect((await h.approvals.get(id))?.status).toBe('pending');

    await click('approve', id, PLATFORM_2, ts);
    expect((await run.outcome).status).toBe('SUCCEEDED');
  });

  it('refuses an approver who may not approve that runbook', async () => {
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);
    const url = h.slack.responseUrl('oncall');

    await click('approve', id, ONCALL, ts, url);

    expect(h.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(responseTo(url)[0]?.body.text).toBe(`<@${ONCALL}> may not approve \`update-dns\` in *dev*.`);
    await click('reject', id, PLATFORM_2, ts);
    expect((await run.outcome).error).toBe('ApprovalRejected');
  });

  it('expires: a late click is refused and the buttons show expired; the task timeout rejects the run', async () => {
    // Prepare
    const askedAt = h.now;
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);
    const record = await h.approvals.get(id);
    const url = h.slack.responseUrl('late');
    h.now += (APPROVAL_MINUTES * 60 + 1) * 1000;

    // Act: a late approval, then Step Functions' task timeout for the step (same length as the expiry).
    await click('approve', id, PLATFORM_2, ts, url);
    waiting.get(run.token)?.reject(awsError('States.Timeout', 'Task timed out'));
    const out = await run.outcome;

    // Assess
    expect(asl.States['Request approval']?.TimeoutSeconds).toBe(APPROVAL_MINUTES * 60);
    expect(record?.expiresAt).toBe(Math.floor(askedAt / 1000) + APPROVAL_MINUTES * 60);
    expect(h.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(responseTo(url)[0]?.body.text).toContain('expired');
    expect(JSON.stringify(h.slack.callsOf('chat.update')[0]?.body.blocks)).toContain('*Expired*');
    expect((await h.approvals.get(id))?.status).toBe('expired');
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApprovalRejected');
    expect(run.phases).toEqual(['started', 'rejected']);
    expect(run.bodyRan()).toBe(false);
  });

  it('an automatic run (no Slack thread) asks in the configured channel', async () => {
    const run = startRun({ source: 'cloudtrail', requestedBy: 'arn:aws:iam::111111111111:role/ci' });
    const { call, id, ts } = await approvalMessage(run);

    expect(call.body.channel).toBe(CHANNEL);
    expect(call.body.thread_ts).toBeUndefined();
    expect(JSON.stringify(call.body.blocks)).toContain('`arn:aws:iam::111111111111:role/ci`');
    await click('approve', id, PLATFORM_1, ts);
    expect((await run.outcome).status).toBe('SUCCEEDED');
  });

  it('a second click after the decision changes nothing', async () => {
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);
    await click('approve', id, PLATFORM_2, ts);
    await run.outcome;
    const url = h.slack.responseUrl('again');

    await click('reject', id, PLATFORM_1, ts, url);

    expect(h.sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(h.sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(responseTo(url)[0]?.body.text).toBe(`This request was already approved by <@${PLATFORM_2}>.`);
  });

  it('expires without a click: when the timed-out run ends, its approval is closed and the buttons say Expired', async () => {
    // Prepare
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id, ts } = await approvalMessage(run);
    h.now += (APPROVAL_MINUTES * 60 + 1) * 1000;
    waiting.get(run.token)?.reject(awsError('States.Timeout', 'Task timed out'));
    const out = await run.outcome;
    const execution = (await h.approvals.get(id))?.execution ?? '';

    // Act: the rule delivers Step Functions' status change for the ended run to the worker.
    const closed = await closeApprovalsOf(execution, 'FAILED', h.workerDeps);

    // Assess
    expect(out.error).toBe('ApprovalRejected');
    expect(closed).toBe(1);
    expect((await h.approvals.get(id))?.status).toBe('expired');
    const update = h.slack.callsOf('chat.update')[0];
    expect(update?.body).toMatchObject({ channel: CHANNEL, ts });
    expect(JSON.stringify(update?.body.blocks)).toContain('*Expired*');
    expect(JSON.stringify(update?.body.blocks)).not.toContain(ACTION.approve);
    expect(await closeApprovalsOf(execution, 'FAILED', h.workerDeps)).toBe(0);
  });

  it('a run stopped while waiting closes its approval as Closed (not expired)', async () => {
    const run = startRun({ requestedBy: PLATFORM_1, slack: { channel: CHANNEL } });
    const { id } = await approvalMessage(run);
    waiting.get(run.token)?.reject(awsError('States.Runtime', 'execution aborted'));
    await run.outcome;

    await closeApprovalsOf((await h.approvals.get(id))?.execution ?? '', 'ABORTED', h.workerDeps);

    expect((await h.approvals.get(id))?.status).toBe('closed');
    expect(JSON.stringify(h.slack.callsOf('chat.update')[0]?.body.blocks)).toContain(
      'the run ended (ABORTED)',
    );
  });
});
