import { CloudTrailClient, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeFlowLogsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepFindingSchema } from '../../../events/sources/sweep/schema.js';
import { missingFlowLogs } from '../../../functions/sweeps/checks/flow-logs.js';
import { overdueSecrets } from '../../../functions/sweeps/checks/secrets.js';
import { sharedDbSnapshots, sharedEbsSnapshots } from '../../../functions/sweeps/checks/sharing.js';
import { trailsNotLogging } from '../../../functions/sweeps/checks/trails.js';
import { staleVolumes } from '../../../functions/sweeps/checks/volumes.js';
import { allPages, read } from '../../../functions/sweeps/core.js';
import { modelChecked, sdkRequestProblems } from '../../support/sdk-model.js';

/**
 * The sweep checks' pure cores against fakes at the AWS boundary. Every fake checks the call against
 * AWS's API model (botocore, test/support/sdk-model.ts) and refuses a malformed one as AWS would; the
 * expected findings are worked out by hand from the dates and states in each case.
 */
const NOW = new Date('2026-12-07T10:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const smMock = mockClient(SecretsManagerClient);
const ctMock = mockClient(CloudTrailClient);
const ec2 = new EC2Client({ region: 'eu-west-1' });
const rds = new RDSClient({ region: 'eu-west-1' });
const sm = new SecretsManagerClient({ region: 'eu-west-1' });
const ct = new CloudTrailClient({ region: 'eu-west-1' });

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
  smMock.reset();
  ctMock.reset();
});

const valid = (findings: unknown[]) => {
  for (const f of findings) expect(SweepFindingSchema.safeParse(f).success).toBe(true);
};

describe('sweeps: the model-checked fakes refuse what AWS refuses', () => {
  it('an unknown member, a missing required one and a wrong type are refused', () => {
    expect(sdkRequestProblems('ec2', 'DescribeFlowLogs', { Filters: [] })).not.toEqual([]);
    expect(sdkRequestProblems('rds', 'DescribeDBSnapshotAttributes', {})).not.toEqual([]);
    expect(sdkRequestProblems('secretsmanager', 'ListSecrets', { MaxResults: '100' })).not.toEqual([]);
    expect(
      sdkRequestProblems('ec2', 'DescribeSnapshotAttribute', { SnapshotId: 's', Attribute: 'sharing' }),
    ).not.toEqual([]);
  });
});

describe('sweeps: secrets past their rotation period', () => {
  it('judges only the platform prefix, only rotating secrets, with the grace period, over every page', async () => {
    // Prepare: ListSecrets filters by name prefix the way AWS does (prefix match), two pages.
    const all = [
      {
        Name: 'dev/rds/app-user',
        ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/rds/app-user-AbCdEf',
        RotationEnabled: true,
        RotationRules: { AutomaticallyAfterDays: 30 },
        LastRotatedDate: ago(40 * DAY),
      },
      {
        Name: 'dev/api/partner-token',
        RotationEnabled: true,
        RotationRules: { AutomaticallyAfterDays: 30 },
        LastRotatedDate: ago(10 * DAY),
      },
      { Name: 'dev/legacy', RotationEnabled: false, LastRotatedDate: ago(400 * DAY) },
      {
        Name: 'dev/weekly',
        RotationEnabled: true,
        RotationRules: { ScheduleExpression: 'rate(7 days)' },
        LastRotatedDate: ago(7.5 * DAY),
      },
      {
        Name: 'dev/never',
        RotationEnabled: true,
        RotationRules: { ScheduleExpression: 'rate(1 days)' },
        CreatedDate: ago(3 * DAY),
      },
      {
        Name: 'prod/rds/app-user',
        RotationEnabled: true,
        RotationRules: { AutomaticallyAfterDays: 1 },
        LastRotatedDate: ago(90 * DAY),
      },
    ];
    smMock.on(ListSecretsCommand).callsFake(
      modelChecked(
        'secretsmanager',
        'ListSecrets',
        (input: { Filters?: { Key: string; Values: string[] }[]; NextToken?: string }) => {
          const prefixes = input.Filters?.find((f) => f.Key === 'name')?.Values ?? [];
          const matching = all.filter((s) =>
            prefixes.some((p) => s.Name.toLowerCase().startsWith(p.toLowerCase())),
          );
          return input.NextToken === 'page-2'
            ? { SecretList: matching.slice(3) }
            : { SecretList: matching.slice(0, 3), NextToken: 'page-2' };
        },
      ),
    );
    // Act
    const found = await overdueSecrets(sm, { namePrefixes: ['dev/'], graceHours: 24 }, NOW);
    // Assess: app-user due 10 days ago (240 h); weekly 12 h late (within grace); never rotated, created 3 days ago, due 2 days ago (48 h).
    valid(found);
    expect(found.map((f) => [f.resource.id, f.facts?.hoursOverdue])).toEqual([
      ['dev/rds/app-user', 240],
      ['dev/never', 48],
    ]);
    expect(found[0]).toMatchObject({ condition: 'secret-rotation-overdue', resource: { type: 'secret' } });
  });
});

describe('sweeps: flow logs missing', () => {
  it('a VPC without an ACTIVE flow log is a finding; one with is not', async () => {
    // Prepare
    const byVpc: Record<string, { FlowLogId: string; FlowLogStatus: string }[]> = {
      'vpc-0aaa': [{ FlowLogId: 'fl-1', FlowLogStatus: 'ACTIVE' }],
      'vpc-0bbb': [],
    };
    ec2Mock.on(DescribeFlowLogsCommand).callsFake(
      modelChecked('ec2', 'DescribeFlowLogs', (input: { Filter?: { Name: string; Values: string[] }[] }) => {
        const vpc = input.Filter?.find((f) => f.Name === 'resource-id')?.Values[0] ?? '';
        return { FlowLogs: byVpc[vpc] ?? [] };
      }),
    );
    // Act
    const found = await missingFlowLogs(ec2, ['vpc-0aaa', 'vpc-0bbb'], NOW);
    // Assess
    valid(found);
    expect(found.map((f) => f.resource.id)).toEqual(['vpc-0bbb']);
  });
});

describe('sweeps: trails not logging', () => {
  it('not logging and deleted trails are findings; a throttled read is retried', async () => {
    // Prepare: GetTrailStatus checked against CloudTrail's model; trail a is throttled once, b is
    // stopped with a delivery error, c was deleted (CloudTrail's TrailNotFoundException).
    let throttles = 1;
    const asked: string[] = [];
    ctMock.on(GetTrailStatusCommand).callsFake(
      modelChecked('cloudtrail', 'GetTrailStatus', (input: { Name: string }) => {
        asked.push(input.Name);
        if (input.Name.endsWith('/a')) {
          if (throttles-- > 0)
            throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          return { IsLogging: true };
        }
        if (input.Name.endsWith('/b')) return { IsLogging: false, LatestDeliveryError: 'AccessDenied' };
        throw Object.assign(new Error('Unknown trail'), {
          name: 'TrailNotFoundException',
          $metadata: { httpStatusCode: 400 },
        });
      }),
    );
    const arns = ['a', 'b', 'c'].map((n) => `arn:aws:cloudtrail:eu-west-1:111111111111:trail/${n}`);
    // Act
    const found = await trailsNotLogging(ct, arns, NOW);
    // Assess
    valid(found);
    expect(found.map((f) => [f.resource.id, f.summary])).toEqual([
      ['b', 'trail b is not logging (IsLogging false), latest delivery error AccessDenied'],
      ['c', 'trail c no longer exists (TrailNotFoundException)'],
    ]);
    expect(asked).toEqual([arns[0], arns[0], arns[1], arns[2]]);
  });

  it('any other error of GetTrailStatus fails the check instead of reading as "not logging"', async () => {
    ctMock
      .on(GetTrailStatusCommand)
      .rejects(Object.assign(new Error('not authorised'), { name: 'AccessDeniedException' }));
    await expect(
      trailsNotLogging(ct, ['arn:aws:cloudtrail:eu-west-1:111111111111:trail/a'], NOW),
    ).rejects.toThrow(/AccessDeniedException/);
  });
});

describe('sweeps: snapshots shared outside the account', () => {
  it('EBS: an account or everyone in createVolumePermission is a finding', async () => {
    // Prepare
    const perms: Record<string, { UserId?: string; Group?: string }[]> = {
      'snap-0aaa': [{ UserId: '999999999999' }],
      'snap-0bbb': [],
      'snap-0ccc': [{ Group: 'all' }],
    };
    ec2Mock
      .on(DescribeSnapshotsCommand)
      .callsFake(
        modelChecked('ec2', 'DescribeSnapshots', (input: { NextToken?: string }) =>
          input.NextToken
            ? { Snapshots: [{ SnapshotId: 'snap-0ccc' }] }
            : { Snapshots: [{ SnapshotId: 'snap-0aaa' }, { SnapshotId: 'snap-0bbb' }], NextToken: 'n2' },
        ),
      );
    ec2Mock.on(DescribeSnapshotAttributeCommand).callsFake(
      modelChecked('ec2', 'DescribeSnapshotAttribute', (input: { SnapshotId: string }) => ({
        SnapshotId: input.SnapshotId,
        CreateVolumePermissions: perms[input.SnapshotId] ?? [],
      })),
    );
    // Act
    const found = await sharedEbsSnapshots(ec2, NOW);
    // Assess
    valid(found);
    expect(found.map((f) => [f.resource.id, f.facts?.sharedWith])).toEqual([
      ['snap-0aaa', ['999999999999']],
      ['snap-0ccc', ['all']],
    ]);
  });

  it('RDS: a restore attribute naming an account or all is a finding', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake(
      modelChecked('rds', 'DescribeDBSnapshots', () => ({
        DBSnapshots: [{ DBSnapshotIdentifier: 'manual-1' }, { DBSnapshotIdentifier: 'manual-2' }],
      })),
    );
    rdsMock.on(DescribeDBSnapshotAttributesCommand).callsFake(
      modelChecked('rds', 'DescribeDBSnapshotAttributes', (input: { DBSnapshotIdentifier: string }) => ({
        DBSnapshotAttributesResult: {
          DBSnapshotIdentifier: input.DBSnapshotIdentifier,
          DBSnapshotAttributes: [
            {
              AttributeName: 'restore',
              AttributeValues: input.DBSnapshotIdentifier === 'manual-1' ? ['all'] : [],
            },
          ],
        },
      })),
    );
    // Act
    const found = await sharedDbSnapshots(rds, NOW);
    // Assess
    valid(found);
    expect(found.map((f) => [f.resource.type, f.resource.id, f.summary])).toEqual([
      ['db-snapshot', 'manual-1', 'DB snapshot manual-1 is public (all)'],
    ]);
  });
});

describe('sweeps: allow-listed volumes without a snapshot inside their RPO', () => {
  it("verify-backups' own collector and exists/fresh checks decide; 26 h RPO", async () => {
    // Prepare
    ec2Mock
      .on(DescribeVolumesCommand)
      .callsFake(
        modelChecked('ec2', 'DescribeVolumes', (input: { Filters?: { Name: string }[] }) =>
          input.Filters?.[0]?.Name === 'tag:backup'
            ? { Volumes: ['vol-0aaa', 'vol-0bbb', 'vol-0ccc'].map((VolumeId) => ({ VolumeId })) }
            : { Volumes: [] },
        ),
      );
    ec2Mock.on(DescribeSnapshotsCommand).callsFake(
      modelChecked('ec2', 'DescribeSnapshots', () => ({
        Snapshots: [
          { SnapshotId: 'snap-1', VolumeId: 'vol-0aaa', State: 'completed', StartTime: ago(30 * 3_600_000) },
          { SnapshotId: 'snap-2', VolumeId: 'vol-0bbb', State: 'completed', StartTime: ago(2 * 3_600_000) },
        ],
      })),
    );
    // Act
    const found = await staleVolumes(
      ec2,
      {
        protectedTag: { key: 'backup', value: 'required' },
        pvcNamespaces: [],
        policy: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
        clockSkewMinutes: 5,
        region: 'eu-west-1',
        stage: 'dev',
      },
      NOW,
    );
    // Assess: vol-0aaa's newest is 30 h old (> 26 h); vol-0ccc has none; vol-0bbb is 2 h old.
    valid(found);
    expect(found.map((f) => [f.resource.id, f.facts?.failedCheck])).toEqual([
      ['vol-0aaa', 'fresh'],
      ['vol-0ccc', 'exists'],
    ]);
  });
});

describe('sweeps: bounded reads', () => {
  it('throttling is retried within the budget, then given up; a bad request is not retried', async () => {
    // Prepare
    const policy = { retries: 2, firstDelayMs: 1, maxDelayMs: 2 };
    let calls = 0;
    const throttled = () => {
      calls++;
      return Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    };
    // Act / Assess
    await expect(read('x:Throttled', throttled, policy)).rejects.toThrow(/ThrottlingException/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      read(
        'x:Bad',
        () => {
          calls++;
          return Promise.reject(Object.assign(new Error('no'), { name: 'ValidationException' }));
        },
        policy,
      ),
    ).rejects.toThrow(/ValidationException/);
    expect(calls).toBe(1);
  });

  it('a token that never ends is refused instead of looping', async () => {
    await expect(
      allPages(
        'x:Loop',
        async () => ({ items: [1], next: 'again' }),
        (p) => p.items,
        (p) => p.next,
        5,
      ),
    ).rejects.toThrow(/more than 5 pages/);
  });
});

afterEach(() => undefined);
