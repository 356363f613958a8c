import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { handler as IntakeHandler } from '../../functions/intake/handler.js';
import type { handler as WebhookHandler } from '../../functions/intake/webhook-handler.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * The deployed entry points (functions/intake/handler.ts for EventBridge, webhook-handler.ts for the
 * Datadog Function URL) with the environment infra sets, its
 * DynamoDB client aimed at dynalite (AWS_ENDPOINT_URL_DYNAMODB), Step Functions, SSM and Secrets
 * Manager faked at the SDK boundary: the wiring between transport, core and clients.
 */
const ROOT = join(import.meta.dirname, '../..');
const sample = (name: string) => readFileSync(join(ROOT, 'events/samples', name), 'utf8');
const ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-rotate-secret';

const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
let db: LocalDynamo;
let handler: typeof IntakeHandler;
let webhook: typeof WebhookHandler;

beforeAll(async () => {
  db = await startDynalite([{ name: 'ops-dev-intake-guards', partitionKey: 'pk' }]);
  Object.assign(process.env, {
    STAGE: 'dev',
    STATE_MACHINES: JSON.stringify({ 'rotate-secret': ARN }),
    GUARD_TABLE_NAME: 'ops-dev-intake-guards',
    WEBHOOK_TOKEN_SECRET_NAME: 'ops/dev/datadog/webhook-token',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'token-from-secrets-manager' });
  ({ handler } = await import('../../functions/intake/handler.js'));
  ({ handler: webhook } = await import('../../functions/intake/webhook-handler.js'));
});
afterAll(async () => {
  await db.stop();
});

function urlEvent(body: string, headers: Record<string, string>, base64 = false): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers,
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
    requestContext: { http: { method: 'POST', path: '/' } } as LambdaFunctionURLEvent['requestContext'],
  };
}

describe('intake handler: the deployed entry point', () => {
  it('starts one run for a CloudTrail event delivered twice by EventBridge', async () => {
    // Prepare
    const event = JSON.parse(sample('cloudtrail/secretsmanager-getsecretvalue-sso-user.json'));
    // Act
    await expect(handler(event)).resolves.toBeUndefined();
    await handler(event);
    // Assess
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      stateMachineArn: ARN,
      name: expect.stringMatching(/^rotate-secret-/),
    });
  });

  it('drops unrecognised input without throwing or starting anything', async () => {
    const before = sfn.commandCalls(StartExecutionCommand).length;
    await expect(handler({ hello: 'world' })).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(before);
  });

  it('authenticates Datadog webhooks with the secret from Secrets Manager (base64 bodies too)', async () => {
    // Recovered → ignore: no notification leaves the test (Slack and Datadog are not reachable here).
    const body = sample('datadog/webhook-recovered.json');
    const refused = await webhook(urlEvent(body, { 'x-ops-webhook-token': 'wrong' }));
    expect(refused).toMatchObject({ statusCode: 401 });
    const accepted = await webhook(
      urlEvent(body, { 'x-ops-webhook-token': 'token-from-secrets-manager' }, true),
    );
    expect(accepted).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    const { body: json } = accepted as { body?: string };
    expect(JSON.parse(String(json)).decisions[0].action).toBe('ignore');
    // Cached: one read of the secret for both requests.
    const tokenReads = secrets
      .commandCalls(GetSecretValueCommand)
      .filter((c) => c.args[0].input.SecretId === 'ops/dev/datadog/webhook-token');
    expect(tokenReads).toHaveLength(1);
  });

  it('leaves webhooks to the webhook function: the EventBridge intake drops a Function URL request', async () => {
    const before = sfn.commandCalls(StartExecutionCommand).length;
    const body = sample('datadog/webhook-triggered.json');
    await expect(
      handler(urlEvent(body, { 'x-ops-webhook-token': 'token-from-secrets-manager' })),
    ).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(before);
  });
});
