import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { clusterName, reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

export const ScaleNodeGroupParameters = z.object({
  cluster: clusterName,
  /** Omitted: the node group(s) of the cluster that are at their maximum, found through EKS / Auto Scaling. */
  nodegroup: z.optional(z.string().check(z.regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,62}$/))),
  /** Nodes to add; capped by the allow-list's step size and ceiling (default: the step size). */
  increaseBy: z.optional(z.number().check(z.int(), z.positive(), z.maximum(50))),
  reason,
  ...revertFields,
});
export type ScaleNodeGroupParameters = z.infer<typeof ScaleNodeGroupParameters>;

export const scaleNodeGroup: RunbookSpec<typeof ScaleNodeGroupParameters> = {
  name: 'scale-node-group',
  summary:
    'Raise an EKS managed node group (max and desired) within its configured ceiling; optional scale-back.',
  triggers: [
    'cluster-autoscaler: NotTriggerScaleUp with "max node group size reached", or a failed scale-up',
    'Datadog monitor tagged runbook:scale-node-group (cluster / nodegroup tags)',
    'Slack: /ops run scale-node-group cluster=… nodegroup=…',
  ],
  mutating: true,
  revertible: true,
  parameters: ScaleNodeGroupParameters,
  defaults: policyDefaults({ windowMinutes: 15 }),
  resourceKey: (p) => `${p.cluster}/${p.nodegroup ?? '*'}`,
};
