import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { SlackEndpoint } from '../../infra/constructs/automation/slack.js';
import { OpsFunction } from '../../infra/constructs/ops-function.js';

/** The Slack construct on its own stack, cdk-nag on: the approval hook, two runbooks and a guard table. */
function build(): { template: Template; stack: Stack } {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    outdir: `/tmp/slack-infra-${process.pid}-${Math.random().toString(36).slice(2)}`,
  });
  const stack = new Stack(app, 'SlackTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  const stage = loadStage('dev');
  const machine = (name: string) =>
    new sfn.StateMachine(stack, name, {
      stateMachineName: `ops-dev-${name}`,
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${name} step`)),
    });
  const approvalHook = new OpsFunction(stack, 'Approval', {
    entry: 'functions/approval/handler.ts',
    service: 'approval',
    functionName: 'ops-dev-approval',
    stage,
  });
  const guardTable = new dynamodb.Table(stack, 'Guards', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  new SlackEndpoint(stack, 'Slack', {
    stage,
    namePrefix: 'ops-dev',
    approvalHook,
    stateMachines: { 'update-dns': machine('update-dns'), 'snapshot-volume': machine('snapshot-volume') },
    // The intake's guard store, as its construct exposes it (table + the grant it defines for guard users).
    guards: {
      table: guardTable,
      grantGuards: (grantee) => {
        guardTable.grant(
          grantee,
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        );
      },
    },
  });
  // The test's own stand-in state machines are not under review here.
  for (const id of ['AwsSolutions-SF1', 'AwsSolutions-SF2'])
    Validations.of(stack).acknowledge({ id, reason: 'test fixture' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return { template: Template.fromStack(stack), stack };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function statementsOf(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([, p]) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(roleLogicalIdPrefix)),
    )
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe('Slack infra: endpoint, worker, approvals table', () => {
  const { template } = build();

  it('passes cdk-nag AwsSolutions (synth would throw on a finding)', () => {
    expect(template.findResources('AWS::ApiGatewayV2::Api')).not.toEqual({});
  });

  it('exposes POST /slack/events on an HTTP API with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /slack/events' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
    });
  });

  it('keeps approvals and replay claims in a KMS-encrypted table with PITR and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ops-dev-slack',
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('gives the endpoint only the two Slack secrets, replay claims and invoking the worker', () => {
    const actions = actionsOf(statementsOf(template, 'SlackEndpointRole'));
    expect(new Set(actions)).toEqual(
      new Set([
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'dynamodb:PutItem',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'lambda:InvokeFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]),
    );
    const secretResources = statementsOf(template, 'SlackEndpointRole')
      .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
      .flatMap((s) => [s.Resource].flat());
    expect(JSON.stringify(secretResources)).toContain('secret:ops/dev/slack/signing-secret-??????');
    expect(JSON.stringify(secretResources)).toContain('secret:ops/dev/slack/bot-token-??????');
    expect(secretResources).toHaveLength(2);
  });

  it('lets the worker answer task tokens and start executions of the stage state machines only', () => {
    const statements = statementsOf(template, 'SlackWorkerRole');
    const sendTask = statements.filter((s) => [s.Action].flat().includes('states:SendTaskSuccess'));
    expect(sendTask.length).toBeGreaterThan(0);
    for (const s of sendTask) {
      expect([s.Action].flat()).toEqual(
        expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']),
      );
      expect(JSON.stringify(s.Resource)).toMatch(/updatedns|snapshotvolume/i);
      expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    }
    for (const s of statements) expect(s.Resource).not.toBe('*');
  });

  it('wires the approval hook to the table and the bot token', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-approval',
      Environment: { Variables: Match.objectLike({ STAGE: 'dev', SLACK_TABLE_NAME: Match.anyValue() }) },
    });
    const actions = actionsOf(statementsOf(template, 'ApprovalRole'));
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue']),
    );
    expect(actions).not.toContain('states:SendTaskSuccess');
  });

  it('closes undecided approvals when a runbook execution ends (rule → its own function, not the worker)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [
            { Ref: Match.stringLikeRegexp('updatedns') },
            { Ref: Match.stringLikeRegexp('snapshotvolume') },
          ],
        },
      }),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SlackRunEndedFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    // What it fails on after its retries is kept.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-slack-run-ended',
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SlackRunEndedDeadLetters'), 'Arn'] },
      },
    });
  });
});
