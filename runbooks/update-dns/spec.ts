import * as z from 'zod';
import { policyDefaults } from '../plugin.js';
import { reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i, 'not a DNS name')
  .transform((s) => s.toLowerCase().replace(/\.$/, ''));

export const UpdateDnsParameters = z
  .object({
    zoneName: dnsName,
    recordName: dnsName,
    recordType: z.enum(['A', 'AAAA', 'CNAME']).default('A'),
    /**
     * `alias`: point the record at a (new) load balancer;
     * `failover`: switch the record to its standby target;
     * `weight`: shift weight between two weighted records.
     */
    change: z.enum(['alias', 'failover', 'weight']).default('alias'),
    /** For `alias`: the load balancer's DNS name (found by name prefix when omitted). */
    loadBalancerDnsName: z.string().optional(),
    /** For `failover`: the standby target's DNS name (checked against the SECONDARY set's target). */
    standbyTarget: z.string().optional(),
    /** For `weight`: the set identifier to shift weight to, and the new weight (0-255). */
    setIdentifier: z.string().optional(),
    weight: z.number().int().min(0).max(255).optional(),
    reason,
    ...revertFields,
  })
  // A weight shift names its set and weight; a revert carries its own `restore` instead.
  .refine(
    (p) =>
      p.revertOf !== undefined ||
      p.change !== 'weight' ||
      (p.setIdentifier !== undefined && p.weight !== undefined),
    {
      message: 'change=weight needs setIdentifier and weight',
      path: ['setIdentifier'],
    },
  );
export type UpdateDnsParameters = z.infer<typeof UpdateDnsParameters>;

export const updateDns: RunbookSpec<typeof UpdateDnsParameters> = {
  name: 'update-dns',
  summary: 'Re-point an allow-listed Route 53 record (alias to a new load balancer, failover, weight shift).',
  triggers: [
    'CloudTrail: the ingress network load balancer was replaced (CreateLoadBalancer with the ingress prefix)',
    'Datadog monitor tagged runbook:update-dns (zone / record tags)',
    'Slack: /ops run update-dns zoneName=… recordName=…',
  ],
  mutating: true,
  revertible: true,
  parameters: UpdateDnsParameters,
  defaults: policyDefaults({ windowMinutes: 10, circuitBreaker: { failures: 2 }, lockMinutes: 20 }),
  resourceKey: (p) => `${p.zoneName}/${p.recordName}/${p.recordType}`,
};
