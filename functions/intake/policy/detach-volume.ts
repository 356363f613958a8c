import { eventName, fact, ignore, NOT_APPLICABLE, type PolicyRule, runReason, start } from './types.js';

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
    const tagsKnown = Object.keys(signal.resource.attributes).some((k) => k.startsWith('tag:'));
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
