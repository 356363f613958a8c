import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allStages } from '../../config/index.js';
import { EVENT_RULES, matchesRulePattern, type RulePattern } from '../../events/patterns.js';
import { recordCanary } from '../../functions/intake/canary.js';
import { synthStage } from '../support/synth.js';

/**
 * Every intake rule proves it is alive (issue 14), in every stage: one canary schedule and one alarm per
 * rule on the default bus. The canary event is built from the SYNTHESISED schedule (what Scheduler will
 * put) and matched against the SYNTHESISED rules (what EventBridge will evaluate), so the test proves the
 * template's wiring, not the constants it was built from. The alarm's metric is checked against the EMF
 * real Powertools prints for the intake function's own environment.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };

const emf: string[] = [];
beforeAll(() => {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void emf.push(String(line)));
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe.each(allStages().map((s) => s.name))('rule canaries: %s', (stageName) => {
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  beforeAll(() => {
    resources = synthStage(stageName).automationTemplate.toJSON().Resources as Record<string, Resource>;
  });

  // Hand-written: the intake rules that live on the account's default bus (Datadog's is a partner bus).
  const canaried = [
    'cloudtrail-write-calls',
    'cloudtrail-secret-reads',
    'console-sign-in',
    'autoscaling-activity',
    'cluster-autoscaler-events',
    'backup-verification-failures',
  ].map((n) => `ops-${stageName}-${n}`);

  it('has one canary schedule and one canary alarm per default-bus intake rule, and none for the partner bus', () => {
    expect(EVENT_RULES.map((r) => `ops-${stageName}-${r.name}`)).toEqual(
      expect.arrayContaining([...canaried, `ops-${stageName}-datadog-alerts`]),
    );
    const schedules = ofType('AWS::Scheduler::Schedule').filter(
      ([, r]) => (r.Properties.GroupName as string) === `ops-${stageName}-canaries`,
    );
    const scheduledRules = schedules.map(([, r]) => {
      const target = r.Properties.Target as { Input: string };
      return (JSON.parse(target.Input) as { rule: string }).rule;
    });
    expect(scheduledRules.sort()).toEqual([...canaried].sort());
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.MetricName === 'CanaryArrived',
    );
    const alarmedRules = alarms.map(([, r]) => {
      const dims = r.Properties.Dimensions as { Name: string; Value: string }[];
      return dims.find((d) => d.Name === 'rule')?.Value;
    });
    // Plus the us-east-1 forwarding rule's, whose canary arrives here (every stage is outside us-east-1).
    expect(alarmedRules.sort()).toEqual([...canaried, `ops-${stageName}-global-forward`].sort());
  });

  it("each canary, as Scheduler puts it, matches its own rule's deployed pattern and no other rule", () => {
    const rules = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .filter((p) => typeof p.Name === 'string' && (p.Name as string).startsWith(`ops-${stageName}-`));
    for (const [id, schedule] of ofType('AWS::Scheduler::Schedule')) {
      const target = schedule.Properties.Target as {
        Arn: unknown;
        Input: string;
        EventBridgeParameters: { Source: string; DetailType: string };
      };
      if (!target.EventBridgeParameters) continue;
      // The default bus of the stack's own account and region.
      expect(JSON.stringify(target.Arn), id).toContain(':event-bus/default');
      const detail = JSON.parse(
        target.Input.replace('<aws.scheduler.scheduled-time>', '2026-12-07T06:15:00Z'),
      );
      // The event as EventBridge delivers a PutEvents entry (Source, DetailType, Detail).
      const event = {
        version: '0',
        id: 'b1b9f9e5-0f7a-4c1e-8d6f-6e1e2f3a4b5c',
        'detail-type': target.EventBridgeParameters.DetailType,
        source: target.EventBridgeParameters.Source,
        account: '111111111111',
        time: '2026-12-07T06:15:00Z',
        region: 'eu-west-1',
        resources: [],
        detail,
      };
      const reached = rules
        .filter((r) => matchesRulePattern(r.EventPattern as RulePattern, event))
        .map((r) => r.Name);
      expect(reached, id).toEqual([detail.rule]);
    }
  });

  it('alarms after two schedule periods without a canary, missing data breaching, routed to the alarm topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.MetricName === 'CanaryArrived',
    );
    const topics = ofType('AWS::SNS::Topic').filter(
      ([, r]) => r.Properties.TopicName === `ops-${stageName}-alarms`,
    );
    expect(topics).toHaveLength(1);
    const topicId = topics[0]?.[0];
    const rates = ofType('AWS::Scheduler::Schedule')
      .filter(([, r]) => r.Properties.GroupName === `ops-${stageName}-canaries`)
      .map(([, r]) => r.Properties.ScheduleExpression);
    expect(new Set(rates)).toEqual(new Set(['rate(15 minutes)']));
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties, id).toMatchObject({
        Namespace: 'OpsAutomation',
        Statistic: 'Sum',
        Period: 900,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
    }
  });

  it("reads the metric exactly as Powertools emits it from the intake function's environment", () => {
    const intake = ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === `ops-${stageName}-intake`,
    );
    if (!intake) throw new Error(`no function ops-${stageName}-intake`);
    const env = (intake[1].Properties.Environment as { Variables: Record<string, string> }).Variables;
    const ruleName = `ops-${stageName}-console-sign-in`;
    emf.length = 0;
    const metrics = new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    });
    recordCanary({ rule: ruleName }, { metrics, logger: { debug: () => undefined } as never });
    const line = JSON.parse(emf[0] ?? '{}');
    const directive = line._aws.CloudWatchMetrics[0];
    const dimensions = Object.fromEntries((directive.Dimensions[0] as string[]).map((d) => [d, line[d]]));
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, r]) =>
      (r.Properties.Dimensions as { Name: string; Value: string }[] | undefined)?.some(
        (d) => d.Value === ruleName,
      ),
    );
    expect(alarm, ruleName).toBeDefined();
    const props = alarm?.[1].Properties ?? {};
    expect(props.Namespace).toBe(directive.Namespace);
    expect(props.MetricName).toBe(directive.Metrics[0].Name);
    const alarmDims = Object.fromEntries(
      (props.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
    );
    expect(alarmDims).toEqual(dimensions);
  });

  it('lets the canary role put only canaries, only on the default bus', () => {
    const policies = ofType('AWS::IAM::Policy').filter(([, r]) =>
      JSON.stringify(r.Properties.Roles).includes('CanariesSenderRole'),
    );
    const statements = policies.flatMap(
      ([, r]) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const put = statements.filter((s) => s.Action === 'events:PutEvents');
    expect(put).toHaveLength(1);
    expect(JSON.stringify(put[0]?.Resource)).toContain(':event-bus/default');
    expect(put[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'events:source': ['ops.canary'],
        'events:detail-type': ['Ops Rule Canary'],
      },
    });
  });
});
