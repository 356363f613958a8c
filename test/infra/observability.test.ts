import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthStage } from '../support/synth.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

type Statement = { Action: string | string[]; Resource: unknown };

/** Every statement of the IAM policies attached to one role (by its logical id). */
function statementsOf(resources: Resources, roleId: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`),
    )
    .flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
}

function ofType(resources: Resources, type: string): string[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

/** Logical ids of queues used as dead-letter queues anywhere in the template (or named as one). */
function deadLetterQueueIds(resources: Resources): string[] {
  const queues = ofType(resources, 'AWS::SQS::Queue');
  const referenced = new Set<string>();
  for (const r of Object.values(resources)) {
    const p = r.Properties ?? {};
    const dlqRefs = [
      (p.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn,
      (p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn,
      ...((p.Targets as { DeadLetterConfig?: { Arn?: unknown } }[] | undefined) ?? []).map(
        (t) => t.DeadLetterConfig?.Arn,
      ),
    ];
    for (const m of JSON.stringify(dlqRefs).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g))
      if (m[1]) referenced.add(m[1]);
  }
  return queues.filter((id) => referenced.has(id) || /dlq|deadletter/i.test(id));
}

function alarmsOn(resources: Resources, metricName: string, dimension: string): string[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === metricName)
    .map((r) => {
      const dims = (r.Properties?.Dimensions ?? []) as { Name: string; Value: unknown }[];
      const value = dims.find((d) => d.Name === dimension)?.Value;
      return JSON.stringify(value);
    });
}

describe('observability: alarms and Datadog monitors for everything the automation stack holds', () => {
  const dev = synthStage('dev');
  const resources = dev.automationTemplate.toJSON().Resources as Resources;

  it('alarms on messages in every dead-letter queue', () => {
    const dlqs = deadLetterQueueIds(resources);
    const watched = alarmsOn(resources, 'ApproximateNumberOfMessagesVisible', 'QueueName');
    expect(watched.sort()).toEqual(
      dlqs.map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] })).sort(),
    );
  });

  it('alarms on failed and on timed-out executions of every state machine', () => {
    const machines = ofType(resources, 'AWS::StepFunctions::StateMachine');
    const expected = machines.map((id) => JSON.stringify({ Ref: id })).sort();
    expect(alarmsOn(resources, 'ExecutionsFailed', 'StateMachineArn').sort()).toEqual(expected);
    expect(alarmsOn(resources, 'ExecutionsTimedOut', 'StateMachineArn').sort()).toEqual(expected);
  });

  it('alarms on errors and on throttles of every function, the report hook included', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    const expected = functions.map((id) => JSON.stringify({ Ref: id })).sort();
    expect(functions.some((id) => id.startsWith('HooksReport'))).toBe(true);
    expect(alarmsOn(resources, 'Errors', 'FunctionName').sort()).toEqual(expected);
    expect(alarmsOn(resources, 'Throttles', 'FunctionName').sort()).toEqual(expected);
  });

  it('counts guard-store errors from every function log and alarms on them', () => {
    const filters = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::MetricFilter');
    const guardFilters = filters.filter((f) => JSON.stringify(f.Properties).includes('GuardStoreErrors'));
    expect(guardFilters.length).toBeGreaterThanOrEqual(2);
    for (const f of guardFilters)
      expect(String(f.Properties?.FilterPattern)).toContain('guard-store-unavailable');
    dev.automationTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GuardStoreErrors',
      Namespace: 'OpsAutomation/dev',
      Threshold: 0,
    });
  });

  it('every alarm notifies one KMS-encrypted SNS topic', () => {
    const [topic] = ofType(resources, 'AWS::SNS::Topic');
    dev.automationTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.Properties?.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('defines a Datadog monitor for every dead-letter queue, state machine and function, and the guard store', () => {
    const monitors = Object.values(resources).filter((r) => r.Type === 'Datadog::Monitors::Monitor');
    const expected =
      deadLetterQueueIds(resources).length +
      ofType(resources, 'AWS::StepFunctions::StateMachine').length +
      ofType(resources, 'AWS::Lambda::Function').length +
      1;
    expect(monitors).toHaveLength(expected);
    const queries = monitors.map((m) => JSON.stringify(m.Properties?.Query));
    for (const id of ofType(resources, 'AWS::Lambda::Function')) {
      expect(
        queries.filter((q) => q.includes(`aws.lambda.errors`) && q.includes(`{"Ref":"${id}"}`)),
      ).toHaveLength(1);
    }
    for (const id of deadLetterQueueIds(resources)) {
      expect(
        queries.filter((q) => q.includes('aws.sqs.approximate_number_of_messages_visible') && q.includes(id)),
      ).toHaveLength(1);
    }
    for (const m of monitors) {
      expect(m.Properties).toMatchObject({
        Options: { Thresholds: { Critical: 0 } },
        Tags: expect.arrayContaining(['env:dev']),
      });
    }
  });

  it('keeps Datadog instrumentation off where the stage says so (dev)', () => {
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const f of functions) expect(JSON.stringify(f.Properties?.Layers ?? [])).not.toContain('Datadog');
  });
});

describe('observability: Datadog instrumentation where the stage asks for it (prod)', () => {
  const prod = synthStage('prod');
  const resources = prod.automationTemplate.toJSON().Resources as Resources;

  it('adds the Datadog Node layer and extension to our functions, with the site from config and the key from Secrets Manager', () => {
    prod.automationTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-prod-report',
      // Both layers, in either order (the library and the extension share no files).
      Layers: Match.arrayWith([Match.stringLikeRegexp('Datadog-Node22-x')]),
    });
    prod.automationTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-prod-report',
      Layers: Match.arrayWith([Match.stringLikeRegexp('Datadog-Extension-ARM')]),
      Environment: {
        Variables: Match.objectLike({
          DD_SITE: 'datadoghq.eu',
          DD_API_KEY_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
    const report = Object.values(resources).find((r) => r.Properties?.FunctionName === 'ops-prod-report');
    const env =
      (report?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {};
    expect(JSON.stringify(env.DD_API_KEY_SECRET_ARN)).toContain(':secret:ops/prod/datadog/api-key');
    expect(JSON.stringify(env)).not.toMatch(/"DD_API_KEY"/);
  });

  it('never lets state machine execution data (which carries Slack response URLs) reach the logs', () => {
    for (const id of ofType(resources, 'AWS::StepFunctions::StateMachine')) {
      const logging = resources[id]?.Properties?.LoggingConfiguration as
        | { IncludeExecutionData?: boolean }
        | undefined;
      expect(logging?.IncludeExecutionData).toBe(false);
    }
  });
});

describe('reporting: the audit store as deployed', () => {
  const dev = synthStage('dev');
  const t = dev.automationTemplate;

  it('the ledger bucket is Object-Locked with default retention, versioned, KMS-encrypted, TLS-only and access-logged', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'ops-dev-audit-ledger-111111111111-eu-west-1',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        // Dev: a short GOVERNANCE lock (test data); prod below: COMPLIANCE, 400 days.
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/ops-dev-audit-ledger/' }),
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: { Null: { 's3:if-none-match': 'true' } },
          }),
        ]),
      },
    });
  });

  it('prod locks every ledger entry in COMPLIANCE mode for 400 days', () => {
    synthStage('prod').automationTemplate.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'ops-prod-audit-ledger-333333333333-eu-west-1',
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
    });
  });

  it('the audit table has the by-resource and by-day indexes, KMS and point-in-time recovery', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ops-dev-audit',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'by-resource' }),
        Match.objectLike({ IndexName: 'by-day' }),
      ]),
    });
  });

  it('the report hook may append and read the audit, never update or delete it', () => {
    const resources = t.toJSON().Resources as Resources;
    const reportRole = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('HooksReportRole'),
    )?.[0];
    expect(reportRole).toBeDefined();
    const statements = statementsOf(resources, String(reportRole));
    // Only what touches the audit table or the ledger (the hook also ends runs in the guard table).
    const onAudit = statements.filter((st) =>
      /ReportingAuditTable|ReportingLedger/.test(JSON.stringify(st.Resource)),
    );
    const text = JSON.stringify(onAudit);
    expect(text).toContain('dynamodb:PutItem');
    expect(text).toContain('s3:PutObject');
    for (const forbidden of [
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      's3:DeleteObject',
      's3:PutObjectRetention',
      's3:BypassGovernanceRetention',
    ]) {
      expect(text).not.toContain(forbidden);
    }
  });

  it("the Slack alarm notifier is told its stage's bot-token secret, the one secret its role may read", () => {
    // prod is the stage whose alarms go to Slack (config/stages/prod.ts).
    const prod = synthStage('prod');
    expect(prod.stage.automation.alerting.slackChannel).toBeDefined();
    const resources = prod.automationTemplate.toJSON().Resources as Resources;
    const notifiers = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables
          ?.ALARM_SLACK_CHANNEL !== undefined,
    );
    expect(notifiers).toHaveLength(1);
    const [, fn] = notifiers[0] as [string, { Properties: Record<string, unknown> }];
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    // The expected name is the stage's configuration, read here, not the construct's output.
    const secret = prod.stage.automation.slack.botTokenSecretName;
    expect(env.SLACK_BOT_TOKEN_SECRET).toBe(secret);
    expect(env.ALARM_SLACK_CHANNEL).toBe(prod.stage.automation.alerting.slackChannel);
    expect(env.STAGE).toBe('prod');
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const reads = statementsOf(resources, role).filter((st) =>
      JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads).toHaveLength(1);
    expect(JSON.stringify(reads[0]?.Resource)).toContain(`:secret:${secret}-??????`);
  });
});
