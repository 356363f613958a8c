import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthStage } from '../../support/synth.js';

/** verify-backups as deployed: the synthesised prod automation stack (cdk-nag ran during synth). */
describe('verify-backups infra: schedule, state machine and least-privilege roles', () => {
  const { automationTemplate: t } = synthStage('prod');

  it('runs daily from config through the intake function, with retries and a dead-letter queue', () => {
    const schedules = t.findResources('AWS::Scheduler::Schedule', {
      Properties: { Name: 'ops-prod-daily-backup-verification' },
    });
    const [schedule] = Object.values(schedules) as { Properties: Record<string, unknown> }[];
    expect(schedule?.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 5 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^IntakeFunction/), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^IntakeDeadLetterQueue/), 'Arn'] } },
      },
    });
    const input = JSON.parse((schedule?.Properties.Target as { Input: string }).Input);
    expect(input).toEqual({
      runbook: 'verify-backups',
      scheduleArn: '<aws.scheduler.schedule-arn>',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      attemptNumber: '<aws.scheduler.attempt-number>',
      parameters: {},
    });
  });

  it('names the state machine and steps under the automation prefix, with a bounded Map', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'ops-prod-verify-backups',
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-prod-verify-backups-collect',
      Environment: { Variables: Match.objectLike({ DR_REGION: 'eu-central-1' }) },
    });
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'ops-prod-verify-backups' });
    const [sm] = Object.values(
      t.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-prod-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    const text = JSON.stringify(sm?.Properties.DefinitionString);
    expect(text).toContain('\\"MaxConcurrency\\":4');
    expect(text).toContain('alias/prod/platform/data');
  });

  it('may delete only volumes tagged as scratch, and create them only with that tag', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        // In the order the workflow grants them (arrayWith matches in order).
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ec2:CreateVolume',
            Condition: {
              StringEquals: {
                'aws:RequestTag/ops-automation:scratch': 'true',
                'ec2:AvailabilityZone': 'eu-west-1a',
              },
            },
          }),
          Match.objectLike({
            Action: 'ec2:DeleteVolume',
            Condition: { StringEquals: { 'aws:ResourceTag/ops-automation:scratch': 'true' } },
          }),
        ]),
      },
    });
  });

  it('creates no database restore resources while the RDS restore test is off (the default)', () => {
    expect(
      Object.keys(
        t.findResources('AWS::Lambda::Function', {
          Properties: { FunctionName: 'ops-prod-verify-backups-check-database' },
        }),
      ),
    ).toHaveLength(0);
    const [sm] = Object.values(
      t.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-prod-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    expect(JSON.stringify(sm?.Properties.DefinitionString)).not.toContain('restoreDBInstanceFromDBSnapshot');
  });
});
