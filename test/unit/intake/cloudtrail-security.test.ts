import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { rulesMatching } from '../../../events/patterns.js';
import {
  aclIsPublic,
  eventSelectorNarrowing,
  flowLogIds,
  isWorldCidr,
  policyIsPublic,
} from '../../../events/sources/cloudtrail/security.js';
import { planEvent } from '../../../functions/intake/plan.js';

/**
 * Issue 14, the classes the real corpus lacks (test/fixtures/cloudtrail/SOURCE.md lists them): hand-written
 * records in the shapes of the AWS API references (request member names as CloudTrail records them,
 * lower-camel-cased), each decided by a verdict written here by hand. Removing a permission or re-stating a
 * full selector is not an incident.
 */

const dev = loadStage('dev');

function event(source: string, eventName: string, requestParameters: Record<string, unknown>) {
  return {
    version: '0',
    id: '0d4c7a64-5d0e-4d8e-9c52-1f1e5c7f0a01',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${source}`,
    account: '111111111111',
    time: '2026-11-20T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:mallory',
        arn: 'arn:aws:sts::111111111111:assumed-role/ops-admin/mallory',
        accountId: '111111111111',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: 'arn:aws:iam::111111111111:role/ops-admin',
            accountId: '111111111111',
            userName: 'ops-admin',
          },
          attributes: { mfaAuthenticated: 'false', creationDate: '2026-11-20T09:00:00Z' },
        },
      },
      eventTime: '2026-11-20T10:00:00Z',
      eventSource: `${source}.amazonaws.com`,
      eventName,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.9',
      userAgent: 'aws-cli/2.17.0',
      requestParameters,
      responseElements: null,
      eventID: `a1b2c3d4-0000-4000-8000-${eventName.length.toString().padStart(12, '0')}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '111111111111',
    },
  };
}

type Case = readonly [
  name: string,
  source: string,
  eventName: string,
  request: Record<string, unknown>,
  expected:
    | { action: 'notify'; says: readonly string[] }
    | { action: 'ignore' }
    // A platform resource (dev's allow-lists, config/stages/dev.ts): restore-guardrail starts, and people are told.
    | { action: 'start'; says: readonly string[]; parameters: Record<string, unknown> },
];

const CASES: readonly Case[] = [
  [
    'GuardDuty detector deleted',
    'guardduty',
    'DeleteDetector',
    { detectorId: '12abc34d567e8fa901bc2d34e56789f0' },
    { action: 'notify', says: ['GuardDuty', '12abc34d567e8fa901bc2d34e56789f0', 'deleted'] },
  ],
  [
    'GuardDuty detector disabled',
    'guardduty',
    'UpdateDetector',
    { detectorId: 'd1', enable: false },
    { action: 'notify', says: ['GuardDuty detector d1 disabled'] },
  ],
  [
    'GuardDuty detector finding frequency changed',
    'guardduty',
    'UpdateDetector',
    { detectorId: 'd1', findingPublishingFrequency: 'FIFTEEN_MINUTES' },
    { action: 'ignore' },
  ],
  [
    'Config recorder stopped',
    'config',
    'StopConfigurationRecorder',
    { configurationRecorderName: 'default' },
    { action: 'notify', says: ['AWS Config recorder default stopped'] },
  ],
  [
    'Config recorder deleted',
    'config',
    'DeleteConfigurationRecorder',
    { configurationRecorderName: 'default' },
    { action: 'notify', says: ['recorder default deleted'] },
  ],
  [
    'Insights turned off',
    'cloudtrail',
    'PutInsightSelectors',
    { trailName: 'org-trail', insightSelectors: [] },
    { action: 'notify', says: ['org-trail', 'Insights turned off'] },
  ],
  [
    'Insights kept',
    'cloudtrail',
    'PutInsightSelectors',
    { trailName: 'org-trail', insightSelectors: [{ insightType: 'ApiCallRateInsight' }] },
    { action: 'ignore' },
  ],
  [
    'trail made single-Region',
    'cloudtrail',
    'UpdateTrail',
    { name: 'org-trail', isMultiRegionTrail: false },
    { action: 'notify', says: ['org-trail', 'no longer multi-Region'] },
  ],
  [
    'trail delivery moved',
    'cloudtrail',
    'UpdateTrail',
    { name: 'org-trail', s3BucketName: 'attacker-bucket' },
    { action: 'notify', says: ['log delivery moved to bucket attacker-bucket'] },
  ],
  [
    'trail SNS topic set',
    'cloudtrail',
    'UpdateTrail',
    { name: 'org-trail', snsTopicName: 'trail-events' },
    { action: 'ignore' },
  ],
  [
    'advanced selectors drop management events',
    'cloudtrail',
    'PutEventSelectors',
    {
      trailName: 'org-trail',
      advancedEventSelectors: [
        {
          name: 'S3 only',
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Data'] },
            { field: 'resources.type', equals: ['AWS::S3::Object'] },
          ],
        },
      ],
    },
    { action: 'notify', says: ['org-trail', 'management events excluded'] },
  ],
  [
    'advanced selectors keep only read-only management events',
    'cloudtrail',
    'PutEventSelectors',
    {
      trailName: 'org-trail',
      advancedEventSelectors: [
        {
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Management'] },
            { field: 'readOnly', equals: ['true'] },
          ],
        },
      ],
    },
    { action: 'notify', says: ['management events narrowed to readOnly=true'] },
  ],
  [
    'advanced selectors keep all management events',
    'cloudtrail',
    'PutEventSelectors',
    {
      trailName: 'org-trail',
      advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }],
    },
    { action: 'ignore' },
  ],
  [
    'basic selectors narrowed to write-only',
    'cloudtrail',
    'PutEventSelectors',
    {
      trailName: 'org-trail',
      eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true }],
    },
    { action: 'notify', says: ['management events narrowed to WriteOnly'] },
  ],
  [
    'DB cluster snapshot made public',
    'rds',
    'ModifyDBClusterSnapshotAttribute',
    { dBClusterSnapshotIdentifier: 'orders-final', attributeName: 'restore', valuesToAdd: ['all'] },
    {
      action: 'start',
      says: ['DB cluster snapshot orders-final made public (group all)', 'ops-admin/mallory'],
      parameters: {
        guardrail: 'snapshot-sharing',
        kind: 'db-cluster-snapshot',
        target: 'orders-final',
        account: '111111111111',
      },
    },
  ],
  [
    'platform bucket public access block deleted',
    's3',
    'DeleteBucketPublicAccessBlock',
    { bucketName: 'dev-platform-storagestatic4b1c2d3e-0a1b2c3d4e5f' },
    {
      action: 'start',
      says: ['dev-platform-storagestatic4b1c2d3e-0a1b2c3d4e5f', 'public access block deleted'],
      parameters: {
        guardrail: 'bucket-public-access',
        target: 'dev-platform-storagestatic4b1c2d3e-0a1b2c3d4e5f',
      },
    },
  ],
  [
    'protected security group opened to the world',
    'ec2',
    'AuthorizeSecurityGroupIngress',
    {
      groupId: 'sg-0d0e0f0a0b0c0d0e0',
      ipPermissions: {
        items: [
          { ipProtocol: 'tcp', fromPort: 3306, toPort: 3306, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } },
        ],
      },
    },
    {
      action: 'start',
      says: ['sg-0d0e0f0a0b0c0d0e0', 'opened to the world', 'ops-admin/mallory'],
      parameters: { guardrail: 'security-group-ingress', target: 'sg-0d0e0f0a0b0c0d0e0' },
    },
  ],
  [
    'platform EBS snapshot shared with another account',
    'ec2',
    'ModifySnapshotAttribute',
    {
      snapshotId: 'snap-0123456789abcdef0',
      attributeType: 'CREATE_VOLUME_PERMISSION',
      createVolumePermission: { add: { items: [{ userId: '999999999999' }] } },
    },
    {
      action: 'start',
      says: ['snap-0123456789abcdef0', 'shared with account 999999999999'],
      parameters: { guardrail: 'snapshot-sharing', kind: 'ebs-snapshot', target: 'snap-0123456789abcdef0' },
    },
  ],
  [
    'DB snapshot unshared',
    'rds',
    'ModifyDBSnapshotAttribute',
    { dBSnapshotIdentifier: 'orders', attributeName: 'restore', valuesToRemove: ['222222222222'] },
    { action: 'ignore' },
  ],
  [
    'EBS snapshot unshared',
    'ec2',
    'ModifySnapshotAttribute',
    {
      snapshotId: 'snap-0123456789abcdef0',
      attributeType: 'CREATE_VOLUME_PERMISSION',
      createVolumePermission: { remove: { items: [{ group: 'all' }] } },
    },
    { action: 'ignore' },
  ],
  [
    'bucket policy for everyone',
    's3',
    'PutBucketPolicy',
    {
      bucketName: 'dev-backups',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::dev-backups/*' },
        ],
      },
    },
    { action: 'notify', says: ['dev-backups', 'Principal *'] },
  ],
  [
    'bucket policy for one account',
    's3',
    'PutBucketPolicy',
    {
      bucketName: 'dev-backups',
      bucketPolicy: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 's3:GetObject' },
        ],
      },
    },
    { action: 'ignore' },
  ],
  [
    'bucket ACL public-read',
    's3',
    'PutBucketAcl',
    { bucketName: 'dev-static', 'x-amz-acl': ['public-read'] },
    { action: 'notify', says: ['dev-static', 'ACL grants public access'] },
  ],
  [
    'bucket ACL grant to AllUsers',
    's3',
    'PutBucketAcl',
    {
      bucketName: 'dev-static',
      AccessControlPolicy: {
        AccessControlList: {
          Grant: [
            { Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
          ],
        },
      },
    },
    { action: 'notify', says: ['dev-static', 'public'] },
  ],
  [
    'public access block deleted',
    's3',
    'DeleteBucketPublicAccessBlock',
    { bucketName: 'dev-logs' },
    { action: 'notify', says: ['dev-logs', 'public access block deleted'] },
  ],
];

describe('security calls the corpus lacks (issue 14)', () => {
  it.each(CASES)('%s', (_name, source, eventName, request, expected) => {
    // Prepare
    const e = event(source, eventName, request);
    // Act
    const out = planEvent(JSON.stringify(e), dev);
    // Assess
    expect(out.decision.action).toBe(expected.action);
    if (expected.action === 'start') {
      expect(out.decision.runbook).toBe('restore-guardrail');
      expect(out.decision.parameters).toMatchObject(expected.parameters);
    }
    if (expected.action === 'ignore') return;
    expect(out.decision.severity).toBe('critical');
    for (const word of expected.says) expect(out.decision.reasons.join(' | ')).toContain(word);
    // The call reaches the intake: exactly one rule carries it.
    expect(rulesMatching(e).map((r) => r.name)).toEqual(['cloudtrail-write-calls']);
  });
});

describe('security facts: the pure readers', () => {
  it.each([
    ['0.0.0.0/0', true],
    ['::/0', true],
    // The Stratus anonymiser's rewrite of 0.0.0.0/0: a /0 prefix whatever the address bits.
    ['208.236.235.254/0', true],
    ['0.0.0.0/1', false],
    ['10.0.0.0/8', false],
    ['203.0.113.7/32', false],
  ])('isWorldCidr(%s) is %s', (cidr, world) => {
    expect(isWorldCidr(cidr)).toBe(world);
  });

  it('reads flow log ids from the SDK shape and from the EC2 query shape', () => {
    expect(flowLogIds({ flowLogIds: ['fl-1', 'fl-2'] })).toEqual(['fl-1', 'fl-2']);
    expect(flowLogIds({ DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-3', tag: 1 } } })).toEqual([
      'fl-3',
    ]);
    expect(
      flowLogIds({
        DeleteFlowLogsRequest: {
          FlowLogId: [
            { content: 'fl-4', tag: 1 },
            { content: 'fl-5', tag: 2 },
          ],
        },
      }),
    ).toEqual(['fl-4', 'fl-5']);
  });

  it('tells a public bucket policy from a cross-account or conditioned one', () => {
    const allow = (Principal: unknown, extra: Record<string, unknown> = {}) => ({
      bucketPolicy: { Statement: [{ Effect: 'Allow', Principal, Action: 's3:GetObject', ...extra }] },
    });
    expect(policyIsPublic(allow('*'))).toBe(true);
    expect(policyIsPublic(allow({ AWS: '*' }))).toBe(true);
    expect(policyIsPublic(allow({ AWS: ['arn:aws:iam::222222222222:root', '*'] }))).toBe(true);
    expect(policyIsPublic(allow({ AWS: 'arn:aws:iam::222222222222:root' }))).toBe(false);
    expect(policyIsPublic(allow('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } }))).toBe(
      false,
    );
    expect(policyIsPublic({ bucketPolicy: JSON.stringify(allow('*').bucketPolicy) })).toBe(true);
    expect(policyIsPublic({ bucketPolicy: 'not json' })).toBe(false);
  });

  it('tells a public ACL from a private one', () => {
    expect(aclIsPublic({ 'x-amz-acl': ['public-read-write'] })).toBe(true);
    expect(aclIsPublic({ 'x-amz-acl': ['private'] })).toBe(false);
    expect(
      aclIsPublic({ 'x-amz-grant-read': ['uri="http://acs.amazonaws.com/groups/global/AllUsers"'] }),
    ).toBe(true);
  });

  it('names what a PutEventSelectors request leaves out', () => {
    expect(
      eventSelectorNarrowing({ eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }] }),
    ).toEqual([]);
    expect(eventSelectorNarrowing({ eventSelectors: [] })).toEqual(['every event selector removed']);
    expect(
      eventSelectorNarrowing({
        eventSelectors: [
          {
            includeManagementEvents: true,
            readWriteType: 'All',
            excludeManagementEventSources: ['kms.amazonaws.com'],
          },
        ],
      }),
    ).toEqual(['management events from kms.amazonaws.com excluded']);
  });
});
