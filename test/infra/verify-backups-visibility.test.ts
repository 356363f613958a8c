import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emitCloudWatch } from '../../runbooks/verify-backups/last-verified.js';
import { buildReport } from '../../runbooks/verify-backups/report.js';
import { synthStage } from '../support/synth.js';

/**
 * What people see of backup verification (issue 15), as synthesised: the last-verified record's
 * table and its narrow grant, one age alarm per kind whose restore test the stage runs (bounds
 * written here by hand from the config defaults: 50 h, 8 days + 2 h, 50 h) reaching the alarm
 * topic, and the dashboard. The alarms' metric is compared with the EMF that real Powertools
 * prints in the publish function's own environment (from the template), not with our constants.
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

function resources(stage: string): [string, Resource][] {
  return Object.entries(synthStage(stage).automationTemplate.toJSON().Resources as Record<string, Resource>);
}
const ofType = (rs: [string, Resource][], type: string) => rs.filter(([, r]) => r.Type === type);

describe.each([
  // Hand-written: prod runs all three restore tests, dev only the EBS content check.
  ['prod', { ebs: 50, rds: 194, velero: 50 }],
  ['dev', { ebs: 50 }],
])('verify-backups visibility: %s', (stage, bounds) => {
  it('keeps the last-verified record in its own encrypted table, writable by the publish step only', () => {
    const rs = resources(stage);
    const tables = ofType(rs, 'AWS::DynamoDB::Table').filter(
      ([, r]) => r.Properties.TableName === `ops-${stage}-verify-backups-last-verified`,
    );
    expect(tables).toHaveLength(1);
    const [tableId, table] = tables[0] as [string, Resource];
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const grants = ofType(rs, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement ??
        []
      )
        .filter((s) => JSON.stringify(s.Resource).includes(tableId))
        .map((s) => ({ roles: p.Properties.Roles, action: s.Action })),
    );
    expect(grants).toHaveLength(1);
    expect([...((grants[0]?.action as string[] | undefined) ?? [])].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(JSON.stringify(grants[0]?.roles)).toMatch(/VerifyBackupsPublishRole/);
  });

  it('alarms per restore-tested kind on the metric the publish step emits, to the alarm topic', () => {
    const rs = resources(stage);
    const publishFn = ofType(rs, 'AWS::Lambda::Function').find(([, r]) =>
      String(r.Properties.FunctionName).endsWith('verify-backups-publish'),
    )?.[1];
    expect(publishFn).toBeDefined();
    const env =
      (publishFn?.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables ??
      {};
    expect(env.LAST_VERIFIED_TABLE).toBeDefined();
    // What Powertools prints in that environment for one resource of each kind.
    emf.length = 0;
    const metrics = new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    });
    const rows = (['ebs', 'rds', 'velero'] as const).map((k) => ({
      class: k,
      resource: `${k}-1`,
      verdict: 'pass' as const,
      rpoHours: 26,
      reason: 'ok',
      checks: [],
    }));
    emitCloudWatch(
      buildReport(rows, { stage, executionName: 'x', now: 0 }),
      rows.map((r) => ({ kind: r.class, resource: r.resource, ageHours: 1, everVerified: true })),
      metrics,
    );
    const maxBlobs = emf
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((b) => 'LastVerifiedRestoreMaxAgeHours' in b);
    const alarms = ofType(rs, 'AWS::CloudWatch::Alarm').filter(([, r]) =>
      String(r.Properties.AlarmName).startsWith(`ops-${stage}-verify-backups-last-verified-`),
    );
    const byKind: Record<string, Record<string, unknown>> = Object.fromEntries(
      alarms.map(([, r]) => [
        (r.Properties.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'kind')?.Value,
        r.Properties,
      ]),
    );
    expect(Object.fromEntries(Object.entries(byKind).map(([k, p]) => [k, p.Threshold]))).toEqual(bounds);
    for (const [kind, p] of Object.entries(byKind)) {
      const blob = maxBlobs.find((b) => b.kind === kind) as Record<string, unknown>;
      const meta = (blob._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
        .CloudWatchMetrics[0];
      expect(p.Namespace).toBe(meta?.Namespace);
      expect(p.MetricName).toBe('LastVerifiedRestoreMaxAgeHours');
      const dims = Object.fromEntries(
        (p.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
      );
      expect(dims).toEqual(Object.fromEntries((meta?.Dimensions[0] ?? []).map((d) => [d, blob[d]])));
      expect(p).toMatchObject({
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
      });
      // Period × evaluation periods: one day, so a daily run's point is always inside.
      expect((p.Period as number) * (p.EvaluationPeriods as number)).toBe(86_400);
      const topic = ofType(rs, 'AWS::SNS::Topic').find(
        ([, t]) => t.Properties.TopicName === `ops-${stage}-alarms`,
      );
      expect(p.AlarmActions).toEqual([{ Ref: topic?.[0] }]);
    }
  });

  it('has a dashboard of ages per kind and resource, outcomes per kind, and runs', () => {
    const rs = resources(stage);
    const dashboards = ofType(rs, 'AWS::CloudWatch::Dashboard').filter(
      ([, r]) => r.Properties.DashboardName === `ops-${stage}-verify-backups`,
    );
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.[1].Properties.DashboardBody);
    for (const kind of ['ebs', 'rds', 'velero']) {
      expect(body).toContain(
        `[\\"OpsAutomation\\",\\"LastVerifiedRestoreMaxAgeHours\\",\\"kind\\",\\"${kind}\\",\\"service\\",\\"verify-backups\\",\\"stage\\",\\"${stage}\\"`,
      );
      expect(body).toContain(`\\"BackupsFailed\\",\\"kind\\",\\"${kind}\\"`);
    }
    expect(body).toContain(
      `SEARCH('{OpsAutomation,service,stage,kind,resource} MetricName=\\\\\\"LastVerifiedRestoreAgeHours\\\\\\"`,
    );
    expect(body).toContain('\\"AWS/States\\",\\"ExecutionsFailed\\"');
  });
});

describe('verify-backups DR copies: the Velero replica is looked up where the platform replicates it', () => {
  it('prod: the collect step may HeadObject (GetObject) and list under backups/ of the DR vault bucket only', () => {
    const { automationTemplate, stage } = synthStage('prod');
    // Hand-written: the DR vault's bucket name (<stage>-velero-dr-<account>-<drRegion>).
    const drBucket = `prod-velero-dr-${stage.account}-eu-central-1`;
    const statements = Object.values(automationTemplate.toJSON().Resources as Record<string, Resource>)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => JSON.stringify(st.Resource).includes(drBucket));
    // CDK merges each with the home Velero bucket's statement of the same action and condition.
    const join = (tail: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${tail}`]],
    });
    expect(statements.map((st) => [st.Action, st.Resource, st.Condition ?? null])).toEqual([
      [
        's3:ListBucket',
        [{ 'Fn::ImportValue': 'ops-prod-vb-velero-bucket-arn' }, join(drBucket)],
        { StringLike: { 's3:prefix': ['backups/*'] } },
      ],
      [
        's3:GetObject',
        [
          join(`${drBucket}/backups/*`),
          { 'Fn::Join': ['', [{ 'Fn::ImportValue': 'ops-prod-vb-velero-bucket-arn' }, '/backups/*']] },
        ],
        null,
      ],
    ]);
    const machine = Object.values(automationTemplate.toJSON().Resources as Record<string, Resource>).find(
      (r) =>
        r.Type === 'AWS::StepFunctions::StateMachine' &&
        JSON.stringify(r.Properties).includes('verify-backups'),
    );
    expect(JSON.stringify(machine?.Properties.DefinitionString)).toContain(
      `\\"drBucket\\":\\"${drBucket}\\"`,
    );
  });
});
