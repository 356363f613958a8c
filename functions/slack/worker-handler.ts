import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { deployedStage } from '../../config/deployed.js';
import { describeIssues } from '../../events/issues.js';
import { ApprovalStore } from '../approval/store.js';
import { GuardStore, ssmFlagReader } from '../intake/index.js';
import { logger, requiredEnv, withLogContext } from '../shared/powertools.js';
import { logRejectedPayload } from '../shared/rejected-payload.js';
import { SlackApi, secretsManagerToken } from '../shared/slack.js';
import { UserGroupResolver } from './authz.js';
import { liveIntake } from './intake-port.js';
import { SlackJob } from './jobs.js';
import { runSlackJob, type WorkerDeps } from './worker.js';

// Read once at cold start; a misconfigured function fails loudly here.
const stage = deployedStage(requiredEnv('STAGE'));
const stateMachines = z.record(z.string(), z.string()).parse(JSON.parse(requiredEnv('STATE_MACHINES')));
const slackTable = requiredEnv('SLACK_TABLE_NAME');
const guardTable = requiredEnv('GUARD_TABLE_NAME');

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const sfn = new SFNClient({});
const slack = new SlackApi({
  token: secretsManagerToken(new SecretsManagerClient({}), stage.automation.slack.botTokenSecretName),
});
const store = new GuardStore({
  doc,
  tableName: guardTable,
  stage: stage.name,
  flags: ssmFlagReader(new SSMClient({}), 5),
});

const deps: WorkerDeps = {
  stage: stage.name,
  auth: stage.automation.slack,
  groups: new UserGroupResolver(slack, logger),
  slack,
  intake: liveIntake({ stage: stage.name, automation: stage.automation, store, sfn, stateMachines }),
  sfn,
  stateMachines,
  approvals: new ApprovalStore(doc, slackTable),
  logger,
  nowMs: Date.now,
};

/**
 * The Slack worker: Slack jobs, invoked asynchronously by the endpoint (the end of a runbook execution
 * has its own function, run-ended-handler.ts). A job that fails its schema is a bug: it is logged as
 * every refused input is (its size, SHA-256 and a redacted head: functions/shared/rejected-payload.ts)
 * and dropped, since a retry cannot fix it.
 */
export const handler = withLogContext(async (event: unknown): Promise<void> => {
  const job = SlackJob.safeParse(event);
  if (!job.success) {
    logRejectedPayload(logger, 'dropped a malformed Slack job', event, {
      issues: describeIssues(job.error),
    });
    return;
  }
  await runSlackJob(job.data, deps);
});
