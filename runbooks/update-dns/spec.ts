import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

const dnsName = z.pipe(
  z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(253),
      z.regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i, 'not a DNS name'),
    ),
  z.transform((s: string) => s.toLowerCase().replace(/\.$/, '')),
);

export const UpdateDnsParameters = z
  .object({
    zoneName: dnsName,
    recordName: dnsName,
    recordType: z._default(z.enum(['A', 'AAAA', 'CNAME']), 'A'),
    /**
     * `alias`: point the record at a (new) load balancer;
     * `failover`: switch the record to its standby target;
     * `weight`: shift weight between two weighted records.
     */
    change: z._default(z.enum(['alias', 'failover', 'weight']), 'alias'),
    /** For `alias`: the load balancer's DNS name (found by name prefix when omitted). */
    loadBalancerDnsName: z.optional(z.string()),
    /** For `failover`: the standby target's DNS name (checked against the SECONDARY set's target). */
    standbyTarget: z.optional(z.string()),
    /** For `weight`: the set identifier to shift weight to, and the new weight (0-255). */
    setIdentifier: z.optional(z.string()),
    weight: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(255))),
    reason,
    ...revertFields,
  })
  // A weight shift names its set and weight; a revert carries its own `restore` instead.
  .check(
    z.refine(
      (p) =>
        p.revertOf !== undefined ||
        p.change !== 'weight' ||
        (p.setIdentifier !== undefined && p.weight !== undefined),
      {
        message: 'change=weight needs setIdentifier and weight',
        path: ['setIdentifier'],
      },
    ),
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
