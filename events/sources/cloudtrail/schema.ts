import * as z from 'zod';
import { EnvelopeSchema } from '../shared.js';

/**
 * CloudTrail records as EventBridge delivers them (detail-types "AWS API Call via CloudTrail" and
 * "AWS Console Sign In via CloudTrail"). Only the fields policy reads are typed; the rest is kept in `raw`.
 * Reference: CloudTrail record contents and userIdentity element (CloudTrail user guide).
 */

export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';
export const CLOUDTRAIL_CONSOLE_SIGN_IN = 'AWS Console Sign In via CloudTrail';

const SessionIssuerSchema = z.object({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
});

export const UserIdentitySchema = z.object({
  /** Root, IAMUser, AssumedRole, FederatedUser, AWSAccount, AWSService, IdentityCenterUser, WebIdentityUser, ... */
  type: z.string().min(1),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  invokedBy: z.string().optional(),
  sessionContext: z
    .object({
      sessionIssuer: SessionIssuerSchema.optional(),
      attributes: z
        .object({
          mfaAuthenticated: z.string().optional(),
          creationDate: z.string().optional(),
        })
        .optional(),
      sourceIdentity: z.string().optional(),
    })
    .optional(),
  onBehalfOf: z.object({ userId: z.string().optional(), identityStoreArn: z.string().optional() }).optional(),
});
export type UserIdentity = z.infer<typeof UserIdentitySchema>;

const ResourceRefSchema = z.object({
  ARN: z.string().optional(),
  accountId: z.string().optional(),
  type: z.string().optional(),
});

/** JSON object whose values we inspect ourselves, defensively (request/response shapes vary per API). */
const LooseObject = z.record(z.string(), z.unknown());

export const CloudTrailRecordSchema = z.object({
  eventVersion: z.string().optional(),
  userIdentity: UserIdentitySchema,
  eventTime: z.string().min(1),
  eventSource: z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, 'expected <service>.amazonaws.com'),
  eventName: z.string().regex(/^[A-Za-z0-9_]+$/, 'expected an API action name such as GetSecretValue'),
  awsRegion: z.string().min(1),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  requestParameters: LooseObject.nullable().optional(),
  responseElements: LooseObject.nullable().optional(),
  additionalEventData: LooseObject.nullable().optional(),
  requestID: z.string().optional(),
  eventID: z.string().min(1),
  readOnly: z.boolean().optional(),
  resources: z.array(ResourceRefSchema).optional(),
  eventType: z.string().optional(),
  managementEvent: z.boolean().optional(),
  recipientAccountId: z.string().optional(),
  eventCategory: z.string().optional(),
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;

export const CloudTrailEventSchema = EnvelopeSchema.extend({
  'detail-type': z.enum([CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN]),
  source: z.string().regex(/^aws\.[a-z0-9-]+$/, 'expected aws.<service>'),
  detail: CloudTrailRecordSchema,
});
export type CloudTrailEvent = z.infer<typeof CloudTrailEventSchema>;
