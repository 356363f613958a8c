import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerToken } from '../shared/slack.js';
import { type AlarmRelayDeps, relayAlarm } from './alarm.js';
import { SnsDeliverySchema } from './sns-event.js';

// Read once at cold start; a misconfigured function fails loudly here. Its three settings come from
// the environment synth writes from the stage's configuration (infra/constructs/automation/
// observability.ts), so the alarm path does not load and validate the whole stage at every cold start.
const deps: AlarmRelayDeps = {
  slack: new SlackApi({
    token: secretsManagerToken(new SecretsManagerClient({}), requiredEnv('SLACK_BOT_TOKEN_SECRET')),
  }),
  channel: requiredEnv('ALARM_SLACK_CHANNEL'),
  stage: requiredEnv('STAGE'),
  logger,
};

/** Subscribed to `ops-<stage>-alarms`: each CloudWatch alarm notification becomes a Slack message. */
export const handler = withLogContext(async (event: unknown): Promise<void> => {
  const { Records } = SnsDeliverySchema.parse(event);
  for (const r of Records) {
    await relayAlarm({ topicArn: r.Sns.TopicArn, subject: r.Sns.Subject, message: r.Sns.Message }, deps);
  }
});
