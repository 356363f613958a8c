import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type EventRuleSpec, hasCanary } from '../../../events/patterns.js';
import { CANARY_DETAIL_TYPE, CANARY_SOURCE } from '../../../events/sources/canary/schema.js';
import { CANARY_METRIC, CANARY_RULE_DIMENSION } from '../../../functions/intake/canary.js';

/** How often each rule's canary is sent; its alarm fires after two periods without one. */
export const CANARY_PERIOD = Duration.minutes(15);
/** Periods without a canary before the rule's alarm fires. */
export const CANARY_MISSED_PERIODS = 2;

export interface CanarySenderProps {
  /** IAM role name (names are account-wide: one per stage and region). */
  readonly roleName: string;
  /** Schedule group name (per region). */
  readonly groupName: string;
  /** Full names of the rules to send canaries for (one schedule each). */
  readonly ruleNames: readonly string[];
  /** Where Scheduler puts a canary it could not deliver. */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * EventBridge Scheduler putting one canary per rule on this stack's default bus every `CANARY_PERIOD`,
 * with a role that may put only canaries (`events:source` / `events:detail-type` conditions) and only on
 * that bus.
 */
export class CanarySender extends Construct {
  readonly role: iam.Role;
  readonly schedules: Record<string, scheduler.CfnSchedule> = {};

  constructor(scope: Construct, id: string, props: CanarySenderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'EventBridge Scheduler: puts rule canaries on the default bus',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    // Only canaries, only on the default bus: `events:source` and `events:detail-type` are multivalued keys.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'events:source': [CANARY_SOURCE],
            'events:detail-type': [CANARY_DETAIL_TYPE],
          },
        },
      }),
    );
    const dlq = props.deadLetterQueue;
    if (dlq) {
      this.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [dlq.queueArn] }),
      );
      if (dlq.encryptionMasterKey) {
        this.role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [dlq.encryptionMasterKey.keyArn],
          }),
        );
      }
    }
    const group = new scheduler.CfnScheduleGroup(this, 'Group', { name: props.groupName });
    const minutes = CANARY_PERIOD.toMinutes();
    for (const ruleName of props.ruleNames) {
      const schedule = new scheduler.CfnSchedule(this, `Schedule-${ruleName}`, {
        name: ruleName,
        groupName: props.groupName,
        description: `Canary for rule ${ruleName}: proves it still delivers to the intake`,
        scheduleExpression: `rate(${minutes} minutes)`,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: busArn,
          roleArn: this.role.roleArn,
          eventBridgeParameters: { source: CANARY_SOURCE, detailType: CANARY_DETAIL_TYPE },
          input: JSON.stringify({ rule: ruleName, scheduledTime: '<aws.scheduler.scheduled-time>' }),
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 600 },
          ...(dlq ? { deadLetterConfig: { arn: dlq.queueArn } } : {}),
        },
      });
      schedule.addResourceDependency(group);
      this.schedules[ruleName] = schedule;
    }
  }
}

export interface CanariesProps {
  readonly namePrefix: string;
  /** The intake's rules and the specs they were made from, by spec name. */
  readonly rules: Readonly<Record<string, events.Rule>>;
  readonly ruleSpecs: Readonly<Record<string, EventRuleSpec>>;
  /** The Powertools service name of the function the rules deliver to (a dimension of its metrics). */
  readonly intakeService: string;
  /** Where Scheduler puts a canary it could not deliver (the intake's dead-letter queue). */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Rules elsewhere whose canaries arrive here (the us-east-1 forwarding rule of the `<stage>-global`
   * stack): an alarm each, their schedules live with them.
   */
  readonly forwardedRules?: readonly string[];
}

/**
 * Every intake rule proves it is alive (issue 14). For each rule on the default bus:
 *
 * - EventBridge Scheduler puts a canary event (`ops.canary`, detail `{ rule: <rule name> }`) on the
 *   default bus every `CANARY_PERIOD`; the rule's pattern has its canary as an `$or` alternative
 *   (events/patterns.ts `subscribedPattern`), so the canary travels the rule itself, its target, retry
 *   policy and invoke permission, into the intake;
 * - the intake records it as the metric `OpsAutomation/CanaryArrived{service, rule}` and does nothing else;
 * - an alarm per rule fires when no canary arrived for `CANARY_MISSED_PERIODS` periods (missing data is
 *   breaching), routed with `routeAlarmsTo` to the stage's alarm topic.
 *
 * What it cannot prove: that the watched service still emits events (CloudTrail logging, the exporter in
 * the cluster). Those are the sweeps' job. Rules on a partner bus get no canary: only the partner puts
 * events there.
 */
export class Canaries extends Construct {
  readonly sender: CanarySender;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: CanariesProps) {
    super(scope, id);
    const { namePrefix } = props;
    const ruleNames = Object.entries(props.ruleSpecs)
      .filter(([key, spec]) => props.rules[key] && hasCanary(spec))
      .map(([, spec]) => `${namePrefix}-${spec.name}`);
    this.sender = new CanarySender(this, 'Sender', {
      roleName: `${namePrefix}-canaries`,
      groupName: `${namePrefix}-canaries`,
      ruleNames,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
    });
    const minutes = CANARY_PERIOD.toMinutes();
    for (const ruleName of [...ruleNames, ...(props.forwardedRules ?? [])]) {
      this.alarms[ruleName] = new cloudwatch.Alarm(this, `Alarm-${ruleName}`, {
        alarmName: `${ruleName}-canary-missing`,
        alarmDescription:
          `No canary arrived through rule ${ruleName} for ${CANARY_MISSED_PERIODS * minutes} minutes: the rule, ` +
          'its target or the intake stopped delivering, and events it matches may be missed.',
        metric: new cloudwatch.Metric({
          namespace: 'OpsAutomation',
          metricName: CANARY_METRIC,
          dimensionsMap: { service: props.intakeService, [CANARY_RULE_DIMENSION]: ruleName },
          statistic: 'Sum',
          period: CANARY_PERIOD,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: CANARY_MISSED_PERIODS,
        datapointsToAlarm: CANARY_MISSED_PERIODS,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
  }

  /** Sends every canary alarm to `topic` (the stage's alarm topic, created later in the stack). */
  routeAlarmsTo(topic: sns.ITopic): void {
    const action = new actions.SnsAction(topic);
    for (const alarm of Object.values(this.alarms)) alarm.addAlarmAction(action);
  }
}
