import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  type DrTarget,
  drBucketName,
  drKeyAlias,
  REPLICATED_BUCKETS,
  type ReplicatedBucket,
} from './dr-names.js';

export interface DrVaultProps {
  readonly target: DrTarget;
  /** Days before replicas move to Glacier Instant Retrieval (config `platform.buckets.archiveAfterDays`). */
  readonly archiveAfterDays: number;
  /** Days before access logs expire (config `platform.buckets.logsExpireAfterDays`). */
  readonly logsExpireAfterDays: number;
}

/**
 * What a stage keeps in its DR region: the DR data key (`alias/<stage>/dr/data`, yearly rotation)
 * and one replica bucket per replicated platform bucket (`velero`, `backups`), each versioned (S3
 * replication requires it on both sides), KMS-encrypted with the DR key, TLS only, public access
 * blocked, access-logged, archived after `archiveAfterDays`. Replicas are written by the home
 * region's replication role; replicated RDS automated backups are encrypted with the same key.
 * Everything is retained when the stack is deleted: it is the copy of last resort.
 */
export class DrVault extends Construct {
  readonly key: kms.Key;
  readonly logsBucket: s3.Bucket;
  readonly replicaBuckets: Record<ReplicatedBucket, s3.Bucket>;

  constructor(scope: Construct, id: string, props: DrVaultProps) {
    super(scope, id);
    const { target } = props;
    const removalPolicy = RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'DataKey', {
      alias: drKeyAlias(target.stageName),
      description: `${target.stageName}: disaster-recovery copies (S3 replicas, replicated RDS backups) in ${target.drRegion}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy,
    });
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
      bucketName: drBucketName(target, 'logs'),
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.logsExpireAfterDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The DR region’s access-log destination for the replica buckets; logging it to itself would loop.',
    });

    const replica = (purpose: ReplicatedBucket) =>
      new s3.Bucket(this, `${purpose[0]?.toUpperCase()}${purpose.slice(1)}Replica`, {
        ...common,
        bucketName: drBucketName(target, purpose),
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.logsBucket,
        serverAccessLogsPrefix: `s3/${purpose}/`,
        lifecycleRules: [
          {
            id: 'archive-replicas',
            // Glacier Instant Retrieval: a restore in the DR region must not wait hours for a thaw.
            transitions: [
              { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive },
            ],
            noncurrentVersionTransitions: [
              { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive },
            ],
            // Replicated deletes leave the data as a noncurrent version, kept as long as at home.
            noncurrentVersionExpiration: Duration.days(props.archiveAfterDays + 365),
            abortIncompleteMultipartUploadAfter: Duration.days(7),
          },
          { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
        ],
      });
    this.replicaBuckets = Object.fromEntries(REPLICATED_BUCKETS.map((p) => [p, replica(p)])) as Record<
      ReplicatedBucket,
      s3.Bucket
    >;
  }
}
