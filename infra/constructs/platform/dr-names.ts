/**
 * Names of the disaster-recovery resources a stage keeps in its `drRegion` (stack `<stage>-dr`).
 * Deterministic on purpose: the platform stack (home region) points S3 replication and RDS
 * backup replication at them, and CloudFormation cannot reference resources across regions.
 */
export interface DrTarget {
  readonly stageName: string;
  readonly account: string;
  readonly drRegion: string;
}

/** The platform buckets replicated to the DR region (what the backup verification and a restore read there). */
export const REPLICATED_BUCKETS = ['velero', 'backups'] as const;
export type ReplicatedBucket = (typeof REPLICATED_BUCKETS)[number];

/** Alias of the DR region's data key (replica objects, replicated RDS automated backups). */
export function drKeyAlias(stageName: string): string {
  return `alias/${stageName}/dr/data`;
}

/**
 * `<stage>-<purpose>-dr-<account>-<drRegion>`: globally unique (account and region in the name),
 * at most 16 + 8 + 4 + 12 + 1 + 14 = 55 characters, below S3's 63.
 */
export function drBucketName(t: DrTarget, purpose: ReplicatedBucket | 'logs'): string {
  return `${t.stageName}-${purpose}-dr-${t.account}-${t.drRegion}`;
}
