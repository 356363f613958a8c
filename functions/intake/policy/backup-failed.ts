import { fact, facts, NOT_APPLICABLE, notify, type PolicyRule, runReason, start } from './types.js';

/** Checks whose failure means the volume has no usable recent snapshot: taking one fixes it. */
const FIXED_BY_A_SNAPSHOT = new Set(['exists', 'fresh']);

/**
 * A backup that failed verification (verify-backups puts one signal per failure on the bus).
 * An EBS volume with no fresh snapshot → snapshot-volume for it, so the gap closes without a
 * human; anything else (wrong key, missing DR copy, a failed restore, Velero, RDS) needs a person
 * → notify critical. The verify-backups report itself already went to Slack and Datadog.
 */
export const backupFailed: PolicyRule = {
  name: 'backup-failed',
  description:
    'a backup failed verification → snapshot-volume when an EBS volume has no fresh snapshot, otherwise notify',
  evaluate(signal) {
    if (signal.kind !== 'backup-verification.backup-failed') return NOT_APPLICABLE;
    const failed = facts(signal, 'failedChecks');
    const what = `${fact(signal, 'backupClass') ?? 'backup'} backup of ${signal.resource.id}`;
    if (
      signal.resource.type === 'ebs-volume' &&
      failed.length > 0 &&
      failed.every((check) => FIXED_BY_A_SNAPSHOT.has(check))
    ) {
      return start(
        'snapshot-volume',
        {
          volumeId: signal.resource.id,
          reason: runReason(`backup verification found no fresh snapshot (${failed.join(', ')})`),
        },
        `${what} failed ${failed.join(', ')}: a new snapshot closes the gap`,
      );
    }
    return notify(
      'critical',
      `${what} failed verification (${failed.join(', ') || 'unknown check'}): ${fact(signal, 'reason') ?? 'see the report'}`,
    );
  },
};
