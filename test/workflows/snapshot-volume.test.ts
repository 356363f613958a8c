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
import { RECLAIM_TAG, SNAPSHOT_TAGS } from '../../runbooks/snapshot-volume/logic.js';
import { handler } from '../../runbooks/snapshot-volume/steps/handler.js';
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
    'Decide reclaim': stepHandler,
    'Describe volume': notCalled('Describe volume'),
    'Find the PVC’s volume': notCalled('Find the PVC’s volume'),
    'Create snapshot': notCalled('Create snapshot'),
    'Read snapshot state': notCalled('Read snapshot state'),
    'List our snapshots of the volume': notCalled('List our snapshots of the volume'),
    'Delete old snapshot': notCalled('Delete old snapshot'),
    'Re-read the volume': notCalled('Re-read the volume'),
    'Delete the released volume': notCalled('Delete the released volume'),
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

/**
 * A released volume of the protected StorageClass: `gp3-protected` tags every volume it provisions
 * with the protected tag and the reclaim tag (infra/constructs/platform/cluster.ts). The fake keeps the
 * volume's state and refuses what EC2 refuses: DeleteVolume of an attached volume (VolumeInUse) and
 * of a volume that no longer exists (InvalidVolume.NotFound); DescribeVolumes of a missing id likewise.
 */
function releasedVolume(init: { state: string; attachedTo?: string; tags: Record<string, string> }) {
  const vol = {
    VolumeId: VOLUME,
    State: init.state,
    Attachments: init.attachedTo
      ? [{ InstanceId: init.attachedTo, State: 'attached', VolumeId: VOLUME }]
      : [],
    Tags: Object.entries(init.tags).map(([Key, Value]) => ({ Key, Value })),
  };
  let exists = true;
  const deletes: string[] = [];
  const describe: TaskHandler = () => {
    if (!exists)
      throw awsError('Ec2.InvalidVolume.NotFoundException', `The volume '${VOLUME}' does not exist.`);
    return { Volumes: [structuredClone(vol)] };
  };
  const remove: TaskHandler = (p) => {
    const id = (p as { VolumeId: string }).VolumeId;
    if (id !== VOLUME || !exists)
      throw awsError('Ec2.InvalidVolume.NotFoundException', `The volume '${id}' does not exist.`);
    if (vol.State !== 'available' || vol.Attachments.length > 0)
      throw awsError('Ec2.VolumeInUseException', `Volume ${id} is currently attached`);
    exists = false;
    deletes.push(id);
    return {};
  };
  return { describe, remove, deletes, vol };
}

const PROTECTED_CLASS_TAGS = {
  backup: 'required',
  [RECLAIM_TAG.key]: RECLAIM_TAG.value,
  'kubernetes.io/created-for/pvc/namespace': 'data',
  'kubernetes.io/created-for/pvc/name': 'pg-data-0',
  'ebs.csi.aws.com/cluster': 'true',
};

describe('snapshot-volume: reclaiming a released volume of the protected class (snapshot before delete)', () => {
  const asl = build();

  beforeEach(() => {
    ec2.reset();
  });

  const snapshotSteps = (states: string[]) => ({
    'Create snapshot': () => ({ SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' }),
    'Read snapshot state': () => ({
      Snapshots: [{ State: states.shift() ?? 'completed', Progress: '100%' }],
    }),
    'List our snapshots of the volume': () => ({ Snapshots: [ours('snap-0aaaaaaaaaaaaaaaa', 0)] }),
  });

  it('snapshots, waits for completed, and only then deletes the released volume (not revertible)', async () => {
    // Prepare
    const v = releasedVolume({ state: 'available', tags: PROTECTED_CLASS_TAGS });
    const order: string[] = [];
    const states = ['pending', 'completed'];
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': v.describe,
        ...snapshotSteps(states),
        'Read snapshot state': () => {
          const state = states.shift() ?? 'completed';
          order.push(`snapshot ${state}`);
          return { Snapshots: [{ State: state, Progress: '100%' }] };
        },
        'Re-read the volume': v.describe,
        'Delete the released volume': (p) => {
          order.push('delete volume');
          return v.remove(p);
        },
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(v.deletes).toEqual([VOLUME]);
    expect(order).toEqual(['snapshot pending', 'snapshot completed', 'delete volume']);
    const result = out.output as { changes: { action: string; before: unknown }[]; revert?: unknown };
    expect(result.changes.map((c) => c.action)).toEqual(['create-snapshot', 'delete-volume']);
    expect(result.changes[1]?.before).toMatchObject({
      snapshotId: 'snap-0aaaaaaaaaaaaaaaa',
      pvc: 'data/pg-data-0',
    });
    expect(result.revert).toBeUndefined();
  });

  it('never deletes when the snapshot fails', async () => {
    // Prepare
    const v = releasedVolume({ state: 'available', tags: PROTECTED_CLASS_TAGS });
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({ 'Describe volume': v.describe, ...snapshotSteps(['pending', 'error']) }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('SnapshotFailed');
    expect(v.deletes).toEqual([]);
    expect(out.calls['Delete the released volume']).toBeUndefined();
  });

  it('never deletes when the snapshot never completes (poll time-out)', async () => {
    // Prepare
    const v = releasedVolume({ state: 'available', tags: PROTECTED_CLASS_TAGS });
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': v.describe,
        ...snapshotSteps([]),
        'Read snapshot state': () => ({ Snapshots: [{ State: 'pending', Progress: '40%' }] }),
      }),
    });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(v.deletes).toEqual([]);
  });

  it('keeps a volume that was re-attached meanwhile (in-use), and says why', async () => {
    // Prepare: detached for a pod move; by the time the snapshot completed the pod runs again.
    const v = releasedVolume({
      state: 'in-use',
      attachedTo: 'i-0123456789abcdef0',
      tags: PROTECTED_CLASS_TAGS,
    });
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': v.describe,
        ...snapshotSteps(['completed']),
        'Re-read the volume': v.describe,
        'Delete the released volume': v.remove,
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(v.deletes).toEqual([]);
    expect(out.calls['Delete the released volume']).toBeUndefined();
    expect((out.output as { summary: string }).summary).toContain('kept: it is in-use, not available');
  });

  it('keeps an available volume with a stale attachment record', async () => {
    // Prepare
    const v = releasedVolume({
      state: 'available',
      attachedTo: 'i-0123456789abcdef0',
      tags: PROTECTED_CLASS_TAGS,
    });
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': v.describe,
        ...snapshotSteps(['completed']),
        'Re-read the volume': v.describe,
        'Delete the released volume': v.remove,
      }),
    });
    // Assess
    expect(out.calls['Delete the released volume']).toBeUndefined();
    expect((out.output as { summary: string }).summary).toContain('attached to i-0123456789abcdef0');
  });

  it('keeps a protected volume that does not come from the protected class (no reclaim tag)', async () => {
    // Prepare
    const { [RECLAIM_TAG.key]: _reclaim, ...withoutReclaim } = PROTECTED_CLASS_TAGS;
    const v = releasedVolume({ state: 'available', tags: withoutReclaim });
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': v.describe,
        ...snapshotSteps(['completed']),
        'Re-read the volume': v.describe,
        'Delete the released volume': v.remove,
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(v.deletes).toEqual([]);
    expect((out.output as { summary: string }).summary).toContain(`does not carry ${RECLAIM_TAG.key}`);
  });

  it('the detach trigger (no reclaim parameter) snapshots and never deletes', async () => {
    // Prepare
    const v = releasedVolume({ state: 'available', tags: PROTECTED_CLASS_TAGS });
    // Act: the parameters the detach-volume policy rule starts the run with.
    const out = await runAsl(
      asl,
      input({ volumeId: VOLUME, reason: 'volume was detached', copyToDr: false }),
      {
        handlers: handlers({ 'Describe volume': v.describe, ...snapshotSteps(['completed']) }),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Re-read the volume']).toBeUndefined();
    expect(v.deletes).toEqual([]);
  });

  it('a repeated reclaim of a volume already deleted succeeds without deleting anything', async () => {
    // Prepare
    const v = releasedVolume({ state: 'available', tags: PROTECTED_CLASS_TAGS });
    v.remove({ VolumeId: VOLUME });
    v.deletes.length = 0;
    // Act
    const out = await runAsl(asl, input({ volumeId: VOLUME, reclaim: true, copyToDr: false }), {
      handlers: handlers({
        'Describe volume': () => ({ Volumes: [volume(PROTECTED_CLASS_TAGS)] }),
        ...snapshotSteps(['completed']),
        'Re-read the volume': v.describe,
        'Delete the released volume': v.remove,
      }),
    });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(v.deletes).toEqual([]);
    expect((out.output as { summary: string }).summary).toContain('already reclaimed');
  });
});
