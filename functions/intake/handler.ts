import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { z } from 'zod';
import { loadStage } from '../../config/index.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import type { Notifier } from './core.js';
import { GuardStore, ssmFlagReader } from './guard-store.js';
import { handleEvent, handleWebhook, type WebhookDeps } from './ingest.js';

// Read once at cold start; a misconfigured function fails loudly here.
const stageName = requiredEnv('STAGE');
const stage = loadStage(stageName);
const stateMachines = z.record(z.string(), z.string()).parse(JSON.parse(requiredEnv('STATE_MACHINES')));
const tableName = requiredEnv('GUARD_TABLE_NAME');
const webhookSecretName = requiredEnv('WEBHOOK_TOKEN_SECRET_NAME');

const sfn = new SFNClient({});
const ssm = new SSMClient({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const secretsClient = new SecretsManagerClient({});
const secrets = new SecretsProvider({ awsSdkV3Client: secretsClient });

// Slack + Datadog delivery (never throws: an outage cannot fail, and so re-deliver, the event). Loaded on
// the first notification only: its clients are most of the bundle, and most invocations never notify.
let notifierInstance: Promise<Notifier> | undefined;
const notifier: Notifier = {
  notify: async (signal, decision) => {
    notifierInstance ??= import('../notify/index.js').then((m) =>
      m.stageNotifier(stage, secretsClient, logger),
    );
    return (await notifierInstance).notify(signal, decision);
  },
};

const store = new GuardStore({ doc, tableName, stage: stageName, flags: ssmFlagReader(ssm, 5) });
const deps: WebhookDeps = {
  sfn,
  store,
  stateMachines,
  stage: stageName,
  automation: stage.automation,
  logger,
  notifier,
  webhookToken: async () => {
    const value = await secrets.get(webhookSecretName, { maxAge: 300 });
    if (typeof value !== 'string') throw new Error(`secret ${webhookSecretName} is not a string`);
    return value;
  },
};

function isFunctionUrl(event: unknown): event is LambdaFunctionURLEvent {
  return typeof event === 'object' && event !== null && 'requestContext' in event && 'rawPath' in event;
}

/**
 * The intake: EventBridge events (one per invocation) and Datadog webhooks (function URL).
 * Thin: parse the transport, call the core, map the result.
 */
export const handler = withLogContext(
  async (event: unknown): Promise<LambdaFunctionURLResult | undefined> => {
    if (isFunctionUrl(event)) {
      const body =
        event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const out = await handleWebhook({ headers: event.headers ?? {}, body }, deps);
      return { statusCode: out.statusCode, headers: { 'content-type': 'application/json' }, body: out.body };
    }
    await handleEvent(event, deps);
    return undefined;
  },
);
