import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';

/**
 * Cold-load reference (test/bench/sections/cold-load.ts): the shape of the app's smaller functions
 * (the approval hook, the alarm notifier, the Slack endpoint): two SDK clients, a secret read and a
 * record written, with the logger. Still none of our own logic.
 */
const secrets = new SecretsManagerClient({});
const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = withLogContext(async (): Promise<boolean> => {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: 'reference/token' }));
  await table.send(new PutCommand({ TableName: 'reference', Item: { pk: 'reference', at: Date.now() } }));
  logger.info('record written', { secretRead: secret.SecretString !== undefined });
  return true;
});
