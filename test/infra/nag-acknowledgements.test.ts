import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type StageStacks } from '../../infra/app.js';
import { SecretRotation } from '../../infra/constructs/automation/rotation.js';
import { acknowledgements, auditAcknowledgements, wildcardGrants } from '../support/nag-audit.js';

/**
 * Issue 13: every cdk-nag acknowledgement names the exact finding it covers, and the reason of
 * every wildcard acknowledgement names each permission granted under it, so a new wildcard on a
 * role whose acknowledgement does not name it fails here even though cdk-nag (which matches
 * `AwsSolutions-IAM5[Resource::*]` by id alone) would let it through. The rules and the oracle
 * (cdk-nag's documented finding format, re-implemented) are in test/support/nag-audit.ts.
 */

let app: App;
let stacks: StageStacks[];

beforeAll(() => {
  // Every stage in one app, as `cdk synth` builds it, with cdk-nag on (a finding fails synth).
  ({ app, stacks } = buildApp({ appProps: { context: { 'aws:cdk:bundling-stacks': [] } } }));
  app.synth();
});

describe('cdk-nag acknowledgements: every stage', () => {
  it('synthesises dev, stage and prod', () => {
    expect(stacks.map((s) => s.stage.name)).toEqual(['dev', 'stage', 'prod']);
  });

  it('has wildcard grants to audit in every stage (the audit is not vacuous)', () => {
    for (const s of stacks) {
      const grants = [...wildcardGrants(s.platform), ...wildcardGrants(s.automation)];
      expect(grants.filter((g) => g.finding === 'Resource::*').length).toBeGreaterThan(5);
    }
  });

  it('names the finding of every IAM4/IAM5 acknowledgement, and every permission each wildcard grants', () => {
    expect(auditAcknowledgements(app)).toEqual([]);
  });

  it('gives every acknowledgement a reason of its own (no empty or placeholder reasons)', () => {
    const weak = acknowledgements(app).filter(
      (a) => a.reason.trim().length < 40 || /todo|tbd|fixme/i.test(a.reason),
    );
    expect(weak.map((a) => `${a.path}: ${a.id}`)).toEqual([]);
  });
});

describe('RDS master secret: rotated in every stage', () => {
  it.each(['dev', 'stage', 'prod'])('%s: a rotation function and schedule for <stage>/rds/master', (name) => {
    const s = stacks.find((x) => x.stage.name === name);
    if (!s) throw new Error(`no stage ${name}`);
    const automation = Template.fromStack(s.automation);
    const platform = Template.fromStack(s.platform);
    // The master secret is the platform's generated one, attached to the instance …
    platform.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `${name}/rds/master` });
    // … and the automation stack rotates that very secret (imported by ARN from the platform).
    const schedules = automation.findResources('AWS::SecretsManager::RotationSchedule');
    const onMaster = Object.values(schedules).filter((r) =>
      JSON.stringify(r.Properties.SecretId).includes('InstanceSecretAttachment'),
    );
    expect(onMaster).toHaveLength(1);
    const rotationLambda = JSON.stringify(onMaster[0]?.Properties.RotationLambdaARN);
    const fns = automation.findResources('AWS::Lambda::Function', {
      Properties: {
        FunctionName: `ops-${name}-rotation-${name}-rds-master`,
        Environment: {
          Variables: Match.objectLike({
            ROTATION_STRATEGY: 'mysql-single-user',
            SECRET_ID: `${name}/rds/master`,
          }),
        },
      },
    });
    const [fnId] = Object.keys(fns);
    expect(fnId).toBeDefined();
    expect(rotationLambda).toContain(fnId);
    expect(onMaster[0]?.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(29 days)' });
  });
});

/** A stack with one real rotation construct (a `random` secret: no VPC needed), cdk-nag on. */
function rotationStack(): { app: App; role: iam.Role } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Probe', { env: { account: '111111111111', region: 'eu-west-1' } });
  const rotation = new SecretRotation(stack, 'Rotation', {
    namePrefix: 'ops-probe',
    secrets: [
      {
        name: 'probe/api/token',
        strategy: 'random',
        consumerRoleNames: [],
        restartWorkloads: [],
        rotation: {
          everyDays: 30,
          passwordLength: 32,
          excludeCharacters: '"',
          tokenField: 'token',
          generator: 'secrets-manager',
          tokenLength: 40,
        },
      },
    ],
  });
  const role = rotation.functions['probe/api/token']?.role as iam.Role;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, role };
}

describe('cdk-nag acknowledgements: a new wildcard is caught', () => {
  it('passes the rotation construct as built', () => {
    const { app: probe } = rotationStack();
    probe.synth();
    expect(auditAcknowledgements(probe)).toEqual([]);
  });

  it('fails when a role gains an action on * that its acknowledgement does not name, though cdk-nag lets it pass', () => {
    // Prepare: the rotation role already acknowledges Resource::* (for GetRandomPassword).
    const { app: probe, role } = rotationStack();
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DeleteSecret'], resources: ['*'] }));

    // Act: cdk-nag matches the acknowledgement by id, so synth succeeds …
    expect(() => probe.synth()).not.toThrow();

    // Assess: … and the audit names the new permission and where it is acknowledged.
    const problems = auditAcknowledgements(probe);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^Probe\/Rotation\/Role0\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::\*\] grants secretsmanager:DeleteSecret, which no acknowledgement of it \(on Probe\/Rotation\/Role0\) names$/,
    );
  });

  it('fails on a bare AwsSolutions-IAM5 acknowledgement and on one whose finding nothing has', () => {
    const { app: probe, role } = rotationStack();
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5',
      reason: 'Any wildcard on this role is fine.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::some-bucket/*]',
      reason: 'An old grant, long gone: s3:GetObject on some-bucket.',
    });
    probe.synth();

    expect(auditAcknowledgements(probe)).toEqual([
      'Probe/Rotation/Role0: bare AwsSolutions-IAM5 acknowledgement (name the finding: AwsSolutions-IAM5[Resource::…])',
      'Probe/Rotation/Role0: AwsSolutions-IAM5[Resource::arn:aws:s3:::some-bucket/*] acknowledges a finding nothing under it has',
    ]);
  });
});
