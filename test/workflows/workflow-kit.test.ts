import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describe, expect, it } from 'vitest';
import { PollLoop, RunbookFrame } from '../../runbooks/workflow-kit.js';
import { type AslDefinition, awsError, renderAsl, runAsl, workflowStack } from '../support/local-sfn.js';

function buildFrame(): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const frame = new RunbookFrame(stack, 'Frame', {
    runbook: 'demo',
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    approvalTimeout: Duration.minutes(30),
    timeout: Duration.hours(1),
    body: (scope, { fail, done }) => {
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
    },
  });
  return renderAsl(frame.stateMachine);
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
