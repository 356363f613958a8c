import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { StageConfig } from '../../config/index.js';
import { DatadogApi } from '../shared/datadog.js';
import type { OpsLogger } from '../shared/powertools.js';
import { SlackApi, secretsManagerSecret, secretsManagerToken } from '../shared/slack.js';
import { type NotifyDeps, slackDatadogNotifier } from './core.js';

export {
  type NotifyDeps,
  type NotifyOutcome,
  notificationMessage,
  notify,
  slackDatadogNotifier,
  whatOf,
  whereOf,
  whoOf,
} from './core.js';

/**
 * The notifier a Lambda entry point uses, built from the stage config: the Slack bot token and the
 * Datadog API key from Secrets Manager (cached), the stage's channel and Datadog site. Retries are
 * kept short (one retry, 3 s per request) so a Slack or Datadog outage delays the intake by seconds,
 * not minutes. Grants: `Reporting.bindNotifier(fn)` in infra.
 *
 *   const notifier = stageNotifier(stage, new SecretsManagerClient({}), logger);
 *   // then IntakeDeps.notifier = notifier
 */
export function stageNotifier(
  stage: StageConfig,
  secrets: SecretsManagerClient,
  logger: OpsLogger,
): ReturnType<typeof slackDatadogNotifier> {
  const deps: NotifyDeps = {
    slack: new SlackApi({
      token: secretsManagerToken(secrets, stage.automation.slack.botTokenSecretName),
      maxRetries: 1,
      timeoutMs: 3000,
    }),
    datadog: new DatadogApi({
      apiKey: secretsManagerSecret(secrets, stage.automation.datadog.apiKeySecretName),
      site: stage.automation.datadog.site,
      maxRetries: 1,
      timeoutMs: 3000,
    }),
    channel: stage.automation.slack.channel,
    stage: stage.name,
    logger,
  };
  return slackDatadogNotifier(deps);
}
