import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { sarProblems } from '../support/iam-sar-check.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json }>;

// Inputs of a Session document, schema 1.0, as the Systems Manager User Guide lists them
// ("Session document schema"); hand-written here so a misspelt key is caught.
const SESSION_INPUTS = new Set([
  's3BucketName',
  's3KeyPrefix',
  's3EncryptionEnabled',
  'cloudWatchLogGroupName',
  'cloudWatchEncryptionEnabled',
  'cloudWatchStreamingEnabled',
  'kmsKeyId',
  'runAsEnabled',
  'runAsDefaultUser',
  'idleSessionTimeout',
  'maxSessionDuration',
  'shellProfile',
]);

function resources(t: Template, type: string): Resources {
  return t.findResources(type) as Resources;
}

function only(t: Template, type: string, match: (p: Json) => boolean = () => true): [string, Json] {
  const found = Object.entries(resources(t, type)).filter(([, r]) => match(r.Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, r] = found[0] as [string, { Properties?: Json }];
  return [id, r.Properties ?? {}];
}

describe.each(['dev', 'stage', 'prod'])(
  'platform node access (%s): SSM on nodes, sessions logged',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const [nodeRoleId, nodeRole] = only(t, 'AWS::IAM::Role', (p) =>
      String(p.Description ?? '').endsWith('worker nodes'),
    );
    // The logs bucket: the only one that does not log to another bucket, SSE-S3 (AES256).
    const [bucketId] = only(
      t,
      'AWS::S3::Bucket',
      (p) => !p.LoggingConfiguration && JSON.stringify(p.BucketEncryption).includes('AES256'),
    );
    const [keyId] = only(t, 'AWS::KMS::Key', (p) => String(p.Description).includes('CloudTrail log files'));

    it('gives the node role the managed instance core policy', () => {
      expect(JSON.stringify(nodeRole.ManagedPolicyArns)).toContain(
        ':iam::aws:policy/AmazonSSMManagedInstanceCore',
      );
    });

    it('sets the Session Manager preferences: logs to the logs bucket and an encrypted log group, data encrypted with the logs key', () => {
      const [, doc] = only(t, 'AWS::SSM::Document');
      expect(doc.Name).toBe('SSM-SessionManagerRunShell');
      expect(doc.DocumentType).toBe('Session');
      const content = doc.Content as { schemaVersion: string; sessionType: string; inputs: Json };
      expect(content.schemaVersion).toBe('1.0');
      expect(content.sessionType).toBe('Standard_Stream');
      for (const k of Object.keys(content.inputs)) expect(SESSION_INPUTS).toContain(k);
      expect(content.inputs.s3BucketName).toEqual({ Ref: bucketId });
      expect(content.inputs.s3KeyPrefix).toBe('session-manager/');
      expect(content.inputs.s3EncryptionEnabled).toBe(true);
      expect(content.inputs.cloudWatchEncryptionEnabled).toBe(true);
      expect(content.inputs.kmsKeyId).toEqual({ Ref: keyId });
      expect(content.inputs.runAsEnabled).toBe(false);
      const [groupId, group] = only(
        t,
        'AWS::Logs::LogGroup',
        (p) => p.LogGroupName === `/aws/ssm/${stageName}/sessions`,
      );
      expect(content.inputs.cloudWatchLogGroupName).toEqual({ Ref: groupId });
      expect(group.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    });

    it('lets the nodes write transcripts only under session-manager/ and decrypt only with the logs key', () => {
      const [, policy] = only(
        t,
        'AWS::IAM::Policy',
        (p) =>
          JSON.stringify(p.Roles) === JSON.stringify([{ Ref: nodeRoleId }]) &&
          JSON.stringify(p.PolicyDocument).includes('s3:PutObject'),
      );
      const statements = (policy.PolicyDocument as { Statement: Json[] }).Statement;
      const put = statements.find((s) => s.Action === 's3:PutObject');
      expect(put?.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/session-manager/*']],
      });
      const kms = statements.find((s) => s.Action === 'kms:Decrypt');
      expect(kms?.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      // Only the read-only DescribeLogGroups, which supports no resource ARNs, is granted on "*".
      for (const s of statements) if (s.Resource === '*') expect(s.Action).toBe('logs:DescribeLogGroups');
    });

    it('grants only actions and resource ARNs the Service Authorization Reference knows, in their formats', async () => {
      const [, policy] = only(
        t,
        'AWS::IAM::Policy',
        (p) =>
          JSON.stringify(p.Roles) === JSON.stringify([{ Ref: nodeRoleId }]) &&
          JSON.stringify(p.PolicyDocument).includes('s3:PutObject'),
      );
      const statements = (policy.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
        .Statement;
      const problems = await sarProblems(statements, {
        [bucketId]: 'arn:aws:s3:::logs-bucket',
        [keyId]: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      });
      expect(problems).toEqual([]);
    });
  },
);
