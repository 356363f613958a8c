import { DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import {
  type CollectEvent,
  collectInventory,
  groupByRestore,
  InventoryUnavailableError,
  veleroState,
} from '../../../runbooks/verify-backups/steps/collect.js';
import { requestProblems, responseProblems, sfnMemberName } from '../../support/aws-model.js';

const quiet: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};

const settings: CollectEvent['settings'] = {
  stage: 'test',
  region: 'eu-west-1',
  protectedTag: { key: 'backup', value: 'required' },
  pvcNamespaces: [],
  databaseInstance: 'test-platform',
  velero: { bucket: 'velero', prefix: 'cluster-a/', schedules: ['daily'] },
  restore: { ebs: { enabled: true }, rds: { enabled: true, weekday: 'SUN' } },
};

const ec2 = new EC2Client({ region: 'eu-west-1' });
const rds = new RDSClient({ region: 'eu-west-1' });
const s3 = new S3Client({ region: 'eu-west-1' });
const ec2Mock = mockClient(ec2);
const rdsMock = mockClient(rds);
const s3Mock = mockClient(s3);
const SUNDAY = new Date('2026-11-22T05:00:00Z');

describe('verify-backups inventory: what the collector finds and how it reads it', () => {
  beforeEach(() => {
    ec2Mock.reset();
    rdsMock.reset();
    s3Mock.reset();
    ec2Mock.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    s3Mock.on(ListObjectsV2Command).resolves({});
  });

  it('keeps the newest completed snapshot apart from a newer one still pending, and counts all', async () => {
    // Prepare
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [{ VolumeId: 'vol-0aaaaaaaaaaaaaaa1', Tags: [{ Key: 'Name', Value: 'pg-data' }] }],
    });
    ec2Mock.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        {
          SnapshotId: 'snap-old',
          VolumeId: 'vol-0aaaaaaaaaaaaaaa1',
          StartTime: new Date('2026-11-21T03:00:00Z'),
          State: 'completed',
          VolumeSize: 20,
        },
        {
          SnapshotId: 'snap-new',
          VolumeId: 'vol-0aaaaaaaaaaaaaaa1',
          StartTime: new Date('2026-11-22T03:00:00Z'),
          State: 'pending',
          VolumeSize: 20,
        },
      ],
    });
    // Act
    const inv = await collectInventory(
      { settings, parameters: { scope: ['ebs'] } },
      { ec2, rds, s3 },
      quiet,
      SUNDAY,
    );
    // Assess
    expect(inv.items).toHaveLength(1);
    expect(inv.items[0]).toMatchObject({
      resource: 'vol-0aaaaaaaaaaaaaaa1',
      label: 'pg-data',
      recoveryPoints: 2,
      newest: { id: 'snap-new', state: 'pending' },
      latestCompleted: { id: 'snap-old', state: 'completed', sizeGiB: 20 },
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeVolumesCommand, {
      Filters: [{ Name: 'tag:backup', Values: ['required'] }],
    });
  });

  it('reads Velero backups under the storage prefix, skipping names of other schedules', async () => {
    // Prepare
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/' }).resolves({
      CommonPrefixes: [
        { Prefix: 'cluster-a/backups/daily-20261122030000/' },
        { Prefix: 'cluster-a/backups/daily-db-20261122030000/' },
      ],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'cluster-a/backups/daily-20261122030000/' }).resolves({
      Contents: ['velero-backup.json', 'daily-20261122030000.tar.gz', 'daily-20261122030000-logs.gz'].map(
        (k) => ({
          Key: `cluster-a/backups/daily-20261122030000/${k}`,
        }),
      ),
    });
    const json = JSON.stringify({
      kind: 'Backup',
      metadata: { name: 'daily-20261122030000' },
      status: { phase: 'Completed', completionTimestamp: '2026-11-22T03:04:00Z', errors: 0, warnings: 2 },
    });
    s3Mock.on(GetObjectCommand).resolves({ Body: { transformToString: async () => json } as never });
    s3Mock.on(HeadObjectCommand).resolves({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      ReplicationStatus: 'COMPLETED',
    });
    // Act
    const inv = await collectInventory(
      { settings, parameters: { scope: ['velero'] } },
      { ec2, rds, s3 },
      quiet,
      SUNDAY,
    );
    // Assess
    expect(inv.items).toEqual([
      expect.objectContaining({
        class: 'velero',
        resource: 'daily',
        recoveryPoints: 1,
        latestCompleted: expect.objectContaining({
          id: 'daily-20261122030000',
          completedAt: '2026-11-22T03:04:00Z',
          warnings: 2,
          encrypted: true,
          kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k',
          replication: 'COMPLETED',
          objects: { metadata: true, tarball: true, logs: true },
        }),
      }),
    ]);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'velero',
      Key: 'cluster-a/backups/daily-20261122030000/velero-backup.json',
    });
  });

  it('maps every Velero phase, treating unknown ones as unknown', () => {
    expect(
      ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation', 'InProgress', 'Finalizing', 'Bogus'].map(
        veleroState,
      ),
    ).toEqual(['completed', 'partially-failed', 'failed', 'failed', 'pending', 'pending', 'unknown']);
  });

  it('turns an access error into a failing item for that class, and keeps the other classes', async () => {
    // Prepare
    ec2Mock.on(DescribeVolumesCommand).rejects(
      Object.assign(new Error('not allowed'), {
        name: 'UnauthorizedOperation',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    // Act
    const inv = await collectInventory(
      { settings, parameters: { scope: ['ebs', 'rds'] } },
      { ec2, rds, s3 },
      quiet,
      SUNDAY,
    );
    // Assess
    expect(inv.items).toEqual([
      {
        class: 'ebs',
        resource: 'ebs inventory',
        recoveryPoints: 0,
        collectionError: 'listing ebs backups failed: UnauthorizedOperation: not allowed',
      },
      expect.objectContaining({ class: 'rds', resource: 'test-platform', recoveryPoints: 0 }),
    ]);
  });

  it('raises a retryable error when AWS throttles', async () => {
    ec2Mock
      .on(DescribeVolumesCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' }));
    await expect(
      collectInventory({ settings, parameters: {} }, { ec2, rds, s3 }, quiet, SUNDAY),
    ).rejects.toBeInstanceOf(InventoryUnavailableError);
  });

  it('plans restore tests: RDS only on its weekday, none in a dry run or when not requested', async () => {
    const plan = async (p: Partial<CollectEvent>, now = SUNDAY) =>
      (await collectInventory({ settings, parameters: { scope: [] }, ...p }, { ec2, rds, s3 }, quiet, now))
        .plan;
    expect(await plan({})).toMatchObject({ ebs: true, rds: true });
    expect(await plan({}, new Date('2026-11-23T05:00:00Z'))).toMatchObject({ ebs: true, rds: false });
    expect(await plan({ dryRun: true })).toEqual({
      ebs: false,
      rds: false,
      velero: false,
      skipped: 'dry run: no restore tests',
    });
    expect(await plan({ parameters: { scope: [], restoreTests: false } })).toMatchObject({
      ebs: false,
      rds: false,
    });
  });

  it('rejects bad parameters before any AWS call', async () => {
    await expect(
      collectInventory({ settings, parameters: { scope: ['s3'] } }, { ec2, rds, s3 }, quiet, SUNDAY),
    ).rejects.toThrow();
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('verify-backups inventory: the Velero backup replica in the DR region', () => {
  const s3Dr = new S3Client({ region: 'eu-central-1' });
  const drMock = mockClient(s3Dr);
  const drSettings = {
    ...settings,
    drRegion: 'eu-central-1',
    velero: { ...settings.velero, drBucket: 'velero-dr' },
  };
  /** A fake S3 answer, checked against the S3 model (JS SDK names are the model's). */
  const answer = <T extends object>(result: T): T => {
    const sfnNames = Object.fromEntries(Object.entries(result).map(([k, v]) => [sfnMemberName(k), v]));
    expect(responseProblems('s3', 'headObject', sfnNames)).toEqual([]);
    return result;
  };
  beforeEach(() => {
    s3Mock.reset();
    drMock.reset();
    s3Mock.on(ListObjectsV2Command, { Delimiter: '/' }).resolves({
      CommonPrefixes: [{ Prefix: 'cluster-a/backups/daily-20261122030000/' }],
    });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'cluster-a/backups/daily-20261122030000/' }).resolves({
      Contents: ['velero-backup.json', 'daily-20261122030000.tar.gz', 'daily-20261122030000-logs.gz'].map(
        (k) => ({
          Key: `cluster-a/backups/daily-20261122030000/${k}`,
        }),
      ),
    });
    const json = JSON.stringify({
      kind: 'Backup',
      metadata: { name: 'daily-20261122030000' },
      status: {
        phase: 'Completed',
        startTimestamp: '2026-11-22T03:00:00Z',
        completionTimestamp: '2026-11-22T03:04:00Z',
      },
    });
    s3Mock.on(GetObjectCommand).resolves({ Body: { transformToString: async () => json } as never });
    s3Mock
      .on(HeadObjectCommand)
      .resolves(
        answer({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'k', ReplicationStatus: 'COMPLETED' }),
      );
  });
  const collect = () =>
    collectInventory(
      { settings: drSettings, parameters: { scope: ['velero'] } },
      { ec2, rds, s3, s3Dr },
      quiet,
      SUNDAY,
    );

  it('finds the replica of the newest completed backup, encrypted, dated by the backup', async () => {
    drMock.on(HeadObjectCommand).resolves(
      answer({
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:eu-central-1:1:key/dr',
        ReplicationStatus: 'REPLICA',
      }),
    );
    const [item] = (await collect()).items;
    expect(item?.drCopyLookedUp).toBe(true);
    expect(item?.drCopy).toEqual({
      id: 's3://velero-dr/cluster-a/backups/daily-20261122030000/daily-20261122030000.tar.gz',
      createdAt: '2026-11-22T03:00:00Z',
      completedAt: '2026-11-22T03:04:00Z',
      origin: 's3-replication',
      region: 'eu-central-1',
      state: 'completed',
      rawState: 'REPLICA',
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:eu-central-1:1:key/dr',
    });
    const calls = drMock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Bucket: 'velero-dr', Key: 'cluster-a/backups/daily-20261122030000/daily-20261122030000.tar.gz' },
    ]);
    for (const input of calls) expect(requestProblems('s3', 'headObject', input)).toEqual([]);
  });

  it('a replica not there is no copy; a refused read is a copy in an unknown state naming the error', async () => {
    drMock
      .on(HeadObjectCommand)
      .rejects(
        Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
      );
    const [missing] = (await collect()).items;
    expect(missing?.drCopyLookedUp).toBe(true);
    expect(missing?.drCopy).toBeUndefined();
    drMock.reset();
    drMock.on(HeadObjectCommand).rejects(
      Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const [denied] = (await collect()).items;
    expect(denied?.drCopy).toMatchObject({
      state: 'unknown',
      rawState: 'unreadable: AccessDenied: Access Denied',
    });
  });

  it('looks nothing up without a DR bucket (a configured external Velero bucket)', async () => {
    const inv = await collectInventory(
      { settings: { ...drSettings, velero: settings.velero }, parameters: { scope: ['velero'] } },
      { ec2, rds, s3, s3Dr },
      quiet,
      SUNDAY,
    );
    expect(inv.items[0]?.drCopyLookedUp).toBeUndefined();
    expect(drMock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });
});

describe('groupByRestore: the Map each item is checked in (issue 17: no per-item Choice)', () => {
  const point = { id: 'p', createdAt: '2026-12-07T03:00:00Z', state: 'completed' as const, encrypted: true };
  const item = (cls: 'ebs' | 'rds' | 'velero', resource: string, completed = true) => ({
    class: cls,
    resource,
    recoveryPoints: 1,
    ...(completed ? { latestCompleted: point } : {}),
  });
  const vol = item('ebs', 'vol-a');
  const fresh = item('ebs', 'vol-b', false);
  const db = item('rds', 'db-a');
  const daily = item('velero', 'daily');
  const all = [vol, fresh, db, daily];
  const on = { ebs: true, rds: true, velero: true, skipped: '' };

  it('files each item under its restore test when the plan runs it and it has a completed point', () => {
    expect(groupByRestore(all, on, ['ebs-content', 'rds-instance', 'velero-restore'])).toEqual({
      ebsContent: [vol],
      rdsInstance: [db],
      veleroRestore: [daily],
      others: [fresh],
    });
  });

  it('a restore test the plan does not run, or the workflow has no Map for, leaves the item with the others', () => {
    expect(groupByRestore(all, { ...on, rds: false }, ['ebs-content', 'velero-restore'])).toEqual({
      ebsContent: [vol],
      rdsInstance: [],
      veleroRestore: [daily],
      others: [fresh, db],
    });
    expect(groupByRestore(all, on, [])).toEqual({
      ebsContent: [],
      rdsInstance: [],
      veleroRestore: [],
      others: all,
    });
  });
});
