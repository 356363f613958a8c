import {
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  type DBSnapshot,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import type { BackupClass, BackupItem, RecoveryPoint } from '../logic.js';
import { inventoryRowName, rdsRestoreDue } from '../logic.js';
import { VerifyBackupsParameters } from '../spec.js';

/**
 * The inventory step of verify-backups: finds every protected resource and its recovery points
 * (home region and DR region), and says which restore tests this run does. A Lambda step rather
 * than SDK tasks because it pages, joins snapshots to volumes and DR copies to their sources,
 * reads the DR region (Step Functions SDK tasks reach only their own region) and parses Velero's
 * metadata.
 */

/** The EBS CSI driver's tags on the volumes it provisions for a PVC. */
export const PVC_NAMESPACE_TAG = 'kubernetes.io/created-for/pvc/namespace';
export const PVC_NAME_TAG = 'kubernetes.io/created-for/pvc/name';
/** The snapshot runbook's tag on the snapshots it makes, and on DR copies the source it came from. */
export const CREATED_BY_TAG = 'ops-automation:created-by';
export const SOURCE_SNAPSHOT_TAG = 'ops-automation:source-snapshot';
export const SOURCE_VOLUME_TAG = 'ops-automation:source-volume';

export const CollectSettings = z.object({
  stage: z.string().min(1),
  region: z.string().min(1),
  drRegion: z.string().optional(),
  protectedTag: z.object({ key: z.string().min(1), value: z.string() }),
  pvcNamespaces: z.array(z.string()).default([]),
  /** The platform database's instance identifier; no RDS checks without one. */
  databaseInstance: z.string().optional(),
  velero: z.object({
    bucket: z.string().optional(),
    prefix: z.string(),
    schedules: z.array(z.string()),
    /** The bucket in drRegion the Velero bucket replicates to (same keys), when known. */
    drBucket: z.string().optional(),
  }),
  restore: z.object({
    ebs: z.object({ enabled: z.boolean() }),
    rds: z.object({ enabled: z.boolean(), weekday: z.string() }),
    velero: z.object({ enabled: z.boolean() }).optional(),
  }),
});
export type CollectSettings = z.infer<typeof CollectSettings>;

export const CollectEvent = z.object({
  settings: CollectSettings,
  /** The run's parameters, validated again here (the intake already did). */
  parameters: z.unknown(),
  dryRun: z.boolean().default(false),
  /** The restore tests the workflow has a Map for; an item due another one is checked without it. */
  restoreMaps: z.array(z.enum(['ebs-content', 'rds-instance', 'velero-restore'])).default([]),
});
export type CollectEvent = z.input<typeof CollectEvent>;

export interface CollectClients {
  readonly ec2: EC2Client;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  /** Clients in the DR region; absent when the stage has none. */
  readonly ec2Dr?: EC2Client;
  readonly rdsDr?: RDSClient;
  readonly s3Dr?: S3Client;
}

export interface RestorePlan {
  readonly ebs: boolean;
  readonly rds: boolean;
  /** The Velero restore test (through the kube function) runs this time. */
  readonly velero: boolean;
  /** Why a restore test does not run, for the report. */
  readonly skipped: string;
}

export type RestoreKind = 'ebs-content' | 'rds-instance' | 'velero-restore';

/**
 * The items again, split by the restore test each gets in this run: the workflow checks each group
 * in a Map of its own (no per-item Choice). Every item is in exactly one group.
 */
export interface InventoryGroups {
  readonly others: BackupItem[];
  readonly ebsContent: BackupItem[];
  readonly rdsInstance: BackupItem[];
  readonly veleroRestore: BackupItem[];
}

export interface Inventory {
  readonly items: BackupItem[];
  readonly plan: RestorePlan;
  readonly groups: InventoryGroups;
}

/**
 * AWS was unavailable (throttled, 5xx, network) after the SDK's own retries: the workflow
 * retries the step, then fails the run through its failure path.
 */
export class InventoryUnavailableError extends Error {
  override readonly name = 'InventoryUnavailableError';
}

interface AwsErrorShape {
  name?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as AwsErrorShape;
  if (e.$retryable) return true;
  if (e.$fault === 'server') return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return /Throttl|RequestLimitExceeded|TooManyRequests|ServiceUnavailable|InternalError|Timeout|ECONNRESET/i.test(
    e.name ?? '',
  );
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(err)).slice(0, 200)}`;
}

function iso(d: Date | string | undefined): string | undefined {
  if (!d) return undefined;
  return typeof d === 'string' ? d : d.toISOString();
}

function tagMap(tags: readonly { Key?: string; Value?: string }[] | undefined): Map<string, string> {
  return new Map((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
}

function byNewest(a: RecoveryPoint, b: RecoveryPoint): number {
  return (b.completedAt ?? b.createdAt ?? '').localeCompare(a.completedAt ?? a.createdAt ?? '');
}

function summarise(
  points: RecoveryPoint[],
): Pick<BackupItem, 'newest' | 'latestCompleted' | 'recoveryPoints'> {
  const sorted = [...points].sort(byNewest);
  const newest = sorted[0];
  const latestCompleted = sorted.find((p) => p.state === 'completed');
  return {
    recoveryPoints: sorted.length,
    ...(newest ? { newest } : {}),
    ...(latestCompleted ? { latestCompleted } : {}),
  };
}

// ---------------------------------------------------------------------------------------- EBS

function ebsState(state: string | undefined): RecoveryPoint['state'] {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'pending':
    case 'recovering':
      return 'pending';
    case 'error':
    case 'recoverable':
      return 'failed';
    default:
      return 'unknown';
  }
}

function snapshotOrigin(tags: Map<string, string>): string {
  if (tags.has(CREATED_BY_TAG)) return tags.get(CREATED_BY_TAG) || 'snapshot-volume';
  if ([...tags.keys()].some((k) => k.startsWith('velero.io/'))) return 'velero';
  if (tags.has('aws:dlm:lifecycle-policy-id')) return 'dlm';
  if ([...tags.keys()].some((k) => k.startsWith('aws:backup:'))) return 'aws-backup';
  return 'other';
}

export function snapshotPoint(s: Snapshot, region?: string): RecoveryPoint {
  const tags = tagMap(s.Tags);
  return {
    id: s.SnapshotId ?? 'unknown',
    ...(s.StartTime ? { createdAt: iso(s.StartTime) } : {}),
    ...(s.CompletionTime ? { completedAt: iso(s.CompletionTime) } : {}),
    state: ebsState(s.State),
    ...(s.State ? { rawState: s.State } : {}),
    ...(s.Encrypted !== undefined ? { encrypted: s.Encrypted } : {}),
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    sizeGiB: s.VolumeSize ?? 0,
    origin: snapshotOrigin(tags),
    ...(region ? { region } : {}),
  };
}

async function describeVolumes(ec2: EC2Client, filters: Filter[]): Promise<Volume[]> {
  const out: Volume[] = [];
  let token: string | undefined;
  do {
    const res = await ec2.send(
      new DescribeVolumesCommand({ Filters: filters, NextToken: token, MaxResults: 500 }),
    );
    out.push(...(res.Volumes ?? []));
    token = res.NextToken;
  } while (token);
  return out;
}

async function describeSnapshots(ec2: EC2Client, filters?: Filter[]): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let token: string | undefined;
  do {
    const res = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        ...(filters ? { Filters: filters } : {}),
        NextToken: token,
        MaxResults: 1000,
      }),
    );
    out.push(...(res.Snapshots ?? []));
    token = res.NextToken;
  } while (token);
  return out;
}

/** The volumes that must be backed up: the protected tag, or a PVC in an allowed namespace. */
async function protectedVolumes(ec2: EC2Client, s: CollectSettings): Promise<Volume[]> {
  const byId = new Map<string, Volume>();
  const tagged = await describeVolumes(ec2, [
    { Name: `tag:${s.protectedTag.key}`, Values: [s.protectedTag.value] },
  ]);
  for (const v of tagged) if (v.VolumeId) byId.set(v.VolumeId, v);
  if (s.pvcNamespaces.length > 0) {
    const pvcs = await describeVolumes(ec2, [{ Name: `tag:${PVC_NAMESPACE_TAG}`, Values: s.pvcNamespaces }]);
    for (const v of pvcs) if (v.VolumeId) byId.set(v.VolumeId, v);
  }
  return [...byId.values()].sort((a, b) => (a.VolumeId ?? '').localeCompare(b.VolumeId ?? ''));
}

function volumeLabel(v: Volume): string | undefined {
  const tags = tagMap(v.Tags);
  const ns = tags.get(PVC_NAMESPACE_TAG);
  const pvc = tags.get(PVC_NAME_TAG);
  if (ns && pvc) return `pvc ${ns}/${pvc}`;
  return tags.get('Name') || undefined;
}

/** A DR copy's source: the snapshot runbook's tag, else the `snap-…` id in the copy's description. */
function copySources(s: Snapshot): { snapshot?: string; volume?: string } {
  const tags = tagMap(s.Tags);
  const snapshot = tags.get(SOURCE_SNAPSHOT_TAG) ?? /snap-[0-9a-f]{8,17}/.exec(s.Description ?? '')?.[0];
  const volume = tags.get(SOURCE_VOLUME_TAG);
  return { ...(snapshot ? { snapshot } : {}), ...(volume ? { volume } : {}) };
}

export async function collectEbs(clients: CollectClients, s: CollectSettings): Promise<BackupItem[]> {
  const volumes = await protectedVolumes(clients.ec2, s);
  if (volumes.length === 0) return [];
  const ids = volumes.map((v) => v.VolumeId as string);
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    snapshots.push(
      ...(await describeSnapshots(clients.ec2, [{ Name: 'volume-id', Values: ids.slice(i, i + 100) }])),
    );
  }
  const drSnapshots = s.drRegion && clients.ec2Dr ? await describeSnapshots(clients.ec2Dr) : [];
  return volumes.map((v) => {
    const volumeId = v.VolumeId as string;
    const own = snapshots.filter((sn) => sn.VolumeId === volumeId);
    const ownIds = new Set(own.map((sn) => sn.SnapshotId));
    const copies = drSnapshots
      .filter((c) => {
        const src = copySources(c);
        return src.volume === volumeId || (src.snapshot !== undefined && ownIds.has(src.snapshot));
      })
      .map((c) => snapshotPoint(c, s.drRegion))
      .sort(byNewest);
    const drCopy = copies.find((c) => c.state === 'completed') ?? copies[0];
    const label = volumeLabel(v);
    return {
      class: 'ebs' as const,
      resource: volumeId,
      ...(label ? { label } : {}),
      ...summarise(own.map((sn) => snapshotPoint(sn))),
      ...(drCopy ? { drCopy } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------- RDS

function rdsState(status: string | undefined): RecoveryPoint['state'] {
  if (status === 'available' || status === 'active') return 'completed';
  if (status === 'creating' || status === 'copying' || status === 'replicating' || status === 'pending')
    return 'pending';
  if (!status) return 'unknown';
  if (status.startsWith('incompatible') || status === 'failed' || status === 'error') return 'failed';
  return 'unknown';
}

function dbSnapshotPoint(s: DBSnapshot, region?: string): RecoveryPoint {
  return {
    id: s.DBSnapshotIdentifier ?? s.DBSnapshotArn ?? 'unknown',
    ...(s.SnapshotCreateTime ? { createdAt: iso(s.SnapshotCreateTime) } : {}),
    state: rdsState(s.Status),
    ...(s.Status ? { rawState: s.Status } : {}),
    ...(s.Encrypted !== undefined ? { encrypted: s.Encrypted } : {}),
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    ...(s.AllocatedStorage !== undefined ? { sizeGiB: s.AllocatedStorage } : {}),
    origin:
      s.SnapshotType === 'automated'
        ? 'rds-automated'
        : s.SnapshotType === 'awsbackup'
          ? 'aws-backup'
          : 'rds-manual',
    ...(region ? { region } : {}),
  };
}

async function dbSnapshots(rds: RDSClient, instance: string): Promise<DBSnapshot[]> {
  const out: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const res = await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instance, Marker: marker }),
    );
    out.push(...(res.DBSnapshots ?? []));
    marker = res.Marker;
  } while (marker);
  return out;
}

async function collectRds(clients: CollectClients, s: CollectSettings): Promise<BackupItem[]> {
  const instance = s.databaseInstance;
  if (!instance) return [];
  const points = (await dbSnapshots(clients.rds, instance)).map((sn) => dbSnapshotPoint(sn));
  let drCopy: RecoveryPoint | undefined;
  if (s.drRegion && clients.rdsDr) {
    const copies = (await dbSnapshots(clients.rdsDr, instance)).map((sn) => dbSnapshotPoint(sn, s.drRegion));
    // Cross-region automated backup replication shows up as a replicated automated backup there.
    const replicated = await clients.rdsDr.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: instance }),
    );
    for (const b of replicated.DBInstanceAutomatedBackups ?? []) {
      const latest = b.RestoreWindow?.LatestTime;
      copies.push({
        id: b.DBInstanceAutomatedBackupsArn ?? `${instance} (replicated automated backup)`,
        ...(latest ? { createdAt: iso(latest) } : {}),
        state: rdsState(b.Status),
        ...(b.Status ? { rawState: b.Status } : {}),
        ...(b.Encrypted !== undefined ? { encrypted: b.Encrypted } : {}),
        ...(b.KmsKeyId ? { kmsKeyId: b.KmsKeyId } : {}),
        origin: 'rds-replicated-automated-backup',
        region: s.drRegion,
      });
    }
    const sorted = copies.sort(byNewest);
    drCopy = sorted.find((c) => c.state === 'completed') ?? sorted[0];
  }
  return [
    {
      class: 'rds',
      resource: instance,
      label: 'RDS MySQL',
      ...summarise(points),
      ...(drCopy ? { drCopy } : {}),
    },
  ];
}

// ------------------------------------------------------------------------------------- Velero

/** The parts of `velero-backup.json` (a velero.io/v1 Backup) the checks read. */
export const VeleroBackupJson = z.object({
  kind: z.literal('Backup').optional(),
  metadata: z.object({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }).loose(),
  spec: z.object({ ttl: z.string().optional() }).loose().optional(),
  status: z
    .object({
      phase: z.string().optional(),
      startTimestamp: z.string().optional(),
      completionTimestamp: z.string().optional(),
      expiration: z.string().optional(),
      errors: z.number().int().optional(),
      warnings: z.number().int().optional(),
    })
    .loose()
    .default({}),
});

/** Velero's backup phases (pkg/apis/velero/v1/backup_types.go) mapped to ours. */
export function veleroState(phase: string | undefined): RecoveryPoint['state'] {
  switch (phase) {
    case 'Completed':
      return 'completed';
    case 'PartiallyFailed':
      return 'partially-failed';
    case 'Failed':
    case 'FailedValidation':
    case 'Deleting':
      return 'failed';
    case 'New':
    case 'Queued':
    case 'ReadyToStart':
    case 'InProgress':
    case 'WaitingForPluginOperations':
    case 'WaitingForPluginOperationsPartiallyFailed':
    case 'Finalizing':
    case 'FinalizingPartiallyFailed':
      return 'pending';
    default:
      return 'unknown';
  }
}

async function listPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of res.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
    token = res.NextContinuationToken;
  } while (token);
  return out;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) if (o.Key) keys.add(o.Key);
    token = res.NextContinuationToken;
  } while (token);
  return keys;
}

function isNotFound(err: unknown): boolean {
  const e = (err ?? {}) as AwsErrorShape;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

async function readVeleroBackup(
  s3: S3Client,
  bucket: string,
  dir: string,
  name: string,
): Promise<RecoveryPoint> {
  let metadata: z.infer<typeof VeleroBackupJson> | undefined;
  let rawState = 'metadata missing';
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${dir}velero-backup.json` }));
    const text = (await res.Body?.transformToString()) ?? '';
    const parsed = VeleroBackupJson.safeParse(JSON.parse(text));
    if (parsed.success) metadata = parsed.data;
    else rawState = 'metadata unreadable';
  } catch (err) {
    if (err instanceof SyntaxError) rawState = 'metadata is not JSON';
    else if (!isNotFound(err)) throw err;
  }
  const status = metadata?.status;
  return {
    id: name,
    ...(status?.startTimestamp ? { createdAt: status.startTimestamp } : {}),
    ...(status?.completionTimestamp ? { completedAt: status.completionTimestamp } : {}),
    state: metadata ? veleroState(status?.phase) : 'unknown',
    rawState: metadata ? (status?.phase ?? 'no phase') : rawState,
    ...(status?.errors !== undefined ? { errors: status.errors } : {}),
    ...(status?.warnings !== undefined ? { warnings: status.warnings } : {}),
    origin: 'velero',
  };
}

/** Adds the object listing and the tarball's encryption and replication to a Velero point. */
async function inspectVeleroObjects(
  s3: S3Client,
  bucket: string,
  dir: string,
  point: RecoveryPoint,
): Promise<RecoveryPoint> {
  const keys = await listKeys(s3, bucket, dir);
  const tarball = `${dir}${point.id}.tar.gz`;
  const objects = {
    metadata: keys.has(`${dir}velero-backup.json`),
    tarball: keys.has(tarball),
    logs: keys.has(`${dir}${point.id}-logs.gz`),
  };
  if (!objects.tarball) return { ...point, objects };
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: tarball }));
  return {
    ...point,
    objects,
    encrypted: head.ServerSideEncryption !== undefined,
    ...(head.SSEKMSKeyId ? { kmsKeyId: head.SSEKMSKeyId } : {}),
    ...(head.ReplicationStatus ? { replication: head.ReplicationStatus } : {}),
    ...(head.ContentLength !== undefined
      ? { sizeGiB: Math.round((head.ContentLength / 2 ** 30) * 1000) / 1000 }
      : {}),
  };
}

/**
 * The replica of a Velero backup in the DR bucket (S3 replication keeps the key): its tarball's
 * HeadObject there. Dated by the backup it replicates, encrypted as the DR bucket reports. None when
 * the replica is not there (yet); a refused read is a copy in an unknown state, naming the error.
 */
async function veleroReplica(
  s3Dr: S3Client,
  drBucket: string,
  drRegion: string,
  backupsDir: string,
  point: RecoveryPoint,
): Promise<{ copy?: RecoveryPoint }> {
  const key = `${backupsDir}${point.id}/${point.id}.tar.gz`;
  const base = {
    id: `s3://${drBucket}/${key}`,
    ...(point.createdAt ? { createdAt: point.createdAt } : {}),
    ...(point.completedAt ? { completedAt: point.completedAt } : {}),
    origin: 's3-replication',
    region: drRegion,
  };
  try {
    const head = await s3Dr.send(new HeadObjectCommand({ Bucket: drBucket, Key: key }));
    return {
      copy: {
        ...base,
        state: 'completed',
        rawState: head.ReplicationStatus ?? 'present',
        encrypted: head.ServerSideEncryption !== undefined,
        ...(head.SSEKMSKeyId ? { kmsKeyId: head.SSEKMSKeyId } : {}),
      },
    };
  } catch (err) {
    if (isNotFound(err)) return {};
    if (isTransient(err)) throw err;
    return { copy: { ...base, state: 'unknown', rawState: `unreadable: ${describeError(err)}` } };
  }
}

async function collectVelero(clients: CollectClients, s: CollectSettings): Promise<BackupItem[]> {
  const bucket = s.velero.bucket;
  if (!bucket) return [];
  const backupsDir = `${s.velero.prefix}backups/`;
  const items: BackupItem[] = [];
  for (const schedule of s.velero.schedules) {
    // Scheduled backups are named <schedule>-<yyyyMMddHHmmss>: the name sorts by time.
    const pattern = new RegExp(`^${schedule.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{14}$`);
    const names = (await listPrefixes(clients.s3, bucket, `${backupsDir}${schedule}-`))
      .map((p) => p.slice(backupsDir.length, -1))
      .filter((n) => pattern.test(n))
      .sort()
      .reverse();
    const read: RecoveryPoint[] = [];
    // The newest backup, and older ones until a completed one is found (at most three reads).
    for (const name of names.slice(0, 3)) {
      const point = await readVeleroBackup(clients.s3, bucket, `${backupsDir}${name}/`, name);
      read.push(point);
      if (point.state === 'completed') break;
    }
    const newest = read[0];
    let latestCompleted = read.find((p) => p.state === 'completed');
    if (latestCompleted)
      latestCompleted = await inspectVeleroObjects(
        clients.s3,
        bucket,
        `${backupsDir}${latestCompleted.id}/`,
        latestCompleted,
      );
    const newestInspected =
      newest && newest.id === latestCompleted?.id
        ? latestCompleted
        : newest
          ? await inspectVeleroObjects(clients.s3, bucket, `${backupsDir}${newest.id}/`, newest)
          : undefined;
    const dr =
      latestCompleted && s.drRegion && s.velero.drBucket && clients.s3Dr
        ? await veleroReplica(clients.s3Dr, s.velero.drBucket, s.drRegion, backupsDir, latestCompleted)
        : undefined;
    items.push({
      class: 'velero',
      resource: schedule,
      ...(dr ? { drCopyLookedUp: true, ...(dr.copy ? { drCopy: dr.copy } : {}) } : {}),
      label: `s3://${bucket}/${backupsDir}`,
      recoveryPoints: names.length,
      ...(newestInspected ? { newest: newestInspected } : {}),
      ...(latestCompleted ? { latestCompleted } : {}),
    });
  }
  return items;
}

// --------------------------------------------------------------------------------------- core

const COLLECTORS: Record<BackupClass, (c: CollectClients, s: CollectSettings) => Promise<BackupItem[]>> = {
  ebs: collectEbs,
  rds: collectRds,
  velero: collectVelero,
};

/**
 * The inventory of one run. A class whose listing AWS refuses (access denied, no such bucket)
 * becomes one failing item naming the error: it is reported, never skipped. Transient errors
 * throw `InventoryUnavailableError` so the workflow retries the step and then fails the run.
 */
export async function collectInventory(
  event: CollectEvent,
  clients: CollectClients,
  logger: OpsLogger,
  now: Date,
): Promise<Inventory> {
  const { settings, parameters, dryRun, restoreMaps } = CollectEvent.parse(event);
  const params = VerifyBackupsParameters.parse(parameters ?? {});
  const items: BackupItem[] = [];
  for (const cls of params.scope) {
    try {
      const found = await COLLECTORS[cls](clients, settings);
      logger.info('inventory', { class: cls, found: found.length });
      items.push(...found);
    } catch (err) {
      if (isTransient(err))
        throw new InventoryUnavailableError(`listing ${cls} backups: ${describeError(err)}`);
      logger.error('inventory failed', { class: cls, error: describeError(err) });
      items.push({
        class: cls,
        resource: inventoryRowName(cls),
        recoveryPoints: 0,
        collectionError: `listing ${cls} backups failed: ${describeError(err)}`,
      });
    }
  }
  const restoreWanted = params.restoreTests && !dryRun;
  const plan: RestorePlan = {
    ebs: restoreWanted && settings.restore.ebs.enabled,
    rds:
      restoreWanted &&
      rdsRestoreDue(settings.restore.rds.enabled, settings.restore.rds.weekday, now.getTime()),
    velero: restoreWanted && settings.restore.velero?.enabled === true,
    skipped: dryRun
      ? 'dry run: no restore tests'
      : !params.restoreTests
        ? 'restore tests not requested for this run'
        : 'restore tests are off or not due today for this class (config)',
  };
  return { items, plan, groups: groupByRestore(items, plan, restoreMaps) };
}

/**
 * The restore test an item gets in this run: its class's, when the plan runs it and the item has a
 * completed recovery point to restore (the conditions the workflow's per-item Choice tested).
 */
export function restoreKind(item: BackupItem, plan: RestorePlan): RestoreKind | undefined {
  if (!item.latestCompleted) return undefined;
  if (item.class === 'ebs' && plan.ebs) return 'ebs-content';
  if (item.class === 'rds' && plan.rds) return 'rds-instance';
  if (item.class === 'velero' && plan.velero) return 'velero-restore';
  return undefined;
}

/** Splits the items by restore test; a test the workflow has no Map for counts as none. */
export function groupByRestore(
  items: readonly BackupItem[],
  plan: RestorePlan,
  restoreMaps: readonly RestoreKind[],
): InventoryGroups {
  const groups: { [K in keyof InventoryGroups]: BackupItem[] } = {
    others: [],
    ebsContent: [],
    rdsInstance: [],
    veleroRestore: [],
  };
  const key = {
    'ebs-content': 'ebsContent',
    'rds-instance': 'rdsInstance',
    'velero-restore': 'veleroRestore',
  } as const;
  for (const item of items) {
    const kind = restoreKind(item, plan);
    groups[kind && restoreMaps.includes(kind) ? key[kind] : 'others'].push(item);
  }
  return groups;
}
