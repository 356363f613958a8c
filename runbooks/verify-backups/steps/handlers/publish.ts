import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DatadogApi } from '../../../../functions/shared/datadog.js';
import { logger, requiredEnv, withLogContext } from '../../../../functions/shared/powertools.js';
import { SlackApi, secretsManagerSecret, secretsManagerToken } from '../../../../functions/shared/slack.js';
import { type PublishEvent, type PublishOutcome, publishReport } from '../publish.js';

const secrets = new SecretsManagerClient({});
const channel = requiredEnv('SLACK_CHANNEL');
const slack = new SlackApi({ token: secretsManagerToken(secrets, requiredEnv('SLACK_BOT_TOKEN_SECRET')) });
const datadog = new DatadogApi({
  apiKey: secretsManagerSecret(secrets, requiredEnv('DATADOG_API_KEY_SECRET')),
  site: requiredEnv('DATADOG_SITE'),
});

/** verify-backups "Publish report": Slack summary + failures, Datadog metrics and events. */
export const handler = withLogContext(
  async (event: PublishEvent): Promise<PublishOutcome> =>
    publishReport(event, { slack, datadog, channel, logger }),
);
