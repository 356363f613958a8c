import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { deployedStage } from '../../config/deployed.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerSecret, secretsManagerToken } from '../shared/slack.js';
import { UserGroupResolver } from './authz.js';
import { type EndpointDeps, handleSlackRequest } from './endpoint.js';
import { DynamoReplayGuard } from './replay.js';

// Read once at cold start; a misconfigured function fails loudly here.
const stage = deployedStage(requiredEnv('STAGE'));
const tableName = requiredEnv('SLACK_TABLE_NAME');
const workerFunction = requiredEnv('SLACK_WORKER_FUNCTION');
const slackCfg = stage.automation.slack;

const secrets = new SecretsManagerClient({});
const lambda = new LambdaClient({});
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const slack = new SlackApi({
  token: secretsManagerToken(secrets, slackCfg.botTokenSecretName),
  timeoutMs: 1500,
  maxRetries: 0,
});

const deps: EndpointDeps = {
  stage: stage.name,
  slack: slackCfg,
  runbookOverrides: stage.automation.runbooks,
  // Powertools parameters: cached for 5 minutes, so a warm request costs no Secrets Manager call.
  signingSecret: secretsManagerSecret(secrets, slackCfg.signingSecretName, { field: 'signingSecret' }),
  replay: new DynamoReplayGuard(ddb, tableName),
  groups: new UserGroupResolver(slack, logger),
  // InvocationType Event: Lambda queues the job and answers 202 at once; the endpoint never waits
  // for the work, so Slack gets its acknowledgement within its three seconds.
  dispatch: async (job) => {
    await lambda.send(
      new InvokeCommand({
        FunctionName: workerFunction,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(job)),
      }),
    );
  },
  logger,
  nowMs: Date.now,
};

/** The Slack endpoint behind the HTTP API: slash commands and interactive actions. */
export const handler = withLogContext(
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const rawBody =
      event.body && event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : (event.body ?? '');
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    return handleSlackRequest({ headers, rawBody }, deps);
  },
);
