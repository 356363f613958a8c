import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackJob } from '../../functions/slack/jobs.js';
import { PLATFORM_1, SIGNING_SECRET, signedHeaders, slashCommand } from './slack-harness.js';

/**
 * The Lambda entry point of the Slack endpoint, with AWS faked at the boundary: it acknowledges
 * and hands the work to the worker with an asynchronous Invoke (InvocationType Event), so
 * the acknowledgement never waits for the work.
 */

const lambdaMock = mockClient(LambdaClient);
const secretsMock = mockClient(SecretsManagerClient);
const dynamoMock = mockClient(DynamoDBDocumentClient);
let handler: (e: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; body?: string }>;

beforeAll(async () => {
  Object.assign(process.env, {
    STAGE: 'dev',
    SLACK_TABLE_NAME: 'ops-dev-slack',
    SLACK_WORKER_FUNCTION: 'ops-dev-slack-worker',
    AWS_REGION: 'eu-west-1',
    // The handler's own log lines (an accepted and a refused request) would only be noise here.
    POWERTOOLS_SERVICE_NAME: 'slack',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  secretsMock
    .on(GetSecretValueCommand, { SecretId: 'ops/dev/slack/signing-secret' })
    .resolves({ SecretString: SIGNING_SECRET });
  dynamoMock.on(PutCommand).resolves({});
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
  ({ handler } = await import('../../functions/slack/handler.js'));
});
afterAll(() => {
  lambdaMock.restore();
  secretsMock.restore();
  dynamoMock.restore();
});

function apiEvent(body: string, headers: Record<string, string>, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace(/(^|-)x/g, '$1X'), v])),
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

describe('Slack endpoint handler: acknowledge, then hand over asynchronously', () => {
  it('acknowledges a signed /ops run and invokes the worker with InvocationType Event, carrying the job', async () => {
    // Prepare
    const body = slashCommand('run verify-backups', PLATFORM_1, 'https://hooks.slack.com/commands/T0/1/abc');

    // Act
    const res = await handler(apiEvent(body, signedHeaders(body, Date.now()), true));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '{}').text).toContain('Checking and starting `verify-backups`');
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 1);
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: 'ops-dev-slack-worker', InvocationType: 'Event' });
    const job = SlackJob.parse(JSON.parse(new TextDecoder().decode(invoke?.Payload as Uint8Array)));
    expect(job).toMatchObject({
      kind: 'start',
      verb: 'run',
      runbook: 'verify-backups',
      user: { id: PLATFORM_1 },
    });
    expect(dynamoMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'ops-dev-slack',
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('refuses a bad signature with 401 before anything is invoked', async () => {
    lambdaMock.resetHistory();
    const body = slashCommand('run verify-backups', PLATFORM_1, 'https://hooks.slack.com/commands/T0/1/abc');

    const res = await handler(apiEvent(body, signedHeaders(body, Date.now(), 'wrong-secret')));

    expect(res.statusCode).toBe(401);
    expect(lambdaMock).not.toHaveReceivedCommand(InvokeCommand);
    // The signing secret was read once, at the first request, and served from the cache since.
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'ops/dev/slack/signing-secret',
    });
  });
});
