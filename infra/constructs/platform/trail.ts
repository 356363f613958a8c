import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface AuditTrailProps {
  readonly stageName: string;
  /** Encrypts the log files (the key policy grant for CloudTrail is added here). */
  readonly logsKey: kms.Key;
  /** Server access logs of the trail bucket go here. */
  readonly accessLogsBucket: s3.IBucket;
  readonly archiveAfterDays: number;
}

/**
 * A multi-region CloudTrail trail with log-file validation, writing KMS-encrypted log files to
 * its own versioned, TLS-only bucket. Its management events are what the intake's CloudTrail
 * rules see on EventBridge.
 */
export class AuditTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.logsKey,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 's3/trail/',
      // Audit logs outlive the stack in every stage.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'archive',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.archiveAfterDays),
            },
          ],
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });

    const trailName = `${props.stageName}-platform-trail`;
    const trailArn = `arn:${stack.partition}:cloudtrail:${stack.region}:${stack.account}:trail/${trailName}`;
    // CloudTrail encrypts with the key only for this trail; readers decrypt through the key policy's account root.
    props.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptLogs',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
          },
        },
      }),
    );
    // DescribeKey carries no encryption context (the key does not apply to it, per the Service
    // Authorization Reference): with the condition above CloudTrail could never describe the key.
    props.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribeKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName,
      bucket: this.bucket,
      encryptionKey: props.logsKey,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
  }
}
