import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { requiredEnv, withLogContext } from '../shared/powertools.js';
import { handleWebhook, type WebhookDeps } from './ingest.js';
import { intakeDeps, secretsClient } from './runtime.js';

/**
 * Datadog webhooks (the Function URL): authenticate the shared-secret header, then the same intake core
 * as every EventBridge event. A function of its own so that its reserved concurrency bounds a webhook
 * flood without touching the EventBridge intake's capacity (infra/constructs/automation/intake.ts).
 */
const webhookSecretName = requiredEnv('WEBHOOK_TOKEN_SECRET_NAME');
const secrets = new SecretsProvider({ awsSdkV3Client: secretsClient });

const deps: WebhookDeps = {
  ...intakeDeps,
  webhookToken: async () => {
    const value = await secrets.get(webhookSecretName, { maxAge: 300 });
    if (typeof value !== 'string') throw new Error(`secret ${webhookSecretName} is not a string`);
    return value;
  },
};

export const handler = withLogContext(
  async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const body =
      event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const out = await handleWebhook({ headers: event.headers ?? {}, body }, deps);
    return { statusCode: out.statusCode, headers: { 'content-type': 'application/json' }, body: out.body };
  },
);
