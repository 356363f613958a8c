import { createHash } from 'node:crypto';
import { CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN } from './schema.js';

/**
 * A CloudTrail record as the trail writes it to S3 (one element of a log file's `Records` array) → the
 * EventBridge event the CloudTrail integration delivers for it. Reference: EventBridge user guide, "AWS
 * service events delivered via AWS CloudTrail" (the detail-type per CloudTrail `eventType`), and the
 * samples' "Wrapped" rule (events/samples/SOURCES.md):
 *
 * - `detail-type` from `eventType`: `AwsApiCall` → "AWS API Call via CloudTrail", `AwsConsoleSignIn` →
 *   "AWS Console Sign In via CloudTrail" (source `aws.signin`), `AwsConsoleAction`, `AwsServiceEvent` and
 *   `AwsCloudTrailInsight` → their own detail-types (which no normaliser handles: the intake never gets them);
 * - `source` = `aws.<service>`, the prefix of `eventSource` (`ec2.amazonaws.com` → `aws.ec2`);
 * - `account` = `recipientAccountId`, else `userIdentity.accountId`; `time` = `eventTime`; `region` = `awsRegion`;
 * - `id`: EventBridge's is random; here a UUIDv5 of the record's `eventID`, so a replay is repeatable;
 * - `detail` = the record, unchanged (the same object, not a copy).
 *
 * Fields the record lacks are left out of the envelope, so the normaliser's schema names what is missing.
 */

/** CloudTrail `eventType` → EventBridge `detail-type`. */
const DETAIL_TYPES: Readonly<Record<string, string>> = {
  AwsApiCall: CLOUDTRAIL_API_CALL,
  AwsConsoleSignIn: CLOUDTRAIL_CONSOLE_SIGN_IN,
  AwsConsoleAction: 'AWS Console Action via CloudTrail',
  AwsServiceEvent: 'AWS Service Event via CloudTrail',
  AwsCloudTrailInsight: 'AWS Insight via CloudTrail',
};

/** RFC 4122 URL namespace: the UUIDv5 name is `cloudtrail:<eventID>`. */
const NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Does this object look like a bare CloudTrail record (not an EventBridge event)? */
export function isCloudTrailRecord(value: Record<string, unknown>): boolean {
  return (
    !('detail-type' in value) &&
    typeof value.eventSource === 'string' &&
    typeof value.eventName === 'string' &&
    'eventTime' in value
  );
}

/** The EventBridge event for one CloudTrail log record (see above). */
export function cloudTrailRecordToEvent(record: Record<string, unknown>): Record<string, unknown> {
  const eventSource = text(record.eventSource);
  const eventType = text(record.eventType);
  // Records from before `eventType` existed (eventVersion < 1.02) are API calls, or a console sign-in.
  const signIn =
    eventType === 'AwsConsoleSignIn' ||
    (eventType === undefined &&
      eventSource === 'signin.amazonaws.com' &&
      record.eventName === 'ConsoleLogin');
  const detailType = signIn
    ? CLOUDTRAIL_CONSOLE_SIGN_IN
    : (DETAIL_TYPES[eventType ?? 'AwsApiCall'] ?? `${eventType} via CloudTrail`);
  const service = eventSource?.replace(/\.amazonaws\.com$/, '');
  const identity = record.userIdentity;
  const account =
    text(record.recipientAccountId) ??
    (typeof identity === 'object' && identity !== null
      ? text((identity as Record<string, unknown>).accountId)
      : undefined);
  const eventId = text(record.eventID);
  const event: Record<string, unknown> = {
    version: '0',
    ...(eventId ? { id: uuidV5(`cloudtrail:${eventId}`) } : {}),
    'detail-type': detailType,
    ...(signIn ? { source: 'aws.signin' } : service ? { source: `aws.${service}` } : {}),
    ...(account ? { account } : {}),
    ...(text(record.eventTime) ? { time: record.eventTime } : {}),
    ...(text(record.awsRegion) ? { region: record.awsRegion } : {}),
    resources: [],
    detail: record,
  };
  return event;
}
