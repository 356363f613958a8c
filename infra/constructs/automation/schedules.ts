import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import { findRunbook } from '../../../runbooks/registry.js';

export interface SchedulesProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  /** The intake function: every scheduled run goes through its guards (dedup, lock, rate limit, kill switch). */
  readonly intake: lambda.IFunction;
  /** Where Scheduler puts an invocation it could not deliver (the intake's dead-letter queue). */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * One EventBridge Scheduler schedule per config `automation.schedules` entry (e.g. the daily
 * backup verification run). The target is the intake function, not the state machine, so a scheduled run
 * passes the same guards as any other; the input is the shape `events/sources/schedule` normalises
 * (`scheduleSignal`), with Scheduler's context attributes filled in at delivery.
 */
export class Schedules extends Construct {
  readonly schedules: Record<string, scheduler.CfnSchedule> = {};
  readonly role: iam.Role;
  readonly group: scheduler.CfnScheduleGroup;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const { stage, namePrefix } = props;
    const account = Stack.of(this).account;
    this.role = new iam.Role(this, 'Role', {
      roleName: `${namePrefix}-schedules`,
      description: `EventBridge Scheduler: invokes ${namePrefix}-intake for the configured schedules`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    });
    props.intake.grantInvoke(this.role);
    const cfn = props.intake.node.defaultChild;
    if (cfn instanceof CfnElement) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(cfn).getLogicalId(cfn)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on the intake function and its versions (<arn>:*) only: the grant grantInvoke makes for one function.',
      });
    }
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

    // One group per stage: schedule names stay the config's own (`daily-backup-verification`), which is what
    // the intake's schedule policy looks the schedule up by (the name in the schedule ARN).
    this.group = new scheduler.CfnScheduleGroup(this, 'Group', { name: namePrefix });
    for (const s of stage.automation.schedules) {
      if (!findRunbook(s.runbook)) {
        throw new Error(`stage ${stage.name}: schedule ${s.name} names unknown runbook "${s.runbook}"`);
      }
      this.schedules[s.name] = new scheduler.CfnSchedule(this, `Schedule-${s.name}`, {
        name: s.name,
        groupName: namePrefix,
        description: `Runs ${s.runbook} (${s.expression} ${s.timezone}) through the intake`,
        scheduleExpression: s.expression,
        scheduleExpressionTimezone: s.timezone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: props.intake.functionArn,
          roleArn: this.role.roleArn,
          input: JSON.stringify({
            runbook: s.runbook,
            scheduleArn: '<aws.scheduler.schedule-arn>',
            scheduledTime: '<aws.scheduler.scheduled-time>',
            executionId: '<aws.scheduler.execution-id>',
            attemptNumber: '<aws.scheduler.attempt-number>',
            parameters: s.parameters,
          }),
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
          ...(dlq ? { deadLetterConfig: { arn: dlq.queueArn } } : {}),
        },
      });
      // The group is named by a literal (so schedule names stay readable), not by reference: say the
      // order explicitly. (`addResourceDependency`: CfnResource#addDependency is deprecated.)
      this.schedules[s.name]?.addResourceDependency(this.group);
    }
  }
}
