import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import { OpsFunction } from '../ops-function.js';
import { ruleTarget } from './intake.js';

export interface SlackEndpointProps {
  readonly stage: StageConfig;
  /** `ops-<stage>`. */
  readonly namePrefix: string;
  /** The approval hook every workflow's "Request approval" step invokes. */
  readonly approvalHook: lambda.Function;
  /** Runbook name → its state machine: what Slack may start (through the intake) and approve. */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;
  /**
   * The intake's guard store (the `Intake` construct): the worker starts runs through the same
   * guards as every event, with the grants the intake itself defines for that.
   */
  readonly guards: GuardStoreAccess;
  /**
   * Where EventBridge keeps a run-ended event it could not deliver (the intake's dead-letter queue, as
   * for every rule of the stage).
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** What the Slack worker needs of the intake: its guard table and the grant for evaluating guards. */
export interface GuardStoreAccess {
  readonly table: dynamodb.ITable;
  grantGuards(grantee: iam.IGrantable): void;
}

/**
 * Slack-triggered runbooks and approvals (issue 5):
 *
 *   Slack ──HTTPS──▶ HTTP API ──▶ endpoint fn (verify, ack ≤ 3 s) ──Invoke(Event)──▶ worker fn
 *                                     │ replay claims                                │ intake guards → StartExecution
 *                                     ▼                                              │ approvals → SendTask{Success,Failure}
 *                               approvals/replay table ◀── approval hook (tokens) ◀──┘
 *
 * Two functions so the acknowledging one stays small (fast cold start) and holds almost no
 * permissions: it reads the two Slack secrets, writes replay claims and invokes the worker.
 * The worker holds what starting and approving need, scoped to this stage's state machines.
 * A third, run-ended, closes the approvals a failed, timed-out or aborted run left pending: it
 * reads and resolves approvals and updates their messages, and holds nothing else.
 */
export class SlackEndpoint extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;
  readonly endpoint: OpsFunction;
  readonly worker: OpsFunction;
  /** Closes the approvals a run left pending when it ends (rule `RunEnded`). */
  readonly runEnded?: OpsFunction;
  readonly api: apigw.HttpApi;
  /** The URL to give the Slack app (slash command and interactivity request URL). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SlackEndpointProps) {
    super(scope, id);
    const { stage, namePrefix } = props;
    const slackCfg = stage.automation.slack;
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: `${namePrefix} Slack approvals and replay claims`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Approval ids → task tokens, and signatures seen (replay refusal). Both expire by TTL.
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: `${namePrefix}-slack`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      removalPolicy: stage.tier === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const signingSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'SigningSecret',
      slackCfg.signingSecretName,
    );
    const botToken = secretsmanager.Secret.fromSecretNameV2(this, 'BotToken', slackCfg.botTokenSecretName);
    const useKey = (fn: lambda.IFunction) =>
      this.key.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    const stateMachineArns = Object.fromEntries(
      Object.entries(props.stateMachines).map(([name, sm]) => [name, sm.stateMachineArn]),
    );

    this.worker = new OpsFunction(this, 'Worker', {
      entry: 'functions/slack/worker-handler.ts',
      service: 'slack-worker',
      functionName: `${namePrefix}-slack-worker`,
      description: 'Slack requests after their acknowledgement: starts through the intake, approvals, status',
      timeout: Duration.seconds(60),
      // A crashed job is not retried: its effects are idempotent, and a retry would announce twice.
      retryAttempts: 0,
      stage,
      environment: {
        STATE_MACHINES: stack.toJsonString(stateMachineArns),
        SLACK_TABLE_NAME: this.table.tableName,
        GUARD_TABLE_NAME: props.guards.table.tableName,
      },
    });

    this.endpoint = new OpsFunction(this, 'Endpoint', {
      entry: 'functions/slack/handler.ts',
      service: 'slack-endpoint',
      functionName: `${namePrefix}-slack`,
      description: 'Slack slash commands and buttons: verify, acknowledge, hand over to the worker',
      // More memory is more CPU: a cold start stays well inside Slack's three seconds.
      memorySize: 1024,
      timeout: Duration.seconds(10),
      stage,
      environment: {
        SLACK_TABLE_NAME: this.table.tableName,
        SLACK_WORKER_FUNCTION: this.worker.functionName,
      },
    });

    // Endpoint: the two Slack secrets, replay claims (PutItem only), and invoking the worker.
    signingSecret.grantRead(this.endpoint);
    botToken.grantRead(this.endpoint);
    this.table.grant(this.endpoint, 'dynamodb:PutItem');
    useKey(this.endpoint);
    // The worker's unqualified ARN only (grantInvoke would add `<arn>:*` for every version and alias).
    this.endpoint.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.worker.functionArn] }),
    );

    // Worker: approvals (read, resolve), the bot token, the intake's guard store and flags, and per
    // state machine: start (through the intake), look up its executions, answer its task tokens.
    botToken.grantRead(this.worker);
    this.table.grant(this.worker, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    useKey(this.worker);
    props.guards.grantGuards(this.worker);
    for (const [name, sm] of Object.entries(props.stateMachines)) {
      sm.grantStartExecution(this.worker);
      sm.grantTaskResponse(this.worker);
      const executions = stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${namePrefix}-${name}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.worker.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
      );
      if (this.worker.role) {
        Validations.of(this.worker.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${stack.account}:execution:${namePrefix}-${name}:*]`,
          reason: `/ops status and /ops revert read executions of ${namePrefix}-${name} by name; execution names are only known at request time. Read-only (states:DescribeExecution), one state machine.`,
        });
      }
    }

    // A run that ends with an approval still pending (task timeout, abort) closes it: its buttons show
    // "Expired" / "Closed" without anyone clicking. Its own function, not the worker's: this path runs
    // after every failed run, and needs neither the intake, the runbooks nor Step Functions.
    const machineArns = Object.values(props.stateMachines).map((sm) => sm.stateMachineArn);
    if (machineArns.length > 0) {
      const runEndedDlq = new sqs.Queue(this, 'RunEndedDeadLetters', {
        queueName: `${namePrefix}-slack-run-ended-dlq`,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(runEndedDlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of the run-ended function (events it failed on after its retries); a DLQ of a DLQ would only move the same messages.',
      });
      const runEnded = new OpsFunction(this, 'RunEndedFunction', {
        entry: 'functions/slack/run-ended-handler.ts',
        service: 'slack-run-ended',
        functionName: `${namePrefix}-slack-run-ended`,
        description:
          'Closes the Slack approvals a runbook execution left pending when it failed, timed out or was aborted',
        timeout: Duration.seconds(30),
        // An event it fails on (a malformed one, or DynamoDB out of reach after the retries) is kept here.
        deadLetterQueue: runEndedDlq,
        environment: {
          SLACK_TABLE_NAME: this.table.tableName,
          // The secret the grant below lets it read (the handler loads no stage configuration).
          SLACK_BOT_TOKEN_SECRET: slackCfg.botTokenSecretName,
        },
      });
      this.runEnded = runEnded;
      // Approvals of an execution (GetItem), resolving one (UpdateItem), and the bot token to update
      // the message; the table's key for both.
      botToken.grantRead(runEnded);
      this.table.grant(runEnded, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
      useKey(runEnded);
      new events.Rule(this, 'RunEnded', {
        ruleName: `${namePrefix}-slack-run-ended`,
        description: `${namePrefix}: close Slack approvals left undecided when a runbook execution ends`,
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: machineArns },
        },
        // Delivery as for every rule of the stage: retried for six hours, then kept in the intake's DLQ.
        targets: [ruleTarget(runEnded, props.deadLetterQueue)],
      });
    }

    // Approval hook: stores task tokens under approval ids and posts the buttons.
    const hook = props.approvalHook;
    hook.addEnvironment('SLACK_TABLE_NAME', this.table.tableName);
    botToken.grantRead(hook);
    this.table.grant(hook, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    useKey(hook);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${namePrefix}-slack`,
      description: 'Slack slash commands and interactivity for ops automation',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: '/slack/events',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Endpoint', this.endpoint),
    });
    const apiStage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // Slack sends a handful of requests per command; anything beyond this is not Slack.
      throttle: { rateLimit: 20, burstLimit: 40 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    this.url = `${apiStage.url}slack/events`;
    new CfnOutput(this, 'RequestUrl', {
      description: 'Slack app: slash command /ops and Interactivity request URL',
      value: this.url,
    });
    for (const route of this.api.node.findAll().filter((c) => c instanceof apigw.CfnRoute)) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Slack cannot present IAM, JWT or Cognito credentials: every request is authenticated in the function by its Slack signature (HMAC-SHA256 with the signing secret, 5-minute window, replay refusal) before anything is done.',
      });
    }
  }
}
