import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PlatformKeysProps {
  /** Stage name: used in key aliases (`alias/<stage>/platform/...`). */
  readonly stageName: string;
}

/**
 * The platform's customer-managed KMS keys, each with yearly rotation:
 * - `dataKey`: data at rest (buckets, RDS, its secrets, EBS volumes, Velero backups);
 * - `clusterKey`: envelope encryption of Kubernetes secrets in EKS;
 * - `logsKey`: CloudTrail log files and CloudWatch log groups (flow logs), whose service
 *   principals need key-policy grants that data readers should not share.
 */
export class PlatformKeys extends Construct {
  readonly dataKey: kms.Key;
  readonly clusterKey: kms.Key;
  readonly logsKey: kms.Key;

  constructor(scope: Construct, id: string, props: PlatformKeysProps) {
    super(scope, id);
    // Keys outlive the stack in every stage: the retained buckets and snapshots need them to be read.
    const removalPolicy = RemovalPolicy.RETAIN;
    const common = { enableKeyRotation: true, removalPolicy, pendingWindow: Duration.days(30) };
    this.dataKey = new kms.Key(this, 'Data', {
      ...common,
      alias: `alias/${props.stageName}/platform/data`,
      description: `${props.stageName}: platform data at rest (S3, RDS, secrets, EBS, Velero)`,
    });
    this.clusterKey = new kms.Key(this, 'Cluster', {
      ...common,
      alias: `alias/${props.stageName}/platform/eks-secrets`,
      description: `${props.stageName}: EKS secrets envelope encryption`,
    });
    this.logsKey = new kms.Key(this, 'Logs', {
      ...common,
      alias: `alias/${props.stageName}/platform/logs`,
      description: `${props.stageName}: CloudTrail log files and CloudWatch log groups`,
    });

    const stack = Stack.of(this);
    // CloudWatch Logs encrypts log groups with the key only if its regional principal may use it,
    // limited to log groups of this account and region.
    this.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryption',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        // No kms:Describe*: DescribeKey carries no encryption context, so under this condition it
        // could never be allowed (Service Authorization Reference); listing it only misled readers.
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
  }
}
