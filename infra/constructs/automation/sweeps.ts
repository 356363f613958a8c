import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import type { SweepCheckName } from '../../../config/sweeps.js';
import { AUDIT_INDEX } from '../../../functions/audit/store.js';
import { SWEEP_CHECK_DIMENSION, SWEEP_RAN_METRIC } from '../../../functions/sweeps/core.js';
import { IMPLEMENTED_SWEEP_CHECKS, type SweepTargets } from '../../../functions/sweeps/settings.js';
import { OpsFunction } from '../ops-function.js';

/** Powertools service name of the sweep function: a dimension of its metrics. */
export const SWEEPS_SERVICE = 'sweeps';
/** Intervals without a completed run before a check's alarm fires. */
export const SWEEP_MISSED_RUNS = 2;

export interface SweepsProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  /** The intake function findings are handed to (asynchronous invoke: its retries and dead-letter queue). */
  readonly intake: lambda.IFunction;
  /** The platform's trail ARNs (trails check) and VPC ids (flow-logs check). */
  readonly trailArns: readonly string[];
  readonly vpcIds: readonly string[];
  /**
   * The dns check: the allow-listed platform zones (the DNS runbook's allow-list, zone ids from the platform) and
   * the audit store where the DNS runbook's runs record what they set. Without zones the check is not scheduled.
   */
  readonly dns?: {
    readonly zones: readonly { zoneName: string; hostedZoneId: string; records: readonly string[] }[];
    readonly auditTable: dynamodb.ITable;
    readonly auditKey: kms.IKey;
  };
  /**
   * The node-groups check: the in-VPC kube function that counts unschedulable pods (its Role may `list`
   * events in `automation.sweeps.workloadNamespaces`). Scheduled only with this, allow-listed node groups
   * (`allowLists.nodeGroups`) and at least one workload namespace.
   */
  readonly kubeFunction?: lambda.IFunction;
  /** Where Scheduler puts an invocation it could not deliver. */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * Reconciliation sweeps (issue 14): one function (functions/sweeps/handler.ts) and one EventBridge Scheduler
 * schedule per check at the config's interval (`automation.sweeps.intervals`). Each finding goes to the
 * intake like any event (same policy, guards and execution names). Read-only IAM, resource-scoped where
 * the Service Authorization Reference allows. Alarms: the function's Errors (the observability walk; a run
 * with a failed check ends in an error after the others ran) and, per check, `<prefix>-sweep-<check>-missing`
 * when no completed run was recorded for `SWEEP_MISSED_RUNS` intervals (missing data is breaching).
 */
export class Sweeps extends Construct {
  readonly function: OpsFunction;
  readonly role: iam.Role;
  readonly schedules: Partial<Record<SweepCheckName, scheduler.CfnSchedule>> = {};
  readonly alarms: Partial<Record<SweepCheckName, cloudwatch.Alarm>> = {};

  constructor(scope: Construct, id: string, props: SweepsProps) {
    super(scope, id);
    const { stage, namePrefix } = props;
    const stack = Stack.of(this);
    const config = stage.automation.sweeps;
    const dns = props.dns && props.dns.zones.length > 0 ? props.dns : undefined;
    const nodeGroups = stage.automation.allowLists.nodeGroups;
    const kube =
      props.kubeFunction && nodeGroups.length > 0 && config.workloadNamespaces.length > 0
        ? props.kubeFunction
        : undefined;
    const checks = IMPLEMENTED_SWEEP_CHECKS.filter(
      (c) =>
        !config.disabled.includes(c) &&
        (c !== 'dns' || dns !== undefined) &&
        (c !== 'node-groups' || kube !== undefined),
    );
    const targets: SweepTargets = {
      intakeFunction: props.intake.functionArn,
      trailArns: [...props.trailArns],
      vpcIds: [...props.vpcIds],
      dnsZones: (dns?.zones ?? []).map((z) => ({ ...z, records: [...z.records] })),
      ...(dns ? { auditTable: dns.auditTable.tableName } : {}),
      ...(kube && checks.includes('node-groups') ? { kubeFunction: kube.functionArn } : {}),
    };

    this.function = new OpsFunction(this, 'Function', {
      entry: 'functions/sweeps/handler.ts',
      service: SWEEPS_SERVICE,
      functionName: `${namePrefix}-sweeps`,
      description: `Reconciliation sweeps of ${stage.name}: finds conditions directly and hands them to the intake`,
      timeout: Duration.minutes(5),
      // A failed run is not retried by Lambda: the next scheduled run is the retry (and the alarm tells).
      retryAttempts: 0,
      stage,
      environment: { SWEEP_TARGETS: stack.toJsonString(targets) },
    });
    const role = this.function.role as iam.Role;
    props.intake.grantInvoke(role);
    const arn = (service: string, resource: string, account = stack.account) =>
      `arn:${stack.partition}:${service}:${stack.region}:${account}:${resource}`;
    if (props.trailArns.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['cloudtrail:GetTrailStatus'], resources: [...props.trailArns] }),
      );
    }
    // Listing calls without resource-level permissions (Service Authorization Reference): read-only.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeFlowLogs', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
        resources: ['*'],
        conditions: { StringEquals: { 'ec2:Region': stack.region } },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeSnapshotAttribute'],
        resources: [arn('ec2', 'snapshot/*', '')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots'],
        resources: [arn('rds', 'snapshot:*'), arn('rds', 'db:*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshotAttributes'],
        resources: [arn('rds', 'snapshot:*')],
      }),
    );
    if (dns && checks.includes('dns')) {
      // Route 53 record sets of the allow-listed platform zones only; the audit's by-resource index only.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['route53:ListResourceRecordSets'],
          resources: dns.zones.map((z) => `arn:${stack.partition}:route53:::hostedzone/${z.hostedZoneId}`),
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${dns.auditTable.tableArn}/index/${AUDIT_INDEX.byResource}`],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [dns.auditKey.keyArn] }),
      );
    }
    if (kube && checks.includes('node-groups')) {
      // EKS: list the allow-listed clusters' node groups, describe only the allow-listed ones (name
      // patterns are IAM StringLike-compatible, config/wildcard.ts); the kube function for the evidence.
      const clusters = [...new Set(nodeGroups.map((g) => g.cluster))].sort();
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['eks:ListNodegroups'],
          resources: clusters.map((c) => arn('eks', `cluster/${c}`)),
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['eks:DescribeNodegroup'],
          resources: [
            ...new Set(nodeGroups.map((g) => arn('eks', `nodegroup/${g.cluster}/${g.nodegroup}/*`))),
          ],
        }),
      );
      kube.grantInvoke(role);
    }
    const nag = Validations.of(role);
    if (kube && checks.includes('node-groups')) {
      for (const g of nodeGroups) {
        nag.acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${stack.region}:${stack.account}:nodegroup/${g.cluster}/${g.nodegroup}/*]`,
          reason:
            `eks:DescribeNodegroup (read-only) on the node groups automation may scale (allowLists.nodeGroups: ${g.cluster}/${g.nodegroup}); ` +
            'the trailing * is the node group id EKS appends to the ARN.',
        });
      }
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(kube.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on the kube function and its versions (<arn>:*) only: the node-groups sweep asks it to count unschedulable-pod events.',
      });
    }
    nag.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeFlowLogs, ec2:DescribeSnapshots, ec2:DescribeVolumes (limited to this region by ec2:Region) and ' +
        'secretsmanager:ListSecrets support no resource-level permissions; all four only read.',
    });
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}::snapshot/*]`,
      reason:
        'ec2:DescribeSnapshotAttribute (read-only) on every snapshot of the region: the sharing sweep must read ' +
        'the createVolumePermission of each snapshot the account owns, whatever made it.',
    });
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${stack.region}:${stack.account}:snapshot:*]`,
      reason:
        'rds:DescribeDBSnapshots and rds:DescribeDBSnapshotAttributes (read-only) on every DB snapshot of the ' +
        'account and region: the sharing sweep must find any manual snapshot shared outside the account.',
    });
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${stack.region}:${stack.account}:db:*]`,
      reason:
        'rds:DescribeDBSnapshots (read-only) lists snapshots of every DB instance of the region, not one named instance.',
    });
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(props.intake.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the intake function and its versions (<arn>:*) only: the grant grantInvoke makes for one function.',
    });

    // Scheduler → the sweep function, one schedule per check.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      roleName: `${namePrefix}-sweep-schedules`,
      description: `EventBridge Scheduler: invokes ${namePrefix}-sweeps`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.function.grantInvoke(schedulerRole);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the sweep function and its versions (<arn>:*) only: the grant grantInvoke makes for one function.',
    });
    const dlq = props.deadLetterQueue;
    if (dlq) {
      schedulerRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [dlq.queueArn] }),
      );
      if (dlq.encryptionMasterKey) {
        schedulerRole.addToPolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [dlq.encryptionMasterKey.keyArn],
          }),
        );
      }
    }
    this.role = role;
    const groupName = `${namePrefix}-sweeps`;
    const group = new scheduler.CfnScheduleGroup(this, 'Group', { name: groupName });
    for (const check of checks) {
      const minutes = config.intervals[check];
      const schedule = new scheduler.CfnSchedule(this, `Schedule-${check}`, {
        name: check,
        groupName,
        description: `Sweep ${check} every ${minutes} min: findings go to the intake`,
        scheduleExpression: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: this.function.functionArn,
          roleArn: schedulerRole.roleArn,
          input: JSON.stringify({ checks: [check], scheduledTime: '<aws.scheduler.scheduled-time>' }),
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: Math.max(60, minutes * 60) },
          ...(dlq ? { deadLetterConfig: { arn: dlq.queueArn } } : {}),
        },
      });
      schedule.addResourceDependency(group);
      this.schedules[check] = schedule;
      this.alarms[check] = new cloudwatch.Alarm(this, `Missing-${check}`, {
        alarmName: `${namePrefix}-sweep-${check}-missing`,
        alarmDescription:
          `Sweep ${check} recorded no completed run for ${SWEEP_MISSED_RUNS * minutes} minutes: it is failing or not ` +
          'scheduled, and the conditions it finds (README, detection-bound table) are caught by the event path only.',
        metric: new cloudwatch.Metric({
          namespace: 'OpsAutomation',
          metricName: SWEEP_RAN_METRIC,
          dimensionsMap: { service: SWEEPS_SERVICE, [SWEEP_CHECK_DIMENSION]: check },
          statistic: 'Sum',
          period: Duration.minutes(minutes),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: SWEEP_MISSED_RUNS,
        datapointsToAlarm: SWEEP_MISSED_RUNS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
  }

  /** Sends every "sweep did not run" alarm to `topic` (the stage's alarm topic). */
  routeAlarmsTo(topic: sns.ITopic): void {
    const action = new actions.SnsAction(topic);
    for (const alarm of Object.values(this.alarms)) alarm?.addAlarmAction(action);
  }
}
