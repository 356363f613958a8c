import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';
import { SlackApi, secretsManagerToken } from '../../../functions/shared/slack.js';

/**
 * Cold-load reference (test/bench/sections/cold-load.ts): the shape of the alarm notifier and the
 * approval hook's Slack half: the bot token read from Secrets Manager and one message posted through
 * the app's Slack client (functions/shared/slack.ts: Slack's WebClient over node:https), with the
 * logger. None of the notifier's own logic.
 */
const slack = new SlackApi({
  token: secretsManagerToken(new SecretsManagerClient({}), 'reference/slack-bot-token'),
});

export const handler = withLogContext(async (): Promise<string> => {
  const posted = await slack.postMessage({ channel: 'C0REFERENCE', text: 'reference' });
  logger.info('posted', { channel: posted.channel });
  return posted.ts;
});
