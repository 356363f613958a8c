import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deployedStage } from '../../config/deployed.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerToken } from '../shared/slack.js';
import { ApprovalRequestEvent, requestApproval } from './core.js';
import { ApprovalStore } from './store.js';

const stage = deployedStage(requiredEnv('STAGE'));
const tableName = requiredEnv('SLACK_TABLE_NAME');
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const secrets = new SecretsManagerClient({});
const slack = new SlackApi({
  token: secretsManagerToken(secrets, stage.automation.slack.botTokenSecretName),
});
const store = new ApprovalStore(ddb, tableName);

/**
 * Approval request for a waitForTaskToken step (see runbooks/workflow-kit.ts): stores the token,
 * posts the buttons, returns. A bad event is a programming error in the workflow: it throws, and
 * the frame's "Approval failed" catch ends the run through its failure path.
 */
export const handler = withLogContext(async (event: unknown): Promise<void> => {
  const parsed = ApprovalRequestEvent.parse(event);
  logger.appendKeys({ correlationId: parsed.execution });
  await requestApproval(parsed, {
    store,
    slack,
    channel: stage.automation.slack.channel,
    approvalTimeoutMinutes: stage.automation.slack.approvalTimeoutMinutes,
    logger,
    nowMs: Date.now,
  });
});
