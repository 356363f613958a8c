import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stageStacks } from '../support/contract-synth.js';
import {
  exportsOf,
  findResource,
  type PolicyDocument,
  refOf,
  resolveCfn,
  roleNamed,
  rolePolicies,
  type Template,
} from '../support/iam-policies.js';
import { type RoleTable, tableFailures } from '../support/iam-simulation.js';

/**
 * Least privilege proven by simulation, per role of the dev stage as synthesised: each table is
 * written by hand from the runbook's README and the dev configuration (config/stages/dev.ts), not
 * from the policies, and @cloud-copilot/iam-simulate evaluates it against the role's policies.
 */
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const dev = stageStacks('dev');
const env0 = { account: dev.stage.account, region: dev.stage.region };
const platformTemplate = CdkTemplate.fromStack(dev.platform).toJSON() as Template;
const automationTemplate = CdkTemplate.fromStack(dev.automation).toJSON() as Template;
const env = {
  ...env0,
  imports: { ...exportsOf(platformTemplate, env0), ...exportsOf(automationTemplate, env0) },
};

const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;
const fn = (name: string) => arn('lambda', `function:${name}`);

/** The dev public zone's id, as the platform stack's Ref renders it. */
const zoneId = refOf(
  platformTemplate,
  findResource(platformTemplate, 'AWS::Route53::HostedZone', { Name: 'dev.example.com.' }),
  env,
);
const otherZone = 'Z0OTHERZONE000';
/** The backups bucket (platform), whose ARN the automation stack imports. */
const backupsBucket = String(env.imports['ops-dev-vb-backup-bucket-arn']).replace('arn:aws:s3:::', '');
const veleroBucket = String(env.imports['ops-dev-vb-velero-bucket-arn']).replace('arn:aws:s3:::', '');
/** The platform's data key and its key policy (KMS needs the key policy to allow too). */
const dataKeyId = findResource(platformTemplate, 'AWS::KMS::Key', {
  Description: 'dev: platform data at rest (S3, RDS, secrets, EBS, Velero)',
});
const dataKey = {
  arn: String(resolveCfn({ 'Fn::GetAtt': [dataKeyId, 'Arn'] }, platformTemplate, env)),
  policy: resolveCfn(
    platformTemplate.Resources[dataKeyId]?.Properties?.KeyPolicy,
    platformTemplate,
    env,
  ) as PolicyDocument,
};

function policiesOf(roleLogicalId: string): PolicyDocument[] {
  return rolePolicies(automationTemplate, roleLogicalId, env);
}
const byName = (roleName: string) => ({
  id: roleNamed(automationTemplate, roleName),
  principal: arn('iam', `role/${roleName}`, ''),
});

const TABLES: Record<string, { role: () => { id: string; principal: string }; table: RoleTable }> = {
  'snapshot-volume (state machine)': {
    role: () => byName('ops-dev-snapshot-volume'),
    table: {
      allow: [
        { action: 'ec2:DescribeVolumes', resource: '*', why: 'finds the volume' },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0aaaaaaaaaaaaaaa1'),
          context: { 'aws:ResourceTag/backup': 'required' },
          why: 'volume with the protected tag (dev allow-list)',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0aaaaaaaaaaaaaaa2'),
          context: { 'aws:ResourceTag/ops-automation': 'enabled' },
          why: 'volume with the opt-in tag',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'aws:RequestTag/ops-automation:created-by': 'ops-dev' },
          why: 'the new snapshot, tagged as ours in the same call',
        },
        {
          action: 'ec2:CreateTags',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'ec2:CreateAction': 'CreateSnapshot' },
          why: 'tags on create',
        },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'aws:ResourceTag/ops-automation:created-by': 'ops-dev' },
          why: 'prunes its own snapshots beyond keep-last',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: fn('ops-dev-snapshot-volume-steps'),
          why: 'its planning step',
        },
      ],
      deny: [
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0bbbbbbbbbbbbbbb1'),
          why: 'a volume without the opt-in tag',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0bbbbbbbbbbbbbbb2'),
          context: { 'aws:ResourceTag/backup': 'optional' },
          why: 'a volume whose tag says no',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0bbbbbbbbbbbbbbb3', 'us-east-1'),
          context: { 'aws:ResourceTag/backup': 'required' },
          why: 'a volume in another region',
        },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0bbbbbbbbbbbbbbb1', REGION, ''),
          why: 'a snapshot someone else made (a backup)',
        },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0bbbbbbbbbbbbbbb2', REGION, ''),
          context: { 'aws:ResourceTag/ops-automation:created-by': 'ops-prod' },
          why: "another stage's snapshot",
        },
        {
          action: 'ec2:DeleteVolume',
          resource: arn('ec2', 'volume/vol-0aaaaaaaaaaaaaaa1'),
          context: { 'aws:ResourceTag/backup': 'required' },
          why: 'never deletes volumes',
        },
        {
          action: 'ec2:ModifySnapshotAttribute',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'aws:ResourceTag/ops-automation:created-by': 'ops-dev' },
          why: 'never shares snapshots',
        },
        { action: 'lambda:InvokeFunction', resource: fn('ops-dev-intake'), why: 'another function' },
      ],
    },
  },
  'scale-node-group (state machine)': {
    role: () => byName('ops-dev-scale-node-group'),
    table: {
      allow: [
        {
          action: 'eks:ListNodegroups',
          resource: arn('eks', 'cluster/dev-platform'),
          why: 'lists the node groups',
        },
        {
          action: 'eks:DescribeNodegroup',
          resource: arn('eks', 'nodegroup/dev-platform/system/0abc'),
          why: 'reads any node group of the allow-listed cluster',
        },
        {
          action: 'eks:UpdateNodegroupConfig',
          resource: arn('eks', 'nodegroup/dev-platform/dev-platform-a/0abc'),
          why: 'allow-listed node group dev-platform-*',
        },
        {
          action: 'eks:DescribeUpdate',
          resource: arn('eks', 'nodegroup/dev-platform/dev-platform-a/0abc'),
          why: 'polls the update',
        },
        {
          action: 'ssm:PutParameter',
          resource: arn('ssm', 'parameter/ops/dev/nodegroups/dev-platform-a/max-size'),
          why: 'records the sizes',
        },
        {
          action: 'scheduler:CreateSchedule',
          resource: arn('scheduler', 'schedule/default/ops-dev-scale-back-dev-platform-a'),
          why: 'schedules the scale-back',
        },
        {
          action: 'iam:PassRole',
          resource: arn('iam', 'role/ops-dev-scale-back-scheduler', ''),
          context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
          why: "the schedule's role, to the scheduler",
        },
      ],
      deny: [
        {
          action: 'eks:UpdateNodegroupConfig',
          resource: arn('eks', 'nodegroup/dev-platform/system/0abc'),
          why: 'a node group outside the allow-list',
        },
        {
          action: 'eks:UpdateNodegroupConfig',
          resource: arn('eks', 'nodegroup/prod-platform/dev-platform-a/0abc'),
          why: 'another cluster',
        },
        {
          action: 'eks:DeleteNodegroup',
          resource: arn('eks', 'nodegroup/dev-platform/dev-platform-a/0abc'),
          why: 'never deletes node groups',
        },
        {
          action: 'ssm:PutParameter',
          resource: arn('ssm', 'parameter/ops/dev/kill-switch'),
          why: 'must not lift the kill switch',
        },
        {
          action: 'scheduler:CreateSchedule',
          resource: arn('scheduler', 'schedule/default/anything-else'),
          why: 'only its own scale-back schedules',
        },
        {
          action: 'iam:PassRole',
          resource: arn('iam', 'role/ops-dev-scale-back-scheduler', ''),
          context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          why: 'the role to another service',
        },
        {
          action: 'iam:PassRole',
          resource: arn('iam', 'role/Admin', ''),
          context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
          why: 'any other role',
        },
      ],
    },
  },
  // Written by hand from runbooks/restore-guardrail/README.md and dev's restoreGuardrail allow-lists.
  'restore-guardrail (state machine)': {
    role: () => byName('ops-dev-restore-guardrail'),
    table: {
      allow: [
        {
          action: 'cloudtrail:StartLogging',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'the platform trail',
        },
        {
          action: 'cloudtrail:GetTrailStatus',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'reads it first',
        },
        {
          action: 'ec2:ModifySnapshotAttribute',
          resource: arn('ec2', 'snapshot/snap-0123456789abcdef0', REGION, ''),
          context: { 'ec2:Owner': ACCOUNT },
          why: "unshares the stage account's snapshot",
        },
        {
          action: 'ec2:ModifyImageAttribute',
          resource: arn('ec2', 'image/ami-0123456789abcdef0', REGION, ''),
          context: { 'ec2:Owner': ACCOUNT },
          why: "unshares the stage account's AMI",
        },
        {
          action: 'rds:ModifyDBSnapshotAttribute',
          resource: arn('rds', 'snapshot:app-manual'),
          why: 'an own DB snapshot',
        },
        {
          action: 'rds:ModifyDBClusterSnapshotAttribute',
          resource: arn('rds', 'cluster-snapshot:app-cluster'),
          why: 'an own DB cluster snapshot',
        },
        {
          action: 'ec2:RevokeSecurityGroupIngress',
          resource: arn('ec2', 'security-group/sg-0d0e0f0a0b0c0d0e0'),
          why: 'the protected group',
        },
        {
          action: 's3:PutBucketPublicAccessBlock',
          resource: 'arn:aws:s3:::dev-platform-storagestatic1a2b3c4d-abcdef',
          why: 'a platform bucket',
        },
        {
          action: 'ec2:CreateFlowLogs',
          resource: arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'),
          context: { 'aws:RequestTag/ops-automation': 'enabled', 'aws:TagKeys': ['ops-automation'] },
          why: 'a new flow log carrying the opt-in tag',
        },
        { action: 'ec2:DescribeSecurityGroupRules', resource: '*', why: 'read-only, no resource type' },
      ],
      deny: [
        {
          action: 'cloudtrail:StartLogging',
          resource: arn('cloudtrail', 'trail/team-trail'),
          why: 'another trail',
        },
        {
          action: 'cloudtrail:StopLogging',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'never stops it',
        },
        {
          action: 'cloudtrail:DeleteTrail',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'never deletes it',
        },
        {
          action: 'ec2:ModifySnapshotAttribute',
          resource: arn('ec2', 'snapshot/snap-0123456789abcdef0', REGION, ''),
          context: { 'ec2:Owner': '999999999999' },
          why: "another owner's snapshot",
        },
        {
          action: 'rds:ModifyDBSnapshotAttribute',
          resource: arn('rds', 'snapshot:x', REGION, '999999999999'),
          why: 'another account',
        },
        {
          action: 'ec2:RevokeSecurityGroupIngress',
          resource: arn('ec2', 'security-group/sg-0123456789abcdef0'),
          why: 'a group that is not protected',
        },
        {
          action: 'ec2:AuthorizeSecurityGroupIngress',
          resource: arn('ec2', 'security-group/sg-0123456789abcdef0'),
          why: 'opening any other group',
        },
        {
          action: 's3:PutBucketPublicAccessBlock',
          resource: 'arn:aws:s3:::marketing-site',
          why: 'a bucket outside the pattern',
        },
        {
          action: 's3:PutBucketPolicy',
          resource: 'arn:aws:s3:::dev-platform-x',
          why: 'never writes a bucket policy',
        },
        {
          action: 'ec2:CreateFlowLogs',
          resource: arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'),
          why: 'a flow log without the opt-in tag',
        },
        {
          action: 'ec2:DeleteFlowLogs',
          resource: arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'),
          why: 'never deletes one',
        },
        {
          action: 'iam:PassRole',
          resource: arn('iam', 'role/Admin', ''),
          context: { 'iam:PassedToService': 'vpc-flow-logs.amazonaws.com' },
          why: 'any role but the flow-log role',
        },
      ],
    },
  },
  'update-dns (state machine)': {
    role: () => byName('ops-dev-update-dns'),
    table: {
      allow: [
        {
          action: 'route53:ListResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          why: 'reads the allow-listed zone',
        },
        {
          action: 'route53:ChangeResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.dev.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
          why: 'an allow-listed record, A, UPSERT',
        },
        { action: 'route53:GetChange', resource: 'arn:aws:route53:::change/C123', why: 'waits for INSYNC' },
        { action: 'elasticloadbalancing:DescribeLoadBalancers', resource: '*', why: 'finds the ingress NLB' },
      ],
      deny: [
        {
          action: 'route53:ChangeResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${otherZone}`,
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.dev.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
          why: 'a zone outside the allow-list',
        },
        {
          action: 'route53:ChangeResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
              'app.dev.example.com',
              'mail.example.org',
            ],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
          why: 'a batch that also touches a record outside the allow-list',
        },
        {
          action: 'route53:ChangeResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['dev.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['NS'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
          why: 'an NS record (delegation)',
        },
        {
          action: 'route53:DeleteHostedZone',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          why: 'never deletes zones',
        },
      ],
    },
  },
  'rotate-secret (state machine)': {
    role: () => byName('ops-dev-rotate-secret'),
    table: {
      allow: [
        {
          action: 'secretsmanager:RotateSecret',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'allow-listed secret',
        },
        {
          action: 'secretsmanager:DescribeSecret',
          resource: arn('secretsmanager', 'secret:dev/api/partner-token-AbCdEf'),
          why: 'reads rotation state',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: fn('ops-dev-rotation-dev-rds-app-user'),
          why: 'recovers a rotation',
        },
      ],
      deny: [
        {
          action: 'secretsmanager:RotateSecret',
          resource: arn('secretsmanager', 'secret:dev/payments/stripe-key-AbCdEf'),
          why: 'a secret outside the allow-list (dev/rds/master is allow-listed now: its rotation is scheduled)',
        },
        {
          action: 'secretsmanager:GetSecretValue',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'the workflow never reads secret values',
        },
        {
          action: 'secretsmanager:DeleteSecret',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'never deletes secrets',
        },
        {
          action: 'secretsmanager:PutSecretValue',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'values are written by the rotation function only',
        },
      ],
    },
  },
  'verify-backups (state machine)': {
    role: () => byName('ops-dev-verify-backups'),
    table: {
      allow: [
        {
          action: 'events:PutEvents',
          resource: arn('events', 'event-bus/default'),
          context: { 'events:source': ['ops.backup-verification'] },
          why: 'raises failure signals into the intake',
        },
        {
          action: 'kms:DescribeKey',
          resource: dataKey.arn,
          resourcePolicy: dataKey.policy,
          context: { 'kms:RequestAlias': 'alias/dev/platform/data' },
          why: 'resolves the expected key by its alias',
        },
        {
          action: 's3:PutObject',
          resource: `arn:aws:s3:::${backupsBucket}/verify-backups/2026-12-07/report.json`,
          why: 'keeps the report',
        },
      ],
      deny: [
        {
          action: 'ec2:CreateVolume',
          resource: arn('ec2', 'volume/vol-0scratch000000001'),
          context: { 'aws:RequestTag/ops-automation:scratch': 'true', 'ec2:AvailabilityZone': 'eu-west-1a' },
          why: 'content is read through the EBS direct APIs now: no scratch volume is ever created',
        },
        {
          action: 'ec2:DeleteVolume',
          resource: arn('ec2', 'volume/vol-0scratch000000001'),
          context: { 'aws:ResourceTag/ops-automation:scratch': 'true' },
          why: 'leftover scratch volumes are the sweep function’s job, not the state machine’s',
        },
        {
          action: 'ec2:CreateVolume',
          resource: arn('ec2', 'volume/vol-0scratch000000002'),
          context: { 'ec2:AvailabilityZone': 'eu-west-1a' },
          why: 'an untagged volume',
        },
        {
          action: 'ec2:DeleteVolume',
          resource: arn('ec2', 'volume/vol-0data00000000001'),
          why: 'a data volume (no scratch tag)',
        },
        {
          action: 'events:PutEvents',
          resource: arn('events', 'event-bus/default'),
          context: { 'events:source': ['ops.backup-verification', 'aws.ec2'] },
          why: 'a batch with a forged AWS event riding along',
        },
        {
          action: 'events:PutEvents',
          resource: arn('events', 'event-bus/default'),
          context: { 'events:source': ['aws.ec2'] },
          why: 'events posing as AWS',
        },
        {
          action: 'kms:DescribeKey',
          resource: dataKey.arn,
          resourcePolicy: dataKey.policy,
          context: { 'kms:RequestAlias': 'alias/dev/platform/logs' },
          why: 'another key',
        },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          why: 'never deletes a backup',
        },
        {
          action: 's3:DeleteObject',
          resource: `arn:aws:s3:::${backupsBucket}/velero/backup-1/velero-backup.json`,
          why: 'never deletes backup objects',
        },
        {
          action: 's3:PutObject',
          resource: `arn:aws:s3:::${backupsBucket}/velero/backup-1/velero-backup.json`,
          why: 'writes only under verify-backups/',
        },
      ],
    },
  },
  'snapshot-volume steps (function)': {
    role: () => byName('ops-dev-snapshot-volume-steps'),
    table: {
      allow: [
        { action: 'ec2:DescribeSnapshots', resource: '*', why: 'plans a revert' },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'aws:ResourceTag/ops-automation:created-by': 'ops-dev' },
          why: 'a revert deletes the snapshot the run made',
        },
      ],
      deny: [
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0bbbbbbbbbbbbbbb1', REGION, ''),
          why: 'any snapshot it did not make',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0aaaaaaaaaaaaaaa1'),
          context: { 'aws:ResourceTag/backup': 'required' },
          why: 'planning never mutates',
        },
      ],
    },
  },
  'verify-backups sweep (function)': {
    role: () => byName('ops-dev-verify-backups-sweep'),
    table: {
      allow: [
        {
          action: 'ec2:DeleteVolume',
          resource: arn('ec2', 'volume/vol-0scratch000000001'),
          context: { 'aws:ResourceTag/ops-automation:scratch': 'true' },
          why: 'a scratch volume an earlier run left',
        },
      ],
      deny: [
        {
          action: 'ec2:DeleteVolume',
          resource: arn('ec2', 'volume/vol-0data00000000001'),
          context: { 'aws:ResourceTag/ops-automation:scratch': 'false' },
          why: 'any other volume',
        },
        {
          action: 'ec2:DeleteSnapshot',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          why: 'never a backup',
        },
      ],
    },
  },
  'verify-backups collect (function)': {
    role: () => byName('ops-dev-verify-backups-collect'),
    table: {
      allow: [
        { action: 'ec2:DescribeSnapshots', resource: '*', why: 'the EBS inventory' },
        {
          action: 'rds:DescribeDBSnapshots',
          resource: arn('rds', 'snapshot:rds:dev-platform-2026-12-07-03-00'),
          why: 'the RDS inventory',
        },
        {
          action: 's3:GetObject',
          resource: `arn:aws:s3:::${veleroBucket}/backups/daily-20261207/velero-backup.json`,
          why: "reads Velero's backup metadata",
        },
      ],
      deny: [
        {
          action: 's3:GetObject',
          resource: `arn:aws:s3:::${veleroBucket}/restores/r1/restore.json`,
          why: 'only under backups/',
        },
        {
          action: 's3:DeleteObject',
          resource: `arn:aws:s3:::${veleroBucket}/backups/daily-20261207/velero-backup.json`,
          why: 'read-only',
        },
        {
          action: 'rds:DeleteDBSnapshot',
          resource: arn('rds', 'snapshot:rds:dev-platform-2026-12-07-03-00'),
          why: 'read-only',
        },
      ],
    },
  },
  'rotation of dev/rds/app-user (function)': {
    role: () => byName('ops-dev-rotation-dev-rds-app-user'),
    table: {
      allow: [
        {
          action: 'secretsmanager:PutSecretValue',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'createSecret writes AWSPENDING',
        },
        {
          action: 'secretsmanager:UpdateSecretVersionStage',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'finishSecret moves AWSCURRENT',
        },
        { action: 'secretsmanager:GetRandomPassword', resource: '*', why: 'the new password' },
      ],
      deny: [
        {
          action: 'secretsmanager:PutSecretValue',
          resource: arn('secretsmanager', 'secret:dev/api/partner-token-AbCdEf'),
          why: 'a secret it does not rotate',
        },
        {
          action: 'secretsmanager:DeleteSecret',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'never deletes',
        },
        {
          action: 'secretsmanager:RotateSecret',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'Secrets Manager starts rotations, not the function',
        },
      ],
    },
  },
  'scale-back scheduler (role)': {
    role: () => byName('ops-dev-scale-back-scheduler'),
    table: {
      allow: [
        {
          action: 'lambda:InvokeFunction',
          resource: fn('ops-dev-intake'),
          why: 'the scale-back goes through the intake',
        },
      ],
      deny: [
        {
          action: 'states:StartExecution',
          resource: arn('states', 'stateMachine:ops-dev-scale-node-group'),
          why: 'never around the guards',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: fn('ops-dev-scale-node-group-steps'),
          why: 'no other function',
        },
      ],
    },
  },
  // The Slack README: on a failed, timed-out or aborted run, its pending approvals are closed and
  // their messages updated; nothing else.
  'Slack run-ended (function)': {
    role: () => ({
      id: roleIdStartingWith('SlackRunEndedFunctionRole'),
      principal: arn('iam', 'role/dev-automation-SlackRunEndedFunctionRole', ''),
    }),
    table: {
      allow: [
        {
          action: 'dynamodb:GetItem',
          resource: arn('dynamodb', 'table/ops-dev-slack'),
          why: 'reads the approvals of the run that ended',
        },
        {
          action: 'dynamodb:UpdateItem',
          resource: arn('dynamodb', 'table/ops-dev-slack'),
          why: 'resolves a pending approval',
        },
        {
          action: 'secretsmanager:GetSecretValue',
          resource: arn('secretsmanager', 'secret:ops/dev/slack/bot-token-AbCdEf'),
          why: 'the bot token, to update the approval message',
        },
      ],
      deny: [
        {
          action: 'dynamodb:PutItem',
          resource: arn('dynamodb', 'table/ops-dev-slack'),
          why: 'never creates approvals or replay claims',
        },
        {
          action: 'secretsmanager:GetSecretValue',
          resource: arn('secretsmanager', 'secret:ops/dev/slack/signing-secret-AbCdEf'),
          why: 'never verifies Slack requests',
        },
        {
          // A task token names no resource: the action is granted on `*` or not at all.
          action: 'states:SendTaskSuccess',
          resource: '*',
          why: 'closing an approval never answers its task token',
        },
        {
          action: 'states:StartExecution',
          resource: arn('states', 'stateMachine:ops-dev-snapshot-volume'),
          why: 'never starts a run',
        },
        {
          action: 'dynamodb:PutItem',
          resource: arn('dynamodb', 'table/ops-dev-intake-guards'),
          why: "not the intake's guards",
        },
        {
          action: 'lambda:InvokeFunction',
          resource: fn('ops-dev-slack-worker'),
          why: 'never hands work to the worker',
        },
      ],
    },
  },
  'intake (function)': {
    role: () => ({ id: intakeRoleId(), principal: arn('iam', 'role/dev-automation-IntakeFunctionRole', '') }),
    table: {
      allow: [
        {
          action: 'states:StartExecution',
          resource: arn('states', 'stateMachine:ops-dev-snapshot-volume'),
          why: 'starts a runbook',
        },
        {
          action: 'dynamodb:PutItem',
          resource: arn('dynamodb', 'table/ops-dev-intake-guards'),
          why: 'takes a lock',
        },
        {
          action: 'ssm:GetParameter',
          resource: arn('ssm', 'parameter/ops/dev/kill-switch'),
          why: 'reads the kill switch',
        },
      ],
      deny: [
        {
          action: 'states:StartExecution',
          resource: arn('states', 'stateMachine:someone-elses-machine'),
          why: 'a state machine that is not a runbook',
        },
        {
          action: 'states:StopExecution',
          resource: arn('states', 'execution:ops-dev-snapshot-volume:x'),
          why: 'never stops runs',
        },
        {
          action: 'ssm:PutParameter',
          resource: arn('ssm', 'parameter/ops/dev/kill-switch'),
          why: 'never flips the kill switch',
        },
        {
          action: 'dynamodb:Scan',
          resource: arn('dynamodb', 'table/ops-dev-intake-guards'),
          why: 'item reads only',
        },
        {
          action: 'dynamodb:DeleteTable',
          resource: arn('dynamodb', 'table/ops-dev-intake-guards'),
          why: 'no table management',
        },
        {
          action: 'ec2:CreateSnapshot',
          resource: arn('ec2', 'volume/vol-0aaaaaaaaaaaaaaa1'),
          context: { 'aws:ResourceTag/backup': 'required' },
          why: 'the intake starts runbooks, it never acts itself',
        },
      ],
    },
  },
  'sweeps (function)': {
    role: () => ({ id: sweepsRoleId(), principal: arn('iam', 'role/dev-automation-SweepsFunctionRole', '') }),
    table: {
      allow: [
        {
          action: 'cloudtrail:GetTrailStatus',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'the platform trail',
        },
        {
          action: 'ec2:DescribeFlowLogs',
          resource: '*',
          context: { 'ec2:Region': REGION },
          why: 'flow logs of the stage VPC',
        },
        {
          action: 'ec2:DescribeSnapshotAttribute',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          context: { 'ec2:Region': REGION },
          why: 'who may create volumes from a snapshot',
        },
        {
          action: 'rds:DescribeDBSnapshotAttributes',
          resource: arn('rds', 'snapshot:manual-1'),
          why: 'who may restore it',
        },
        {
          action: 'secretsmanager:ListSecrets',
          resource: '*',
          why: 'rotation dates of the platform secrets',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: arn('lambda', 'function:ops-dev-intake'),
          why: 'hands findings to the intake',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: arn('lambda', 'function:ops-dev-kube'),
          why: 'node-groups: asks the in-VPC kube function to count unschedulable-pod events',
        },
        {
          action: 'eks:ListNodegroups',
          resource: arn('eks', 'cluster/dev-platform'),
          why: 'node-groups: the allow-listed cluster',
        },
        {
          action: 'eks:DescribeNodegroup',
          resource: arn('eks', 'nodegroup/dev-platform/dev-platform-a/0abc'),
          why: 'node-groups: scaling config of an allow-listed node group',
        },
        {
          action: 'route53:ListResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          why: 'dns: record sets of the allow-listed platform zone',
        },
        {
          action: 'dynamodb:Query',
          resource: arn('dynamodb', 'table/ops-dev-audit/index/by-resource'),
          why: "dns: what update-dns's runs last set, by resource",
        },
      ],
      deny: [
        {
          action: 'route53:ChangeResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${zoneId}`,
          why: 'dns: reads only',
        },
        {
          action: 'route53:ListResourceRecordSets',
          resource: `arn:aws:route53:::hostedzone/${otherZone}`,
          why: "dns: only the platform's zones",
        },
        {
          action: 'dynamodb:Query',
          resource: arn('dynamodb', 'table/ops-dev-audit'),
          why: 'dns: the by-resource index only, not the table',
        },
        {
          action: 'dynamodb:PutItem',
          resource: arn('dynamodb', 'table/ops-dev-audit'),
          why: 'never writes the audit',
        },
        {
          action: 'cloudtrail:StopLogging',
          resource: arn('cloudtrail', 'trail/dev-platform-trail'),
          why: 'reads only',
        },
        {
          action: 'cloudtrail:GetTrailStatus',
          resource: arn('cloudtrail', 'trail/someone-elses-trail'),
          why: 'only the platform trail',
        },
        {
          action: 'ec2:DescribeFlowLogs',
          resource: '*',
          context: { 'ec2:Region': 'us-west-2' },
          why: 'only its own region',
        },
        {
          action: 'ec2:ModifySnapshotAttribute',
          resource: arn('ec2', 'snapshot/snap-0aaaaaaaaaaaaaaa1', REGION, ''),
          why: 'never changes sharing itself',
        },
        {
          action: 'rds:ModifyDBSnapshotAttribute',
          resource: arn('rds', 'snapshot:manual-1'),
          why: 'reads only',
        },
        {
          action: 'secretsmanager:GetSecretValue',
          resource: arn('secretsmanager', 'secret:dev/rds/app-user-AbCdEf'),
          why: 'rotation dates, never secret values',
        },
        {
          action: 'lambda:InvokeFunction',
          resource: arn('lambda', 'function:ops-dev-slack-worker'),
          why: 'only the intake and the kube function',
        },
        {
          action: 'eks:DescribeNodegroup',
          resource: arn('eks', 'nodegroup/dev-platform/system/0abc'),
          why: 'node-groups: only the allow-listed node groups (dev-platform-*)',
        },
        {
          action: 'eks:ListNodegroups',
          resource: arn('eks', 'cluster/prod-platform'),
          why: "node-groups: only the stage's allow-listed cluster",
        },
        {
          action: 'eks:UpdateNodegroupConfig',
          resource: arn('eks', 'nodegroup/dev-platform/dev-platform-a/0abc'),
          why: 'node-groups: reads only; scale-node-group scales',
        },
      ],
    },
  },
};

/** A role the template names only by its logical id (an OpsFunction role without a RoleName). */
function roleIdStartingWith(prefix: string): string {
  const hits = Object.entries(automationTemplate.Resources).filter(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith(prefix),
  );
  if (hits.length !== 1) throw new Error(`${hits.length} roles start with ${prefix}`);
  return hits[0]?.[0] as string;
}

function sweepsRoleId(): string {
  const hit = Object.entries(automationTemplate.Resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('SweepsFunctionRole'),
  );
  if (!hit) throw new Error('no sweeps function role');
  return hit[0];
}

function intakeRoleId(): string {
  const hit = Object.entries(automationTemplate.Resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('IntakeFunctionRole'),
  );
  if (!hit) throw new Error('no intake function role');
  return hit[0];
}

describe('contract: least privilege per role, by IAM simulation (dev stage)', () => {
  it.each(Object.entries(TABLES))(
    '%s: allows what it must and denies the rest',
    async (_name, { role, table }) => {
      const { id, principal } = role();
      expect(await tableFailures(policiesOf(id), principal, ACCOUNT, table)).toEqual([]);
    },
  );
});

describe('contract: the simulation catches a widened policy', () => {
  /** A copy of the policies with the statements granting `action` widened to `*` and stripped of conditions. */
  const widen = (docs: PolicyDocument[], action: string): PolicyDocument[] =>
    docs.map((d) => ({
      ...d,
      Statement: d.Statement.map((s) =>
        [s.Action].flat().includes(action) ? { Effect: s.Effect, Action: s.Action, Resource: '*' } : s,
      ),
    }));

  it('snapshot-volume allowed to delete any snapshot fails its table', async () => {
    const { id, principal } = byName('ops-dev-snapshot-volume');
    const failures = await tableFailures(
      widen(policiesOf(id), 'ec2:DeleteSnapshot'),
      principal,
      ACCOUNT,
      TABLES['snapshot-volume (state machine)']?.table as RoleTable,
    );
    expect(failures).toEqual([
      expect.stringContaining(
        'must deny ec2:DeleteSnapshot on arn:aws:ec2:eu-west-1::snapshot/snap-0bbbbbbbbbbbbbbb1',
      ),
      expect.stringContaining(
        'must deny ec2:DeleteSnapshot on arn:aws:ec2:eu-west-1::snapshot/snap-0bbbbbbbbbbbbbbb2',
      ),
    ]);
  });

  it('update-dns allowed to change any record of any zone fails its table', async () => {
    const { id, principal } = byName('ops-dev-update-dns');
    const failures = await tableFailures(
      widen(policiesOf(id), 'route53:ChangeResourceRecordSets'),
      principal,
      ACCOUNT,
      TABLES['update-dns (state machine)']?.table as RoleTable,
    );
    expect(failures).toHaveLength(3);
  });
});
