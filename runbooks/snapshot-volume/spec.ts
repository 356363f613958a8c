import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { clusterName, ebsVolumeId, k8sName, reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

export const SnapshotVolumeParameters = z
  .object({
    volumeId: z.optional(ebsVolumeId),
    /** A Kubernetes PVC, resolved to its volume through the EBS CSI driver's tags. */
    cluster: z.optional(clusterName),
    namespace: z.optional(k8sName),
    pvc: z.optional(k8sName),
    reason,
    /** Copy the snapshot to the stage's DR region (when one is configured). */
    copyToDr: z._default(z.boolean(), true),
    /**
     * After the snapshot completed, delete the volume if it is released (available, unattached) and
     * comes from the protected StorageClass (reclaim tag). Never set by the detach trigger: a detach
     * is not a PVC deletion (a pod moving or a StatefulSet scaling down detaches too).
     */
    reclaim: z._default(z.boolean(), false),
    ...revertFields,
  })
  .check(
    z.refine((p) => Boolean(p.volumeId) !== Boolean(p.cluster && p.namespace && p.pvc), {
      message: 'give either volumeId, or cluster + namespace + pvc (not both)',
    }),
  );
export type SnapshotVolumeParameters = z.infer<typeof SnapshotVolumeParameters>;

export const snapshotVolume: RunbookSpec<typeof SnapshotVolumeParameters> = {
  name: 'snapshot-volume',
  summary: 'Snapshot an EBS volume (or a Kubernetes PVC), copy it to the DR region and apply retention.',
  triggers: [
    'CloudTrail: DetachVolume of a volume carrying the protected tag',
    'Datadog monitor tagged runbook:snapshot-volume (volume / pvc tags)',
    'Slack: /ops run snapshot-volume volumeId=vol-…',
  ],
  mutating: true,
  revertible: true,
  parameters: SnapshotVolumeParameters,
  defaults: policyDefaults({
    rateLimit: { maxRuns: 4 },
    circuitBreaker: { openMinutes: 30 },
    lockMinutes: 60,
  }),
  resourceKey: (p) => p.volumeId ?? `pvc/${p.cluster}/${p.namespace}/${p.pvc}`,
};
