import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_RULES } from '../../events/patterns.js';
import { runbookNames } from '../../runbooks/registry.js';
import { wildcardMutations } from '../support/iam.js';
import { type SynthesisedStage, synthStage } from '../support/synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('intake infra: dev stage', () => {
  let s: SynthesisedStage;
  let resources: Resources;
  beforeAll(() => {
    s = synthStage('dev');
    resources = s.automationTemplate.toJSON().Resources as Resources;
  });
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it('subscribes one rule per pattern in events/patterns.ts, with its state', () => {
    for (const spec of EVENT_RULES) {
      s.automationTemplate.hasResourceProperties('AWS::Events::Rule', {
        Name: `ops-dev-${spec.name}`,
        State: spec.state,
        // Its own pattern, or (on the default bus) its own pattern OR its canary, written here by hand.
        EventPattern:
          spec.eventBus === 'default'
            ? {
                $or: [
                  spec.pattern,
                  {
                    source: ['ops.canary'],
                    'detail-type': ['Ops Rule Canary'],
                    detail: { rule: [`ops-dev-${spec.name}`] },
                  },
                  // The console sign-in rule also lets the us-east-1 forwarding rule's canary through
                  // (dev's region is not us-east-1, so its sign-ins arrive forwarded).
                  ...(spec.name === 'console-sign-in'
                    ? [
                        {
                          source: ['ops.canary'],
                          'detail-type': ['Ops Rule Canary'],
                          detail: { rule: ['ops-dev-global-forward'] },
                        },
                      ]
                    : []),
                ],
              }
            : spec.pattern,
      });
    }
    const secretReads = ofType('AWS::Events::Rule').find(
      ([, r]) => r.Properties.Name === 'ops-dev-cloudtrail-secret-reads',
    );
    expect(secretReads?.[1].Properties.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    const datadog = ofType('AWS::Events::Rule').find(
      ([, r]) => r.Properties.Name === 'ops-dev-datadog-alerts',
    );
    expect(datadog?.[1].Properties.EventBusName).toBe('aws.partner/datadog.com/ops-automation');
  });

  it('gives every rule target a retry policy and the encrypted dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      String(r.Properties.Name).startsWith('ops-dev-'),
    );
    expect(rules.length).toBeGreaterThanOrEqual(EVENT_RULES.length);
    for (const [id, rule] of rules) {
      const targets = rule.Properties.Targets as Array<Record<string, unknown>>;
      expect(targets.length, id).toBeGreaterThan(0);
      for (const t of targets) {
        expect(t.RetryPolicy, id).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 });
        expect(t.DeadLetterConfig, id).toEqual({
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] },
        });
      }
    }
    s.automationTemplate.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'ops-dev-intake-dlq',
      KmsMasterKeyId: Match.anyValue(),
    });
    s.automationTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps guard state in a table with a customer key, point-in-time recovery and TTL', () => {
    s.automationTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ops-dev-intake-guards',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('deploys the kill switch and one pause flag per runbook, all off', () => {
    s.automationTemplate.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/ops/dev/kill-switch',
      Value: 'off',
    });
    for (const r of runbookNames()) {
      s.automationTemplate.hasResourceProperties('AWS::SSM::Parameter', {
        Name: `/ops/dev/paused/${r}`,
        Value: 'off',
      });
    }
  });

  it('configures the intake function: ARM64, the pinned Node 22, its env, async failures to the DLQ', () => {
    s.automationTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-intake',
      Architectures: ['arm64'],
      Runtime: 'nodejs22.x',
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          STAGE: 'dev',
          GUARD_TABLE_NAME: Match.anyValue(),
          STATE_MACHINES: Match.anyValue(),
        }),
      },
    });
    s.automationTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  it('serves Datadog webhooks from a function of their own: reserved concurrency 5, the only URL', () => {
    // Prepare
    const fns = ofType('AWS::Lambda::Function');
    const byName = (name: string) => fns.find(([, r]) => r.Properties.FunctionName === name);
    const webhook = byName('ops-dev-intake-webhook');
    const intake = byName('ops-dev-intake');

    // Assess: the webhook is throttled at 5 in flight; the EventBridge intake keeps the unreserved pool.
    expect(webhook?.[1].Properties.ReservedConcurrentExecutions).toBe(5);
    expect(intake?.[1].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(webhook?.[1].Properties.Environment).toEqual({
      Variables: expect.objectContaining({
        STAGE: 'dev',
        WEBHOOK_TOKEN_SECRET_NAME: 'ops/dev/datadog/webhook-token',
      }),
    });
    expect(intake?.[1].Properties.Environment).toEqual({
      Variables: expect.not.objectContaining({ WEBHOOK_TOKEN_SECRET_NAME: expect.anything() }),
    });
    // One Function URL, on the webhook function, authenticated by the function (shared-secret header).
    const urls = ofType('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    expect(urls[0]?.[1].Properties).toMatchObject({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [webhook?.[0], 'Arn'] },
    });
    // Where the Datadog wiring reads the URL from.
    const urlParameter = ofType('AWS::SSM::Parameter').find(
      ([, r]) => r.Properties.Name === '/ops/dev/datadog/webhook-url',
    );
    expect(urlParameter?.[1].Properties.Value).toEqual({ 'Fn::GetAtt': [urls[0]?.[0], 'FunctionUrl'] });
    // Datadog does not retry a throttled (429) webhook: a person must hear of throttling.
    const throttleAlarms = ofType('AWS::CloudWatch::Alarm').filter(
      ([, r]) =>
        r.Properties.MetricName === 'Throttles' &&
        JSON.stringify(r.Properties.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: webhook?.[0] } }]),
    );
    expect(throttleAlarms).toHaveLength(1);
    expect(throttleAlarms[0]?.[1].Properties.AlarmActions).toHaveLength(1);
  });

  it('lets only the webhook function read the webhook token', () => {
    const policies = ofType('AWS::IAM::Policy');
    const reads = (prefix: string) =>
      policies
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(
          ([, p]) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown }> }).Statement,
        )
        .filter((st) => JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue'))
        .map((st) => JSON.stringify(st));
    expect(reads('IntakeWebhookFunction').some((st) => st.includes('webhook-token'))).toBe(true);
    expect(reads('IntakeFunction').some((st) => st.includes('webhook-token'))).toBe(false);
  });

  it('grants the intake only what the guards and the start need', () => {
    const intakePolicies = ofType('AWS::IAM::Policy').filter(([id]) => id.startsWith('IntakeFunction'));
    const statements = intakePolicies.flatMap(
      ([, p]) =>
        (
          p.Properties.PolicyDocument as {
            Statement: Array<{ Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    );
    const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'ssm:GetParameter',
      ]),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    // StartExecution on each deployed state machine's ARN, and no other Step Functions action.
    // (@aws-cdk/aws-iam:minimizePolicies merges the per-machine grants into one statement.)
    const machines = Object.keys(s.automation.runbooks.stateMachines).length;
    expect([...new Set(actions.filter((a) => a.startsWith('states:')))]).toEqual(['states:StartExecution']);
    const started = statements
      .filter((x) => x.Action === 'states:StartExecution')
      .flatMap((x) => (Array.isArray(x.Resource) ? x.Resource : [x.Resource]));
    expect(started).toHaveLength(machines);
    for (const r of started) expect(r).toEqual({ Ref: expect.stringMatching(/StateMachine/) });
    const ssmStatement = statements.find((st) => st.Action === 'ssm:GetParameter');
    expect(ssmStatement?.Resource).toHaveLength(1 + runbookNames().length);
  });

  it("scopes every mutating action of the intake's own policies to named resources", () => {
    const own = (id: string) => id.startsWith('Intake') || id.startsWith('XRayWrite');
    expect(ofType('AWS::IAM::Policy').filter(([id]) => own(id)).length).toBeGreaterThan(0);
    expect(wildcardMutations(s.automationTemplate, { only: own })).toEqual([]);
  });

  it('has no IAM statement with * on a mutating action anywhere in the automation stack', () => {
    expect(wildcardMutations(s.automationTemplate, { typeOnlyArns: false })).toEqual([]);
  });
});

describe('intake infra: prod stage', () => {
  it('retains the guard table and its key, and subscribes the same rules', () => {
    const prod = synthStage('prod');
    const tables = prod.automationTemplate.findResources('AWS::DynamoDB::Table', {
      Properties: { TableName: 'ops-prod-intake-guards' },
    });
    expect(Object.values(tables).map((t) => t.DeletionPolicy)).toEqual(['Retain']);
    const keys = Object.entries(prod.automationTemplate.findResources('AWS::KMS::Key')).filter(([id]) =>
      id.startsWith('IntakeKey'),
    );
    expect(keys.map(([, k]) => k.DeletionPolicy)).toEqual(['Retain']);
    for (const spec of EVENT_RULES) {
      prod.automationTemplate.hasResourceProperties('AWS::Events::Rule', {
        Name: `ops-prod-${spec.name}`,
        State: spec.state,
      });
    }
  });
});
