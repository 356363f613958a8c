import {
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import * as z from '../../../functions/shared/zod-mini.js';
import type { RunChange } from '../../types.js';
import { EXECUTION_TAG_KEY, SCRATCH_TAG } from '../scratch-tags.js';

/**
 * The sweeper: before a run restores anything, it deletes scratch resources an earlier run left
 * behind (a crash, a time-out, a refused delete): EBS volumes tagged `ops-automation:scratch=true`
 * and, when RDS restore tests are on, DB instances named `<prefix>-vb-…` with that tag. Only ones
 * older than `olderThanMinutes` (longer than a run may last), so a run in progress is never touched.
 */

// zod/mini (functions/shared/zod-mini.ts): this is the only schema in the sweep's bundle.
export const SweepEvent = z.object({
  // At least the state machine timeout (4 hours): a run in progress is never swept.
  olderThanMinutes: z.int().check(z.minimum(240)),
  /** `ops-<stage>-vb-`: the name prefix of temporary DB instances; absent = no RDS sweep. */
  databasePrefix: z.optional(z.string().check(z.regex(/^[a-z][a-z0-9-]*-vb-$/))),
});
export type SweepEvent = z.input<typeof SweepEvent>;

export interface SweepClients {
  readonly ec2: EC2Client;
  readonly rds?: RDSClient;
}

export interface SweepOutcome {
  readonly changes: RunChange[];
  /** Leftovers that could not be deleted (the report names them; the next run tries again). */
  readonly failed: string[];
}

function tags(list: readonly { Key?: string; Value?: string }[] | undefined): Map<string, string> {
  return new Map((list ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(err)).slice(0, 200)}`;
}

async function scratchVolumes(ec2: EC2Client): Promise<Volume[]> {
  const out: Volume[] = [];
  let token: string | undefined;
  do {
    const res = await ec2.send(
      new DescribeVolumesCommand({
        Filters: [{ Name: `tag:${SCRATCH_TAG.key}`, Values: [SCRATCH_TAG.value] }],
        NextToken: token,
        MaxResults: 500,
      }),
    );
    out.push(...(res.Volumes ?? []));
    token = res.NextToken;
  } while (token);
  return out;
}

async function scratchInstances(rds: RDSClient, prefix: string): Promise<DBInstance[]> {
  const out: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const res = await rds.send(new DescribeDBInstancesCommand({ Marker: marker }));
    for (const db of res.DBInstances ?? []) {
      if (
        db.DBInstanceIdentifier?.startsWith(prefix) &&
        tags(db.TagList).get(SCRATCH_TAG.key) === SCRATCH_TAG.value
      )
        out.push(db);
    }
    marker = res.Marker;
  } while (marker);
  return out;
}

export async function sweepScratch(
  event: SweepEvent,
  clients: SweepClients,
  logger: OpsLogger,
  now: Date,
): Promise<SweepOutcome> {
  const e = SweepEvent.parse(event);
  const cutoff = now.getTime() - e.olderThanMinutes * 60_000;
  const changes: RunChange[] = [];
  const failed: string[] = [];
  for (const v of await scratchVolumes(clients.ec2)) {
    const created = v.CreateTime ? new Date(v.CreateTime).getTime() : Number.NaN;
    // A volume without a creation time, or in use, is never ours to delete.
    if (!v.VolumeId || Number.isNaN(created) || created > cutoff || v.State === 'in-use') continue;
    try {
      await clients.ec2.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId }));
      changes.push({
        action: 'delete-leftover-scratch-volume',
        resource: v.VolumeId,
        before: { state: v.State, run: tags(v.Tags).get(EXECUTION_TAG_KEY) ?? 'unknown' },
        at: now.toISOString(),
      });
    } catch (err) {
      failed.push(`${v.VolumeId}: ${describeError(err)}`);
    }
  }
  if (e.databasePrefix && clients.rds) {
    for (const db of await scratchInstances(clients.rds, e.databasePrefix)) {
      const created = db.InstanceCreateTime ? new Date(db.InstanceCreateTime).getTime() : Number.NaN;
      const id = db.DBInstanceIdentifier as string;
      if (Number.isNaN(created) || created > cutoff || db.DBInstanceStatus === 'deleting') continue;
      try {
        await clients.rds.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: id,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
        changes.push({
          action: 'delete-leftover-scratch-database',
          resource: id,
          before: { status: db.DBInstanceStatus, run: tags(db.TagList).get(EXECUTION_TAG_KEY) ?? 'unknown' },
          at: now.toISOString(),
        });
      } catch (err) {
        failed.push(`${id}: ${describeError(err)}`);
      }
    }
  }
  if (changes.length > 0 || failed.length > 0)
    logger.warn('swept leftover scratch resources', { changes, failed });
  return { changes, failed };
}
