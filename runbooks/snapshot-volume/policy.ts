import {
  eventName,
  fact,
  facts,
  ignore,
  NOT_APPLICABLE,
  notify,
  type PolicyRule,
  runReason,
  start,
} from '../policy.js';

/** Whether any own attribute is a `tag:<key>` (a key walk, no key array: every detach event asks). */
function hasTagAttribute(attributes: Readonly<Record<string, string>>): boolean {
  for (const key in attributes) if (Object.hasOwn(attributes, key) && key.startsWith('tag:')) return true;
  return false;
}

/**
 * DetachVolume → snapshot-volume.
 *
 * CloudTrail carries no resource tags, so protection (`volumes.protectedTag`) is decided in two
 * places: when the signal does carry the volume's tags (`tag:<key>` attributes, e.g. from an
 * enriched event) the rule ignores unprotected volumes here; otherwise the start is allowed and the
 * snapshot-volume workflow's first step reads the volume's tags and ends without a snapshot when the
 * tag is absent (its IAM policy carries the same tag condition, so it could not snapshot it anyway).
 */
export const detachVolume: PolicyRule = {
  name: 'detach-volume',
  description:
    'DetachVolume of a volume carrying the protected tag → snapshot-volume (the workflow re-checks the tag)',
  evaluate(signal, ctx) {
    if (eventName(signal) !== 'DetachVolume') return NOT_APPLICABLE;
    if (fact(signal, 'errorCode')) return ignore(`the detach failed (${fact(signal, 'errorCode')})`);
    const volumeId = fact(signal, 'volumeId') ?? signal.resource.id;
    const { key, value } = ctx.automation.allowLists.volumes.protectedTag;
    const tag = signal.resource.attributes[`tag:${key}`];
    const tagsKnown = hasTagAttribute(signal.resource.attributes);
    if (tagsKnown && tag !== value) {
      return ignore(`volume ${volumeId} does not carry the protected tag ${key}=${value}`);
    }
    return start(
      'snapshot-volume',
      {
        volumeId,
        reason: runReason(`volume ${volumeId} was detached by ${signal.actor?.name ?? 'unknown'}`),
      },
      `volume ${volumeId} was detached; protected volumes are snapshotted (the workflow checks ${key}=${value})`,
    );
  },
};

/** Checks whose failure means the volume has no usable recent snapshot: taking one fixes it. */
const FIXED_BY_A_SNAPSHOT = new Set(['exists', 'fresh']);

/**
 * A backup that failed verification (the backup verification puts one signal per failure on the bus).
 * An EBS volume with no fresh snapshot → snapshot-volume for it, so the gap closes without a
 * human; anything else (wrong key, missing DR copy, a failed restore, Velero, RDS) needs a person
 * → notify critical. The verification's report itself already went to Slack and Datadog.
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
