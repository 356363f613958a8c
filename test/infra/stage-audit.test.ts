import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type StageStacks } from '../../infra/app.js';
import { OPS_FUNCTIONS } from '../../infra/constructs/automation/runbooks.js';
import { SecretRotation } from '../../runbooks/rotate-secret/infra.js';
import { acknowledgements, auditAcknowledgements, wildcardGrants } from '../support/nag-audit.js';

/**
 * Issue 13, on the app as `cdk synth` builds it (all stages, one synthesis for the whole file):
 * the RDS master secret is rotated, every alarm and monitor reaches a configured person, and
 * every cdk-nag acknowledgement names the exact finding it covers, and the reason of
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
  // Four stages with cdk-nag (prod-euc1 added a quarter): like dr-copies, more than the default hook budget.
}, 360_000);

describe('cdk-nag acknowledgements: every stage', () => {
  it('synthesises dev, stage, prod and prod’s second region', () => {
    expect(stacks.map((s) => s.stage.name)).toEqual(['dev', 'stage', 'prod', 'prod-euc1']);
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
  it.each(['dev', 'stage', 'prod', 'prod-euc1'])(
    '%s: a rotation function and schedule for <stage>/rds/master',
    (name) => {
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
    },
  );
});

/** A stack with one real rotation construct (a `random` secret: no VPC needed), cdk-nag on. */
function rotationStack(): { app: App; role: iam.Role } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Probe', { env: { account: '111111111111', region: 'eu-west-1' } });
  const rotation = new SecretRotation(stack, 'Rotation', {
    functions: OPS_FUNCTIONS,
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

/**
 * Where each stage's alarms must end, written by hand: the expectation, not a copy of the config
 * (config/stages/*.ts must agree with it for these tests to pass).
 */
const DESTINATIONS: Record<string, { emails: string[]; slackChannel?: string; handles: string[] }> = {
  dev: { emails: ['platform-dev-alerts@example.com'], handles: ['@slack-ops-dev-alerts'] },
  stage: { emails: ['platform-stage-alerts@example.com'], handles: ['@slack-ops-stage-alerts'] },
  prod: {
    emails: ['platform-oncall@example.com'],
    slackChannel: 'C0PRODALRM1',
    handles: ['@pagerduty-platform-prod', '@slack-ops-prod-alerts'],
  },
  // prod's second region pages the same people (config/stages/prod-euc1.ts).
  'prod-euc1': {
    emails: ['platform-oncall@example.com'],
    slackChannel: 'C0PRODALRM1',
    handles: ['@pagerduty-platform-prod', '@slack-ops-prod-alerts'],
  },
};

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Every resource of every stack of one stage, by logical id (ids are unique per stack; kept apart by stack). */
function templatesOf(name: string): Record<string, Resource>[] {
  const s = stacks.find((x) => x.stage.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return [s.platform, s.automation].map(
    (st) => Template.fromStack(st).toJSON().Resources as Record<string, Resource>,
  );
}

describe('alarm routing: every alarm and monitor ends at a configured destination', () => {
  it.each(['dev', 'stage', 'prod', 'prod-euc1'])(
    '%s: every CloudWatch alarm notifies a topic that reaches the configured people',
    (name) => {
      const expected = DESTINATIONS[name];
      if (!expected) throw new Error(`no expectation for ${name}`);
      let alarms = 0;
      const reached = { emails: new Set<string>(), slackChannels: new Set<string>() };
      for (const resources of templatesOf(name)) {
        const subscriptions = Object.values(resources).filter((r) => r.Type === 'AWS::SNS::Subscription');
        for (const [id, alarm] of Object.entries(resources)) {
          if (alarm.Type !== 'AWS::CloudWatch::Alarm') continue;
          alarms++;
          const actions = (alarm.Properties.AlarmActions ?? []) as unknown[];
          expect(actions, `${name}: alarm ${id} has no alarm action`).not.toHaveLength(0);
          for (const action of actions) {
            const topic = (action as { Ref?: string }).Ref;
            expect(
              resources[topic ?? '']?.Type,
              `${name}: alarm ${id} notifies ${JSON.stringify(action)}, not a topic of this stack`,
            ).toBe('AWS::SNS::Topic');
            const subs = subscriptions.filter(
              (sub) => (sub.Properties.TopicArn as { Ref?: string }).Ref === topic,
            );
            expect(subs.length, `${name}: topic ${topic} of alarm ${id} has no subscription`).toBeGreaterThan(
              0,
            );
            for (const sub of subs) {
              if (sub.Properties.Protocol === 'email') reached.emails.add(sub.Properties.Endpoint as string);
              if (sub.Properties.Protocol === 'lambda') {
                const [fnId] = (sub.Properties.Endpoint as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
                const env = (
                  resources[fnId]?.Properties.Environment as
                    | { Variables?: Record<string, string> }
                    | undefined
                )?.Variables;
                if (env?.ALARM_SLACK_CHANNEL) {
                  reached.slackChannels.add(env.ALARM_SLACK_CHANNEL);
                  // What Slack keeps refusing is kept, not dropped.
                  expect(
                    resources[fnId]?.Properties.DeadLetterConfig,
                    `${name}: Slack notifier without DLQ`,
                  ).toBeDefined();
                }
              }
            }
          }
        }
      }
      expect(alarms).toBeGreaterThan(10);
      expect([...reached.emails].sort()).toEqual([...expected.emails].sort());
      expect([...reached.slackChannels]).toEqual(expected.slackChannel ? [expected.slackChannel] : []);
    },
  );

  it.each(['dev', 'stage', 'prod', 'prod-euc1'])(
    '%s: every Datadog monitor names the configured @-handles',
    (name) => {
      const expected = DESTINATIONS[name];
      if (!expected) throw new Error(`no expectation for ${name}`);
      const monitors = templatesOf(name).flatMap((resources) =>
        Object.entries(resources).filter(([, r]) => r.Type === 'Datadog::Monitors::Monitor'),
      );
      expect(monitors.length).toBeGreaterThan(10);
      for (const [id, m] of monitors) {
        const words = String(m.Properties.Message).split(/\s+/);
        for (const handle of expected.handles) expect(words, `${name}: monitor ${id}`).toContain(handle);
      }
    },
  );
});
