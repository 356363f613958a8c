import {
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import { allPages, read } from '../core.js';

/** More snapshots than this in one run: the check fails rather than judging part of them. */
export const MAX_SNAPSHOTS = 2000;

function bounded<T>(what: string, items: T[]): T[] {
  if (items.length > MAX_SNAPSHOTS) {
    throw new Error(`${what}: ${items.length} snapshots, more than the ${MAX_SNAPSHOTS} one run judges`);
  }
  return items;
}

function finding(
  condition: 'snapshot-shared' | 'db-snapshot-shared',
  id: string,
  sharedWith: string[],
  now: Date,
): SweepFinding {
  const isPublic = sharedWith.includes('all');
  const accounts = sharedWith.filter((a) => a !== 'all');
  const parts = [
    ...(isPublic ? ['public (all)'] : []),
    ...(accounts.length
      ? [`shared with account${accounts.length > 1 ? 's' : ''} ${accounts.join(', ')}`]
      : []),
  ];
  const kind = condition === 'snapshot-shared' ? 'snapshot' : 'DB snapshot';
  return {
    check: 'sharing',
    condition,
    resource: { type: condition === 'snapshot-shared' ? 'snapshot' : 'db-snapshot', id, attributes: {} },
    observedAt: now.toISOString(),
    summary: `${kind} ${id} is ${parts.join(' and ')}`,
    facts: { sharedWith, madePublic: isPublic },
  };
}

/**
 * The account's EBS snapshots that another account (or everyone) may create volumes from (issue 14
 * sweep 5): DescribeSnapshots (owner self), then DescribeSnapshotAttribute createVolumePermission each.
 */
export async function sharedEbsSnapshots(ec2: EC2Client, now: Date): Promise<SweepFinding[]> {
  const snapshots = bounded(
    'ec2:DescribeSnapshots',
    await allPages(
      'ec2:DescribeSnapshots',
      (token) =>
        ec2.send(
          new DescribeSnapshotsCommand({
            OwnerIds: ['self'],
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      (p) => p.Snapshots,
      (p) => p.NextToken,
    ),
  );
  const findings: SweepFinding[] = [];
  for (const s of snapshots) {
    const id = s.SnapshotId;
    if (!id) continue;
    const attr = await read('ec2:DescribeSnapshotAttribute', () =>
      ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission' })),
    );
    const sharedWith = (attr.CreateVolumePermissions ?? [])
      .map((p) => (p.Group === 'all' ? 'all' : p.UserId))
      .filter((v): v is string => typeof v === 'string' && v !== '');
    if (sharedWith.length > 0) findings.push(finding('snapshot-shared', id, sharedWith, now));
  }
  return findings;
}

/**
 * The account's manual DB snapshots another account (or everyone) may restore (issue 14 sweep 5):
 * DescribeDBSnapshots (manual: automated snapshots cannot be shared), then DescribeDBSnapshotAttributes
 * `restore` each.
 */
export async function sharedDbSnapshots(rds: RDSClient, now: Date): Promise<SweepFinding[]> {
  const snapshots = bounded(
    'rds:DescribeDBSnapshots',
    await allPages(
      'rds:DescribeDBSnapshots',
      (marker) =>
        rds.send(
          new DescribeDBSnapshotsCommand({
            SnapshotType: 'manual',
            MaxRecords: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        ),
      (p) => p.DBSnapshots,
      (p) => p.Marker,
    ),
  );
  const findings: SweepFinding[] = [];
  for (const s of snapshots) {
    const id = s.DBSnapshotIdentifier;
    if (!id) continue;
    const attr = await read('rds:DescribeDBSnapshotAttributes', () =>
      rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id })),
    );
    const sharedWith = (attr.DBSnapshotAttributesResult?.DBSnapshotAttributes ?? [])
      .filter((a) => a.AttributeName === 'restore')
      .flatMap((a) => a.AttributeValues ?? [])
      .filter((v) => v !== '');
    if (sharedWith.length > 0) findings.push(finding('db-snapshot-shared', id, sharedWith, now));
  }
  return findings;
}
