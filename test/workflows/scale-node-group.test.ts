import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { scheduleSignal } from '../../events/sources/schedule/normalise.js';
import { ScaleNodeGroupParameters } from '../../runbooks/scale-node-group/spec.js';
import { handler } from '../../runbooks/scale-node-group/steps/handler.js';
import { ScaleNodeGroupWorkflow } from '../../runbooks/scale-node-group/workflow.js';
import { expectResilientJsonPath } from '../support/asl-assertions.js';
import {
  type AslDefinition,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';

function build(scaleBackAfterMinutes = 60): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new ScaleNodeGroupWorkflow(stack, 'ScaleNodeGroup', {
    namePrefix: 'ops-test',
    stage: 'test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    stepFunction: fn('Steps'),
    nodeGroups: [
      {
        cluster: 'test-platform',
        nodegroup: 'test-platform-*',
        ceiling: 6,
        stepSize: 2,
        scaleBackAfterMinutes,
      },
    ],
    sizeParameterPrefix: '/ops/test/nodegroups',
    intakeFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ops-test-intake',
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

const nodegroup = (name: string, min: number, max: number, desired: number, status = 'ACTIVE') => ({
  Nodegroup: {
    NodegroupName: name,
    ClusterName: 'test-platform',
    Status: status,
    ScalingConfig: { MinSize: min, MaxSize: max, DesiredSize: desired },
  },
});

const input = (parameters: Record<string, unknown>, dryRun = false) => ({
  runbook: 'scale-node-group',
  stage: 'test',
  parameters,
  dryRun,
  mode: 'auto',
  executionName: 'scale-node-group-4f2a-20261122T2000',
  resourceKey: 'test-platform/*',
  trigger: {
    source: 'cluster-autoscaler',
    kind: 'NotTriggerScaleUp',
    correlationId: 'c1',
    occurredAt: '2026-11-22T20:00:00Z',
    summary: 'max node group size reached',
    requestedBy: 'cluster-autoscaler',
  },
  reasons: ['max node group size reached'],
});

interface Fakes {
  groups: Record<string, ReturnType<typeof nodegroup>>;
  updates: Record<string, unknown>[];
  parameters: Record<string, string>;
  schedules: Record<string, unknown>[];
  statuses?: string[];
}

function handlers(f: Fakes, overrides: Record<string, TaskHandler> = {}): Record<string, TaskHandler> {
  return {
    'Announce start': () => undefined,
    'Report result': () => undefined,
    'Report failure': () => undefined,
    'Report rejection': () => undefined,
    'Request approval': () => ({ approved: true }),
    'Plan scaling': (payload) => handler(payload),
    'List node groups': () => ({ Nodegroups: Object.keys(f.groups) }),
    'Describe node group': (p) => {
      const g = f.groups[(p as { NodegroupName: string }).NodegroupName];
      if (!g) throw awsError('Eks.ResourceNotFoundException', 'no such node group');
      return g;
    },
    'Update node group size': (p) => {
      f.updates.push(p as Record<string, unknown>);
      return { Update: { Id: `update-${f.updates.length}`, Status: 'InProgress' } };
    },
    'Read update status': () => ({ Update: { Status: f.statuses?.shift() ?? 'Successful', Errors: [] } }),
    'Record max size': (p) => {
      const { Name, Value } = p as { Name: string; Value: string };
      f.parameters[Name] = Value;
      return { Version: 2 };
    },
    'Record desired size': (p) => {
      const { Name, Value } = p as { Name: string; Value: string };
      f.parameters[Name] = Value;
      return { Version: 2 };
    },
    'Schedule scale-back': (p) => {
      f.schedules.push(p as Record<string, unknown>);
      return { ScheduleArn: 'arn:aws:scheduler:eu-west-1:111111111111:schedule/default/x' };
    },
    ...overrides,
  };
}

const fakes = (groups: Fakes['groups'], statuses?: string[]): Fakes => ({
  groups,
  updates: [],
  parameters: {},
  schedules: [],
  ...(statuses ? { statuses } : {}),
});

describe('scale-node-group: the workflow rendered from its construct, run locally', () => {
  const asl = build();

  it('retries and catches every task, and uses only JSONPath', () => {
    expectResilientJsonPath(asl, { minTasks: 5 });
  });

  it('finds the node group at its maximum, raises it by one step, records the sizes and schedules the scale-back', async () => {
    // Prepare
    const f = fakes(
      {
        'test-platform-a': nodegroup('test-platform-a', 1, 4, 4),
        'test-platform-b': nodegroup('test-platform-b', 1, 4, 2),
      },
      ['InProgress', 'Successful'],
    );
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform' }), { handlers: handlers(f) });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(f.updates).toHaveLength(1);
    expect(f.updates[0]).toMatchObject({
      ClusterName: 'test-platform',
      NodegroupName: 'test-platform-a',
      ScalingConfig: { MinSize: 1, MaxSize: 6, DesiredSize: 6 },
    });
    expect(String(f.updates[0]?.ClientRequestToken)).toMatch(/^[0-9a-f]{40}$/);
    expect(out.calls['Read update status']).toBe(2);
    expect(f.parameters).toEqual({
      '/ops/test/nodegroups/test-platform-a/max-size': '6',
      '/ops/test/nodegroups/test-platform-a/desired-size': '6',
    });
    const schedule = f.schedules[0] as {
      ScheduleExpression: string;
      ActionAfterCompletion: string;
      Target: { Arn: string; Input: string };
    };
    expect(schedule.ScheduleExpression).toMatch(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/);
    expect(schedule.ActionAfterCompletion).toBe('DELETE');
    // Through the intake: the schedule invokes it with the Scheduler input its normaliser reads.
    expect(schedule.Target.Arn).toBe('arn:aws:lambda:eu-west-1:111111111111:function:ops-test-intake');
    const delivered = schedule.Target.Input.replaceAll(
      '<aws.scheduler.schedule-arn>',
      'arn:aws:scheduler:eu-west-1:111111111111:schedule/default/ops-test-scale-back-1',
    ).replaceAll('<aws.scheduler.scheduled-time>', '2026-11-22T21:00:00Z');
    const signal = scheduleSignal(JSON.parse(delivered));
    expect(signal.request?.runbook).toBe('scale-node-group');
    expect(ScaleNodeGroupParameters.parse(signal.request?.parameters)).toMatchObject({
      cluster: 'test-platform',
      revertOf: 'scale-node-group-4f2a-20261122T2000',
      restore: {
        nodegroups: [
          { nodegroup: 'test-platform-a', minSize: 1, maxSize: 4, desiredSize: 4, expectMaxSize: 6 },
        ],
      },
    });
    const result = out.output as { outcome: string; changes: { before: unknown; after: unknown }[] };
    expect(result.outcome).toBe('succeeded');
    expect(result.changes[0]).toMatchObject({
      before: { minSize: 1, maxSize: 4, desiredSize: 4 },
      after: { minSize: 1, maxSize: 6, desiredSize: 6 },
    });
  });

  it('dry-run computes the new size and makes no mutating call', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 4, 4) });
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }, true), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({
      outcome: 'dry-run',
      changes: [{ after: { maxSize: 6, desiredSize: 6 } }],
    });
    expect(out.calls['Update node group size']).toBeUndefined();
    expect(out.calls['Record max size']).toBeUndefined();
    expect(out.calls['Schedule scale-back']).toBeUndefined();
  });

  it('retries while another update of the node group is in progress, then succeeds', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 4, 4) });
    let attempts = 0;
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }), {
      handlers: handlers(f, {
        'Update node group size': () => {
          attempts++;
          if (attempts === 1) throw awsError('Eks.ResourceInUseException', 'update in progress');
          return { Update: { Id: 'u1', Status: 'InProgress' } };
        },
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Update node group size']).toBe(2);
  });

  it('fails with the EKS error once retries are exhausted, without recording sizes', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 4, 4) });
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }), {
      handlers: handlers(f, {
        'Update node group size': () => {
          throw awsError('Eks.ServerException', 'internal error');
        },
      }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Eks.ServerException');
    expect(out.calls['Update node group size']).toBe(5);
    expect(f.parameters).toEqual({});
    expect(out.path).toContain('Report failure');
  });

  it('times out when the update never finishes, with the reason', async () => {
    // Prepare
    const f = fakes(
      { 'test-platform-a': nodegroup('test-platform-a', 1, 4, 4) },
      Array(100).fill('InProgress'),
    );
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(out.cause).toContain('test-platform-a');
    expect(out.calls['Read update status']).toBe(25);
    expect(f.parameters).toEqual({});
  });

  it('fails when EKS reports the update Failed', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 4, 4) }, ['Failed']);
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('NodegroupUpdateFailed');
  });

  it('refuses at the ceiling, before any mutating call', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 6, 6) });
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'test-platform-a' }), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('ceiling 6');
    expect(out.calls['Update node group size']).toBeUndefined();
  });

  it('refuses a node group that is not allow-listed', async () => {
    // Prepare
    const f = fakes({ 'batch-workers': nodegroup('batch-workers', 1, 4, 4) });
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', nodegroup: 'batch-workers' }), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('not allow-listed');
    expect(out.calls['Update node group size']).toBeUndefined();
  });

  it('revert restores the captured sizes and their SSM parameters, and schedules nothing', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 6, 6) });
    const restore = {
      nodegroups: [
        { nodegroup: 'test-platform-a', minSize: 1, maxSize: 4, desiredSize: 4, expectMaxSize: 6 },
      ],
    };
    // Act
    const out = await runAsl(
      asl,
      // As `/ops revert` builds it: the original parameters (nodegroup, increaseBy) plus revertOf and restore.
      input({
        cluster: 'test-platform',
        nodegroup: 'test-platform-a',
        increaseBy: 2,
        revertOf: 'scale-node-group-4f2a-20261122T2000',
        restore,
      }),
      { handlers: handlers(f) },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(f.updates[0]).toMatchObject({ ScalingConfig: { MinSize: 1, MaxSize: 4, DesiredSize: 4 } });
    expect(f.parameters).toEqual({
      '/ops/test/nodegroups/test-platform-a/max-size': '4',
      '/ops/test/nodegroups/test-platform-a/desired-size': '4',
    });
    expect(f.schedules).toHaveLength(0);
    expect(out.output).toMatchObject({
      outcome: 'succeeded',
      changes: [{ action: 'restore-node-group-size' }],
    });
  });

  it('revert refuses when the node group changed since the run it reverts', async () => {
    // Prepare
    const f = fakes({ 'test-platform-a': nodegroup('test-platform-a', 1, 5, 5) });
    const restore = {
      nodegroups: [
        { nodegroup: 'test-platform-a', minSize: 1, maxSize: 4, desiredSize: 4, expectMaxSize: 6 },
      ],
    };
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', revertOf: 'earlier', restore }), {
      handlers: handlers(f),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(f.updates).toHaveLength(0);
  });
});
