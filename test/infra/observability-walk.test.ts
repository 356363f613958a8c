import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { parseStage, STAGE_INPUTS } from '../../config/index.js';
import { deadLetterQueues, Observability } from '../../infra/constructs/automation/observability.js';

/**
 * The walker on a small stack of known shape, so each rule is checked on its own: which queues
 * are dead-letter queues (by reference, not by name), that everything present is watched, and
 * that the alerting settings reach the topic and the monitors.
 */
function smallStack() {
  const input = structuredClone(STAGE_INPUTS.dev) as Record<string, unknown> & {
    automation: Record<string, unknown>;
  };
  input.automation.alerting = { emails: ['oncall@example.com'], datadogHandles: ['@slack-ops-alerts'] };
  const stage = parseStage(input, 'dev');
  const stack = new Stack(new App(), 'Walk', { env: { account: '111111111111', region: 'eu-west-1' } });
  const ruleDlq = new sqs.Queue(stack, 'RuleFailures', { enforceSSL: true });
  const redriveDlq = new sqs.Queue(stack, 'WorkFailures', { enforceSSL: true });
  new sqs.Queue(stack, 'Work', {
    enforceSSL: true,
    deadLetterQueue: { queue: redriveDlq, maxReceiveCount: 3 },
  });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
  });
  new events.Rule(stack, 'Rule', {
    eventPattern: { source: ['aws.ec2'] },
    targets: [new targets.LambdaFunction(fn, { deadLetterQueue: ruleDlq })],
  });
  new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    timeout: Duration.minutes(5),
  });
  const observability = new Observability(stack, 'Observability', {
    stage,
    namePrefix: 'ops-dev',
    target: stack,
  });
  return { stack, observability, ruleDlq, redriveDlq };
}

describe('observability walker: finds what is there and watches all of it', () => {
  const { stack, observability, ruleDlq, redriveDlq } = smallStack();
  const template = Template.fromStack(stack);

  it('recognises dead-letter queues by how they are used, not only by name', () => {
    const found = deadLetterQueues(stack).map((q) => q.node.path);
    expect(found.sort()).toEqual(
      [`${ruleDlq.node.path}/Resource`, `${redriveDlq.node.path}/Resource`].sort(),
    );
  });

  it('creates one alarm per DLQ, two per state machine, two per function and one for the guard store', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).length;
    expect(observability.alarms).toHaveLength(2 + 2 * 1 + 2 * functions + 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', observability.alarms.length);
    template.resourceCountIs('Datadog::Monitors::Monitor', 2 + 1 + functions + 1);
  });

  it('subscribes the configured on-call address and adds the Datadog handles to every monitor', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    const monitors = Object.values(template.findResources('Datadog::Monitors::Monitor'));
    expect(monitors.length).toBeGreaterThan(0);
    for (const m of monitors) expect(m.Properties.Message).toMatch(/ @slack-ops-alerts$/);
    const sqsMonitors = monitors.filter((m) =>
      JSON.stringify(m.Properties.Query).includes('aws.sqs.approximate_number_of_messages_visible'),
    );
    expect(sqsMonitors).toHaveLength(2);
    for (const m of sqsMonitors) expect(m.Properties.Type).toBe('query alert');
  });
});
