import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describe, expect, it } from 'vitest';
import { POLL_START, PollLoop, RunbookFrame, type RunbookFrameProps } from '../../runbooks/workflow-kit.js';
import {
  type AslDefinition,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';

/** The demo runbook's frame around `body`, rendered. */
function renderFrame(body: RunbookFrameProps['body']): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const frame = new RunbookFrame(stack, 'Frame', {
    runbook: 'demo',
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    approvalTimeout: Duration.minutes(30),
    timeout: Duration.hours(1),
    body,
  });
  return renderAsl(frame.stateMachine);
}

function buildFrame(): AslDefinition {
  return renderFrame((scope, { fail, done }) => {
    const check = new tasks.CallAwsService(scope, 'Read thing', {
      service: 'ec2',
      action: 'describeSnapshots',
      parameters: { 'SnapshotIds.$': 'States.Array($.input.parameters.snapshotId)' },
      iamResources: ['*'],
      resultSelector: { 'State.$': '$.Snapshots[0].State' },
      resultPath: '$.thing',
    });
    const finish = new sfn.Pass(scope, 'Build result', {
      parameters: { outcome: 'succeeded', summary: 'done', changes: [] },
      resultPath: '$.result',
    }).next(done);
    const loop = new PollLoop(scope, 'Thing', {
      check,
      done: sfn.Condition.stringEquals('$.thing.State', 'completed'),
      failed: sfn.Condition.stringEquals('$.thing.State', 'error'),
      maxPolls: 4,
      firstWait: Duration.seconds(5),
      backoff: 2,
      maxWait: Duration.seconds(30),
      onDone: finish,
      onFailed: fail('Thing failed'),
      onTimeout: new sfn.Pass(scope, 'Timed out', {
        parameters: { Error: 'PollTimeout', Cause: 'thing never completed' },
        resultPath: '$.error',
      }).next(fail('Thing timed out')),
    });
    check.addCatch(fail('Read failed'), { resultPath: '$.error' });
    return loop.start;
  });
}

const input = (mode: 'auto' | 'approval') => ({
  runbook: 'demo',
  mode,
  parameters: { snapshotId: 'snap-0123456789abcdef0' },
  dryRun: false,
});

describe('workflow kit: the frame every runbook runs in', () => {
  const asl = buildFrame();

  it('runs the body and reports success in auto mode', async () => {
    const reports: unknown[] = [];
    const states = ['pending', 'pending', 'completed'];
    const out = await runAsl(asl, input('auto'), {
      handlers: {
        'Announce start': (i) => void reports.push(i),
        'Report result': (i) => void reports.push(i),
        'Report failure': (i) => void reports.push(i),
        'Report rejection': () => undefined,
        'Request approval': () => ({ approved: true }),
        'Read thing': () => ({ Snapshots: [{ State: states.shift() }] }),
      },
    });
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toEqual({ outcome: 'succeeded', summary: 'done', changes: [] });
    expect(out.calls['Read thing']).toBe(3);
    expect(out.calls['Request approval']).toBeUndefined();
    expect(reports.map((r) => (r as { phase: string }).phase)).toEqual(['started', 'succeeded']);
  });

  it('bounds polling: gives up after maxPolls and fails through the shared failure path', async () => {
    const phases: string[] = [];
    const out = await runAsl(asl, input('auto'), {
      handlers: {
        'Announce start': () => undefined,
        'Report result': () => undefined,
        'Report failure': (i) => void phases.push((i as { phase: string }).phase),
        'Report rejection': () => undefined,
        'Request approval': () => ({}),
        'Read thing': () => ({ Snapshots: [{ State: 'pending' }] }),
      },
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(out.calls['Read thing']).toBe(4);
    expect(phases).toEqual(['failed']);
  });

  it('waits for approval in approval mode, and a rejection ends the run without touching anything', async () => {
    const out = await runAsl(asl, input('approval'), {
      handlers: {
        'Announce start': () => undefined,
        'Report result': () => undefined,
        'Report failure': () => undefined,
        'Report rejection': () => undefined,
        'Request approval': () => {
          throw awsError('ApprovalRejected', 'rejected by U0PLATFORM2');
        },
        'Read thing': () => ({ Snapshots: [{ State: 'completed' }] }),
      },
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApprovalRejected');
    expect(out.calls['Read thing']).toBeUndefined();
  });

  it('a failing AWS call is caught and reported, never silently passed', async () => {
    const out = await runAsl(asl, input('auto'), {
      handlers: {
        'Announce start': () => undefined,
        'Report result': () => undefined,
        'Report failure': () => undefined,
        'Report rejection': () => undefined,
        'Request approval': () => ({}),
        'Read thing': () => {
          throw awsError('Ec2.UnauthorizedOperation', 'not allowed');
        },
      },
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Ec2.UnauthorizedOperation');
    expect(out.path).toContain('Report failure');
  });

  it('a fake answering what AWS could not (a field DescribeSnapshots does not return) fails the test, though the workflow catches it', async () => {
    const run = runAsl(asl, input('auto'), {
      handlers: {
        'Announce start': () => undefined,
        'Report result': () => undefined,
        'Report failure': () => undefined,
        'Report rejection': () => undefined,
        'Request approval': () => ({}),
        'Read thing': () => ({ State: 'completed' }),
      },
    });
    await expect(run).rejects.toThrow(
      "Read thing (fake's answer): ec2:describeSnapshots result.State: not a member of DescribeSnapshotsResult",
    );
  });
});

/**
 * A body that routes with `tools.route` (the approval gate merged into its own Choice) and starts
 * its poll counter in the task before the loop (`counterAt`), with a `doneRoutes` rule.
 */
function buildRoutedFrame(): AslDefinition {
  return renderFrame((scope, { fail, done, route }) => {
    const create = new tasks.CallAwsService(scope, 'Create thing', {
      service: 'ec2',
      action: 'createSnapshot',
      parameters: { 'VolumeId.$': '$.input.parameters.volumeId' },
      iamResources: ['*'],
      resultSelector: { 'SnapshotId.$': '$.SnapshotId', poll: POLL_START },
      resultPath: '$.thing',
    });
    const check = new tasks.CallAwsService(scope, 'Read thing', {
      service: 'ec2',
      action: 'describeSnapshots',
      parameters: { 'SnapshotIds.$': 'States.Array($.thing.SnapshotId)' },
      iamResources: ['*'],
      resultSelector: { 'State.$': '$.Snapshots[0].State' },
      resultPath: '$.status',
    });
    const finish = (id: string, summary: string) =>
      new sfn.Pass(scope, id, {
        parameters: { outcome: 'succeeded', summary, changes: [] },
        resultPath: '$.result',
      }).next(done);
    const loop = new PollLoop(scope, 'Thing', {
      check,
      done: sfn.Condition.stringEquals('$.status.State', 'completed'),
      maxPolls: 3,
      firstWait: Duration.seconds(5),
      backoff: 2,
      maxWait: Duration.seconds(30),
      counterAt: '$.thing.poll',
      doneRoutes: [
        {
          when: sfn.Condition.and(
            sfn.Condition.isPresent('$.input.parameters.copy'),
            sfn.Condition.booleanEquals('$.input.parameters.copy', true),
          ),
          next: finish('Copied', 'copied'),
        },
      ],
      onDone: finish('Kept', 'kept'),
      onTimeout: new sfn.Pass(scope, 'Timed out', {
        parameters: { Error: 'PollTimeout', Cause: 'thing never completed' },
        resultPath: '$.error',
      }).next(fail('Thing timed out')),
    });
    create.addCatch(fail('Create failed'), { resultPath: '$.error' });
    check.addCatch(fail('Read failed'), { resultPath: '$.error' });
    create.next(loop.start);
    return route('Which thing?')
      .when(sfn.Condition.isPresent('$.input.parameters.volumeId'), create)
      .otherwise(finish('Nothing to do', 'nothing'));
  });
}

describe('workflow kit: merged bookkeeping states (issue 17)', () => {
  const asl = buildRoutedFrame();
  const routedInput = (mode: 'auto' | 'approval', parameters: Record<string, unknown>) => ({
    runbook: 'demo',
    mode,
    parameters,
    dryRun: false,
  });
  const handlers = (states: string[], extra: Record<string, TaskHandler> = {}) => {
    const reports: { phase: string; input?: unknown; approval?: unknown }[] = [];
    const report: TaskHandler = (i) => void reports.push(i as (typeof reports)[number]);
    return {
      reports,
      handlers: {
        'Announce start': report,
        'Report result': report,
        'Report failure': report,
        'Report rejection': report,
        'Request approval': () => ({ approved: true, approver: 'U0PLATFORM2', at: '2026-12-07T13:00:00Z' }),
        'Create thing': () => ({ SnapshotId: 'snap-0123456789abcdef0' }),
        'Read thing': () => ({ Snapshots: [{ State: states.shift() ?? 'completed' }] }),
        ...extra,
      } as Record<string, TaskHandler>,
    };
  };

  it('auto mode: Announce start builds the run state, the body routes at once, the poll counter starts in the task before it', async () => {
    const h = handlers(['pending', 'completed']);
    const input = routedInput('auto', { volumeId: 'vol-0123456789abcdef0' });
    const out = await runAsl(asl, input, { handlers: h.handlers });
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toEqual({ outcome: 'succeeded', summary: 'kept', changes: [] });
    // Written out by hand: one read, a back-off Pass, a wait, a second read.
    expect(out.path).toEqual([
      'Announce start',
      'Which thing?',
      'Create thing',
      'Read thing',
      'Thing: done?',
      'Thing: back off',
      'Thing: wait',
      'Read thing',
      'Thing: done?',
      'Kept',
      'Report result',
      'Succeeded',
    ]);
    expect(h.reports.map((r) => r.phase)).toEqual(['started', 'succeeded']);
    // Every report carries the execution input and the approval state, as "Prepare run" used to set them.
    for (const r of h.reports) {
      expect(r.input).toEqual(input);
      expect(r.approval).toEqual({ status: 'not-requested' });
    }
  });

  it('approval mode: the routing Choice sends the run to approval first, then routes the approved run', async () => {
    const h = handlers(['completed']);
    const out = await runAsl(
      asl,
      routedInput('approval', { volumeId: 'vol-0123456789abcdef0', copy: true }),
      {
        handlers: h.handlers,
      },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(out.path.slice(0, 5)).toEqual([
      'Announce start',
      'Which thing?',
      'Request approval',
      'Which thing?',
      'Create thing',
    ]);
    // The done? Choice routed onward (doneRoutes) without a Choice of its own.
    expect(out.output).toEqual({ outcome: 'succeeded', summary: 'copied', changes: [] });
    expect(h.reports.at(-1)?.approval).toEqual({
      approved: true,
      approver: 'U0PLATFORM2',
      at: '2026-12-07T13:00:00Z',
    });
  });

  it('approval mode: a rejection at the routing Choice changes nothing', async () => {
    const h = handlers([], {
      'Request approval': () => {
        throw awsError('ApprovalRejected', 'rejected by U0PLATFORM2');
      },
    });
    const out = await runAsl(asl, routedInput('approval', { volumeId: 'vol-0123456789abcdef0' }), {
      handlers: h.handlers,
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApprovalRejected');
    expect(out.calls['Create thing']).toBeUndefined();
  });

  it('a poll counter started by the task before the loop still bounds it at maxPolls', async () => {
    const h = handlers(Array(10).fill('pending'));
    const out = await runAsl(asl, routedInput('auto', { volumeId: 'vol-0123456789abcdef0' }), {
      handlers: h.handlers,
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(out.calls['Read thing']).toBe(3);
  });

  it('waits firstWait before the second read, then grows by the back-off, capped', () => {
    // firstWait 5 s, backoff 2, maxWait 30 s, 3 polls: waits of 5 then 10 s (a leading 0 for index 0).
    const backOff = asl.States['Thing: back off'] as unknown as { Parameters: Record<string, string> };
    expect(backOff.Parameters['waitSeconds.$']).toBe(
      'States.ArrayGetItem(States.Array(0, 5, 10, 20), $.thing.poll.count)',
    );
  });

  it('a failing Announce start still reports the failure with the execution input', async () => {
    const input = routedInput('auto', { volumeId: 'vol-0123456789abcdef0' });
    const h = handlers([], {
      'Announce start': () => {
        throw awsError('Lambda.Unknown', 'reporter crashed');
      },
    });
    const out = await runAsl(asl, input, { handlers: h.handlers });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Lambda.Unknown');
    expect(out.path).toEqual(['Announce start', 'Announce failed', 'Report failure', 'Failed']);
    expect(h.reports).toHaveLength(1);
    expect(h.reports[0]).toMatchObject({ phase: 'failed', input, approval: { status: 'not-requested' } });
  });
});
