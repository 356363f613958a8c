import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allStages } from '../../config/index.js';
import { runSweeps } from '../../functions/sweeps/core.js';
import { synthStage } from '../support/synth.js';

/**
 * Issue 14 "must show": the sweep construct in every stage, every check scheduled at its interval, its
 * alarms routed to the stage's alarm topic. Intervals are the README's table, written here by hand. The
 * "did not run" alarm is checked against the EMF that real Powertools prints from the function's own
 * environment, so the alarm reads the metric the function writes.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };

const EXPECTED_RATES: Record<string, string> = {
  trails: 'rate(15 minutes)',
  'flow-logs': 'rate(15 minutes)',
  secrets: 'rate(60 minutes)',
  sharing: 'rate(60 minutes)',
  volumes: 'rate(60 minutes)',
  dns: 'rate(60 minutes)',
};

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

describe.each(allStages().map((s) => s.name))('sweeps: %s', (stageName) => {
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const fn = () => {
    const found = ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === `ops-${stageName}-sweeps`,
    );
    if (!found) throw new Error(`no function ops-${stageName}-sweeps`);
    return found;
  };
  const topicId = () => {
    const topics = ofType('AWS::SNS::Topic').filter(
      ([, r]) => r.Properties.TopicName === `ops-${stageName}-alarms`,
    );
    expect(topics).toHaveLength(1);
    return topics[0]?.[0];
  };
  beforeAll(() => {
    resources = synthStage(stageName).automationTemplate.toJSON().Resources as Record<string, Resource>;
  });

  it('schedules every check at its interval, targeting the sweep function with that check', () => {
    const [fnId] = fn();
    const schedules = ofType('AWS::Scheduler::Schedule').filter(
      ([, r]) => r.Properties.GroupName === `ops-${stageName}-sweeps`,
    );
    const byCheck = Object.fromEntries(
      schedules.map(([, r]) => {
        const target = r.Properties.Target as { Arn: unknown; Input: string };
        expect(target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
        const input = JSON.parse(target.Input) as { checks: string[] };
        expect(input.checks).toHaveLength(1);
        return [input.checks[0], r.Properties.ScheduleExpression];
      }),
    );
    expect(byCheck).toEqual(EXPECTED_RATES);
  });

  it('alarms per check when no run completed for two intervals (missing data breaching), routed to the alarm topic', () => {
    const topic = topicId();
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.MetricName === 'SweepRan');
    const byCheck = Object.fromEntries(
      alarms.map(([id, a]) => {
        expect(a.Properties, id).toMatchObject({
          Namespace: 'OpsAutomation',
          Statistic: 'Sum',
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        });
        expect(a.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
        const dims = a.Properties.Dimensions as { Name: string; Value: string }[];
        return [dims.find((d) => d.Name === 'check')?.Value, a.Properties.Period];
      }),
    );
    expect(byCheck).toEqual({
      trails: 900,
      'flow-logs': 900,
      secrets: 3600,
      sharing: 3600,
      volumes: 3600,
      dns: 3600,
    });
  });

  it("the sweep function's Errors alarm is routed to the alarm topic", () => {
    const topic = topicId();
    const [fnId] = fn();
    const errors = ofType('AWS::CloudWatch::Alarm').filter(
      ([, r]) =>
        r.Properties.MetricName === 'Errors' &&
        JSON.stringify(r.Properties.Dimensions).includes(`"Ref":"${fnId}"`),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[1].Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it("reads SweepRan exactly as Powertools emits it from the sweep function's environment", async () => {
    const env = (fn()[1].Properties.Environment as { Variables: Record<string, string> }).Variables;
    emf.length = 0;
    const metrics = new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    });
    const logger = { info: () => undefined, error: () => undefined } as never;
    await runSweeps(['trails'], {
      checks: { trails: async () => [] },
      send: async () => undefined,
      logger,
      metrics,
      now: () => new Date(),
    });
    const line = emf.map((l) => JSON.parse(l)).find((l) => l.SweepRan !== undefined);
    const directive = line._aws.CloudWatchMetrics[0];
    const dimensions = Object.fromEntries((directive.Dimensions[0] as string[]).map((d) => [d, line[d]]));
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, r]) =>
      (r.Properties.Dimensions as { Name: string; Value: string }[] | undefined)?.some(
        (d) => d.Name === 'check' && d.Value === 'trails',
      ),
    );
    const props = alarm?.[1].Properties ?? {};
    expect(props.Namespace).toBe(directive.Namespace);
    const alarmDims = Object.fromEntries(
      (props.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
    );
    expect(alarmDims).toEqual(dimensions);
  });

  it('gives the sweep role reads only (plus invoking the intake), no wildcard on anything that writes', () => {
    const [fnId, f] = fn();
    const roleRef = JSON.stringify((f.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    expect(fnId).toBeTruthy();
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties.Roles).includes(roleRef))
      .flatMap(
        ([, r]) =>
          (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource?: unknown }[] })
            .Statement,
      );
    const stage = allStages().find((s) => s.name === stageName);
    // Datadog instrumentation (observability.ts) lets every function read the Datadog API key, that one secret.
    const datadogKey = (s: { Action: string | string[]; Resource?: unknown }) =>
      s.Action === 'secretsmanager:GetSecretValue' &&
      stage?.automation.datadog.instrument === true &&
      JSON.stringify(s.Resource).includes(`:secret:${stage.automation.datadog.apiKeySecretName}-`);
    const actions = statements
      .filter((s) => !datadogKey(s))
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const intakeOnly = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    // Hand-written: the reads the checks make, their logs, and the hand-off to the intake.
    expect(new Set(actions)).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'lambda:InvokeFunction',
        'cloudtrail:GetTrailStatus',
        'ec2:DescribeFlowLogs',
        'ec2:DescribeSnapshots',
        'ec2:DescribeVolumes',
        'ec2:DescribeSnapshotAttribute',
        'secretsmanager:ListSecrets',
        'rds:DescribeDBSnapshots',
        'rds:DescribeDBSnapshotAttributes',
        'route53:ListResourceRecordSets',
        'dynamodb:Query',
        'kms:Decrypt',
      ]),
    );
    expect(JSON.stringify(intakeOnly)).toContain('Intake');
    // The dns check: record sets of the platform's allow-listed zones, the audit's by-resource index, its key.
    const only = (action: string) => {
      const found = statements.filter((s) => [s.Action].flat().includes(action));
      expect(found, action).toHaveLength(1);
      expect([found[0]?.Action].flat(), action).toEqual([action]);
      return JSON.stringify(found[0]?.Resource);
    };
    const route53 = only('route53:ListResourceRecordSets');
    expect(route53).toContain(':route53:::hostedzone/');
    expect(route53).toMatch(/"Fn::ImportValue":"[a-z0-9-]+-platform:ExportsOutputRefDnsPublic/);
    expect(route53).not.toContain('*');
    expect(only('dynamodb:Query')).toMatch(
      /"ReportingAuditTable[0-9A-F]{8}","Arn"\]},"\/index\/by-resource"/,
    );
    expect(only('kms:Decrypt')).toMatch(/^{"Fn::GetAtt":\["ReportingKey[0-9A-F]{8}","Arn"\]}$/);
  });
});
