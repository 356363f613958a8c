import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { reason } from '../shared.js';
import type { RunbookSpec } from '../types.js';

export const RotateSecretParameters = z.object({
  /** Secret name (as in the stage's allow-list). */
  secretId: z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'not a Secrets Manager secret name')),
  /** Restart the configured Kubernetes workloads once the new secret is verified. */
  restartConsumers: z._default(z.boolean(), true),
  reason,
});
export type RotateSecretParameters = z.infer<typeof RotateSecretParameters>;

export const rotateSecret: RunbookSpec<typeof RotateSecretParameters> = {
  name: 'rotate-secret',
  summary:
    'Rotate an allow-listed secret through its rotation function, verify the new AWSCURRENT, restart its consumers.',
  triggers: [
    'CloudTrail: GetSecretValue by a human or break-glass principal (not one of its workload consumers)',
    'Datadog monitor tagged runbook:rotate-secret (secret tag)',
    'Slack: /ops run rotate-secret secretId=…',
    'Schedule: automation.schedules entry with parameters { secretId } (besides Secrets Manager’s own rotation schedule)',
  ],
  mutating: true,
  revertible: false,
  parameters: RotateSecretParameters,
  defaults: policyDefaults({
    windowMinutes: 60,
    rateLimit: { maxRuns: 2 },
    circuitBreaker: { failures: 2, perMinutes: 120, openMinutes: 120 },
    lockMinutes: 60,
  }),
  resourceKey: (p) => p.secretId,
};
