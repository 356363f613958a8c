import * as z from '../../functions/shared/zod-mini.js';
import { policyDefaults } from '../plugin.js';
import { reason } from '../shared.js';
import type { RunbookSpec } from '../types.js';

export const VerifyBackupsParameters = z.object({
  /** Which backup classes to verify. */
  scope: z._default(z.array(z.enum(['ebs', 'rds', 'velero'])), ['ebs', 'rds', 'velero']),
  /** Run restore tests (EBS always when true; RDS only on its configured weekday). */
  restoreTests: z._default(z.boolean(), true),
  reason,
});
export type VerifyBackupsParameters = z.infer<typeof VerifyBackupsParameters>;

export const verifyBackups: RunbookSpec<typeof VerifyBackupsParameters> = {
  name: 'verify-backups',
  summary: 'Prove every backup exists, is fresh, encrypted, copied to DR and restorable; report the table.',
  triggers: [
    'Schedule: daily (EventBridge Scheduler → intake; config automation.schedules)',
    'Slack: /ops run verify-backups',
  ],
  mutating: false,
  revertible: false,
  parameters: VerifyBackupsParameters,
  defaults: policyDefaults({
    windowMinutes: 60,
    rateLimit: { maxRuns: 4, perMinutes: 1440 },
    circuitBreaker: { failures: 5, perMinutes: 1440 },
    lockMinutes: 180,
  }),
  resourceKey: () => 'all-backups',
};
