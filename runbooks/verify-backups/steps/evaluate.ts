import * as z from 'zod';
import {
  BackupItemSchema,
  ClassPolicySchema,
  DatabaseCheckSchema,
  type Evaluation,
  evaluateItem,
  type RestoreObservation,
  VeleroNamespaceResultSchema,
} from '../logic.js';

/**
 * The evaluate step: one iteration of the workflow's Map, as the state stands after the
 * (optional) restore test, judged by the pure rules in runbooks/verify-backups/logic.ts.
 */

const StepError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose();

export const EvaluateEvent = z.object({
  item: BackupItemSchema,
  settings: z
    .object({
      stage: z.string().min(1),
      drRegion: z.string().optional(),
      expectedKeyAlias: z.string().optional(),
      clockSkewMinutes: z.number().min(0),
      classes: z.object({ ebs: ClassPolicySchema, rds: ClassPolicySchema, velero: ClassPolicySchema }),
    })
    .loose(),
  /** The expected KMS key's ARN (DescribeKey of the alias at the start of the run). */
  keyArn: z.string().min(1),
  plan: z.object({ ebs: z.boolean(), rds: z.boolean(), velero: z.boolean().optional(), skipped: z.string() }),
  /** Set by the workflow when a restore test ran for this item. */
  restoreTest: z
    .object({ kind: z.enum(['ebs-content', 'ebs-volume', 'rds-instance', 'velero-restore']) })
    .optional(),
  /** Velero: one result per configured namespace. */
  veleroRestore: z.array(VeleroNamespaceResultSchema).optional(),
  /** EBS: what the content check step answered. */
  content: z
    .object({
      observation: z.object({ verdict: z.enum(['verified', 'failed']), reason: z.string() }).loose(),
    })
    .optional(),
  scratch: z.object({ id: z.string() }).optional(),
  /** EBS: `Volumes[0]` of DescribeVolumes. RDS: the DescribeDBInstances response. */
  observed: z
    .object({ volume: z.record(z.string(), z.unknown()).optional() })
    .loose()
    .optional(),
  check: DatabaseCheckSchema.optional(),
  restoreError: StepError.optional(),
  cleanup: z.object({ deleted: z.boolean() }).optional(),
  cleanupError: StepError.optional(),
});
export type EvaluateEvent = z.input<typeof EvaluateEvent>;

const VolumeView = z
  .object({
    State: z.string().optional(),
    Size: z.number().optional(),
    Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
  })
  .loose();

/** The restore observation the rules judge, from the state the restore branch left. */
export function restoreObservation(e: z.infer<typeof EvaluateEvent>): RestoreObservation | undefined {
  if (!e.restoreTest) return undefined;
  const kind = e.restoreTest.kind;
  const volume = e.observed?.volume ? VolumeView.safeParse(e.observed.volume) : undefined;
  const point = e.item.latestCompleted;
  return {
    kind,
    ...(point ? { snapshotId: point.id } : {}),
    ...(kind === 'ebs-volume' && point?.sizeGiB !== undefined ? { expectedSizeGiB: point.sizeGiB } : {}),
    ...(e.scratch ? { scratchId: e.scratch.id } : {}),
    ...(volume?.success ? { observed: volume.data } : {}),
    ...(e.check ? { check: e.check } : {}),
    ...(e.veleroRestore ? { velero: e.veleroRestore } : {}),
    ...(e.content
      ? { content: { verdict: e.content.observation.verdict, reason: e.content.observation.reason } }
      : {}),
    ...(e.restoreError ? { error: e.restoreError } : {}),
    // Nothing was created when the create call itself failed: there is nothing to clean up.
    cleanedUp: e.cleanup?.deleted === true || (e.scratch === undefined && e.cleanupError === undefined),
    ...(e.cleanupError ? { cleanupError: e.cleanupError } : {}),
  };
}

function skippedWhy(e: z.infer<typeof EvaluateEvent>): string {
  if (e.item.class === 'velero') return 'Velero backups are verified by their metadata and object listing';
  if (!e.item.latestCompleted) return 'nothing to restore';
  return e.plan.skipped;
}

export function evaluateStep(event: EvaluateEvent, now: Date): Evaluation {
  const e = EvaluateEvent.parse(event);
  return evaluateItem(
    e.item,
    {
      stage: e.settings.stage,
      expectedKeyArn: e.keyArn,
      ...(e.settings.expectedKeyAlias ? { expectedKeyAlias: e.settings.expectedKeyAlias } : {}),
      ...(e.settings.drRegion ? { drRegion: e.settings.drRegion } : {}),
      clockSkewMinutes: e.settings.clockSkewMinutes,
      classes: e.settings.classes,
    },
    now.getTime(),
    restoreObservation(e),
    skippedWhy(e),
  );
}
