import { MalformedEventError, type Signal } from '../../signal.js';
import { describeIssues, EnvelopeSchema, parseOrThrow } from '../shared.js';
import { BackupFailureSignalSchema } from './schema.js';

/** A backup-verification failure event (EventBridge envelope, detail = Signal) → that Signal, checked. */
export function normaliseBackupVerification(raw: unknown): Signal {
  const envelope = parseOrThrow(EnvelopeSchema, raw, 'backup-verification', 'EventBridge envelope');
  const parsed = BackupFailureSignalSchema.safeParse(envelope.detail);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new MalformedEventError(
      `backup-verification event ${envelope.id} does not hold a valid backup-failure signal: ${issues.join('; ')}`,
      'backup-verification',
      issues,
    );
  }
  // Like every signal, `raw` is the payload exactly as received: the whole event, not the inner row.
  return { ...parsed.data, raw };
}
