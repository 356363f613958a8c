import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type DrTarget, drBucketName, drKeyAlias, type ReplicatedBucket } from './dr-names.js';

export interface DrReplicationProps {
  readonly target: DrTarget;
  /** The key the source buckets are encrypted with (the platform data key). */
  readonly sourceKey: kms.IKey;
}

/**
 * S3 replication of platform buckets to their replicas in the DR region (stack `<stage>-dr`):
 * one role for S3 to assume, least privilege, and one rule per source bucket.
 *
 * The rule names the DR key by its alias ARN: `ReplicaKmsKeyID` accepts "the Amazon Resource Name
 * (ARN) for the KMS key or the alias ARN" (Amazon S3 API reference, `EncryptionConfiguration`;
 * CloudFormation `AWS::S3::Bucket EncryptionConfiguration`: "Key ARN or Alias ARN"). The alias
 * resolves in this account, which owns the key, so the caveat about aliases there does not apply.
 */
export class DrReplication extends Construct {
  readonly role: iam.Role;
  private readonly target: DrTarget;
  private readonly partition: string;
  private readonly sourceKey: kms.IKey;

  constructor(scope: Construct, id: string, props: DrReplicationProps) {
    super(scope, id);
    this.target = props.target;
    this.sourceKey = props.sourceKey;
    const stack = Stack.of(this);
    this.partition = stack.partition;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `${props.target.stageName}: S3 replication of the velero and backups buckets to ${props.target.drRegion}`,
    });
    // Replicas are written through S3 in the DR region, with the DR key found by its alias only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptReplicasWithTheDrKey',
        actions: ['kms:Encrypt'],
        resources: [`arn:${this.partition}:kms:${props.target.drRegion}:${props.target.account}:key/*`],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${props.target.drRegion}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [drKeyAlias(props.target.stageName)] },
        },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${props.target.drRegion}:${props.target.account}:key/*]`,
      reason: `The DR key lives in ${props.target.drRegion} (stack ${props.target.stageName}-dr) and its id is not known here: kms:Encrypt only, only through S3 there, only on the key aliased ${drKeyAlias(props.target.stageName)}.`,
    });
  }

  /** The replica bucket of `purpose` in the DR region (imported by its deterministic name). */
  destination(purpose: ReplicatedBucket): s3.IBucket {
    return s3.Bucket.fromBucketAttributes(this, `${purpose}Destination`, {
      bucketName: drBucketName(this.target, purpose),
      region: this.target.drRegion,
      account: this.target.account,
    });
  }

  /** The rule for the bucket of `purpose`: everything, SSE-KMS objects included, deletes as markers. */
  rule(purpose: ReplicatedBucket): s3.ReplicationRule {
    const { drRegion, account, stageName } = this.target;
    return {
      id: `${purpose}-to-${drRegion}`,
      destination: this.destination(purpose),
      kmsKey: kms.Key.fromKeyArn(
        this,
        `${purpose}DrKey`,
        `arn:${this.partition}:kms:${drRegion}:${account}:${drKeyAlias(stageName)}`,
      ),
      sseKmsEncryptedObjects: true,
      // A delete at home becomes a delete marker in the replica; the data stays as a noncurrent version.
      deleteMarkerReplication: true,
      filter: { prefix: '' },
    };
  }

  /** Lets the role read `source` for replication and write its replica in the DR region. */
  allow(source: s3.IBucket, purpose: ReplicatedBucket): void {
    const dest = `arn:${this.partition}:s3:::${drBucketName(this.target, purpose)}`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [source.bucketArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
        ],
        resources: [source.arnForObjects('*')],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [`${dest}/*`],
        // The replica's name is predictable: write only if this account owns that bucket, never a
        // bucket someone else created under the name first.
        conditions: { StringEquals: { 's3:ResourceAccount': this.target.account } },
      }),
    );
    // Source objects are SSE-KMS with the data key (bucket keys: the context is the bucket ARN).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.sourceKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [source.bucketArn, source.arnForObjects('*')] },
        },
      }),
    );
    const sourceId = Stack.of(this).getLogicalId(source.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${sourceId}.Arn>/*]`,
      reason: `Replication reads every object version of the ${purpose} bucket: s3:GetObjectVersionForReplication, s3:GetObjectVersionAcl and s3:GetObjectVersionTagging only.`,
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${drBucketName(this.target, purpose)}/*]`,
      reason: `Replication writes every object of the ${purpose} bucket into its DR replica: s3:ReplicateObject, s3:ReplicateDelete and s3:ReplicateTags only, only in that bucket.`,
    });
  }
}
