import * as z from 'zod';
import { SCRATCH_TAG } from './scratch-tags.js';

/**
 * The pure verdict rules of verify-backups: one function per check, each a function of the
 * facts the workflow collected (no clients, no clock: `now` is an argument) returning an
 * explicit verdict (`pass` / `fail` / `not-applicable`, always with a reason). The Lambda steps
 * in runbooks/verify-backups/steps/ call these; the unit tests pin every boundary.
 */

export const BACKUP_CLASSES = ['ebs', 'rds', 'velero'] as const;
export const BackupClassSchema = z.enum(BACKUP_CLASSES);
export type BackupClass = z.infer<typeof BackupClassSchema>;

export const RECOVERY_POINT_STATES = [
  'completed',
  'pending',
  'failed',
  'partially-failed',
  'unknown',
] as const;

/** One recovery point (EBS snapshot, RDS snapshot or automated backup, Velero backup), normalised. */
export const RecoveryPointSchema = z.object({
  /** snap-…, RDS snapshot identifier or ARN, Velero backup name. */
  id: z.string().min(1),
  /** When the backup started (EBS StartTime, RDS SnapshotCreateTime, Velero startTimestamp). */
  createdAt: z.string().optional(),
  /** When it finished, where the source says (Velero completionTimestamp). */
  completedAt: z.string().optional(),
  state: z.enum(RECOVERY_POINT_STATES),
  /** The source's own word for the state (`error`, `PartiallyFailed`, `available`, …). */
  rawState: z.string().optional(),
  encrypted: z.boolean().optional(),
  /** KMS key ARN (or id) the point is encrypted with. */
  kmsKeyId: z.string().optional(),
  sizeGiB: z.number().optional(),
  /** Who made it: the snapshot runbook (its created-by tag), velero, dlm, aws-backup, rds-automated, rds-manual, other. */
  origin: z.string().optional(),
  /** Velero: status.errors / status.warnings. */
  errors: z.number().int().optional(),
  warnings: z.number().int().optional(),
  /** Velero: which objects of the backup are in the bucket. */
  objects: z.object({ metadata: z.boolean(), tarball: z.boolean(), logs: z.boolean() }).optional(),
  /** Velero: S3 replication status of the tarball (COMPLETED, PENDING, FAILED, REPLICA). */
  replication: z.string().optional(),
  /** The region the point lives in (DR copies). */
  region: z.string().optional(),
});
export type RecoveryPoint = z.infer<typeof RecoveryPointSchema>;

/** Everything collected about one protected resource: what `evaluate` judges. */
export const BackupItemSchema = z.object({
  class: BackupClassSchema,
  /** vol-…, the DB instance identifier, or the Velero schedule name. */
  resource: z.string().min(1),
  /** Human label: PVC `namespace/name`, the volume's Name tag, the bucket. */
  label: z.string().optional(),
  /** How many recovery points exist (all states), for the retention check. */
  recoveryPoints: z.number().int().min(0),
  /** The newest recovery point in any state. */
  newest: RecoveryPointSchema.optional(),
  /** The newest completed recovery point: freshness, encryption and restores are judged on it. */
  latestCompleted: RecoveryPointSchema.optional(),
  /** The newest copy in the DR region, when the stage has one. */
  drCopy: RecoveryPointSchema.optional(),
  /** Velero: the DR bucket was searched for the replica (absent `drCopy` then means none there). */
  drCopyLookedUp: z.boolean().optional(),
  /** Part of the inventory could not be read: the item fails rather than passing on half the facts. */
  collectionError: z.string().optional(),
});
export type BackupItem = z.infer<typeof BackupItemSchema>;

export const ClassPolicySchema = z.object({
  rpoHours: z.number().positive(),
  minRecoveryPoints: z.number().int().min(0),
  maxRecoveryPoints: z.number().int().positive(),
  drCopyRequired: z.boolean(),
});
export type ClassPolicy = z.infer<typeof ClassPolicySchema>;

/** The settings the rules need, as the workflow passes them (built from stage config at synth). */
export const VerifySettingsSchema = z.object({
  stage: z.string().min(1),
  /** The expected key's ARN, as DescribeKey resolved the alias at the start of the run. */
  expectedKeyArn: z.string().min(1),
  expectedKeyAlias: z.string().optional(),
  drRegion: z.string().optional(),
  clockSkewMinutes: z.number().min(0),
  classes: z.object({ ebs: ClassPolicySchema, rds: ClassPolicySchema, velero: ClassPolicySchema }),
});
export type VerifySettings = z.infer<typeof VerifySettingsSchema>;

/** What the RDS check step answered: one verdict per configured check, and the budget it ran under. */
export const DatabaseCheckSchema = z.object({
  results: z.array(z.object({ name: z.string(), verdict: z.enum(['pass', 'fail']), reason: z.string() })),
  budget: z
    .object({
      instanceClass: z.string(),
      maxMinutes: z.number(),
      estimatedUsd: z.number().optional(),
      priceSource: z.string().optional(),
    })
    .optional(),
});

const VeleroStepError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose();
/** What one namespace's Velero restore test left in the state (see workflow.ts veleroRestore). */
export const VeleroNamespaceResultSchema = z.object({
  namespace: z.string(),
  scratch: z.string(),
  verdict: z.enum(['pass', 'fail']),
  restore: z
    .object({
      phase: z.string(),
      restore: z
        .object({
          status: z
            .object({
              progress: z
                .object({ itemsRestored: z.number().optional(), totalItems: z.number().optional() })
                .loose()
                .optional(),
            })
            .loose()
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
  inspection: z
    .object({
      readyPods: z.number(),
      boundPvcs: z.number(),
      pods: z.array(z.object({ name: z.string() }).loose()),
      pvcs: z.array(z.object({ name: z.string() }).loose()),
    })
    .loose()
    .optional(),
  /** The configured readiness probe's answer (status and length only), or `{ configured: false }`. */
  probe: z
    .object({
      path: z.string().optional(),
      target: z.string().optional(),
      status: z.number().optional(),
      bytes: z.number().optional(),
    })
    .loose()
    .optional(),
  failure: VeleroStepError.optional(),
  /** `{ value: { deleted: true } }` after the delete, or the error that stopped it. */
  cleanup: z
    .object({ value: z.object({ deleted: z.boolean() }).loose().optional() })
    .loose()
    .optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type VeleroNamespaceResult = z.infer<typeof VeleroNamespaceResultSchema>;

const StepError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose();

/**
 * What the restore test of one item observed, as the workflow's SDK tasks left it (AWS field
 * names): the scratch resource it created, what DescribeVolumes / DescribeDBInstances said, the
 * check query's result, the error that stopped it, and whether cleanup deleted it.
 */
export const RestoreObservationSchema = z.object({
  kind: z.enum(['ebs-content', 'ebs-volume', 'rds-instance', 'velero-restore']),
  /** Velero: one result per configured namespace (restored into its scratch namespace, then deleted). */
  velero: z.array(z.lazy(() => VeleroNamespaceResultSchema)).optional(),
  /** The snapshot restored from, and its size (EBS). */
  snapshotId: z.string().optional(),
  expectedSizeGiB: z.number().optional(),
  /** The scratch resource's id (VolumeId / DB instance identifier), once it was created. */
  scratchId: z.string().optional(),
  observed: z
    .object({
      State: z.string().optional(),
      Size: z.number().optional(),
      Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
    })
    .loose()
    .optional(),
  /** EBS content check: its verdict and what it read (the step's own reason). */
  content: z.object({ verdict: z.enum(['verified', 'failed']), reason: z.string() }).optional(),
  /** RDS: each configured check's verdict, and the run's time and cost budget. */
  check: DatabaseCheckSchema.optional(),
  error: StepError.optional(),
  /** Cleanup: true once the scratch resource was deleted (or there was none to delete). */
  cleanedUp: z.boolean().optional(),
  cleanupError: StepError.optional(),
});
export type RestoreObservation = z.infer<typeof RestoreObservationSchema>;

export type Verdict = 'pass' | 'fail' | 'not-applicable';
export const CHECKS = [
  'exists',
  'fresh',
  'completed',
  'encrypted',
  'dr-copy',
  'retention',
  'contents',
  'restore',
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface CheckResult {
  readonly check: CheckName;
  readonly verdict: Verdict;
  readonly reason: string;
}

const pass = (check: CheckName, reason: string): CheckResult => ({ check, verdict: 'pass', reason });
const fail = (check: CheckName, reason: string): CheckResult => ({ check, verdict: 'fail', reason });
const na = (check: CheckName, reason: string): CheckResult => ({ check, verdict: 'not-applicable', reason });

const HOUR_MS = 3_600_000;

/** Milliseconds since the epoch, or undefined for a missing or unparseable timestamp. */
export function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** The moment a recovery point became usable: its completion time if known, else its start. */
export function pointTime(point: RecoveryPoint): number | undefined {
  return parseTime(point.completedAt) ?? parseTime(point.createdAt);
}

/** Age in hours at `now`, clamped at 0 for timestamps inside the tolerated clock skew. */
export function ageHours(point: RecoveryPoint | undefined, now: number): number | undefined {
  if (!point) return undefined;
  const t = pointTime(point);
  if (t === undefined) return undefined;
  return Math.max(0, (now - t) / HOUR_MS);
}

function hours(h: number): string {
  return `${h.toFixed(1)} h`;
}

/** exists: there is at least one completed recovery point. */
export function checkExists(item: BackupItem): CheckResult {
  if (item.latestCompleted)
    return pass('exists', `${item.latestCompleted.id} is the newest completed backup`);
  if (item.newest)
    return fail(
      'exists',
      `no completed backup: the only recent one, ${item.newest.id}, is ${describeState(item.newest)}`,
    );
  return fail('exists', `no backup of ${item.resource} found`);
}

/**
 * fresh: the newest completed point is at most the class's RPO old. Exactly at the RPO passes.
 * A timestamp in the future within the tolerated skew counts as age 0; beyond it, it fails
 * (a clock that wrong makes every other age meaningless).
 */
export function checkFresh(
  item: BackupItem,
  policy: ClassPolicy,
  skewMinutes: number,
  now: number,
): CheckResult {
  const point = item.latestCompleted;
  if (!point) return fail('fresh', 'no completed backup to judge');
  const t = pointTime(point);
  if (t === undefined) return fail('fresh', `${point.id} has no readable creation or completion time`);
  const aheadMs = t - now;
  if (aheadMs > skewMinutes * 60_000) {
    return fail(
      'fresh',
      `${point.id} is dated ${Math.round(aheadMs / 60_000)} min in the future, beyond the ${skewMinutes} min clock skew tolerated`,
    );
  }
  const age = Math.max(0, (now - t) / HOUR_MS);
  if (age <= policy.rpoHours) return pass('fresh', `age ${hours(age)} within RPO ${policy.rpoHours} h`);
  return fail('fresh', `age ${hours(age)} exceeds RPO ${policy.rpoHours} h`);
}

function describeState(point: RecoveryPoint): string {
  return point.rawState ? `${point.state} (${point.rawState})` : point.state;
}

/**
 * completed: the newest point did not fail. One still in progress is fine when an older one
 * completed (that one is judged); a failed or partially failed newest point fails, with
 * Velero's error and warning counts in the reason.
 */
export function checkCompleted(item: BackupItem): CheckResult {
  const newest = item.newest ?? item.latestCompleted;
  if (!newest) return fail('completed', 'no backup to judge');
  const counts =
    newest.errors !== undefined || newest.warnings !== undefined
      ? ` (${newest.errors ?? 0} errors, ${newest.warnings ?? 0} warnings)`
      : '';
  switch (newest.state) {
    case 'completed':
      return pass('completed', `${newest.id} ${newest.rawState ?? 'completed'}${counts}`);
    case 'pending':
      return item.latestCompleted
        ? pass(
            'completed',
            `${newest.id} still in progress; ${item.latestCompleted.id} is the newest completed`,
          )
        : fail('completed', `${newest.id} is still in progress and no earlier backup completed`);
    case 'failed':
    case 'partially-failed':
      return fail('completed', `newest backup ${newest.id} is ${describeState(newest)}${counts}`);
    default:
      return fail(
        'completed',
        `newest backup ${newest.id} is in an unknown state${newest.rawState ? ` (${newest.rawState})` : ''}`,
      );
  }
}

/** The key id (uuid or mrk-…) of a key ARN, key id or `key/…` reference; aliases stay as they are. */
export function keyId(ref: string): string {
  const m = /(?:^|:|\/)key\/([A-Za-z0-9-]+)$/.exec(ref);
  if (m?.[1]) return m[1];
  return ref;
}

/** encrypted: the newest completed point is encrypted with the expected KMS key. */
export function checkEncrypted(
  item: BackupItem,
  settings: Pick<VerifySettings, 'expectedKeyArn' | 'expectedKeyAlias'>,
): CheckResult {
  const point = item.latestCompleted;
  if (!point) return fail('encrypted', 'no completed backup to judge');
  if (point.encrypted === false) return fail('encrypted', `${point.id} is not encrypted`);
  if (point.encrypted === undefined)
    return fail('encrypted', `${point.id}: encryption unknown (the source did not say)`);
  const expected = settings.expectedKeyAlias
    ? `${settings.expectedKeyAlias} (${keyId(settings.expectedKeyArn)})`
    : keyId(settings.expectedKeyArn);
  if (!point.kmsKeyId)
    return fail('encrypted', `${point.id} is encrypted, but with no KMS key reported; expected ${expected}`);
  if (keyId(point.kmsKeyId) === keyId(settings.expectedKeyArn))
    return pass('encrypted', `encrypted with ${expected}`);
  return fail(
    'encrypted',
    `${point.id} is encrypted with ${keyId(point.kmsKeyId)}, not the expected ${expected}`,
  );
}

/**
 * dr-copy: when the stage has a DR region and the class requires it, a completed copy exists there,
 * says it is encrypted, and is itself within the RPO. All three kinds are judged the same way on the
 * copy the inventory found in the DR region (EBS snapshot copy; RDS snapshot copy or replicated
 * automated backup, dated by its restore window's latest time; Velero: the replica of the backup's
 * tarball in the DR bucket, dated by the backup it replicates). A Velero item whose replica was not
 * looked up (no DR bucket known: a configured external bucket) falls back to its tarball's S3
 * replication status.
 */
export function checkDrCopy(
  item: BackupItem,
  policy: ClassPolicy,
  settings: Pick<VerifySettings, 'drRegion' | 'clockSkewMinutes'>,
  now: number,
): CheckResult {
  if (!settings.drRegion) return na('dr-copy', 'the stage has no DR region');
  if (!policy.drCopyRequired) return na('dr-copy', `${item.class} backups need no DR copy (config)`);
  if (item.class === 'velero' && !item.drCopyLookedUp) {
    const status = item.latestCompleted?.replication;
    if (status === 'COMPLETED')
      return pass('dr-copy', `replicated to ${settings.drRegion} (S3 replication COMPLETED)`);
    return fail(
      'dr-copy',
      status
        ? `S3 replication of the backup is ${status}`
        : `the backup's objects are not replicated to ${settings.drRegion}`,
    );
  }
  const copy = item.drCopy;
  if (!copy) return fail('dr-copy', `no copy in ${settings.drRegion}`);
  if (copy.state !== 'completed')
    return fail('dr-copy', `the copy ${copy.id} in ${settings.drRegion} is ${describeState(copy)}`);
  if (copy.encrypted === false)
    return fail('dr-copy', `the copy ${copy.id} in ${settings.drRegion} is not encrypted`);
  if (copy.encrypted !== true)
    return fail(
      'dr-copy',
      `the copy ${copy.id} in ${settings.drRegion}: encryption unknown (the source did not say)`,
    );
  const fresh = checkFresh({ ...item, latestCompleted: copy }, policy, settings.clockSkewMinutes, now);
  if (fresh.verdict === 'fail')
    return fail('dr-copy', `the newest copy in ${settings.drRegion}: ${fresh.reason}`);
  return pass('dr-copy', `${copy.id} in ${settings.drRegion}, ${fresh.reason}`);
}

/** retention: not fewer recovery points than the floor, not more than the ceiling (unbounded). */
export function checkRetention(item: BackupItem, policy: ClassPolicy): CheckResult {
  const n = item.recoveryPoints;
  if (n < policy.minRecoveryPoints)
    return fail('retention', `${n} recovery points, fewer than the ${policy.minRecoveryPoints} required`);
  if (n > policy.maxRecoveryPoints)
    return fail(
      'retention',
      `${n} recovery points, more than ${policy.maxRecoveryPoints}: retention looks unbounded`,
    );
  return pass(
    'retention',
    `${n} recovery points (allowed ${policy.minRecoveryPoints}–${policy.maxRecoveryPoints})`,
  );
}

/** contents (Velero): metadata, tarball and logs of the newest completed backup are in the bucket. */
export function checkContents(item: BackupItem): CheckResult {
  if (item.class !== 'velero') return na('contents', 'only Velero backups have an object listing to check');
  const point = item.latestCompleted ?? item.newest;
  if (!point) return fail('contents', 'no backup to list');
  const o = point.objects;
  if (!o) return fail('contents', `${point.id}: object listing not collected`);
  const missing = [
    o.metadata ? undefined : 'velero-backup.json',
    o.tarball ? undefined : `${point.id}.tar.gz`,
    o.logs ? undefined : `${point.id}-logs.gz`,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) return fail('contents', `${point.id} is missing ${missing.join(', ')}`);
  return pass('contents', `${point.id}: metadata, tarball and logs present`);
}

function stepError(e: { Error?: string; Cause?: string } | undefined): string {
  if (!e) return 'unknown error';
  const cause = (e.Cause ?? '').replace(/\s+/g, ' ').slice(0, 200);
  return cause ? `${e.Error ?? 'Error'}: ${cause}` : (e.Error ?? 'unknown error');
}

/**
 * restore: the restore test (when one ran) produced a usable copy and left nothing behind.
 * EBS content check: the snapshot's filesystem was read and verified (no copy is made). Older
 * scratch-volume observations: the scratch volume became `available`, with at least the snapshot's size and the scratch
 * tags. RDS: the check query returned at least its floor. Any error, or a failed cleanup, fails.
 */
export function checkRestore(restore: RestoreObservation | undefined, why: string): CheckResult {
  if (!restore) return na('restore', why);
  if (restore.kind === 'ebs-content') {
    // Reads only: nothing was created, so there is nothing to clean up.
    if (restore.error) return fail('restore', `content check failed: ${stepError(restore.error)}`);
    const c = restore.content;
    if (!c) return fail('restore', 'content check reported nothing');
    if (c.verdict !== 'verified')
      return fail('restore', `content check of ${restore.snapshotId ?? 'the snapshot'}: ${c.reason}`);
    return pass('restore', c.reason);
  }
  if (restore.kind === 'velero-restore') return checkVeleroRestore(restore);
  if (restore.cleanupError) {
    return fail(
      'restore',
      `cleanup failed, ${restore.scratchId ?? 'the scratch resource'} was left behind (tagged ${SCRATCH_TAG.key}=true for the sweeper): ${stepError(restore.cleanupError)}`,
    );
  }
  if (restore.error) return fail('restore', `restore test failed: ${stepError(restore.error)}`);
  if (restore.cleanedUp !== true)
    return fail(
      'restore',
      `restore test did not confirm that ${restore.scratchId ?? 'its scratch resource'} was deleted`,
    );
  if (restore.kind === 'ebs-volume') {
    const o = restore.observed;
    if (!o) return fail('restore', 'restore test observed no scratch volume');
    if (o.State !== 'available')
      return fail('restore', `scratch volume ended ${o.State ?? 'in no state'}, not available`);
    if (restore.expectedSizeGiB !== undefined && (o.Size ?? 0) < restore.expectedSizeGiB)
      return fail(
        'restore',
        `scratch volume is ${o.Size ?? 0} GiB, smaller than the snapshot's ${restore.expectedSizeGiB} GiB`,
      );
    const tags = new Map((o.Tags ?? []).map((t) => [t.Key, t.Value]));
    if (tags.get(SCRATCH_TAG.key) !== SCRATCH_TAG.value)
      return fail('restore', `scratch volume lacks the ${SCRATCH_TAG.key}=true tag`);
    return pass(
      'restore',
      `restored ${restore.snapshotId ?? 'the snapshot'} to ${restore.scratchId ?? 'a scratch volume'} (${o.Size} GiB, available), then deleted it`,
    );
  }
  const c = restore.check;
  if (!c || c.results.length === 0) return fail('restore', 'restored database was not queried');
  const failing = c.results.filter((r) => r.verdict !== 'pass');
  const budget = c.budget ? ` [${budgetNote(c.budget)}]` : '';
  if (failing.length > 0)
    return fail(
      'restore',
      `${failing.length} of ${c.results.length} database checks failed on ${restore.scratchId ?? 'the scratch instance'}: ${failing.map((r) => `${r.name}: ${r.reason}`).join('; ')}${budget}`,
    );
  return pass(
    'restore',
    `restored to ${restore.scratchId ?? 'a scratch instance'}, ${c.results.map((r) => `${r.name}: ${r.reason}`).join('; ')}, then deleted it${budget}`,
  );
}

/**
 * Velero restore test: every configured namespace restored into its scratch namespace, ready (pods
 * Ready, PVCs Bound as configured), and the scratch namespace deleted. The reason names what was
 * restored and how long it took, per namespace.
 */
function checkVeleroRestore(restore: RestoreObservation): CheckResult {
  if (restore.error) return fail('restore', `Velero restore test failed: ${stepError(restore.error)}`);
  const results = restore.velero ?? [];
  if (results.length === 0) return fail('restore', 'Velero restore test reported nothing');
  const lines = results.map((r) => {
    const seconds = Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000);
    const deleted = r.cleanup?.value?.deleted === true;
    const cleanup = deleted
      ? 'scratch namespace deleted'
      : `scratch namespace ${r.scratch} NOT deleted: ${stepError(r.cleanup as never)}`;
    if (r.verdict !== 'pass' || !r.inspection)
      return {
        ok: false,
        text: `${r.namespace}: ${stepError(r.failure ?? {})} (after ${seconds} s; ${cleanup})`,
      };
    const p = r.restore?.restore?.status?.progress;
    const items =
      p?.itemsRestored !== undefined ? `${p.itemsRestored}/${p.totalItems ?? '?'} items restored, ` : '';
    const names = (xs: { name: string }[]) => xs.map((x) => x.name).join(', ') || 'none';
    const probe =
      r.probe?.status !== undefined
        ? `, probe GET ${r.probe.path} on ${r.probe.target} answered ${r.probe.status} (${r.probe.bytes} bytes)`
        : '';
    return {
      ok: deleted,
      text: `${r.namespace} → ${r.scratch}: ${items}${r.inspection.readyPods}/${r.inspection.pods.length} pods ready (${names(r.inspection.pods)}), ${r.inspection.boundPvcs}/${r.inspection.pvcs.length} PVCs bound (${names(r.inspection.pvcs)})${probe}, ${seconds} s, ${cleanup}`,
    };
  });
  const bad = lines.filter((l) => !l.ok);
  if (bad.length > 0)
    return fail(
      'restore',
      `${bad.length} of ${lines.length} Velero namespaces failed: ${bad.map((l) => l.text).join('; ')}`,
    );
  return pass('restore', `Velero restore verified: ${lines.map((l) => l.text).join('; ')}`);
}

/** `db.t4g.micro, budget 60 min, est. $0.02/run (prices: …)` for the report. */
export function budgetNote(b: NonNullable<z.infer<typeof DatabaseCheckSchema>['budget']>): string {
  const cost =
    b.estimatedUsd === undefined
      ? 'no price for this class'
      : `est. $${b.estimatedUsd.toFixed(2)}/run${b.priceSource ? ` (${b.priceSource})` : ''}`;
  return `${b.instanceClass}, budget ${b.maxMinutes} min, ${cost}`;
}

export interface Evaluation {
  readonly class: BackupClass;
  readonly resource: string;
  readonly label?: string;
  readonly backupId?: string;
  readonly verdict: 'pass' | 'fail';
  /** Hours, one decimal; absent when no completed backup exists. */
  readonly ageHours?: number;
  readonly rpoHours: number;
  /** The failing checks' reasons, or a one-line summary when everything passed. */
  readonly reason: string;
  readonly checks: readonly CheckResult[];
}

/** Every check of one item, and its overall verdict: any failing check fails the backup. */
export function evaluateItem(
  item: BackupItem,
  settings: VerifySettings,
  now: number,
  restore?: RestoreObservation,
  restoreSkippedWhy = 'no restore test for this backup in this run',
): Evaluation {
  const policy = settings.classes[item.class];
  const checks: CheckResult[] = [
    checkExists(item),
    checkFresh(item, policy, settings.clockSkewMinutes, now),
    checkCompleted(item),
    checkEncrypted(item, settings),
    checkDrCopy(item, policy, settings, now),
    checkRetention(item, policy),
    checkContents(item),
    checkRestore(restore, restoreSkippedWhy),
  ];
  if (item.collectionError) checks.unshift(fail('exists', `inventory incomplete: ${item.collectionError}`));
  const failing = checks.filter((c) => c.verdict === 'fail');
  const age = ageHours(item.latestCompleted, now);
  const restoreCheck = checks.find((c) => c.check === 'restore');
  return {
    class: item.class,
    resource: item.resource,
    ...(item.label ? { label: item.label } : {}),
    ...(item.latestCompleted ? { backupId: item.latestCompleted.id } : {}),
    verdict: failing.length > 0 ? 'fail' : 'pass',
    ...(age !== undefined ? { ageHours: Math.round(age * 10) / 10 } : {}),
    rpoHours: policy.rpoHours,
    reason:
      failing.length > 0
        ? failing.map((c) => `${c.check}: ${c.reason}`).join('; ')
        : restoreCheck?.verdict === 'pass'
          ? restore?.kind === 'ebs-content'
            ? 'all checks passed, content verified'
            : 'all checks passed, restore tested'
          : 'all checks passed',
    checks,
  };
}

/** The name collect gives the stand-in row of a class whose inventory could not be read. */
export function inventoryRowName(kind: BackupClass): string {
  return `${kind} inventory`;
}

/** Whether the weekly RDS restore test is due: enabled, and today (UTC) is its weekday. */
export function rdsRestoreDue(enabled: boolean, weekday: string, now: number): boolean {
  if (!enabled) return false;
  const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  return days[new Date(now).getUTCDay()] === weekday;
}
