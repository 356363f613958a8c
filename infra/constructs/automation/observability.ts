import { CfnResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { DatadogDefaultLayerVersions, DatadogLambda, DatadogStepFunctions } from 'datadog-cdk-constructs-v2';
import type { StageConfig } from '../../../config/index.js';
import { OpsFunction } from '../ops-function.js';
import { secretArnPattern } from './reporting.js';

/**
 * Failures of the automation itself, made visible. Attached AFTER everything else in the
 * automation stack: it walks the stack and, for what it finds,
 *
 * - every SQS dead-letter queue → a CloudWatch alarm on ApproximateNumberOfMessagesVisible > 0;
 * - every state machine → alarms on ExecutionsFailed > 0 and ExecutionsTimedOut > 0;
 * - every Lambda function (ours and CDK's own helpers) → alarms on Errors > 0 and Throttles > 0;
 * - guard-store errors → a metric filter on every function log group (the intake and the Slack
 *   endpoint log `guard-store-unavailable` / `GuardStoreUnavailableError`) and one alarm;
 *
 * all to one KMS-encrypted SNS topic, and the same set as Datadog monitors defined as code.
 *
 * Monitors as code: `Datadog::Monitors::Monitor`, Datadog's public CloudFormation registry type,
 * as a `CfnResource`. Chosen over a custom resource calling the Datadog API because
 * CloudFormation then owns the monitor's whole life (create, update, delete with the stack,
 * drift detection) with no Lambda of ours to write, secure and keep patched, and the Datadog
 * keys live in the type's configuration (set once per account and region), never in a template
 * or a function. It synthesises offline like any resource. Prerequisite (README): activate the
 * type in the account/region and set its `DatadogCredentials` configuration.
 *
 * Datadog instrumentation (`automation.datadog.instrument`, on in prod) uses
 * `datadog-cdk-constructs-v2`: the Node layer and the extension on every function, API key
 * read from Secrets Manager; state machines get Datadog's tags and logging set-up, but keep
 * `includeExecutionData: false`, since execution data carries the run's trigger (a Slack
 * response_url) and must not reach logs.
 */
export interface ObservabilityProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  /** The scope to walk: normally the automation stack. */
  readonly target: IConstruct;
}

/** What counts as a dead-letter queue: referenced as one, or named as one. */
export function deadLetterQueues(root: IConstruct): sqs.CfnQueue[] {
  const stack = Stack.of(root);
  const queues = root.node.findAll().filter((c): c is sqs.CfnQueue => c instanceof sqs.CfnQueue);
  const referenced = new Set<string>();
  const collect = (value: unknown): void => {
    const text = JSON.stringify(stack.resolve(value) ?? null);
    for (const m of text.matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)) if (m[1]) referenced.add(m[1]);
  };
  for (const c of root.node.findAll()) {
    if (c instanceof sqs.CfnQueue) collect(c.redrivePolicy);
    if (c instanceof events.CfnRule) {
      const targets = stack.resolve(c.targets) as
        | { deadLetterConfig?: unknown; DeadLetterConfig?: unknown }[]
        | undefined;
      for (const t of targets ?? []) collect(t.deadLetterConfig ?? t.DeadLetterConfig);
    }
    if (c instanceof lambda.CfnFunction) collect(c.deadLetterConfig);
    if (c instanceof lambda.CfnEventSourceMapping) collect(c.destinationConfig);
    if (c instanceof lambda.CfnEventInvokeConfig) collect(c.destinationConfig);
  }
  return queues.filter((q) => referenced.has(stack.getLogicalId(q)) || /dlq|dead-?letter/i.test(q.node.path));
}

interface Watched {
  readonly id: string;
  readonly label: string;
  readonly alarms: {
    readonly name: string;
    readonly metric: cloudwatch.IMetric;
    readonly description: string;
  }[];
  readonly monitor: { readonly name: string; readonly query: string; readonly message: string };
}

/**
 * What every Datadog monitor's message ends with: the stage's `automation.alerting.datadogHandles`
 * (`@pagerduty-ops`, `@slack-ops-alerts`, `@oncall@example.com`). A monitor defined elsewhere uses
 * this too, so that it also reaches a person (test/infra/stage-audit.test.ts walks them all).
 */
export function monitorMentions(stage: StageConfig): string {
  return stage.automation.alerting.datadogHandles.join(' ');
}

export class Observability extends Construct {
  readonly topic: sns.Topic;
  /** The Slack notifier subscribed to the topic, when `automation.alerting.slackChannel` is set. */
  readonly slackNotifier?: OpsFunction;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly monitors: CfnResource[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { stage, namePrefix, target } = props;
    const stack = Stack.of(this);

    const key = new kms.Key(this, 'TopicKey', {
      alias: `alias/${namePrefix}-alarms`,
      description: `Encrypts the ${namePrefix} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${namePrefix}-alarms`,
      displayName: `Ops automation alarms (${stage.name})`,
      masterKey: key,
      enforceSSL: true,
    });
    // Where alarms go (config `automation.alerting`; prod refuses to synthesise without them):
    // e-mail subscriptions, and our Slack notifier subscribed to the topic. Created before the
    // walk below, so the notifier's own errors alarm too (and reach the e-mail addresses).
    const alerting = stage.automation.alerting;
    for (const email of alerting.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    if (alerting.slackChannel) {
      // A notification Slack kept refusing (after Lambda's two retries) is kept here, and its
      // messages-visible alarm (the walk below finds this queue) reaches the e-mail addresses.
      const notifierDlq = new sqs.Queue(this, 'SlackNotifierDlq', {
        queueName: `${namePrefix}-alarm-notifier-dlq`,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(notifierDlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of the Slack alarm notifier; a DLQ of a DLQ would only move the same messages.',
      });
      this.slackNotifier = new OpsFunction(this, 'SlackNotifier', {
        deadLetterQueue: notifierDlq,
        entry: 'functions/notify/alarm-handler.ts',
        service: 'alarm-notifier',
        functionName: `${namePrefix}-alarm-notifier`,
        description: `Posts ${namePrefix}-alarms notifications to Slack ${alerting.slackChannel}`,
        timeout: Duration.seconds(30),
        environment: {
          STAGE: stage.name,
          ALARM_SLACK_CHANNEL: alerting.slackChannel,
          // The secret the statement below lets it read (the handler loads no stage configuration).
          SLACK_BOT_TOKEN_SECRET: stage.automation.slack.botTokenSecretName,
        },
      });
      this.slackNotifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArnPattern(this, stage.automation.slack.botTokenSecretName)],
        }),
      );
      this.topic.addSubscription(new subscriptions.LambdaSubscription(this.slackNotifier));
    }
    const handles = monitorMentions(stage);

    // Collect first, then create: what this construct adds must not be watched by itself.
    const watched: Watched[] = [];
    const period = Duration.minutes(1);

    for (const q of deadLetterQueues(target)) {
      const name = q.attrQueueName;
      const label = q.node.path;
      watched.push({
        id: `Dlq${stack.getLogicalId(q)}`,
        label,
        alarms: [
          {
            name: 'Messages',
            description: `Dead letters waiting in ${label}: events the automation could not process.`,
            metric: new cloudwatch.Metric({
              namespace: 'AWS/SQS',
              metricName: 'ApproximateNumberOfMessagesVisible',
              dimensionsMap: { QueueName: name },
              statistic: 'Maximum',
              period,
            }),
          },
        ],
        monitor: {
          name: `[ops-${stage.name}] dead letters in ${label}`,
          query: `max(last_5m):max:aws.sqs.approximate_number_of_messages_visible{queuename:${name}} > 0`,
          message: `Events the ops automation could not process are waiting in a dead-letter queue (${label}). Inspect and redrive.`,
        },
      });
    }

    for (const sm of target.node
      .findAll()
      .filter((c): c is sfn.CfnStateMachine => c instanceof sfn.CfnStateMachine)) {
      const arn = sm.ref;
      const label = sm.node.path;
      const metric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/States',
          metricName,
          dimensionsMap: { StateMachineArn: arn },
          statistic: 'Sum',
          period,
        });
      watched.push({
        id: `Sm${stack.getLogicalId(sm)}`,
        label,
        alarms: [
          { name: 'Failed', metric: metric('ExecutionsFailed'), description: `A run of ${label} failed.` },
          {
            name: 'TimedOut',
            metric: metric('ExecutionsTimedOut'),
            description: `A run of ${label} timed out.`,
          },
        ],
        monitor: {
          name: `[ops-${stage.name}] runbook failures in ${label}`,
          query: `sum(last_5m):sum:aws.states.executions_failed{statemachinearn:${arn}}.as_count() + sum:aws.states.executions_timed_out{statemachinearn:${arn}}.as_count() > 0`,
          message: `A runbook execution failed or timed out (${label}). The run's Slack message and audit record say which step and why.`,
        },
      });
    }

    for (const fn of target.node
      .findAll()
      .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)) {
      const name = fn.ref;
      const label = fn.node.path;
      const metric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { FunctionName: name },
          statistic: 'Sum',
          period,
        });
      watched.push({
        id: `Fn${stack.getLogicalId(fn)}`,
        label,
        alarms: [
          { name: 'Errors', metric: metric('Errors'), description: `${label} raised errors.` },
          { name: 'Throttles', metric: metric('Throttles'), description: `${label} was throttled.` },
        ],
        monitor: {
          name: `[ops-${stage.name}] function errors or throttles in ${label}`,
          query: `sum(last_5m):sum:aws.lambda.errors{functionname:${name}}.as_count() + sum:aws.lambda.throttles{functionname:${name}}.as_count() > 0`,
          message: `An ops automation function failed or was throttled (${label}).`,
        },
      });
    }

    // Guard-store errors: every function that uses the guard store logs them with these words.
    const guardMetric = new cloudwatch.Metric({
      namespace: `OpsAutomation/${stage.name}`,
      metricName: 'GuardStoreErrors',
      statistic: 'Sum',
      period,
    });
    const functionLogGroups = target.node
      .findAll()
      .filter((c): c is OpsFunction => c instanceof OpsFunction)
      .map((fn) => fn.logGroupRef);
    functionLogGroups.forEach((group, i) => {
      new logs.MetricFilter(this, `GuardStoreErrors${i}`, {
        logGroup: group,
        filterPattern: logs.FilterPattern.anyTerm('guard-store-unavailable', 'GuardStoreUnavailableError'),
        metricNamespace: guardMetric.namespace,
        metricName: guardMetric.metricName,
        metricValue: '1',
        defaultValue: 0,
      });
    });
    watched.push({
      id: 'GuardStore',
      label: 'guard store',
      alarms: [
        {
          name: 'Errors',
          metric: guardMetric,
          description: 'The guard store (DynamoDB / SSM flags) failed: runs are held back (fail closed).',
        },
      ],
      monitor: {
        name: `[ops-${stage.name}] guard store unavailable`,
        query: `logs("\\"guard-store-unavailable\\" env:${stage.name}").index("*").rollup("count").last("5m") > 0`,
        message: 'The ops automation guard store failed: runs are held back until it recovers.',
      },
    });

    const alarmAction = new actions.SnsAction(this.topic);
    for (const w of watched) {
      for (const a of w.alarms) {
        const alarm = new cloudwatch.Alarm(this, `${w.id}${a.name}`, {
          metric: a.metric,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: a.description,
        });
        alarm.addAlarmAction(alarmAction);
        this.alarms.push(alarm);
      }
      this.monitors.push(
        new CfnResource(this, `${w.id}Monitor`, {
          type: 'Datadog::Monitors::Monitor',
          properties: {
            Name: w.monitor.name,
            Type: w.monitor.query.startsWith('logs(') ? 'log alert' : 'query alert',
            Query: w.monitor.query,
            Message: handles ? `${w.monitor.message} ${handles}` : w.monitor.message,
            Tags: ['service:ops-automation', `env:${stage.name}`, `stage:${stage.name}`, 'managed-by:cdk'],
            Priority: stage.tier === 'prod' ? 2 : 4,
            Options: {
              Thresholds: { Critical: 0 },
              NotifyNoData: false,
              IncludeTags: true,
              RenotifyInterval: 60,
            },
          },
        }),
      );
    }

    if (stage.automation.datadog.instrument) this.instrument(props, target);
  }

  /** Datadog instrumentation of every function and state machine (off unless the stage asks for it). */
  private instrument(props: ObservabilityProps, target: IConstruct): void {
    const { stage, namePrefix } = props;
    // A partial ARN (no random suffix): what the extension passes to GetSecretValue; the grant below uses the pattern.
    const stack = Stack.of(this);
    const apiKeySecretArn = `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${stage.automation.datadog.apiKeySecretName}`;
    const functions = target.node.findAll().filter((c): c is lambda.Function => {
      if (!(c instanceof lambda.Function)) return false;
      // Ours are named `<prefix>-…`; CDK's own helpers (custom resource providers) are left as they are.
      const name = (c.node.defaultChild as lambda.CfnFunction).functionName;
      return typeof name === 'string' && !Token.isUnresolved(name) && name.startsWith(`${namePrefix}-`);
    });
    const datadog = new DatadogLambda(this, 'DatadogLambda', {
      nodeLayerVersion: DatadogDefaultLayerVersions.NODE,
      extensionLayerVersion: DatadogDefaultLayerVersions.EXTENSION,
      site: stage.automation.datadog.site,
      apiKeySecretArn,
      grantSecretReadAccess: false,
      env: stage.name,
      service: 'ops-automation',
      enableDatadogTracing: true,
      enableDatadogLogs: true,
      captureLambdaPayload: false,
      injectLogContext: true,
    });
    datadog.addLambdaFunctions(functions);
    for (const fn of functions) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArnPattern(this, stage.automation.datadog.apiKeySecretName)],
        }),
      );
    }
    const machines = target.node
      .findAll()
      .filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine);
    new DatadogStepFunctions(this, 'DatadogStepFunctions', {
      env: stage.name,
      service: 'ops-automation',
    }).addStateMachines(machines);
    for (const sm of machines) {
      const cfn = sm.node.defaultChild as sfn.CfnStateMachine;
      const logging = cfn.loggingConfiguration as
        | sfn.CfnStateMachine.LoggingConfigurationProperty
        | undefined;
      // Datadog turns execution data on; run inputs carry a Slack response_url: keep it out of logs.
      if (logging) cfn.loggingConfiguration = { ...logging, includeExecutionData: false };
      // DatadogStepFunctions adds its copy of the Step Functions logging statement on `*`, which
      // also holds two actions the frame's own statement does not: named here, so the frame's
      // acknowledgement keeps covering only what it names (test/infra/stage-audit.test.ts).
      Validations.of(sm.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'logs:CreateLogStream and logs:PutLogEvents on * are added by datadog-cdk-constructs-v2 (DatadogStepFunctions copies the Step Functions logging guide’s policy); Step Functions itself delivers the run log through vended log delivery, and these two only append log events.',
      });
    }
  }
}
