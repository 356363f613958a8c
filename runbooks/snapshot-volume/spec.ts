import * as z from 'zod';
import { policyDefaults } from '../plugin.js';
import { clusterName, ebsVolumeId, k8sName, reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

export const SnapshotVolumeParameters = z
  .object({
    volumeId: ebsVolumeId.optional(),
    /** A Kubernetes PVC, resolved to its volume through the EBS CSI driver's tags. */
    cluster: clusterName.optional(),
    namespace: k8sName.optional(),
    pvc: k8sName.optional(),
    reason,
    /** Copy the snapshot to the stage's DR region (when one is configured). */
    copyToDr: z.boolean().default(true),
    /**
     * After the snapshot completed, delete the volume if it is released (available, unattached) and
     * comes from the protected StorageClass (reclaim tag). Never set by the detach trigger: a detach
     * is not a PVC deletion (a pod moving or a StatefulSet scaling down detaches too).
     */
    reclaim: z.boolean().default(false),
    ...revertFields,
  })
  .refine((p) => Boolean(p.volumeId) !== Boolean(p.cluster && p.namespace && p.pvc), {
    message: 'give either volumeId, or cluster + namespace + pvc (not both)',
  });
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
