import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DatadogApi } from '../../../../functions/shared/datadog.js';
import { logger, metrics, requiredEnv, withLogContext } from '../../../../functions/shared/powertools.js';
import { SlackApi, secretsManagerSecret, secretsManagerToken } from '../../../../functions/shared/slack.js';
import { dynamoLastVerifiedStore } from '../../last-verified.js';
import { type PublishEvent, type PublishOutcome, publishReport } from '../publish.js';

const secrets = new SecretsManagerClient({});
const channel = requiredEnv('SLACK_CHANNEL');
const slack = new SlackApi({ token: secretsManagerToken(secrets, requiredEnv('SLACK_BOT_TOKEN_SECRET')) });
const datadog = new DatadogApi({
  apiKey: secretsManagerSecret(secrets, requiredEnv('DATADOG_API_KEY_SECRET')),
  site: requiredEnv('DATADOG_SITE'),
});
const lastVerified = {
  store: dynamoLastVerifiedStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    requiredEnv('LAST_VERIFIED_TABLE'),
  ),
  metrics,
};

/** verify-backups "Publish report": Slack summary + failures, Datadog metrics and events, last-verified ages. */
export const handler = withLogContext(
  async (event: PublishEvent): Promise<PublishOutcome> =>
    publishReport(event, { slack, datadog, channel, logger, lastVerified }),
);
