import * as z from 'zod';
import { SignalSchema } from '../../signal.js';

/** EventBridge `source` and `detail-type` of a backup-failure signal that the scheduled backup verification puts on the default bus. */
export const BACKUP_VERIFICATION_SOURCE = 'ops.backup-verification';
export const BACKUP_VERIFICATION_DETAIL_TYPE = 'Backup Verification Failed';

/**
 * The detail is already a `Signal` (built by the verification's report), but it arrived over a bus that
 * other principals can write to, so only what a backup failure can honestly say is accepted: its own
 * source and kind, a backup resource, no runbook request and no actor (the intake must not be talked
 * into starting a named runbook, or into trusting an identity, by an event anyone could forge).
 */
export const BackupFailureSignalSchema = SignalSchema.extend({
  source: z.literal('backup-verification'),
  kind: z.literal('backup-verification.backup-failed'),
  resource: SignalSchema.shape.resource.refine((r) => r.type === 'ebs-volume' || r.type === 'backup', {
    message: 'a backup failure is about an ebs-volume or a backup',
  }),
  request: z.undefined({ message: 'a backup failure cannot carry a runbook request' }).optional(),
  actor: z.undefined({ message: 'a backup failure cannot claim an actor' }).optional(),
});
