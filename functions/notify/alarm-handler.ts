import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadStage } from '../../config/index.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerToken } from '../shared/slack.js';
import { type AlarmRelayDeps, relayAlarm } from './alarm.js';
import { SnsDeliverySchema } from './sns-event.js';

// Read once at cold start; a misconfigured function fails loudly here.
const stage = loadStage(requiredEnv('STAGE'));
const channel = requiredEnv('ALARM_SLACK_CHANNEL');

const deps: AlarmRelayDeps = {
  slack: new SlackApi({
    token: secretsManagerToken(new SecretsManagerClient({}), stage.automation.slack.botTokenSecretName),
  }),
  channel,
  stage: stage.name,
  logger,
};

/** Subscribed to `ops-<stage>-alarms`: each CloudWatch alarm notification becomes a Slack message. */
export const handler = withLogContext(async (event: unknown): Promise<void> => {
  const { Records } = SnsDeliverySchema.parse(event);
  for (const r of Records) {
    await relayAlarm({ topicArn: r.Sns.TopicArn, subject: r.Sns.Subject, message: r.Sns.Message }, deps);
  }
});
