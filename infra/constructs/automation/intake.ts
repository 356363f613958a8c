import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { datadogWiring } from '../../../config/datadog-wiring.js';
import type { StageConfig } from '../../../config/index.js';
import {
  EVENT_RULES,
  type EventPattern,
  type EventRuleSpec,
  subscribedPattern,
} from '../../../events/patterns.js';
import { DATADOG_CLIENT_MODULES } from '../../../functions/shared/datadog-modules.js';
import { runbookNames } from '../../../runbooks/registry.js';
import { OpsFunction } from '../ops-function.js';

/** The intake function's Powertools service name: also the `service` dimension of its metrics. */
export const INTAKE_SERVICE = 'intake';

export interface IntakeProps {
  readonly stage: StageConfig;
  /** `ops-<stage>`. */
  readonly namePrefix: string;
  /** Runbook name → state machine. May be partial (or empty) while runbooks are being built. */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;
  /** The event rules to subscribe with; every rule in `events/patterns.ts` by default. */
  readonly rules?: readonly EventRuleSpec[];
  /**
   * Spec name → canaries of rules elsewhere that this rule also takes (the us-east-1 forwarding rule's
   * canary arrives through the console sign-in rule, the way forwarded global events do).
   */
  readonly forwardedCanaries?: Readonly<Record<string, readonly string[]>>;
}

/** `events/patterns.ts` writes EventBridge's JSON keys; CDK's EventPattern camel-cases `detail-type`. */
function toCdkPattern(pattern: EventPattern): events.EventPattern {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) out[key === 'detail-type' ? 'detailType' : key] = value;
  // The values are EventBridge matchers (prefix / anything-but / …); CDK renders them verbatim.
  return out as events.EventPattern;
}

/**
 * The intake (issue 2): every event rule → the intake function → guards → StartExecution.
 *
 * - guard table (DynamoDB, customer-managed KMS key, point-in-time recovery, TTL on `expiresAt`)
 * - kill switch `/ops/<stage>/kill-switch` and one pause flag `/ops/<stage>/paused/<runbook>` per runbook
 *   (SSM String parameters, "off" when deployed; operators flip them with `aws ssm put-parameter --overwrite`)
 * - the intake function (EventBridge rules, schedules, sweeps), and beside it the webhook function: the
 *   Function URL Datadog posts to (authenticated by the shared-secret header), with its own reserved
 *   concurrency (`automation.datadog.webhookConcurrency`), so a webhook flood is throttled at the URL
 *   (HTTP 429; Datadog does not retry it, the function's Throttles alarm tells people) and cannot take
 *   the capacity EventBridge delivery needs
 * - one EventBridge rule per pattern in `events/patterns.ts`, each target with retries and the dead-letter
 *   queue (SQS, KMS, TLS only); the function's own asynchronous failures land in the same queue
 * - least privilege: StartExecution only on the runbooks' state machines; item reads and writes only on the
 *   guard table; GetParameter only on the flag parameters; GetSecretValue on the webhook secret only for
 *   the webhook function
 */
/**
 * How every EventBridge rule of the stage delivers to its function: retried for six hours, then kept
 * in the dead-letter queue (the intake's; test/infra/intake.test.ts holds every named rule to it).
 */
export function ruleTarget(fn: lambda.IFunction, deadLetterQueue?: sqs.IQueue): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, {
    retryAttempts: 8,
    maxEventAge: Duration.hours(6),
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
  });
}

export class Intake extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly deadLetterQueue: sqs.Queue;
  readonly function: OpsFunction;
  /** The Datadog webhook's function: same core and guards as `function`, its own reserved concurrency. */
  readonly webhookFunction: OpsFunction;
  readonly functionUrl: lambda.FunctionUrl;
  readonly killSwitch: ssm.StringParameter;
  readonly pauseFlags: Readonly<Record<string, ssm.StringParameter>>;
  readonly rules: Readonly<Record<string, events.Rule>>;
  /** The spec each rule was made from, by the same key as `rules`. */
  readonly ruleSpecs: Readonly<Record<string, EventRuleSpec>>;
  /** Names of the kill switch and every pause flag. */
  readonly flagNames: readonly string[];

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    const { stage, namePrefix } = props;
    const prod = stage.tier === 'prod';
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: `${namePrefix} intake: guard table and dead-letter queue`,
      enableKeyRotation: true,
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.table = new dynamodb.Table(this, 'GuardTable', {
      tableName: `${namePrefix}-intake-guards`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${namePrefix}-intake-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the intake rules and function; a DLQ of a DLQ would only move the same messages.',
    });
    // EventBridge must encrypt with the key to put undeliverable events into the queue.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.killSwitch = new ssm.StringParameter(this, 'KillSwitch', {
      parameterName: `/ops/${stage.name}/kill-switch`,
      stringValue: 'off',
      description: 'on = no automation run starts in this stage (notifications still go out)',
    });
    const pauseFlags: Record<string, ssm.StringParameter> = {};
    for (const runbook of runbookNames()) {
      pauseFlags[runbook] = new ssm.StringParameter(this, `Paused-${runbook}`, {
        parameterName: `/ops/${stage.name}/paused/${runbook}`,
        stringValue: 'off',
        description: `on = ${runbook} does not start in this stage`,
      });
    }
    this.pauseFlags = pauseFlags;
    this.flagNames = [
      `/ops/${stage.name}/kill-switch`,
      ...runbookNames().map((r) => `/ops/${stage.name}/paused/${r}`),
    ];

    const webhookSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'WebhookToken',
      stage.automation.datadog.webhookTokenSecretName,
    );

    const stateMachineArns = Object.fromEntries(
      Object.entries(props.stateMachines).map(([name, sm]) => [name, sm.stateMachineArn]),
    );
    const environment = {
      GUARD_TABLE_NAME: this.table.tableName,
      STATE_MACHINES: stack.toJsonString(stateMachineArns),
    };
    this.function = new OpsFunction(this, 'Function', {
      entry: 'functions/intake/handler.ts',
      service: INTAKE_SERVICE,
      loadOnFirstUse: DATADOG_CLIENT_MODULES,
      functionName: `${namePrefix}-intake`,
      description: 'Event intake: normalise, decide, guard, start the runbook',
      timeout: Duration.seconds(30),
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      stage,
      environment,
    });

    // Datadog webhooks: no IAM signing is possible from Datadog, so the URL is public and every request
    // must carry the shared secret (X-Ops-Webhook-Token), compared in constant time by the function.
    // A function of its own: its reserved concurrency caps a flood of webhooks (excess requests get
    // 429, not retried by Datadog; the Throttles alarm of Observability says so) while the EventBridge
    // intake keeps its capacity.
    this.webhookFunction = new OpsFunction(this, 'WebhookFunction', {
      entry: 'functions/intake/webhook-handler.ts',
      service: 'intake-webhook',
      loadOnFirstUse: DATADOG_CLIENT_MODULES,
      functionName: `${namePrefix}-intake-webhook`,
      description: 'Datadog webhook: authenticate, then the same intake core (throttled)',
      // Datadog gives a webhook 15 s; answer (or fail) before it gives up.
      timeout: Duration.seconds(12),
      reservedConcurrentExecutions: stage.automation.datadog.webhookConcurrency,
      stage,
      environment: {
        ...environment,
        WEBHOOK_TOKEN_SECRET_NAME: stage.automation.datadog.webhookTokenSecretName,
      },
    });
    for (const fn of [this.function, this.webhookFunction]) {
      this.grantGuards(fn);
      for (const sm of Object.values(props.stateMachines)) sm.grantStartExecution(fn);
    }
    webhookSecret.grantRead(this.webhookFunction);
    this.functionUrl = this.webhookFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    // Where the Datadog wiring (`npm run datadog:wire`, `ops doctor`) reads the URL from.
    new ssm.StringParameter(this, 'WebhookUrl', {
      parameterName: datadogWiring(stage).webhookUrlParameter,
      stringValue: this.functionUrl.url,
      description: 'The Function URL the Datadog webhook posts to (authenticated by X-Ops-Webhook-Token)',
    });
    new CfnOutput(this, 'WebhookUrlOutput', { value: this.functionUrl.url });

    const partnerBus = events.EventBus.fromEventBusName(
      this,
      'DatadogPartnerBus',
      stage.automation.datadog.partnerEventBusName,
    );
    const rules: Record<string, events.Rule> = {};
    const ruleSpecs: Record<string, EventRuleSpec> = {};
    for (const spec of props.rules ?? EVENT_RULES) {
      const ruleName = `${namePrefix}-${spec.name}`;
      const rule = new events.Rule(this, `Rule-${spec.name}`, {
        ruleName,
        description: spec.description.slice(0, 512),
        eventPattern: toCdkPattern(spec.pattern),
        ...(spec.eventBus === 'datadog-partner' ? { eventBus: partnerBus } : {}),
      });
      const cfnRule = rule.node.defaultChild as events.CfnRule;
      cfnRule.state = spec.state;
      // The rule's own pattern OR its canary (a top-level `$or`, which CDK's typed EventPattern cannot
      // say): written in EventBridge's own JSON, so the rule proves itself alive (Canaries construct).
      cfnRule.eventPattern = subscribedPattern(spec, ruleName, props.forwardedCanaries?.[spec.name]);
      rule.addTarget(ruleTarget(this.function, this.deadLetterQueue));
      rules[spec.name] = rule;
      ruleSpecs[spec.name] = spec;
    }
    this.rules = rules;
    this.ruleSpecs = ruleSpecs;
  }

  /** ARN of an SSM parameter by its name (the name starts with `/`). */
  private parameterArn(name: string): string {
    return Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: name.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * What evaluating the guards needs, and nothing more: item reads and writes on the guard table
   * (no scans, no table management), the key for them, and reading the kill switch and pause flags.
   * For anything that starts runs through the same guards (the Slack worker).
   */
  grantGuards(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resourceArns: [this.key.keyArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParameter'],
      resourceArns: this.flagNames.map((name) => this.parameterArn(name)),
    });
  }
}
