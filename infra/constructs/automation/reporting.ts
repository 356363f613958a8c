import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import { AUDIT_INDEX } from '../../../functions/audit/store.js';

export interface ReportingProps {
  readonly stage: StageConfig;
  /** `ops-<stage>`. */
  readonly namePrefix: string;
  /** The platform's access-log bucket (server access logs of the ledger go there), when the platform has one. */
  readonly logsBucket?: s3.IBucket;
}

/** Secrets Manager ARN pattern of a secret known by name (the real ARN ends in `-` and six random characters). */
export function secretArnPattern(scope: Construct, name: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${name}-??????`;
}

/**
 * The audit store and what the report hook may do with it:
 * - a DynamoDB table (KMS, point-in-time recovery, deletion protection in prod) keyed by run,
 *   with `by-resource` and `by-day` indexes for `ops history`;
 * - an S3 ledger bucket with Object Lock (default retention from config, COMPLIANCE by default),
 *   versioning, KMS, TLS only, server access logs to the platform's logs bucket, and a policy
 *   that denies any PutObject that is not conditional (`If-None-Match: *`), so no writer, not
 *   even a buggy one, can replace an entry;
 * - `bindReportHook(fn)`: PutItem / Query / GetItem on the table (no Update, no Delete),
 *   PutObject / GetObject on the ledger's `runs/*` (no Delete, no retention changes), the Slack
 *   bot token and Datadog API key secrets, and the environment the hook reads at cold start.
 */
export class Reporting extends Construct {
  readonly table: dynamodb.Table;
  readonly ledger: s3.Bucket;
  readonly key: kms.Key;
  private readonly props: ReportingProps;

  constructor(scope: Construct, id: string, props: ReportingProps) {
    super(scope, id);
    this.props = props;
    const { stage, namePrefix } = props;
    const stack = Stack.of(this);
    const prod = stage.tier === 'prod';

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${namePrefix}-audit`,
      description: `Encrypts the ${namePrefix} audit table and ledger`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'AuditTable', {
      tableName: `${namePrefix}-audit`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: AUDIT_INDEX.byResource,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
    });
    this.table.addGlobalSecondaryIndex({
      indexName: AUDIT_INDEX.byDay,
      partitionKey: { name: 'gsi2pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi2sk', type: dynamodb.AttributeType.STRING },
    });

    // A fixed name, so the platform's logs bucket can admit its access logs without a reference
    // back into this stack (which would make the two stacks depend on each other).
    const ledgerName = `${namePrefix}-audit-ledger-${stage.account}-${stage.region}`;
    const retention = Duration.days(stage.automation.audit.retentionDays);
    this.ledger = new s3.Bucket(this, 'Ledger', {
      bucketName: ledgerName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        stage.automation.audit.lockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.ledger.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyUnconditionalWrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.ledger.arnForObjects('*')],
        // An entry is written once: every put must say If-None-Match, so it cannot replace one.
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );

    if (props.logsBucket) {
      const cfnLedger = this.ledger.node.defaultChild as s3.CfnBucket;
      cfnLedger.loggingConfiguration = {
        destinationBucketName: props.logsBucket.bucketName,
        logFilePrefix: `s3/${namePrefix}-audit-ledger/`,
      };
      // Admit the ledger's access logs by name (see above): no token from this stack.
      props.logsBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AuditLedgerAccessLogs',
          principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
          actions: ['s3:PutObject'],
          resources: [props.logsBucket.arnForObjects(`s3/${namePrefix}-audit-ledger/*`)],
          conditions: {
            ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:s3:::${ledgerName}` },
            StringEquals: { 'aws:SourceAccount': stage.account },
          },
        }),
      );
    }
  }

  /** Environment and grants for the report hook (functions/report/handler.ts). */
  bindReportHook(fn: lambda.Function): void {
    const { stage } = this.props;
    fn.addEnvironment('AUDIT_TABLE_NAME', this.table.tableName);
    fn.addEnvironment('AUDIT_BUCKET_NAME', this.ledger.bucketName);
    // Append and read only: an entry is never updated or deleted by anyone. Named indexes, no wildcard.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [
          this.table.tableArn,
          `${this.table.tableArn}/index/${AUDIT_INDEX.byResource}`,
          `${this.table.tableArn}/index/${AUDIT_INDEX.byDay}`,
        ],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.ledger.arnForObjects('runs/*')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [this.key.keyArn],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.ledger.node.defaultChild as s3.CfnBucket)}.Arn>/runs/*]`,
        reason:
          'Each run writes new ledger objects under runs/ (keys are made per entry); s3:PutObject and s3:GetObject only, on that prefix of this one bucket. No delete, no retention changes.',
      });
    }
    this.grantSecretRead(fn, stage.automation.slack.botTokenSecretName);
    this.grantSecretRead(fn, stage.automation.datadog.apiKeySecretName);
  }

  /**
   * What a function that sends critical notifications (functions/notify `stageNotifier`, used by
   * the intake) needs: the Slack bot token and the Datadog API key, nothing of the audit store.
   */
  bindNotifier(fn: lambda.Function): void {
    this.grantSecretRead(fn, this.props.stage.automation.slack.botTokenSecretName);
    this.grantSecretRead(fn, this.props.stage.automation.datadog.apiKeySecretName);
  }

  /** Read access to the audit table for the `ops history` operators' role or another reader. */
  grantHistoryRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:GetItem'],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${AUDIT_INDEX.byResource}`],
      }),
    );
    this.key.grantDecrypt(grantee);
  }

  /**
   * Ending a run releases its lock and feeds the circuit breaker in the intake's guard table:
   * call this once the intake construct exists (it is composed after the hooks).
   */
  bindGuardStore(fn: lambda.Function, guardTable: dynamodb.ITable): void {
    fn.addEnvironment('GUARD_TABLE_NAME', guardTable.tableName);
    guardTable.grant(
      fn,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    if (guardTable.encryptionKey) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [guardTable.encryptionKey.keyArn],
        }),
      );
    }
  }

  private grantSecretRead(fn: lambda.Function, secretName: string): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArnPattern(this, secretName)],
      }),
    );
  }
}
