import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describeIssues } from '../../events/issues.js';
import { ApprovalStore } from '../approval/store.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerToken } from '../shared/slack.js';
import * as z from '../shared/zod-mini.js';
import { closeApprovalsOf, type RunEndedDeps } from './run-ended.js';

// Read once at cold start; a misconfigured function fails loudly here. Its two settings come from the
// environment synth writes (infra/constructs/automation/slack.ts), so this path neither loads nor
// validates the stage, and carries none of the worker's intake, runbooks or Step Functions client.
const deps: RunEndedDeps = {
  approvals: new ApprovalStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    requiredEnv('SLACK_TABLE_NAME'),
  ),
  slack: new SlackApi({
    token: secretsManagerToken(new SecretsManagerClient({}), requiredEnv('SLACK_BOT_TOKEN_SECRET')),
  }),
  logger,
  nowMs: Date.now,
};

/** Step Functions' EventBridge event when one of the stage's runbook executions ends. */
const ExecutionEnded = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({ name: z.string(), status: z.string() }),
});

/**
 * The end of a runbook execution (EventBridge rule `RunEnded`: failed, timed out or aborted) closes
 * the approvals it left undecided. An event that is not such a change is refused before any call, with
 * the fields it lacks; Lambda's two retries fail the same way, and the function's dead-letter queue
 * keeps the event (infra/constructs/automation/slack.ts).
 */
export const handler = withLogContext(async (event: unknown): Promise<number> => {
  const ended = ExecutionEnded.safeParse(event);
  if (!ended.success) {
    throw new Error(
      `not a Step Functions execution status change: ${describeIssues(ended.error).join('; ')}`,
    );
  }
  logger.appendKeys({ correlationId: ended.data.detail.name });
  return closeApprovalsOf(ended.data.detail.name, ended.data.detail.status, deps);
});
