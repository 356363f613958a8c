import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthStage } from '../support/synth.js';

interface Statement {
  readonly policy: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Policy statements of every IAM policy in a template, flattened. */
function statements(template: ReturnType<typeof synthStage>['automationTemplate']): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([id, p]) =>
    (
      (p as { Properties: { PolicyDocument: { Statement: Omit<Statement, 'policy'>[] } } }).Properties
        .PolicyDocument.Statement ?? []
    ).map((s) => ({ policy: id, ...s })),
  );
}
const actionsOf = (s: Statement): string[] => [s.Action ?? []].flat();

describe('remediation runbooks: synthesised for dev with cdk-nag', () => {
  const dev = synthStage('dev');
  const t = dev.automationTemplate;

  it('creates the three state machines under the ops-dev prefix, with roles loop protection recognises', () => {
    for (const name of ['snapshot-volume', 'scale-node-group', 'update-dns']) {
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `ops-dev-${name}` });
      t.hasResourceProperties('AWS::IAM::Role', { RoleName: `ops-dev-${name}` });
      t.hasResourceProperties('AWS::IAM::Role', { RoleName: `ops-dev-${name}-steps` });
      expect(dev.automation.runbooks.stateMachines[name]).toBeDefined();
    }
  });

  it('never grants a mutating action on *', () => {
    const mutating =
      /^(ec2:(Create|Delete|Copy)|eks:Update|route53:Change|ssm:Put|scheduler:Create|iam:PassRole)/;
    const offenders = statements(t).filter(
      (s) => actionsOf(s).some((a) => mutating.test(a)) && [s.Resource].flat().includes('*'),
    );
    expect(offenders).toEqual([]);
  });

  it('scopes CreateSnapshot by tag on the volume and by request tag on the snapshot; DeleteSnapshot by our tag', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ec2:CreateSnapshot',
            Condition: { StringEquals: { 'aws:ResourceTag/backup': 'required' } },
          }),
          Match.objectLike({
            Action: 'ec2:CreateSnapshot',
            Condition: { StringEquals: { 'aws:RequestTag/ops-automation:created-by': 'ops-dev' } },
          }),
        ]),
      },
    });
    const deletes = statements(t).filter((s) => actionsOf(s).includes('ec2:DeleteSnapshot'));
    expect(deletes.length).toBeGreaterThan(0);
    for (const d of deletes)
      expect(d.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/ops-automation:created-by': 'ops-dev' },
      });
  });

  it('lets scale-node-group update only the allow-listed node groups and write only their size parameters', () => {
    const updates = statements(t).filter((s) => actionsOf(s).includes('eks:UpdateNodegroupConfig'));
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0]?.Resource)).toContain(':nodegroup/dev-platform/dev-platform-*/*');
    const puts = statements(t).filter((s) => actionsOf(s).includes('ssm:PutParameter'));
    expect(JSON.stringify(puts.map((p) => p.Resource))).toContain(
      ':parameter/ops/dev/nodegroups/dev-platform-*/*',
    );
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ops-dev-scale-back-scheduler',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
    // The scale-back schedule may only invoke the intake, so the revert passes the intake's guards.
    const invokes = statements(t).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invokes.map((i) => i.Resource))).toContain(':function:ops-dev-intake');
    expect(
      statements(t).filter(
        (s) =>
          actionsOf(s).includes('states:StartExecution') &&
          JSON.stringify(s.Resource).includes('scale-node-group'),
      ),
    ).toEqual([]);
  });

  it('lets update-dns change only the allow-listed record names of its zone', () => {
    const changes = statements(t).filter((s) => actionsOf(s).includes('route53:ChangeResourceRecordSets'));
    expect(changes).toHaveLength(1);
    expect(changes[0]?.Condition).toMatchObject({
      'ForAllValues:StringLike': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.dev.example.com', 'dev.example.com'],
      },
    });
    expect(JSON.stringify(changes[0]?.Resource)).toContain('hostedzone/');
  });
});

describe('remediation runbooks: synthesised for prod (DR region configured) with cdk-nag', () => {
  const prod = synthStage('prod');

  it('lets the snapshot step copy only our snapshots into the DR region, tagged as ours', () => {
    const copies = statements(prod.automationTemplate).filter((s) =>
      actionsOf(s).includes('ec2:CopySnapshot'),
    );
    expect(copies.map((c) => c.Condition)).toEqual([
      { StringEquals: { 'aws:ResourceTag/ops-automation:created-by': 'ops-prod' } },
      { StringEquals: { 'aws:RequestTag/ops-automation:created-by': 'ops-prod' } },
    ]);
    expect(JSON.stringify(copies[1]?.Resource)).toContain(':ec2:eu-central-1::snapshot/*');
  });
});

describe('remediation runbooks: synthesised for stage with cdk-nag', () => {
  it('has all three state machines', () => {
    const stage = synthStage('stage');
    for (const name of ['snapshot-volume', 'scale-node-group', 'update-dns']) {
      stage.automationTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `ops-stage-${name}`,
      });
    }
  });
});
