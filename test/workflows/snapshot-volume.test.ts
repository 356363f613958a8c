import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/steps/snapshot-volume/handler.js';
import { SNAPSHOT_TAGS } from '../../runbooks/snapshot-volume/logic.js';
import { SnapshotVolumeWorkflow } from '../../runbooks/snapshot-volume/workflow.js';
import { expectResilientJsonPath } from '../support/asl-assertions.js';
import {
  type AslDefinition,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';

const ec2 = mockClient(EC2Client);

function build(withDr = true): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new SnapshotVolumeWorkflow(stack, 'SnapshotVolume', {
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    stepFunction: fn('Steps'),
    settings: {
      region: 'eu-west-1',
      createdBy: 'ops-test',
      protectedTag: { key: 'backup', value: 'required' },
      optInTag: { key: 'ops-automation', value: 'enabled' },
      pvcNamespaces: ['app'],
      keepLast: 2,
      maxAgeDays: 14,
    },
    ...(withDr ? { dr: { region: 'eu-central-1', kmsKeyAlias: 'alias/dr-snapshots' } } : {}),
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

const VOLUME = 'vol-0123456789abcdef0';
const volume = (tags: Record<string, string>) => ({
  VolumeId: VOLUME,
  State: 'in-use',
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
});
const ours = (id: string, daysAgo: number) => ({
  SnapshotId: id,
  State: 'completed',
  StartTime: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
  Tags: [
    { Key: SNAPSHOT_TAGS.createdBy, Value: 'ops-test' },
    { Key: SNAPSHOT_TAGS.sourceVolume, Value: VOLUME },
  ],
});

const input = (parameters: Record<string, unknown>, dryRun = false) => ({
  runbook: 'snapshot-volume',
  stage: 'test',
  parameters,
  dryRun,
  mode: 'auto',
  executionName: 'snapshot-volume-abc123-20261122T2000',
  resourceKey: VOLUME,
  trigger: {
    source: 'slack',
    kind: 'command',
    correlationId: 'c1',
    occurredAt: '2026-11-22T20:00:00Z',
    summary: 's',
    requestedBy: 'U0PLATFORM1',
  },
  reasons: ['requested'],
});

const stepHandler: TaskHandler = (payload) => handler(payload);

/** Every task bound: the Lambda steps to the real handler, SDK tasks to `sdk` (state → fake). */
function handlers(
  sdk: Record<string, TaskHandler>,
  reports: { phase: string }[] = [],
): Record<string, TaskHandler> {
  const notCalled = (name: string) => () => {
    throw new Error(`${name} must not be called`);
  };
  return {
    'Announce start': (i) => void reports.push(i as { phase: string }),
    'Report result': (i) => void reports.push(i as { phase: string }),
    'Report failure': (i) => void reports.push(i as { phase: string }),
    'Report rejection': (i) => void reports.push(i as { phase: string }),
    'Request approval': () => ({ approved: true, approver: 'U0PLATFORM2', at: '2026-11-22T20:01:00Z' }),
    'Plan snapshot': stepHandler,
    'Copy snapshot to the DR region': stepHandler,
    'Decide retention': stepHandler,
    'Delete the reverted run’s snapshots': stepHandler,
    'Describe volume': notCalled('Describe volume'),
    'Find the PVC’s volume': notCalled('Find the PVC’s volume'),
    'Create snapshot': notCalled('Create snapshot'),
    'Read snapshot state': notCalled('Read snapshot state'),
    'List our snapshots of the volume': notCalled('List our snapshots of the volume'),
    'Delete old snapshot': notCalled('Delete old snapshot'),
    ...sdk,
  };
}

describe('snapshot-volume: the workflow rendered from its construct, run locally', () => {
  const asl = build();

  it('retries and catches every task, and uses only JSONPath', () => {
    expectResilientJsonPath(asl, { minTasks: 5 });
  });

  beforeEach(() => {
    ec2.reset();
    // The DR region holds no copy yet; CopySnapshot answers with the copy's id.
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0dddddddddddddddd' });
  });

  it('snapshots a protected volume with its tags in the same call, copies it to DR and prunes beyond keep-last', async () => {
    // Prepare
    const created: unknown[] = [];
    const deleted: string[] = [];
    const states = ['pending', 'pending', 'completed'];
    const reports: { phase: string }[] = [];
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reason: 'detached by CloudTrail' }), {
      handlers: handlers(
        {
          'Describe volume': () => ({ Volumes: [volume({ backup: 'required' })] }),
          'Create snapshot': (p) => {
            created.push(p);
            return { SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' };
          },
          'Read snapshot state': () => ({ Snapshots: [{ State: states.shift(), Progress: '50%' }] }),
          'List our snapshots of the volume': () => ({
            Snapshots: [
              { ...ours('snap-0aaaaaaaaaaaaaaaa', 0) },
              ours('snap-01111111111111111', 1),
              ours('snap-02222222222222222', 2),
              ours('snap-03333333333333333', 3),
            ],
          }),
          'Delete old snapshot': (p) => void deleted.push((p as { SnapshotId: string }).SnapshotId),
        },
        reports,
      ),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    const create = created[0] as {
      VolumeId: string;
      TagSpecifications: { Tags: { Key: string; Value: string }[] }[];
    };
    expect(create.VolumeId).toBe(VOLUME);
    const tags = Object.fromEntries((create.TagSpecifications[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      [SNAPSHOT_TAGS.createdBy]: 'ops-test',
      [SNAPSHOT_TAGS.runbook]: 'snapshot-volume',
      [SNAPSHOT_TAGS.execution]: 'snapshot-volume-abc123-20261122T2000',
      [SNAPSHOT_TAGS.reason]: 'detached by CloudTrail',
      [SNAPSHOT_TAGS.sourceVolume]: VOLUME,
    });
    expect(out.calls['Read snapshot state']).toBe(3);
    expect(ec2).toHaveReceivedCommandWith(CopySnapshotCommand, {
      SourceRegion: 'eu-west-1',
      SourceSnapshotId: 'snap-0aaaaaaaaaaaaaaaa',
      Encrypted: true,
      KmsKeyId: 'arn:aws:kms:eu-central-1:111111111111:alias/dr-snapshots',
    });
    // keep-last 2: this run's snapshot and the newest older one stay.
    expect(deleted.sort()).toEqual(['snap-02222222222222222', 'snap-03333333333333333']);
    const result = out.output as {
      outcome: string;
      changes: { action: string }[];
      revert: unknown;
      links: unknown[];
    };
    expect(result.outcome).toBe('succeeded');
    expect(result.changes.map((c) => c.action)).toEqual([
      'create-snapshot',
      'copy-snapshot',
      'delete-snapshot',
      'delete-snapshot',
    ]);
    expect(result.revert).toEqual({
      snapshots: [
        { snapshotId: 'snap-0aaaaaaaaaaaaaaaa', region: 'eu-west-1' },
        { snapshotId: 'snap-0dddddddddddddddd', region: 'eu-central-1' },
      ],
    });
    expect(reports.map((r) => r.phase)).toEqual(['started', 'succeeded']);
  });

  it('resolves a PVC to its volume through the EBS CSI driver tags', async () => {
    // Prepare
    let filters: unknown;
    // Act
    const out = await runAsl(
      asl,
      input({ cluster: 'test-platform', namespace: 'app', pvc: 'data-db-0' }, true),
      {
        handlers: handlers({
          'Find the PVC’s volume': (p) => {
            filters = (p as { Filters: unknown }).Filters;
            return {
              Volumes: [
                volume({
                  'kubernetes.io/created-for/pvc/name': 'data-db-0',
                  'kubernetes.io/created-for/pvc/namespace': 'app',
                  'ebs.csi.aws.com/cluster': 'true',
                }),
              ],
            };
          },
        }),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(filters).toEqual([
      { Name: 'tag:kubernetes.io/created-for/pvc/name', Values: ['data-db-0'] },
      { Name: 'tag:kubernetes.io/created-for/pvc/namespace', Values: ['app'] },
    ]);
    expect((out.output as { summary: string }).summary).toContain('PVC app/data-db-0');
  });

  it('dry-run plans the snapshot and makes no mutating call', async () => {
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME }, true), {
      handlers: handlers({ 'Describe volume': () => ({ Volumes: [volume({ backup: 'required' })] }) }),
    });
    // Assess: the mutating tasks' fakes throw if called; none ran.
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({ outcome: 'dry-run' });
    expect(out.calls['Create snapshot']).toBeUndefined();
    expect(out.calls['Delete old snapshot']).toBeUndefined();
    expect(ec2).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('retries CreateSnapshot on the per-volume rate limit, then succeeds', async () => {
    // Prepare
    let attempts = 0;
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': () => ({ Volumes: [volume({ 'ops-automation': 'enabled' })] }),
        'Create snapshot': () => {
          attempts++;
          if (attempts < 3)
            throw awsError('Ec2.SnapshotCreationPerVolumeRateExceededException', 'wait 15 seconds');
          return { SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' };
        },
        'Read snapshot state': () => ({ Snapshots: [{ State: 'completed', Progress: '100%' }] }),
        'List our snapshots of the volume': () => ({ Snapshots: [] }),
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Create snapshot']).toBe(3);
    expect(ec2).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('fails with the EC2 error once the rate-limit retries are exhausted', async () => {
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME }), {
      handlers: handlers({
        'Describe volume': () => ({ Volumes: [volume({ backup: 'required' })] }),
        'Create snapshot': () => {
          throw awsError('Ec2.ConcurrentSnapshotLimitExceededException', 'too many concurrent snapshots');
        },
      }),
    });
    // Assess: 1 call + 6 retries, then the shared failure path.
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Ec2.ConcurrentSnapshotLimitExceededException');
    expect(out.calls['Create snapshot']).toBe(7);
    expect(out.path).toContain('Report failure');
  });

  it('times out when the snapshot never completes, with the reason', async () => {
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME }), {
      handlers: handlers({
        'Describe volume': () => ({ Volumes: [volume({ backup: 'required' })] }),
        'Create snapshot': () => ({ SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' }),
        'Read snapshot state': () => ({ Snapshots: [{ State: 'pending', Progress: '12%' }] }),
      }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(out.cause).toContain('snap-0aaaaaaaaaaaaaaaa');
    expect(out.cause).toContain('12%');
    expect(out.calls['Read snapshot state']).toBe(30);
  });

  it('fails when the snapshot ends in state error', async () => {
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME }), {
      handlers: handlers({
        'Describe volume': () => ({ Volumes: [volume({ backup: 'required' })] }),
        'Create snapshot': () => ({ SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' }),
        'Read snapshot state': () => ({ Snapshots: [{ State: 'error', Progress: '3%' }] }),
      }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('SnapshotFailed');
  });

  it('declines a volume that is not allow-listed: no snapshot, a rejected result, not a failure', async () => {
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME }), {
      handlers: handlers({ 'Describe volume': () => ({ Volumes: [volume({ team: 'web' })] }) }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({ outcome: 'rejected', changes: [] });
    expect((out.output as { summary: string }).summary).toContain('not allow-listed');
    expect(out.calls['Create snapshot']).toBeUndefined();
  });

  it('bad parameters fail the planning step with a clear error and never reach a mutating call', async () => {
    // Act: a malformed volume id that slipped past the intake (e.g. a hand-started execution).
    const out = await runAsl(asl, input({ volumeId: 'vol-NOTHEX' }), {
      handlers: handlers({ 'Describe volume': () => ({ Volumes: [] }) }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.cause).toContain('an EBS volume id looks like vol-0123456789abcdef0');
    expect(out.calls['Create snapshot']).toBeUndefined();
  });

  it('refuses when the volume cannot be found, before any mutating call', async () => {
    // Act
    const out = await runAsl(asl, input({ cluster: 'test-platform', namespace: 'app', pvc: 'gone' }), {
      handlers: handlers({ 'Find the PVC’s volume': () => ({ Volumes: [] }) }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('no EBS volume found for PVC app/gone');
    expect(out.calls['Create snapshot']).toBeUndefined();
  });

  it('revert deletes exactly the snapshots the reverted run created, in their regions', async () => {
    // Prepare
    const tagged = (id: string) => ({
      SnapshotId: id,
      State: 'completed' as const,
      Tags: [
        { Key: SNAPSHOT_TAGS.createdBy, Value: 'ops-test' },
        { Key: SNAPSHOT_TAGS.execution, Value: 'snapshot-volume-earlier' },
      ],
    });
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0aaaaaaaaaaaaaaaa'] }).resolves({
      Snapshots: [tagged('snap-0aaaaaaaaaaaaaaaa')],
    });
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0dddddddddddddddd'] }).resolves({
      Snapshots: [tagged('snap-0dddddddddddddddd')],
    });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const restore = {
      snapshots: [
        { snapshotId: 'snap-0aaaaaaaaaaaaaaaa', region: 'eu-west-1' },
        { snapshotId: 'snap-0dddddddddddddddd', region: 'eu-central-1' },
      ],
    };
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, revertOf: 'snapshot-volume-earlier', restore }), {
      handlers: handlers({}),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(ec2).toHaveReceivedCommandTimes(DeleteSnapshotCommand, 2);
    expect(ec2).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-0dddddddddddddddd' });
    expect(out.output).toMatchObject({ outcome: 'succeeded' });
  });

  it('a dry-run revert reports what it would delete and deletes nothing', async () => {
    // Prepare
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        {
          SnapshotId: 'snap-0aaaaaaaaaaaaaaaa',
          State: 'completed' as const,
          Tags: [
            { Key: SNAPSHOT_TAGS.createdBy, Value: 'ops-test' },
            { Key: SNAPSHOT_TAGS.execution, Value: 'snapshot-volume-earlier' },
          ],
        },
      ],
    });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const restore = { snapshots: [{ snapshotId: 'snap-0aaaaaaaaaaaaaaaa', region: 'eu-west-1' }] };
    // Act
    const out = await runAsl(
      asl,
      input({ volumeId: VOLUME, revertOf: 'snapshot-volume-earlier', restore }, true),
      {
        handlers: handlers({}),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({
      outcome: 'dry-run',
      changes: [{ action: 'delete-snapshot', resource: 'snap-0aaaaaaaaaaaaaaaa' }],
    });
    expect(ec2).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  it('revert refuses to delete a snapshot another run (or someone else) created', async () => {
    // Prepare
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0aaaaaaaaaaaaaaaa', State: 'completed', Tags: [{ Key: 'team', Value: 'db' }] },
      ],
    });
    ec2.on(DeleteSnapshotCommand).resolves({});
    // Act
    const out = await runAsl(
      asl,
      input({
        volumeId: VOLUME,
        revertOf: 'snapshot-volume-earlier',
        restore: { snapshots: [{ snapshotId: 'snap-0aaaaaaaaaaaaaaaa', region: 'eu-west-1' }] },
      }),
      { handlers: handlers({}) },
    );
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(ec2).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });
});
