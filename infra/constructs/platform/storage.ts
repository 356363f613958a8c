import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DrTarget, ReplicatedBucket } from './dr-names.js';
import { DrReplication } from './dr-replication.js';

export interface PlatformStorageProps {
  /** Key for data at rest in every bucket but the logs bucket. */
  readonly dataKey: kms.IKey;
  /** Days before objects move to an archive tier (config `platform.buckets.archiveAfterDays`). */
  readonly archiveAfterDays: number;
  /** Days before access logs expire (config `platform.buckets.logsExpireAfterDays`). */
  readonly logsExpireAfterDays: number;
  /**
   * The stage's DR region: the `velero` and `backups` buckets replicate to their replicas there
   * (stack `<stage>-dr`, which must be deployed first). Omitted: no replication.
   */
  readonly dr?: DrTarget;
}

/**
 * The platform's S3 buckets: `static` (files the apps serve), `backups` (database dumps and
 * exports), `velero` (Kubernetes backups) and `logs` (server access logs of the other buckets,
 * the trail bucket and load balancer access logs). All versioned, TLS-only, public access
 * blocked, with lifecycle rules to archive tiers; all but `logs` are encrypted with the data key.
 */
export class PlatformStorage extends Construct {
  readonly logsBucket: s3.Bucket;
  readonly staticBucket: s3.Bucket;
  readonly backupBucket: s3.Bucket;
  readonly veleroBucket: s3.Bucket;
  /** S3 replication to the DR region, when the stage has one. */
  readonly drReplication?: DrReplication;

  constructor(scope: Construct, id: string, props: PlatformStorageProps) {
    super(scope, id);
    // Buckets outlive the stack in every stage: CloudFormation cannot delete a non-empty bucket, and
    // backups must survive a mistaken stack deletion.
    const removalPolicy = RemovalPolicy.RETAIN;
    const archive = Duration.days(props.archiveAfterDays);
    const common = {
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } satisfies s3.BucketProps;

    this.logsBucket = new s3.Bucket(this, 'Logs', {
      ...common,
      // S3 server access logging and load balancer access logs deliver only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'archive-then-expire',
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive },
          ],
          expiration: Duration.days(Math.max(props.logsExpireAfterDays, props.archiveAfterDays + 1)),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log destination of every other bucket; logging it to itself would loop. Its own reads are not logged: the trail records management events only (an S3 data-event selector on this bucket would add them).',
    });

    const replication = props.dr
      ? new DrReplication(this, 'DrReplication', { target: props.dr, sourceKey: props.dataKey })
      : undefined;
    this.drReplication = replication;
    const replicate = (purpose: ReplicatedBucket): Partial<s3.BucketProps> =>
      replication ? { replicationRole: replication.role, replicationRules: [replication.rule(purpose)] } : {};

    const encrypted = (
      bucketId: string,
      prefix: string,
      rules: s3.LifecycleRule[],
      extra: Partial<s3.BucketProps> = {},
    ): s3.Bucket =>
      new s3.Bucket(this, bucketId, {
        ...extra,
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: props.dataKey,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.logsBucket,
        serverAccessLogsPrefix: `s3/${prefix}/`,
        lifecycleRules: [
          ...rules,
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
      });

    const archiveOldVersions: s3.LifecycleRule = {
      id: 'archive-noncurrent-versions',
      noncurrentVersionTransitions: [
        { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive },
      ],
      noncurrentVersionExpiration: Duration.days(props.archiveAfterDays + 365),
    };
    const archiveCurrent: s3.LifecycleRule = {
      id: 'archive-current-versions',
      // Glacier Instant Retrieval: restores (database, Velero) must not wait hours for a thaw.
      transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive }],
    };

    this.staticBucket = encrypted('Static', 'static', [
      archiveOldVersions,
      {
        id: 'intelligent-tiering',
        transitions: [
          { storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(0) },
        ],
      },
    ]);
    this.backupBucket = encrypted(
      'Backups',
      'backups',
      [archiveCurrent, archiveOldVersions],
      replicate('backups'),
    );
    this.veleroBucket = encrypted(
      'Velero',
      'velero',
      [archiveCurrent, archiveOldVersions],
      replicate('velero'),
    );
    replication?.allow(this.backupBucket, 'backups');
    replication?.allow(this.veleroBucket, 'velero');

    // Network Load Balancer access logs (the ingress NLB) are written by the log delivery service.
    const stack = Stack.of(this);
    this.logsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LoadBalancerAccessLogs',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logsBucket.arnForObjects(`elb/AWSLogs/${stack.account}/*`)],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:elasticloadbalancing:${stack.region}:${stack.account}:*`,
          },
        },
      }),
    );
    this.logsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LoadBalancerAccessLogsAclCheck',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [this.logsBucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }
}
