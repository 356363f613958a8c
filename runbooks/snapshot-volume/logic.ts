import { RECLAIM_TAG } from '../../config/tags.js';
import * as z from '../../functions/shared/zod-mini.js';
import { RefusedError } from '../shared.js';
import type { RunChange, RunResult } from '../types.js';
import { SnapshotVolumeParameters } from './spec.js';

/**
 * Pure logic of the snapshot-volume Lambda steps: choose and guard the volume, build the
 * snapshot's tags, pick what retention prunes, and assemble the run's result. No AWS calls:
 * the workflow's SDK tasks read and write, these functions decide.
 *
 * Shapes are those Step Functions' AWS SDK integration returns (PascalCase members).
 */

/**
 * Tags the EBS CSI driver puts on the volumes it provisions. Source: kubernetes-sigs/aws-ebs-csi-driver
 * at 429e202e (2026-08-19): pkg/driver/constants.go:150-183, set in pkg/driver/controller.go:127,
 * 181-189 and 283-289; pkg/cloud/cloud.go:425.
 */
export const CSI_TAGS = {
  /** constants.go:171 `PVCNameTag`; set when the external-provisioner runs with --extra-create-metadata. */
  pvcName: 'kubernetes.io/created-for/pvc/name',
  /** constants.go:177 `PVCNamespaceTag`. */
  pvcNamespace: 'kubernetes.io/created-for/pvc/namespace',
  /** constants.go:183 `PVNameTag`. */
  pvName: 'kubernetes.io/created-for/pv/name',
  /** cloud.go:425 `AwsEbsDriverTagKey` (driver name + "/cluster"), "true" on every volume the driver creates (controller.go:127). */
  driver: 'ebs.csi.aws.com/cluster',
  /** constants.go:165 `KubernetesClusterTag`: the cluster id, only when the driver runs with a cluster id (controller.go:283-289). */
  cluster: 'KubernetesCluster',
  /** constants.go:150 `ResourceLifecycleTagPrefix` + cluster id = "owned", likewise. */
  clusterOwnedPrefix: 'kubernetes.io/cluster/',
} as const;

/** Tags this product puts on every snapshot it creates; retention and revert touch only those. */
export const SNAPSHOT_TAGS = {
  createdBy: 'ops-automation:created-by',
  runbook: 'ops-automation:runbook',
  execution: 'ops-automation:execution',
  reason: 'ops-automation:reason',
  sourceVolume: 'ops-automation:source-volume',
  pvc: 'ops-automation:pvc',
  sourceSnapshot: 'ops-automation:source-snapshot',
} as const;

/** The protected StorageClass's reclaim tag: a contract with the platform, so it lives in config/. */
export { RECLAIM_TAG };

const TagSchema = z.object({ Key: z.string(), Value: z._default(z.string(), '') });
type Tag = z.infer<typeof TagSchema>;

export const VolumeSchema = z.object({
  VolumeId: z.string(),
  State: z.optional(z.string()),
  Size: z.optional(z.number()),
  AvailabilityZone: z.optional(z.string()),
  Encrypted: z.optional(z.boolean()),
  /** In every DescribeVolumes answer (possibly empty); an attached volume lists its instance here. */
  Attachments: z.optional(
    z.array(z.looseObject({ InstanceId: z.optional(z.string()), State: z.optional(z.string()) })),
  ),
  Tags: z._default(z.array(TagSchema), []),
});
export type Volume = z.infer<typeof VolumeSchema>;

export const SnapshotSchema = z.object({
  SnapshotId: z.string(),
  VolumeId: z.optional(z.string()),
  State: z.optional(z.string()),
  StartTime: z.optional(z.union([z.string(), z.number()])),
  Tags: z._default(z.array(TagSchema), []),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** Limits and names the workflow passes in (from the stage's allow-lists). */
export const SnapshotSettingsSchema = z.object({
  region: z.string(),
  /** Value of `ops-automation:created-by`: identifies this product and stage (`ops-<stage>`). */
  createdBy: z.string().check(z.minLength(1)),
  protectedTag: z.object({ key: z.string(), value: z.string() }),
  optInTag: z.object({ key: z.string(), value: z.string() }),
  pvcNamespaces: z._default(z.array(z.string()), []),
  keepLast: z.number().check(z.int(), z.positive()),
  maxAgeDays: z.number().check(z.int(), z.positive()),
  drRegion: z.optional(z.string()),
});
export type SnapshotSettings = z.infer<typeof SnapshotSettingsSchema>;

const tagValue = (tags: readonly Tag[], key: string): string | undefined =>
  tags.find((t) => t.Key === key)?.Value;

/** EC2 tag values: at most 256 characters. */
const clip = (s: string, n = 256) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function consoleSnapshotUrl(region: string, snapshotId: string): string {
  return `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#SnapshotDetails:snapshotId=${snapshotId}`;
}

export interface SnapshotPlan {
  readonly volumeId: string;
  /** `namespace/name` when the volume belongs to a PVC, else null (always present for JSONPath). */
  readonly pvc: string | null;
  readonly description: string;
  /** `TagSpecifications` for CreateSnapshot (tags set in the same call as the create). */
  readonly tagSpecifications: { ResourceType: 'snapshot'; Tags: Tag[] }[];
  readonly tags: Tag[];
  /** Whether the snapshot is copied to the DR region after it completes. */
  readonly copyToDr: boolean;
  readonly dryRunResult: RunResult;
  /** Set when the volume is not allow-listed: the run ends with this result and no snapshot. */
  readonly declined: RunResult | null;
}

/**
 * Guards and plans a snapshot: exactly one volume must match, it must be in use or available
 * (not being deleted), and it must be allowed: carrying the protected or the opt-in tag, or
 * (for a PVC) provisioned by the EBS CSI driver in an allow-listed namespace of this cluster.
 */
export function planSnapshot(args: {
  parameters: unknown;
  volumes: readonly Volume[];
  settings: SnapshotSettings;
  executionName: string;
}): SnapshotPlan {
  const p = SnapshotVolumeParameters.parse(args.parameters);
  const { settings } = args;
  const target = p.volumeId ?? `PVC ${p.namespace}/${p.pvc} of cluster ${p.cluster}`;
  let candidates = [...args.volumes];
  if (!p.volumeId) {
    // Several clusters in one account can have a PVC of the same name: keep the ones of this cluster.
    const ofCluster = candidates.filter((v) => {
      const id = tagValue(v.Tags, CSI_TAGS.cluster);
      const owned = tagValue(v.Tags, `${CSI_TAGS.clusterOwnedPrefix}${p.cluster}`);
      return id === p.cluster || owned === 'owned' || (id === undefined && candidates.length === 1);
    });
    candidates = ofCluster;
  }
  if (candidates.length === 0) throw new RefusedError(`no EBS volume found for ${target}`);
  if (candidates.length > 1) {
    throw new RefusedError(
      `${candidates.length} volumes match ${target} (${candidates.map((v) => v.VolumeId).join(', ')}): refusing to guess`,
    );
  }
  const volume = candidates[0] as Volume;
  if (volume.State === 'deleting' || volume.State === 'deleted' || volume.State === 'error') {
    throw new RefusedError(`volume ${volume.VolumeId} is ${volume.State}: nothing to snapshot`);
  }
  const has = (t: { key: string; value: string }) => tagValue(volume.Tags, t.key) === t.value;
  const pvcNamespace = tagValue(volume.Tags, CSI_TAGS.pvcNamespace);
  const pvcName = tagValue(volume.Tags, CSI_TAGS.pvcName);
  const csiInAllowedNamespace =
    tagValue(volume.Tags, CSI_TAGS.driver) === 'true' &&
    pvcNamespace !== undefined &&
    settings.pvcNamespaces.includes(pvcNamespace);
  // Not allow-listed: declined, not failed. Detaching an unprotected volume is routine (every node
  // replacement does it), and the intake starts the run before the tags are known: a failure here
  // would trip the runbook's circuit breaker for nothing.
  const volumeLinks = [
    {
      title: `Volume ${volume.VolumeId}`,
      url: `https://${settings.region}.console.aws.amazon.com/ec2/home?region=${settings.region}#VolumeDetails:volumeId=${volume.VolumeId}`,
    },
  ];
  const declined: RunResult | null =
    !has(settings.protectedTag) && !has(settings.optInTag) && !csiInAllowedNamespace
      ? {
          outcome: 'rejected',
          summary:
            `No snapshot: volume ${volume.VolumeId} is not allow-listed. It carries neither ${settings.protectedTag.key}=${settings.protectedTag.value} ` +
            `nor ${settings.optInTag.key}=${settings.optInTag.value}, and is not a PVC volume in an allowed namespace ` +
            `(${settings.pvcNamespaces.join(', ') || 'none configured'}).`,
          changes: [],
          links: volumeLinks,
        }
      : null;
  const pvc = pvcName && pvcNamespace ? `${pvcNamespace}/${pvcName}` : undefined;
  const tags: Tag[] = [
    { Key: SNAPSHOT_TAGS.createdBy, Value: settings.createdBy },
    { Key: SNAPSHOT_TAGS.runbook, Value: 'snapshot-volume' },
    { Key: SNAPSHOT_TAGS.execution, Value: args.executionName },
    { Key: SNAPSHOT_TAGS.reason, Value: clip(p.reason) },
    { Key: SNAPSHOT_TAGS.sourceVolume, Value: volume.VolumeId },
    ...(pvc ? [{ Key: SNAPSHOT_TAGS.pvc, Value: pvc }] : []),
    { Key: 'Name', Value: clip(`${pvc ?? volume.VolumeId} ${args.executionName}`) },
  ];
  const copyToDr = p.copyToDr && Boolean(settings.drRegion);
  const description = clip(`ops-automation snapshot-volume ${args.executionName}: ${p.reason}`, 255);
  const dryRunResult: RunResult = {
    outcome: 'dry-run',
    summary:
      `Would snapshot ${volume.VolumeId}${pvc ? ` (PVC ${pvc})` : ''}` +
      `${copyToDr ? `, copy it to ${settings.drRegion}` : ''} and keep the last ${settings.keepLast} ` +
      `snapshots of it younger than ${settings.maxAgeDays} days.`,
    changes: [
      {
        action: 'create-snapshot',
        resource: volume.VolumeId,
        before: null,
        after: { tags: tagsObject(tags) },
      },
      ...(copyToDr ? [{ action: 'copy-snapshot', resource: `${settings.drRegion}`, before: null }] : []),
    ],
    links: volumeLinks,
  };
  return {
    volumeId: volume.VolumeId,
    pvc: pvc ?? null,
    description,
    tags,
    tagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
    copyToDr,
    dryRunResult,
    declined,
  };
}

function tagsObject(tags: readonly Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

function startMillis(s: Snapshot): number {
  if (typeof s.StartTime === 'number') return s.StartTime < 1e12 ? s.StartTime * 1000 : s.StartTime;
  return s.StartTime ? Date.parse(s.StartTime) : Number.NaN;
}

/**
 * Retention: of the snapshots of one volume that THIS product created (tagged with our
 * created-by value and the same source volume), keep the newest `keepLast` and drop any older
 * than `maxAgeDays`; never the snapshot this run just took, never one still pending, never one
 * someone else created (whatever the listing returned).
 */
export function pickSnapshotsToPrune(args: {
  snapshots: readonly Snapshot[];
  volumeId: string;
  createdBy: string;
  keepLast: number;
  maxAgeDays: number;
  now: Date;
  /** The snapshot this run created: always kept. */
  keep: string;
}): { prune: Snapshot[]; kept: Snapshot[] } {
  const ours = args.snapshots.filter(
    (s) =>
      tagValue(s.Tags, SNAPSHOT_TAGS.createdBy) === args.createdBy &&
      tagValue(s.Tags, SNAPSHOT_TAGS.sourceVolume) === args.volumeId &&
      s.State === 'completed' &&
      !Number.isNaN(startMillis(s)),
  );
  const newestFirst = [...ours].sort(
    (a, b) => startMillis(b) - startMillis(a) || (a.SnapshotId < b.SnapshotId ? -1 : 1),
  );
  const cutoff = args.now.getTime() - args.maxAgeDays * 86_400_000;
  const prune: Snapshot[] = [];
  const kept: Snapshot[] = [];
  let rank = 0;
  for (const s of newestFirst) {
    if (s.SnapshotId === args.keep) {
      kept.push(s);
      rank++;
      continue;
    }
    const tooMany = rank >= args.keepLast;
    const tooOld = startMillis(s) < cutoff;
    if (tooMany || tooOld) prune.push(s);
    else kept.push(s);
    rank++;
  }
  return { prune, kept };
}

export interface CreatedSnapshot {
  readonly snapshotId: string;
  readonly region: string;
}

/** The run's result once the snapshot completed (and was copied), with what retention will prune. */
export function buildSnapshotResult(args: {
  volumeId: string;
  pvc?: string;
  snapshot: CreatedSnapshot;
  copy?: CreatedSnapshot & { reused?: boolean };
  prune: readonly Snapshot[];
  settings: SnapshotSettings;
}): RunResult {
  const { snapshot, copy, prune, settings } = args;
  const changes: RunChange[] = [
    {
      action: 'create-snapshot',
      resource: snapshot.snapshotId,
      before: null,
      after: {
        snapshotId: snapshot.snapshotId,
        volumeId: args.volumeId,
        region: snapshot.region,
        pvc: args.pvc,
      },
    },
    ...(copy
      ? [
          {
            action: 'copy-snapshot',
            resource: copy.snapshotId,
            before: null,
            after: {
              snapshotId: copy.snapshotId,
              region: copy.region,
              sourceSnapshotId: snapshot.snapshotId,
            },
          },
        ]
      : []),
    ...prune.map((s) => ({
      action: 'delete-snapshot',
      resource: s.SnapshotId,
      before: { snapshotId: s.SnapshotId, startTime: s.StartTime, region: settings.region },
      after: null,
    })),
  ];
  const created = [snapshot, ...(copy ? [copy] : [])];
  return {
    outcome: 'succeeded',
    summary:
      `Snapshot ${snapshot.snapshotId} of ${args.volumeId}${args.pvc ? ` (PVC ${args.pvc})` : ''} completed` +
      `${copy ? `, copied to ${copy.region} as ${copy.snapshotId}` : ''}` +
      `; retention pruned ${prune.length} older snapshot(s).`,
    changes,
    links: created.map((s) => ({
      title: `Snapshot ${s.snapshotId} (${s.region})`,
      url: consoleSnapshotUrl(s.region, s.snapshotId),
    })),
    revert: { snapshots: created.map((s) => ({ snapshotId: s.snapshotId, region: s.region })) },
  };
}

/** What a revert deletes: the snapshot(s) the reverted run created. */
export const SnapshotRestoreSchema = z.object({
  snapshots: z
    .array(z.object({ snapshotId: z.string().check(z.regex(/^snap-[0-9a-f]{8,17}$/)), region: z.string() }))
    .check(z.minLength(1), z.maxLength(4)),
});
export type SnapshotRestore = z.infer<typeof SnapshotRestoreSchema>;

/**
 * Revert guard: a snapshot may be deleted only when it carries our created-by tag and the
 * execution tag of the run being reverted. Returns the reason it may not, or undefined.
 */
export function revertRefusal(snapshot: Snapshot, createdBy: string, revertOf: string): string | undefined {
  if (tagValue(snapshot.Tags, SNAPSHOT_TAGS.createdBy) !== createdBy)
    return `${snapshot.SnapshotId} was not created by ${createdBy}`;
  if (tagValue(snapshot.Tags, SNAPSHOT_TAGS.execution) !== revertOf)
    return `${snapshot.SnapshotId} was not created by run ${revertOf}`;
  return undefined;
}

/** Filters for DescribeSnapshots: our snapshots of one volume (retention only ever sees these). */
export function ourSnapshotFilters(createdBy: string, volumeId: string) {
  return [
    { Name: `tag:${SNAPSHOT_TAGS.createdBy}`, Values: [createdBy] },
    { Name: `tag:${SNAPSHOT_TAGS.sourceVolume}`, Values: [volumeId] },
  ];
}

export interface ReclaimDecision {
  /** Whether the workflow deletes the volume now (its next state is the tag-scoped DeleteVolume task). */
  readonly delete: boolean;
  readonly reason: string;
  /** The run's result: the snapshot result plus the deleted volume, or a note why it was kept. */
  readonly result: RunResult;
}

/**
 * Reclaim guard: after this run's snapshot completed, may the released volume be deleted? Only
 * when ALL hold, each read fresh (a DescribeVolumes made after the snapshot completed):
 * the snapshot is `completed`; the volume still exists, is `available` and has no attachment
 * (nothing re-attached it meanwhile); it carries the reclaim tag that only the protected
 * StorageClass sets, and the protected tag. Anything else keeps the volume and says why.
 * A deleted volume's run is not revertible: its snapshot is now the only copy of the data.
 */
export function decideReclaim(args: {
  volumes: readonly Volume[];
  volumeId: string;
  snapshotId: string;
  snapshotState?: string | undefined;
  settings: Pick<SnapshotSettings, 'protectedTag'>;
  result: RunResult;
}): ReclaimDecision {
  const { result } = args;
  const keep = (reason: string): ReclaimDecision => ({
    delete: false,
    reason,
    result: { ...result, summary: `${result.summary} Volume ${args.volumeId} kept: ${reason}.` },
  });
  if (args.snapshotState !== 'completed')
    return keep(
      `snapshot ${args.snapshotId} is ${args.snapshotState ?? 'in an unknown state'}, not completed`,
    );
  const volume = args.volumes.find((v) => v.VolumeId === args.volumeId);
  if (!volume) return keep('it no longer exists (already reclaimed)');
  if (volume.State !== 'available')
    return keep(`it is ${volume.State ?? 'in an unknown state'}, not available`);
  const attached = (volume.Attachments ?? []).filter((a) => a.State !== 'detached');
  if (attached.length > 0)
    return keep(`it is attached to ${attached.map((a) => a.InstanceId ?? 'an instance').join(', ')}`);
  if (tagValue(volume.Tags, RECLAIM_TAG.key) !== RECLAIM_TAG.value)
    return keep(
      `it does not carry ${RECLAIM_TAG.key}=${RECLAIM_TAG.value} (not from the protected StorageClass)`,
    );
  const { key, value } = args.settings.protectedTag;
  if (tagValue(volume.Tags, key) !== value)
    return keep(`it does not carry the protected tag ${key}=${value}`);
  const pvc = tagValue(volume.Tags, CSI_TAGS.pvcName);
  const ns = tagValue(volume.Tags, CSI_TAGS.pvcNamespace);
  // Reverting would delete the only copy of the data: a reclaim that deleted is not revertible.
  const { revert: _notRevertible, ...rest } = result;
  return {
    delete: true,
    reason: `snapshot ${args.snapshotId} completed and the volume is released`,
    result: {
      ...rest,
      summary: `${result.summary} Released volume ${args.volumeId} deleted; its data is in snapshot ${args.snapshotId}.`,
      changes: [
        ...result.changes,
        {
          action: 'delete-volume',
          resource: args.volumeId,
          before: {
            volumeId: args.volumeId,
            state: volume.State,
            snapshotId: args.snapshotId,
            ...(pvc && ns ? { pvc: `${ns}/${pvc}` } : {}),
          },
          after: null,
        },
      ],
    },
  };
}
