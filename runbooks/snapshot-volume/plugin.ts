import { allowed, defineRunbook, refused } from '../plugin.js';
import { backupFailed, detachVolume } from './policy.js';
import { snapshotVolume } from './spec.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** snapshot-volume as a plugin: its spec, the detach and backup-failed rules that start it, its allow-list. */
export const snapshotVolumePlugin = defineRunbook({
  spec: snapshotVolume,
  rules: [detachVolume, backupFailed],
  /**
   * A volume by id passes here: the workflow snapshots it only when it carries the protected tag
   * (CloudTrail carries no tags; the IAM policy holds the same condition). A PVC must be in an
   * allow-listed namespace.
   */
  allowList(params, automation) {
    const volumes = automation.allowLists.volumes;
    if (str(params.volumeId)) {
      const { key, value } = volumes.protectedTag;
      return allowed(
        `volume ${String(params.volumeId)}: the workflow snapshots it only if tagged ${key}=${value}`,
      );
    }
    const ns = str(params.namespace) ?? '';
    if (!volumes.pvcNamespaces.includes(ns)) return refused(`PVC namespace ${ns} is not allow-listed`);
    return allowed(`PVC namespace ${ns} is allow-listed`);
  },
  datadog: {
    parameters: {
      volumeId: ['volumeId', 'volume'],
      cluster: ['cluster'],
      namespace: ['namespace'],
      pvc: ['pvc'],
    },
    targets: ['ebs-volume', 'pvc'],
  },
});
