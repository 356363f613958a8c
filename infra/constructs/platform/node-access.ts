import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeFindings } from './acknowledge.js';

/** Session Manager reads its account-wide preferences from the Session document of this name. */
export const SESSION_PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';
/** Where session transcripts land in the logs bucket. */
export const SESSION_LOG_PREFIX = 'session-manager/';

export interface NodeAccessProps {
  readonly stageName: string;
  readonly nodeRole: iam.IRole;
  /** Session transcripts (SSE-S3 bucket; Session Manager checks the bucket is encrypted). */
  readonly logsBucket: s3.IBucket;
  /** Encrypts session data in transit between client and node, and the session log group. */
  readonly logsKey: kms.IKey;
  /** Production keeps session logs longer. */
  readonly production: boolean;
}

/**
 * Shell access to nodes without SSH or open ports: the node role gets the AWS-managed
 * `AmazonSSMManagedInstanceCore` policy (Bottlerocket's control container runs the SSM agent), and
 * the account's Session Manager preferences (`SSM-SessionManagerRunShell`) log every session to the
 * logs bucket (`session-manager/`) and to a KMS-encrypted log group, and encrypt session data with
 * the logs key. The node role may write exactly those two destinations and decrypt with that key.
 */
export class NodeAccess extends Construct {
  readonly logGroup: logs.LogGroup;
  readonly preferences: ssm.CfnDocument;

  constructor(scope: Construct, id: string, props: NodeAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { nodeRole } = props;
    nodeRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'));
    acknowledgeFindings(
      nodeRole,
      'AwsSolutions-IAM4',
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore'],
      'Session Manager on the nodes needs the AWS-maintained SSM agent policy (ssm/ssmmessages/ec2messages channel calls); it grants no access to parameters beyond GetParameter(s) the agent uses.',
    );

    const logGroupName = `/aws/ssm/${props.stageName}/sessions`;
    this.logGroup = new logs.LogGroup(this, 'SessionLogs', {
      logGroupName,
      encryptionKey: props.logsKey,
      retention: props.production ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Session document schema 1.0, "Session document schema" in the Systems Manager User Guide.
    this.preferences = new ssm.CfnDocument(this, 'Preferences', {
      name: SESSION_PREFERENCES_DOCUMENT,
      documentType: 'Session',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '1.0',
        description: `${props.stageName}: Session Manager preferences (logging and encryption)`,
        sessionType: 'Standard_Stream',
        inputs: {
          s3BucketName: props.logsBucket.bucketName,
          s3KeyPrefix: SESSION_LOG_PREFIX,
          s3EncryptionEnabled: true,
          cloudWatchLogGroupName: this.logGroup.logGroupName,
          cloudWatchEncryptionEnabled: true,
          cloudWatchStreamingEnabled: true,
          kmsKeyId: props.logsKey.keyId,
          runAsEnabled: false,
          idleSessionTimeout: '20',
          maxSessionDuration: '60',
        },
      },
    });

    // Built from the name: the log group's `Arn` attribute ends in `:*`.
    const groupArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${logGroupName}`;
    const policy = new iam.Policy(this, 'SessionLogging', {
      roles: [nodeRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'SessionTranscripts',
          actions: ['s3:PutObject'],
          resources: [props.logsBucket.arnForObjects(`${SESSION_LOG_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'BucketEncryptionCheck',
          actions: ['s3:GetEncryptionConfiguration'],
          resources: [props.logsBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'SessionStream',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${groupArn}:log-stream:*`],
        }),
        new iam.PolicyStatement({
          sid: 'SessionStreamRead',
          actions: ['logs:DescribeLogStreams'],
          resources: [groupArn],
        }),
        new iam.PolicyStatement({
          // The agent checks the log group's encryption before streaming. DescribeLogGroups supports no
          // resource-level permissions (Service Authorization Reference), so an ARN here would never match.
          sid: 'LogGroupEncryptionCheck',
          actions: ['logs:DescribeLogGroups'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'SessionEncryption',
          actions: ['kms:Decrypt'],
          resources: [props.logsKey.keyArn],
        }),
      ],
    });
    acknowledgeFindings(
      policy,
      'AwsSolutions-IAM5',
      [
        `Resource::<${stack.getLogicalId(props.logsBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${SESSION_LOG_PREFIX}*`,
        `Resource::arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:${logGroupName}:log-stream:*`,
        'Resource::*',
      ],
      'Session Manager names each transcript object and log stream after the session id, so the node writes objects under session-manager/ (s3:PutObject) and streams of the session log group only (logs:CreateLogStream, logs:PutLogEvents); logs:DescribeLogGroups is read-only and supports no resource-level permissions (Service Authorization Reference), so it needs "*".',
    );
  }
}
