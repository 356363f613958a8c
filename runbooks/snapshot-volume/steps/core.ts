import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import * as z from '../../../functions/shared/zod-mini.js';
import { RefusedError } from '../../shared.js';
import type { RunResult } from '../../types.js';
import {
  buildSnapshotResult,
  consoleSnapshotUrl,
  decideReclaim,
  pickSnapshotsToPrune,
  planSnapshot,
  revertRefusal,
  SNAPSHOT_TAGS,
  SnapshotRestoreSchema,
  SnapshotSchema,
  SnapshotSettingsSchema,
  VolumeSchema,
} from '../logic.js';
import { SnapshotVolumeParameters } from '../spec.js';

/**
 * The snapshot-volume workflow's Lambda steps. `plan` and `retention` are pure decisions over
 * what the workflow's SDK tasks read; `copy` and `revert` call EC2 themselves because they act
 * in another region (the DR copy must be requested in the destination region, which a Step
 * Functions SDK task, always calling its own region, cannot do) and must check tags before deleting.
 */

const Tag = z.object({ Key: z.string(), Value: z.string() });

export const SnapshotStepEvent = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('plan'),
    parameters: z.unknown(),
    volumes: z.array(VolumeSchema),
    settings: SnapshotSettingsSchema,
    executionName: z.string(),
  }),
  z.object({
    step: z.literal('copy'),
    /** The run's execution name: the correlation id of the step's log lines. */
    executionName: z.string(),
    snapshotId: z.string(),
    description: z.string(),
    tags: z.array(Tag),
    /** `drKmsKeyId`: key or alias ARN in the DR region; omitted = the region's default EBS key. */
    settings: z.extend(SnapshotSettingsSchema, { drRegion: z.string(), drKmsKeyId: z.optional(z.string()) }),
  }),
  z.object({
    step: z.literal('retention'),
    /** The run's execution name: the correlation id of the step's log lines. */
    executionName: z.string(),
    volumeId: z.string(),
    pvc: z.nullish(z.string()),
    snapshotId: z.string(),
    /** The DR copy, or `{ skipped: true }` when there is none. */
    copy: z.object({
      snapshotId: z.optional(z.string()),
      region: z.optional(z.string()),
      reused: z.optional(z.boolean()),
      skipped: z.optional(z.boolean()),
    }),
    snapshots: z.array(SnapshotSchema),
    settings: SnapshotSettingsSchema,
  }),
  z.object({
    step: z.literal('reclaim'),
    /** The run's execution name: the correlation id of the step's log lines. */
    executionName: z.string(),
    volumeId: z.string(),
    snapshotId: z.string(),
    /** The snapshot's last polled state (`completed` on the only path that reaches this step). */
    snapshotState: z.optional(z.string()),
    /** DescribeVolumes of the volume, made after the snapshot completed (empty when it is gone). */
    volumes: z.array(VolumeSchema),
    /** The run's result so far (the retention step's). */
    result: z.custom<RunResult>((v) => typeof v === 'object' && v !== null && 'outcome' in v),
    settings: SnapshotSettingsSchema,
  }),
  z.object({
    step: z.literal('revert'),
    /** The run's execution name: the correlation id of the step's log lines. */
    executionName: z.string(),
    parameters: z.unknown(),
    dryRun: z.boolean(),
    settings: SnapshotSettingsSchema,
  }),
]);
export type SnapshotStepEvent = z.infer<typeof SnapshotStepEvent>;

export interface SnapshotClients {
  /** EC2 client for a region (the DR copy and its clean-up happen outside the home region). */
  ec2(region: string): Pick<EC2Client, 'send'>;
}

export async function runSnapshotStep(
  event: SnapshotStepEvent,
  clients: SnapshotClients,
  logger: OpsLogger,
  now: Date,
): Promise<unknown> {
  switch (event.step) {
    case 'plan':
      return planSnapshot(event);
    case 'copy':
      return copyToDr(event, clients, logger);
    case 'retention': {
      const { prune } = pickSnapshotsToPrune({
        snapshots: event.snapshots,
        volumeId: event.volumeId,
        createdBy: event.settings.createdBy,
        keepLast: event.settings.keepLast,
        maxAgeDays: event.settings.maxAgeDays,
        now,
        keep: event.snapshotId,
      });
      logger.info('retention decided', { volumeId: event.volumeId, prune: prune.map((s) => s.SnapshotId) });
      return {
        prune: prune.map((s) => ({ SnapshotId: s.SnapshotId })),
        result: buildSnapshotResult({
          volumeId: event.volumeId,
          ...(event.pvc ? { pvc: event.pvc } : {}),
          snapshot: { snapshotId: event.snapshotId, region: event.settings.region },
          ...(event.copy.snapshotId && event.copy.region
            ? { copy: { snapshotId: event.copy.snapshotId, region: event.copy.region } }
            : {}),
          prune,
          settings: event.settings,
        }),
      };
    }
    case 'reclaim': {
      const decision = decideReclaim(event);
      logger.info('reclaim decided', {
        volumeId: event.volumeId,
        delete: decision.delete,
        reason: decision.reason,
      });
      return decision;
    }
    case 'revert':
      return revertSnapshots(event, clients, logger);
  }
}

/**
 * Copies a completed snapshot to the DR region, encrypted with the DR key. CopySnapshot takes
 * no client token, so idempotency comes from a look-up first: a copy tagged with this source
 * snapshot id that already exists (a retried step) is returned instead of copying again.
 */
async function copyToDr(
  event: Extract<SnapshotStepEvent, { step: 'copy' }>,
  clients: SnapshotClients,
  logger: OpsLogger,
): Promise<{ snapshotId: string; region: string; reused: boolean }> {
  const { drRegion, drKmsKeyId, region, createdBy } = event.settings;
  const ec2 = clients.ec2(drRegion);
  const existing = await ec2.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [
        { Name: `tag:${SNAPSHOT_TAGS.sourceSnapshot}`, Values: [event.snapshotId] },
        { Name: `tag:${SNAPSHOT_TAGS.createdBy}`, Values: [createdBy] },
      ],
    }),
  );
  const found = existing.Snapshots?.find((s) => s.State !== 'error' && s.SnapshotId);
  if (found?.SnapshotId) {
    logger.info('DR copy already exists', { source: event.snapshotId, copy: found.SnapshotId });
    return { snapshotId: found.SnapshotId, region: drRegion, reused: true };
  }
  const tags = [
    ...event.tags.filter((t) => t.Key !== SNAPSHOT_TAGS.sourceSnapshot),
    { Key: SNAPSHOT_TAGS.sourceSnapshot, Value: event.snapshotId },
  ];
  const out = await ec2.send(
    new CopySnapshotCommand({
      SourceRegion: region,
      SourceSnapshotId: event.snapshotId,
      Encrypted: true,
      ...(drKmsKeyId ? { KmsKeyId: drKmsKeyId } : {}),
      Description: event.description,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
    }),
  );
  if (!out.SnapshotId) throw new Error(`CopySnapshot of ${event.snapshotId} returned no snapshot id`);
  logger.info('DR copy started', { source: event.snapshotId, copy: out.SnapshotId, region: drRegion });
  return { snapshotId: out.SnapshotId, region: drRegion, reused: false };
}

/**
 * Revert: deletes the snapshot(s) the reverted run created, in their regions, after checking
 * each carries our created-by tag and that run's execution tag. A snapshot already gone counts
 * as reverted (idempotent). Dry-run reports what it would delete and deletes nothing.
 */
async function revertSnapshots(
  event: Extract<SnapshotStepEvent, { step: 'revert' }>,
  clients: SnapshotClients,
  logger: OpsLogger,
): Promise<RunResult> {
  const params = SnapshotVolumeParameters.parse(event.parameters);
  if (!params.revertOf) throw new RefusedError('revert needs revertOf (the execution to revert)');
  const restore = SnapshotRestoreSchema.safeParse(params.restore);
  if (!restore.success) {
    throw new RefusedError(
      `revert of ${params.revertOf} needs restore.snapshots ([{ snapshotId, region }]): ${restore.error.issues[0]?.message}`,
    );
  }
  const allowedRegions = [event.settings.region, event.settings.drRegion].filter(Boolean);
  const changes: RunResult['changes'][number][] = [];
  const toDelete: { snapshotId: string; region: string }[] = [];
  for (const s of restore.data.snapshots) {
    if (!allowedRegions.includes(s.region))
      throw new RefusedError(`${s.snapshotId}: region ${s.region} is neither the home nor the DR region`);
    const found = await clients
      .ec2(s.region)
      .send(new DescribeSnapshotsCommand({ SnapshotIds: [s.snapshotId] }))
      .catch((err: Error) => {
        if (err.name === 'InvalidSnapshot.NotFound') return { Snapshots: [] };
        throw err;
      });
    const snapshot = found.Snapshots?.[0];
    if (!snapshot) {
      changes.push({ action: 'delete-snapshot', resource: s.snapshotId, before: null, after: null });
      continue;
    }
    const parsed = SnapshotSchema.parse(snapshot);
    const refusal = revertRefusal(parsed, event.settings.createdBy, params.revertOf);
    if (refusal) throw new RefusedError(`not deleting: ${refusal}`);
    toDelete.push(s);
    changes.push({
      action: 'delete-snapshot',
      resource: s.snapshotId,
      before: { snapshotId: s.snapshotId, region: s.region, state: parsed.State },
      after: null,
    });
  }
  if (!event.dryRun) {
    for (const s of toDelete) {
      await clients
        .ec2(s.region)
        .send(new DeleteSnapshotCommand({ SnapshotId: s.snapshotId }))
        .catch((err: Error) => {
          if (err.name !== 'InvalidSnapshot.NotFound') throw err;
        });
      logger.info('snapshot deleted (revert)', { snapshotId: s.snapshotId, region: s.region });
    }
  }
  return {
    outcome: event.dryRun ? 'dry-run' : 'succeeded',
    summary: `${event.dryRun ? 'Would delete' : 'Deleted'} ${toDelete.length} snapshot(s) created by ${params.revertOf}${
      changes.length > toDelete.length ? ` (${changes.length - toDelete.length} already gone)` : ''
    }.`,
    changes,
    links: toDelete.map((s) => ({
      title: `Snapshot ${s.snapshotId} (${s.region})`,
      url: consoleSnapshotUrl(s.region, s.snapshotId),
    })),
  };
}
