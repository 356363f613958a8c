import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { reason, revertFields } from '../shared.js';
import type { RunbookSpec } from '../types.js';

/**
 * restore-guardrail (issue 14): puts one of the platform's own guardrails back after someone took it
 * away. One run restores one guardrail on one resource; what "back" means is fixed per guardrail:
 *
 * - `trail-logging`: StartLogging on an allow-listed trail (after StopLogging).
 * - `flow-logs`: the stage VPC's flow log, recreated with the settings the platform deploys (after DeleteFlowLogs).
 * - `snapshot-sharing`: an EBS snapshot, AMI, RDS snapshot or RDS cluster snapshot of an allow-listed owner
 *   shared with nobody outside the owner and the trusted accounts (after ModifySnapshotAttribute, ...).
 * - `security-group-ingress`: the world-open ingress rules of an allow-listed security group revoked
 *   (after AuthorizeSecurityGroupIngress from 0.0.0.0/0 or ::/0).
 * - `bucket-public-access`: the bucket's public access block set to all four `true` (after
 *   DeleteBucketPublicAccessBlock or a public policy / ACL).
 */
export const GUARDRAILS = [
  'trail-logging',
  'flow-logs',
  'snapshot-sharing',
  'security-group-ingress',
  'bucket-public-access',
] as const;
export type Guardrail = (typeof GUARDRAILS)[number];

export const SNAPSHOT_KINDS = ['ebs-snapshot', 'ami', 'db-snapshot', 'db-cluster-snapshot'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/** What a target looks like per guardrail (and per snapshot kind): checked before anything is read. */
const TARGET_SHAPES: Record<string, { readonly re: RegExp; readonly what: string }> = {
  'trail-logging': { re: /^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/, what: 'a trail name' },
  'security-group-ingress': { re: /^sg-[0-9a-f]{8,17}$/, what: 'a security group id (sg-…)' },
  'bucket-public-access': { re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: 'an S3 bucket name' },
  'ebs-snapshot': { re: /^snap-[0-9a-f]{8,17}$/, what: 'an EBS snapshot id (snap-…)' },
  ami: { re: /^ami-[0-9a-f]{8,17}$/, what: 'an AMI id (ami-…)' },
  'db-snapshot': { re: /^[A-Za-z][A-Za-z0-9-:]{0,254}$/, what: 'a DB snapshot identifier' },
  'db-cluster-snapshot': { re: /^[A-Za-z][A-Za-z0-9-:]{0,254}$/, what: 'a DB cluster snapshot identifier' },
};

const accountId = z.string().check(z.regex(/^\d{12}$/, 'a 12-digit AWS account id'));

export const RestoreGuardrailParameters = z
  .object({
    guardrail: z.enum(GUARDRAILS),
    /**
     * The resource: trail name (an ARN is reduced to its name), security group id, bucket name, or
     * snapshot / AMI id. None for `flow-logs`: the stage's VPC is the only one it restores.
     */
    target: z.optional(
      z.pipe(
        z.string().check(z.minLength(1), z.maxLength(255)),
        z.transform((t: string) => /:trail\/(.+)$/.exec(t)?.[1] ?? t),
      ),
    ),
    /** For `snapshot-sharing`: which kind of snapshot `target` is. */
    kind: z.optional(z.enum(SNAPSHOT_KINDS)),
    /** For `snapshot-sharing`: the account that owns it (from the CloudTrail record); checked against the owners allow-list. */
    account: z.optional(accountId),
    /** For `security-group-ingress`: only these rules (the ones the triggering call added), when known. */
    ruleIds: z.optional(
      z
        .array(z.string().check(z.regex(/^sgr-[0-9a-f]{8,17}$/, 'a security group rule id (sgr-…)')))
        .check(z.maxLength(60)),
    ),
    reason,
    ...revertFields,
  })
  .check(
    z.superRefine((p, ctx) => {
      if (p.guardrail === 'flow-logs') return;
      if (p.target === undefined) {
        ctx.addIssue({ code: 'custom', path: ['target'], message: `${p.guardrail} needs a target` });
        return;
      }
      if (p.guardrail === 'snapshot-sharing' && p.kind === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['kind'],
          message: `snapshot-sharing needs kind (${SNAPSHOT_KINDS.join(', ')})`,
        });
        return;
      }
      const shape = TARGET_SHAPES[p.guardrail === 'snapshot-sharing' ? (p.kind as string) : p.guardrail];
      if (shape && !shape.re.test(p.target)) {
        ctx.addIssue({ code: 'custom', path: ['target'], message: `${p.target} is not ${shape.what}` });
      }
    }),
  );
export type RestoreGuardrailParameters = z.infer<typeof RestoreGuardrailParameters>;

export const restoreGuardrail: RunbookSpec<typeof RestoreGuardrailParameters> = {
  name: 'restore-guardrail',
  summary:
    "Put the platform's own guardrail back: trail logging, the VPC flow log, snapshot/AMI sharing, world-open ingress, a bucket's public access block.",
  triggers: [
    'CloudTrail: StopLogging on an allow-listed trail; DeleteFlowLogs (the stage VPC flow log is checked)',
    'CloudTrail: an allow-listed owner’s EBS/RDS snapshot or AMI shared outside the account or made public',
    'CloudTrail: an allow-listed security group opened to 0.0.0.0/0 or ::/0',
    'CloudTrail: an allow-listed bucket’s public access block deleted, or its policy / ACL made public',
    'Slack: /ops run restore-guardrail guardrail=… target=…',
  ],
  mutating: true,
  // Sharing, ingress and the public access block are re-applied exactly as they were; trail logging and
  // the flow log are not reverted (turning a defence off again is never the repair of a mistake).
  revertible: true,
  parameters: RestoreGuardrailParameters,
  defaults: policyDefaults({ windowMinutes: 10, rateLimit: { maxRuns: 5 }, lockMinutes: 15 }),
  resourceKey: (p) =>
    `${p.guardrail}/${p.guardrail === 'snapshot-sharing' ? `${p.kind}/` : ''}${p.target ?? 'stage-vpc'}`,
};
