import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import type {
  AlarmSource,
  FunctionFactory,
  RunbookFunctionProps,
  RunbookPlatform,
  RunbookWorkflowPlugin,
} from '../build.js';
import type { WorkflowHooks } from '../workflow-kit.js';
import {
  CHECKED_METRIC,
  FAILED_METRIC,
  LAST_VERIFIED_MAX_METRIC,
  LAST_VERIFIED_METRIC,
} from './last-verified.js';
import { BACKUP_CLASSES, type BackupClass } from './logic.js';
import { type VerifyBackupsSettings, VerifyBackupsWorkflow } from './workflow.js';

export interface VerifyBackupsInfraProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly platform: RunbookPlatform;
  readonly functions: FunctionFactory;
  readonly approvalTimeout: Duration;
  /** The in-VPC Kubernetes access function (KubeAccess): the Velero restore test runs through it. */
  readonly kubeFunction?: lambda.IFunction;
  /** The prefix of the scratch namespaces the kube function may restore into (KubeAccess). */
  readonly restoreNamespacePrefix?: string;
  /** The name of a platform bucket's replica in the stage's DR region (infra/constructs/platform/dr-names.ts). */
  readonly drBucketName?: (purpose: 'velero' | 'backups') => string;
}

/**
 * verify-backups (issue 6): its Lambda steps (each with its own role under the automation prefix),
 * the workflow, and where reports are kept: the platform's backup bucket (KMS, versioned, TLS only,
 * access-logged) under `verify-backups/`. The daily schedule is a config `automation.schedules`
 * entry, started through the intake's guards (see schedules.ts).
 *
 * Platform ARNs used in IAM statements (Velero bucket, backup bucket) are imported through exports
 * named here (`<prefix>-vb-…`), so each wildcard statement has a stable, reviewable cdk-nag id.
 */
export class VerifyBackupsInfra extends Construct implements AlarmSource {
  readonly stateMachine: sfn.StateMachine;
  /** The "last verified restore" record (one item per stage + kind + resource). */
  readonly lastVerifiedTable: dynamodb.Table;
  /** One alarm per kind whose restore test the stage runs: its oldest last-verified age above the bound. */
  readonly lastVerifiedAlarms: Partial<Record<BackupClass, cloudwatch.Alarm>> = {};
  /** Verification ages and outcomes over time, for this stage. */
  readonly dashboard: cloudwatch.Dashboard;
  readonly functions: Record<
    'collect' | 'evaluate' | 'buildReport' | 'publish' | 'sweep',
    lambda.Function
  > & {
    readonly checkVolumeContent?: lambda.Function;
    readonly checkDatabase?: lambda.Function;
  };

  constructor(scope: Construct, id: string, props: VerifyBackupsInfraProps) {
    super(scope, id);
    const { stage, namePrefix, platform } = props;
    const stack = Stack.of(this);
    const bv = stage.automation.backupVerification;
    const volumes = stage.automation.allowLists.volumes;
    const arn = (service: string, resource: string, region = stack.region) =>
      `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;

    /** A platform value imported under a name of ours: the name is what cdk-nag shows for it. */
    const imported = (key: string, value: string) => {
      const name = `${namePrefix}-vb-${key}`;
      return { name, value: platform.exportValue(value, { name }) };
    };
    const veleroBucket = bv.velero.bucketName ?? platform.veleroBucket.bucketName;
    const veleroArnRef = bv.velero.bucketName
      ? {
          name: `arn:<AWS::Partition>:s3:::${bv.velero.bucketName}`,
          value: `arn:${stack.partition}:s3:::${bv.velero.bucketName}`,
        }
      : imported('velero-bucket-arn', platform.veleroBucket.bucketArn);
    const backupArnRef = imported('backup-bucket-arn', platform.backupBucket.bucketArn);
    const dataKeyArn = platform.dataKey.keyArn;
    // Configured, or the name our platform gives its database (infra/constructs/platform/database.ts).
    const databaseInstance = bv.databaseInstance ?? `${stage.name}-platform`;
    const rdsRestore = bv.rdsRestoreTest.enabled;
    // The Velero restore test needs the kube function (a stage with a cluster) and namespaces to check.
    const veleroRestore =
      bv.velero.restoreTest.enabled &&
      bv.velero.restoreTest.namespaces.length > 0 &&
      props.kubeFunction !== undefined;

    // ---- the steps -------------------------------------------------------------------------------
    const step = (fid: string, file: string, extra: Partial<RunbookFunctionProps> = {}) => {
      const name = `${namePrefix}-verify-backups-${file}`;
      const role = new iam.Role(this, `${fid}Role`, {
        roleName: name,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${name}`,
        managedPolicies: [props.functions.xrayWritePolicy(this)],
      });
      return props.functions.create(this, fid, {
        entry: `runbooks/verify-backups/steps/handlers/${file}.ts`,
        service: 'verify-backups',
        functionName: name,
        role,
        timeout: Duration.seconds(60),
        ...extra,
      });
    };

    const collect = step('Collect', 'collect', {
      timeout: Duration.minutes(5),
      environment: stage.drRegion ? { DR_REGION: stage.drRegion } : {},
    });
    // Describe* of EBS volumes and snapshots support no resource-level permissions (read-only).
    collect.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
        resources: ['*'],
      }),
    );
    {
      const regions = [stage.region, ...(stage.drRegion ? [stage.drRegion] : [])];
      collect.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['rds:DescribeDBSnapshots'],
          resources: regions.flatMap((r) => [
            arn('rds', `db:${databaseInstance}`, r),
            arn('rds', 'snapshot:*', r),
          ]),
        }),
      );
      if (stage.drRegion) {
        collect.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['rds:DescribeDBInstanceAutomatedBackups'],
            resources: [
              arn('rds', `db:${databaseInstance}`, stage.drRegion),
              arn('rds', 'auto-backup:*', stage.drRegion),
            ],
          }),
        );
      }
    }
    // The Velero bucket's replica in drRegion, when the platform replicates it (the platform's own bucket).
    const veleroDrBucket =
      stage.drRegion && !bv.velero.bucketName && bv.classes.velero.drCopyRequired
        ? props.drBucketName?.('velero')
        : undefined;
    if (veleroDrBucket) {
      const drArn = `arn:${stack.partition}:s3:::${veleroDrBucket}`;
      // HeadObject of the backup's replica; ListBucket so a missing replica answers 404, not 403.
      collect.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [drArn],
          conditions: { StringLike: { 's3:prefix': [`${bv.velero.prefix}backups/*`] } },
        }),
      );
      collect.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [`${drArn}/${bv.velero.prefix}backups/*`],
        }),
      );
      Validations.of(collect.role as iam.Role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${veleroDrBucket}/${bv.velero.prefix}backups/*]`,
        reason:
          'The DR-region replica of each Velero backup is named by schedule and time: s3:GetObject (HeadObject only, no kms:Decrypt) under the backups/ prefix of the Velero DR bucket.',
      });
    }
    const veleroArn = veleroArnRef.value;
    collect.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [veleroArn],
        conditions: { StringLike: { 's3:prefix': [`${bv.velero.prefix}backups/*`] } },
      }),
    );
    collect.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`${veleroArn}/${bv.velero.prefix}backups/*`],
      }),
    );
    // Velero writes with the platform's data key (SSE-KMS); decrypting is allowed only through S3.
    collect.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [bv.velero.bucketName ? arn('kms', 'key/*') : dataKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stage.region}.amazonaws.com` } },
      }),
    );
    const nag = Validations.of(collect.role as iam.Role);
    nag.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeVolumes and ec2:DescribeSnapshots support no resource-level permissions (read-only).',
    });
    for (const r of [stage.region, ...(stage.drRegion ? [stage.drRegion] : [])]) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${r}:${stack.account}:snapshot:*]`,
        reason: `rds:DescribeDBSnapshots (read-only): RDS names automated snapshots itself (rds:${databaseInstance}-<date>), and the function asks for this one instance’s snapshots only.`,
      });
    }
    if (stage.drRegion) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${stage.drRegion}:${stack.account}:auto-backup:*]`,
        reason:
          'rds:DescribeDBInstanceAutomatedBackups (read-only): replicated automated backups get an id RDS generates; the function filters to this one instance.',
      });
    }
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::${veleroArnRef.name}/${bv.velero.prefix}backups/*]`,
      reason:
        'Velero names each backup by schedule and time: s3:GetObject only, under the backups/ prefix of the Velero bucket.',
    });
    if (bv.velero.bucketName) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${stage.region}:${stack.account}:key/*]`,
        reason:
          'The configured Velero bucket’s key is not known here: kms:Decrypt only, only through S3 in this region (kms:ViaService).',
      });
    }

    // The sweeper deletes only scratch resources: the scratch tag (and the name prefix for databases).
    const sweep = step('Sweep', 'sweep');
    sweep.addToRolePolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeVolumes'], resources: ['*'] }));
    sweep.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DeleteVolume'],
        resources: [arn('ec2', 'volume/*')],
        conditions: { StringEquals: { 'aws:ResourceTag/ops-automation:scratch': 'true' } },
      }),
    );
    const sweepNag = Validations.of(sweep.role as iam.Role);
    sweepNag.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeVolumes supports no resource-level permissions (read-only).',
    });
    sweepNag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}:${stack.account}:volume/*]`,
      reason:
        'Leftover scratch volume ids are not known at deploy time: ec2:DeleteVolume only with the resource tag ops-automation:scratch=true.',
    });
    if (rdsRestore) {
      sweep.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [arn('rds', 'db:*')] }),
      );
      sweep.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBInstance'],
          resources: [arn('rds', `db:${namePrefix}-vb-*`)],
          conditions: { StringEquals: { 'aws:ResourceTag/ops-automation:scratch': 'true' } },
        }),
      );
      sweepNag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${stack.region}:${stack.account}:db:*]`,
        reason:
          'rds:DescribeDBInstances (read-only) to find leftover scratch instances; the name prefix and tag are checked in code.',
      });
      sweepNag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${stack.region}:${stack.account}:db:${namePrefix}-vb-*]`,
        reason:
          'Temporary instances are named per run under this prefix: rds:DeleteDBInstance only with the scratch resource tag.',
      });
    }

    const evaluate = step('Evaluate', 'evaluate');
    const buildReport = step('BuildReport', 'build-report');
    const publish = step('Publish', 'publish', {
      environment: {
        SLACK_CHANNEL: stage.automation.slack.channel,
        SLACK_BOT_TOKEN_SECRET: stage.automation.slack.botTokenSecretName,
        DATADOG_API_KEY_SECRET: stage.automation.datadog.apiKeySecretName,
        DATADOG_SITE: stage.automation.datadog.site,
      },
    });
    secretsmanager.Secret.fromSecretNameV2(
      this,
      'BotToken',
      stage.automation.slack.botTokenSecretName,
    ).grantRead(publish);
    secretsmanager.Secret.fromSecretNameV2(
      this,
      'DatadogApiKey',
      stage.automation.datadog.apiKeySecretName,
    ).grantRead(publish);
    // "Last verified restore" (issue 15): kept across runs, since most runs do not restore everything.
    this.lastVerifiedTable = new dynamodb.Table(this, 'LastVerified', {
      tableName: `${namePrefix}-verify-backups-last-verified`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: stage.tier === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.lastVerifiedTable.grant(publish, 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    publish.addEnvironment('LAST_VERIFIED_TABLE', this.lastVerifiedTable.tableName);

    // ---- the EBS content check (reads snapshots through the EBS direct APIs) -----------------------
    let checkVolumeContent: lambda.Function | undefined;
    if (bv.ebsRestoreTest.enabled) {
      checkVolumeContent = step('CheckVolumeContent', 'check-volume-content', {
        timeout: Duration.minutes(5),
      });
      // Read-only EBS direct API calls on this region's snapshots. No tag condition: the snapshots
      // to verify are made by several producers (the snapshot runbook, DLM, Velero's CSI snapshots) that
      // share no tag; the KMS statement below fences which encrypted snapshots can be read at all.
      checkVolumeContent.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ebs:ListSnapshotBlocks', 'ebs:GetSnapshotBlock'],
          resources: [`arn:${stack.partition}:ec2:${stack.region}::snapshot/*`],
        }),
      );
      checkVolumeContent.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [dataKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `ebs.${stage.region}.amazonaws.com` } },
        }),
      );
      // The role is the step's sibling construct: acknowledge on it, not on the function.
      Validations.of(checkVolumeContent.role ?? checkVolumeContent).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}::snapshot/*]`,
        reason:
          'ebs:ListSnapshotBlocks and ebs:GetSnapshotBlock (read-only) on the snapshot being verified, chosen at run ' +
          'time from the inventory; encrypted snapshots are readable only with the platform data key (kms:Decrypt via EBS).',
      });
    }

    // ---- the weekly database restore test (off by default: cost) ---------------------------------
    let checkDatabase: lambda.Function | undefined;
    let restoreNetwork: { subnetGroupName?: string; securityGroupIds?: string[] } = {};
    if (rdsRestore) {
      const { vpc, masterSecret } = platform;
      if (!vpc || !masterSecret) {
        throw new Error('verify-backups: the RDS restore test needs the platform VPC and master secret');
      }
      const checkSg = new ec2.SecurityGroup(this, 'CheckDatabaseSg', {
        vpc,
        description: 'verify-backups check query: to the temporary restored database and AWS APIs only',
        allowAllOutbound: false,
      });
      const restoredSg = new ec2.SecurityGroup(this, 'RestoredDatabaseSg', {
        vpc,
        description: 'verify-backups temporary restored database: MySQL from the check function only',
        allowAllOutbound: false,
      });
      restoredSg.addIngressRule(checkSg, ec2.Port.tcp(3306), 'check query');
      checkSg.addEgressRule(restoredSg, ec2.Port.tcp(3306), 'check query');
      checkSg.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'Secrets Manager API (through NAT or an endpoint)',
      );
      const masterSecretArn = masterSecret.secretArn;
      checkDatabase = step('CheckDatabase', 'check-database', {
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [checkSg],
        environment: { MASTER_SECRET_ID: masterSecretArn },
        // Up to 20 checks, each a COUNT(*) or MAX() over a possibly large, cold table.
        timeout: Duration.minutes(5),
      });
      checkDatabase.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [masterSecretArn] }),
      );
      checkDatabase.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [dataKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stage.region}.amazonaws.com` } },
        }),
      );
      // A scratch subnet group of its own (private subnets, like the platform database's), so the
      // restore never depends on or changes the platform's group.
      const subnetGroup = new rds.SubnetGroup(this, 'ScratchSubnetGroup', {
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        description: 'verify-backups scratch restores (temporary instances, private subnets)',
        subnetGroupName: `${namePrefix}-vb-scratch`,
      });
      restoreNetwork = {
        subnetGroupName: subnetGroup.subnetGroupName,
        securityGroupIds: [restoredSg.securityGroupId],
      };
    }

    // ---- the workflow -----------------------------------------------------------------------------
    const settings: VerifyBackupsSettings = {
      stage: stage.name,
      region: stage.region,
      account: stage.account,
      ...(stage.drRegion ? { drRegion: stage.drRegion } : {}),
      expectedKeyAlias: bv.kmsKeyAlias ?? `alias/${stage.name}/platform/data`,
      clockSkewMinutes: bv.clockSkewMinutes,
      classes: bv.classes,
      protectedTag: volumes.protectedTag,
      pvcNamespaces: volumes.pvcNamespaces,
      databaseInstance,
      velero: {
        bucket: veleroBucket,
        prefix: bv.velero.prefix,
        schedules: bv.velero.schedules,
        ...(veleroDrBucket ? { drBucket: veleroDrBucket } : {}),
      },
      restore: {
        ebs: { enabled: bv.ebsRestoreTest.enabled, sampleBlocks: bv.ebsRestoreTest.sampleBlocks },
        rds: {
          enabled: rdsRestore,
          weekday: bv.rdsRestoreTest.weekday,
          instanceClass: bv.rdsRestoreTest.instanceClass,
          maxMinutes: bv.rdsRestoreTest.maxMinutes,
          checks: bv.rdsRestoreTest.checks,
          database: stage.platform.rds.databaseName,
          ...restoreNetwork,
        },
        ...(veleroRestore
          ? {
              velero: {
                enabled: true,
                maxMinutes: bv.velero.restoreTest.maxMinutes,
                namespaces: bv.velero.restoreTest.namespaces.map((n) => {
                  const scratch = `${props.restoreNamespacePrefix ?? ''}${n.namespace}`;
                  return {
                    namespace: n.namespace,
                    scratch,
                    mapping: { [n.namespace]: scratch },
                    minReadyPods: n.minReadyPods,
                    minBoundPvcs: n.minBoundPvcs,
                    ...(n.probe ? { probe: n.probe } : {}),
                  };
                }),
              },
            }
          : {}),
      },
    };
    const wf = new VerifyBackupsWorkflow(this, 'Workflow', {
      namePrefix,
      hooks: props.hooks,
      functions: {
        collect,
        evaluate,
        buildReport,
        publish,
        sweep,
        ...(checkVolumeContent ? { checkVolumeContent } : {}),
        ...(checkDatabase ? { checkDatabase } : {}),
        ...(veleroRestore && props.kubeFunction ? { kube: props.kubeFunction } : {}),
      },
      settings,
      reportBucket: {
        name: platform.backupBucket.bucketName,
        arn: backupArnRef.value,
        kmsKeyArn: dataKeyArn,
      },
      maxConcurrency: bv.maxConcurrency,
      approvalTimeout: props.approvalTimeout,
    });
    this.stateMachine = wf.stateMachine;

    // ---- what people see: alarms on the last-verified age, and the dashboard ----------------------
    // The metrics the publish step writes as EMF (runbooks/verify-backups/last-verified.ts).
    const metric = (name: string, dims: Record<string, string>, period: Duration, statistic = 'Maximum') =>
      new cloudwatch.Metric({
        namespace: 'OpsAutomation',
        metricName: name,
        dimensionsMap: { service: 'verify-backups', stage: stage.name, ...dims },
        period,
        statistic,
      });
    const restoreTested: Record<BackupClass, boolean> = {
      ebs: bv.ebsRestoreTest.enabled,
      rds: rdsRestore,
      velero: veleroRestore,
    };
    for (const kind of BACKUP_CLASSES) {
      if (!restoreTested[kind]) continue;
      const bound = bv.lastVerifiedMaxHours[kind];
      // Four 6-hour periods: a daily run's data point always falls in the last four complete ones.
      // No data point at all in a day means verification did not report: that breaches too.
      this.lastVerifiedAlarms[kind] = new cloudwatch.Alarm(this, `LastVerified-${kind}`, {
        alarmName: `${namePrefix}-verify-backups-last-verified-${kind}`,
        alarmDescription: `A ${kind} resource's last verified restore is older than ${bound} h (config backupVerification.lastVerifiedMaxHours.${kind}), or verify-backups reported no ${kind} ages for a day.`,
        metric: metric(LAST_VERIFIED_MAX_METRIC, { kind }, Duration.hours(6)),
        threshold: bound,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 4,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }

    const day = Duration.days(1);
    const kinds = [...BACKUP_CLASSES];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${namePrefix}-verify-backups`,
      defaultInterval: Duration.days(28),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: `Last verified restore, oldest per kind (hours): ${stage.name}`,
            width: 12,
            left: kinds.map((k) =>
              metric(LAST_VERIFIED_MAX_METRIC, { kind: k }, Duration.hours(6)).with({ label: k }),
            ),
            leftAnnotations: kinds
              .filter((k) => restoreTested[k])
              .map((k) => ({ value: bv.lastVerifiedMaxHours[k], label: `${k} bound` })),
          }),
          new cloudwatch.GraphWidget({
            title: `Last verified restore per resource (hours): ${stage.name}`,
            width: 12,
            left: [
              new cloudwatch.MathExpression({
                expression: `SEARCH('{OpsAutomation,service,stage,kind,resource} MetricName="${LAST_VERIFIED_METRIC}" service="verify-backups" stage="${stage.name}"', 'Maximum', 21600)`,
                label: '',
                period: Duration.hours(6),
              }),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: `Backups checked and failed per run: ${stage.name}`,
            width: 12,
            stacked: false,
            left: kinds.map((k) => metric(CHECKED_METRIC, { kind: k }, day).with({ label: `${k} checked` })),
            right: kinds.map((k) => metric(FAILED_METRIC, { kind: k }, day).with({ label: `${k} failed` })),
          }),
          new cloudwatch.GraphWidget({
            title: `verify-backups runs: ${stage.name}`,
            width: 12,
            left: [
              wf.stateMachine.metricSucceeded({ period: day, label: 'succeeded' }),
              wf.stateMachine.metricFailed({
                period: day,
                label: 'failed (a backup failed, or the run did)',
              }),
              wf.stateMachine.metricTimedOut({ period: day, label: 'timed out' }),
            ],
          }),
        ],
      ],
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${backupArnRef.name}/verify-backups/*]`,
      reason:
        'Each run writes its own report objects (keyed by day and execution): s3:PutObject only, under verify-backups/.',
    });
    this.functions = {
      collect,
      evaluate,
      buildReport,
      publish,
      sweep,
      ...(checkVolumeContent ? { checkVolumeContent } : {}),
      ...(checkDatabase ? { checkDatabase } : {}),
    };
  }

  /** The last-verified alarms notify the stage's alarm topic (called by the automation stack). */
  routeAlarmsTo(topic: sns.ITopic): void {
    const action = new actions.SnsAction(topic);
    for (const alarm of Object.values(this.lastVerifiedAlarms)) alarm.addAlarmAction(action);
  }
}

/** verify-backups' infra: every stage verifies its backups. */
export const verifyBackupsWorkflow: RunbookWorkflowPlugin = {
  name: 'verify-backups',
  /** The Velero restore test restores into one scratch namespace per checked namespace, and probes its Services. */
  kubeAccess(stage, prefix) {
    const restore = stage.automation.backupVerification.velero.restoreTest;
    if (!restore.enabled || restore.namespaces.length === 0) return {};
    const probes = restore.namespaces.flatMap((n) =>
      n.probe ? [`${prefix}${n.namespace}/${n.probe.service}:${n.probe.port}`] : [],
    );
    return {
      scratchNamespaces: restore.namespaces.map((n) => `${prefix}${n.namespace}`),
      ...(probes.length > 0 ? { scratchProbes: probes } : {}),
    };
  },
  build(scope, ctx) {
    return new VerifyBackupsInfra(scope, 'VerifyBackups', {
      stage: ctx.stage,
      namePrefix: ctx.namePrefix,
      hooks: ctx.hooks,
      platform: ctx.platform,
      functions: ctx.functions,
      approvalTimeout: ctx.approvalTimeout,
      ...(ctx.drBucketName ? { drBucketName: ctx.drBucketName } : {}),
      ...(ctx.kube
        ? { kubeFunction: ctx.kube.function, restoreNamespacePrefix: ctx.kube.restoreNamespacePrefix }
        : {}),
    }).stateMachine;
  },
};
