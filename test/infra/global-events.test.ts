import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { allStages } from '../../config/index.js';
import { matchesRulePattern, type RulePattern } from '../../events/patterns.js';
import { synthStage } from '../support/synth.js';
import { sampleJson } from '../unit/events/support.js';

/**
 * Global events (issue 14): a stage outside us-east-1 gets `<stage>-global` in us-east-1, whose one rule
 * forwards global-service events (console sign-in, IAM) to the stage region's default bus, where the
 * intake's own rules take them. Checked on the synthesised templates of every stage (cdk-nag on):
 * recorded sign-in samples and a hand-written IAM call are forwarded and then reach the right intake rule;
 * regional events are not forwarded; the forwarding rule's canary is forwarded, reaches the intake through
 * the console sign-in rule, and has an alarm routed to the stage's alarm topic.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** A CloudTrail IAM call as EventBridge delivers it (hand-written; IAM calls reach us-east-1 only). */
const iamCreateAccessKey = {
  version: '0',
  id: '0d2ab3b5-2a9f-4d3e-9c5f-1f2e3d4c5b6a',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.iam',
  account: '111111111111',
  time: '2026-12-07T06:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventVersion: '1.09',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateAccessKey',
    awsRegion: 'us-east-1',
    userIdentity: { type: 'Root', arn: 'arn:aws:iam::111111111111:root', accountId: '111111111111' },
    requestParameters: null,
  },
};

const canary = (rule: string) => ({
  version: '0',
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  'detail-type': 'Ops Rule Canary',
  source: 'ops.canary',
  account: '111111111111',
  time: '2026-12-07T06:15:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { rule, scheduledTime: '2026-12-07T06:15:00Z' },
});

describe.each(allStages().map((s) => [s.name, s.region, s.account] as const))(
  'global events forwarding: %s (%s)',
  (stageName, region, account) => {
    let global: Resources;
    let automation: Resources;
    let forward: Record<string, unknown>;
    beforeAll(() => {
      const s = synthStage(stageName);
      expect(region).not.toBe('us-east-1');
      if (!s.global) throw new Error(`no ${stageName}-global stack`);
      expect(s.global.region).toBe('us-east-1');
      expect(s.global.stackName).toBe(`${stageName}-global`);
      global = Template.fromStack(s.global).toJSON().Resources as Resources;
      automation = s.automationTemplate.toJSON().Resources as Resources;
      const rules = ofType(global, 'AWS::Events::Rule');
      expect(rules).toHaveLength(1);
      forward = rules[0]?.[1].Properties ?? {};
    });
    const intakeRulesReached = (event: unknown) =>
      ofType(automation, 'AWS::Events::Rule')
        .map(([, r]) => r.Properties)
        .filter((p) => typeof p.Name === 'string' && matchesRulePattern(p.EventPattern as RulePattern, event))
        .map((p) => p.Name);

    it('forwards from the us-east-1 default bus to the stage region default bus, with a role that may only put there', () => {
      expect(forward.Name).toBe(`ops-${stageName}-global-forward`);
      expect(forward.EventBusName).toBeUndefined();
      const targets = forward.Targets as { Arn: unknown; RoleArn: unknown }[];
      expect(targets).toHaveLength(1);
      const arn = JSON.stringify(targets[0]?.Arn);
      expect(arn).toContain(`:events:${region}:${account}:event-bus/default`);
      const statements = ofType(global, 'AWS::IAM::Policy')
        .filter(([, r]) => JSON.stringify(r.Properties.Roles).includes('ForwardRole'))
        .flatMap(
          ([, r]) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
        );
      expect(statements.map((s) => s.Action)).toEqual(['events:PutEvents']);
      expect(JSON.stringify(statements[0]?.Resource)).toBe(arn);
      const role = ofType(global, 'AWS::IAM::Role').find(([id]) => id.startsWith('ForwardRole'));
      expect(JSON.stringify(role?.[1].Properties.AssumeRolePolicyDocument)).toContain('events.amazonaws.com');
    });

    it.each([
      'cloudtrail/signin-consolelogin-root-success.json',
      'cloudtrail/signin-consolelogin-iam-user-failure.json',
    ])(
      'forwards the recorded sign-in %s, and the stage takes it through its console sign-in rule',
      (file) => {
        const event = sampleJson(file);
        expect(matchesRulePattern(forward.EventPattern as RulePattern, event)).toBe(true);
        expect(intakeRulesReached(event)).toEqual([`ops-${stageName}-console-sign-in`]);
      },
    );

    it('forwards an IAM call, and the stage takes it through its CloudTrail write-calls rule', () => {
      expect(matchesRulePattern(forward.EventPattern as RulePattern, iamCreateAccessKey)).toBe(true);
      expect(intakeRulesReached(iamCreateAccessKey)).toEqual([`ops-${stageName}-cloudtrail-write-calls`]);
    });

    it.each([
      'cloudtrail/ec2-detachvolume.json',
      'cloudtrail/kms-disablekey.json',
      'cloudtrail/cloudtrail-stoplogging.json',
      'cloudtrail/secretsmanager-getsecretvalue-iam-user.json',
      'autoscaling/ec2-instance-launch-successful.json',
    ])('does not forward the regional event %s', (file) => {
      expect(matchesRulePattern(forward.EventPattern as RulePattern, sampleJson(file))).toBe(false);
    });

    it("proves itself alive: its canary is scheduled in us-east-1, forwarded, taken by the stage's console sign-in rule, and alarmed on", () => {
      const rule = `ops-${stageName}-global-forward`;
      const schedules = ofType(global, 'AWS::Scheduler::Schedule');
      expect(schedules).toHaveLength(1);
      const target = schedules[0]?.[1].Properties.Target as {
        Arn: unknown;
        Input: string;
        EventBridgeParameters: { Source: string; DetailType: string };
      };
      expect(JSON.stringify(target.Arn)).toContain(':event-bus/default');
      expect(JSON.parse(target.Input).rule).toBe(rule);
      expect(target.EventBridgeParameters).toEqual({ Source: 'ops.canary', DetailType: 'Ops Rule Canary' });
      expect(matchesRulePattern(forward.EventPattern as RulePattern, canary(rule))).toBe(true);
      expect(intakeRulesReached(canary(rule))).toEqual([`ops-${stageName}-console-sign-in`]);
      // Another stage's forwarding canary is neither forwarded by this rule nor taken here.
      const other = `ops-${stageName}x-global-forward`;
      expect(matchesRulePattern(forward.EventPattern as RulePattern, canary(other))).toBe(false);
      expect(intakeRulesReached(canary(other))).toEqual([]);

      const alarm = ofType(automation, 'AWS::CloudWatch::Alarm').find(([, r]) =>
        (r.Properties.Dimensions as { Name: string; Value: string }[] | undefined)?.some(
          (d) => d.Value === rule,
        ),
      );
      expect(alarm, rule).toBeDefined();
      const topic = ofType(automation, 'AWS::SNS::Topic').find(
        ([, r]) => r.Properties.TopicName === `ops-${stageName}-alarms`,
      );
      expect(alarm?.[1].Properties.AlarmActions).toEqual([{ Ref: topic?.[0] }]);
      expect(alarm?.[1].Properties.TreatMissingData).toBe('breaching');
    });
  },
);
