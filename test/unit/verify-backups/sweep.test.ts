import { DeleteVolumeCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import { sweepScratch } from '../../../runbooks/verify-backups/steps/sweep.js';

const quiet: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};
const NOW = new Date('2026-11-22T05:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const scratch = [{ Key: 'ops-automation:scratch', Value: 'true' }];

const ec2 = new EC2Client({ region: 'eu-west-1' });
const rds = new RDSClient({ region: 'eu-west-1' });
const ec2Mock = mockClient(ec2);
const rdsMock = mockClient(rds);

describe('verify-backups sweeper: deletes only old scratch leftovers', () => {
  beforeEach(() => {
    ec2Mock.reset();
    rdsMock.reset();
    ec2Mock.on(DeleteVolumeCommand).resolves({});
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
  });

  it('deletes scratch volumes older than the threshold, never recent or attached ones', async () => {
    // Prepare
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { VolumeId: 'vol-old', State: 'available', CreateTime: hoursAgo(7), Tags: scratch },
        { VolumeId: 'vol-recent', State: 'available', CreateTime: hoursAgo(2), Tags: scratch },
        { VolumeId: 'vol-attached', State: 'in-use', CreateTime: hoursAgo(9), Tags: scratch },
        { VolumeId: 'vol-undated', State: 'available', Tags: scratch },
      ],
    });
    // Act
    const out = await sweepScratch({ olderThanMinutes: 360 }, { ec2 }, quiet, NOW);
    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeVolumesCommand, {
      Filters: [{ Name: 'tag:ops-automation:scratch', Values: ['true'] }],
    });
    expect(ec2Mock).toHaveReceivedCommandTimes(DeleteVolumeCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteVolumeCommand, { VolumeId: 'vol-old' });
    expect(out.changes.map((c) => c.resource)).toEqual(['vol-old']);
    expect(out.failed).toEqual([]);
  });

  it('deletes old scratch databases by prefix and tag, skipping others and those already deleting', async () => {
    // Prepare
    ec2Mock.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'ops-test-vb-aaa',
          InstanceCreateTime: hoursAgo(8),
          DBInstanceStatus: 'available',
          TagList: scratch,
        },
        {
          DBInstanceIdentifier: 'ops-test-vb-bbb',
          InstanceCreateTime: hoursAgo(8),
          DBInstanceStatus: 'deleting',
          TagList: scratch,
        },
        {
          DBInstanceIdentifier: 'test-platform',
          InstanceCreateTime: hoursAgo(900),
          DBInstanceStatus: 'available',
          TagList: scratch,
        },
        {
          DBInstanceIdentifier: 'ops-test-vb-ccc',
          InstanceCreateTime: hoursAgo(8),
          DBInstanceStatus: 'available',
          TagList: [],
        },
      ],
    });
    // Act
    const out = await sweepScratch(
      { olderThanMinutes: 360, databasePrefix: 'ops-test-vb-' },
      { ec2, rds },
      quiet,
      NOW,
    );
    // Assess
    expect(rdsMock).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);
    expect(rdsMock).toHaveReceivedCommandWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: 'ops-test-vb-aaa',
      SkipFinalSnapshot: true,
    });
    expect(out.changes.map((c) => c.action)).toEqual(['delete-leftover-scratch-database']);
  });

  it('reports a delete it could not make and goes on with the rest', async () => {
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { VolumeId: 'vol-a', State: 'available', CreateTime: hoursAgo(7), Tags: scratch },
        { VolumeId: 'vol-b', State: 'available', CreateTime: hoursAgo(7), Tags: scratch },
      ],
    });
    ec2Mock
      .on(DeleteVolumeCommand, { VolumeId: 'vol-a' })
      .rejects(Object.assign(new Error('busy'), { name: 'VolumeInUse' }));
    const out = await sweepScratch({ olderThanMinutes: 360 }, { ec2 }, quiet, NOW);
    expect(out.failed).toEqual(['vol-a: VolumeInUse: busy']);
    expect(out.changes.map((c) => c.resource)).toEqual(['vol-b']);
  });

  // The event schema is zod/mini's (functions/shared/zod-mini.ts); the expected texts are zod's own
  // English messages, which zod/mini words only with the locale that module installs.
  it.each([
    [{ olderThanMinutes: 5 }, ['olderThanMinutes'], 'Too small: expected number to be >=240'],
    [{ olderThanMinutes: 300.5 }, ['olderThanMinutes'], 'Invalid input: expected int, received number'],
    [{}, ['olderThanMinutes'], 'Invalid input: expected number, received undefined'],
    [
      { olderThanMinutes: 360, databasePrefix: 'prod-db-' },
      ['databasePrefix'],
      'Invalid string: must match pattern /^[a-z][a-z0-9-]*-vb-$/',
    ],
  ])('refuses %j before any call, naming the field and why', async (event, path, message) => {
    const err = (await sweepScratch(event as never, { ec2, rds }, quiet, NOW).catch((e: unknown) => e)) as {
      issues?: Array<{ path: unknown[]; message: string }>;
    };
    expect(err.issues?.map((i) => [i.path, i.message])).toEqual([[path, message]]);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });
});
