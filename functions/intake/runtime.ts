import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { deployedStage } from '../../config/deployed.js';
import { logger, metrics, requiredEnv } from '../shared/powertools.js';
import type { IntakeDeps, Notifier } from './core.js';
import { GuardStore, ssmFlagReader } from './guard-store.js';

/**
 * What both intake entry points share, built once at cold start from the environment infra sets:
 * the EventBridge intake (handler.ts) and the Datadog webhook (webhook-handler.ts), so a webhook
 * passes exactly the guards, names and notifications an event does. A misconfigured function fails
 * loudly here.
 */
const stageName = requiredEnv('STAGE');
const stage = deployedStage(stageName);
const stateMachines = z.record(z.string(), z.string()).parse(JSON.parse(requiredEnv('STATE_MACHINES')));
const tableName = requiredEnv('GUARD_TABLE_NAME');

const sfn = new SFNClient({});
const ssm = new SSMClient({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const secretsClient = new SecretsManagerClient({});

// Slack + Datadog delivery (never throws: an outage cannot fail, and so re-deliver, the event). Loaded on
// the first notification only: its clients are most of the bundle, and most invocations never notify.
let notifierInstance: Promise<Notifier> | undefined;
const notifier: Notifier = {
  notify: async (signal, decision) => {
    notifierInstance ??= import('../notify/index.js').then((m) =>
      m.stageNotifier(stage, secretsClient, logger),
    );
    return (await notifierInstance).notify(signal, decision);
  },
};

const store = new GuardStore({ doc, tableName, stage: stageName, flags: ssmFlagReader(ssm, 5) });

export const intakeDeps: IntakeDeps = {
  sfn,
  store,
  stateMachines,
  stage: stageName,
  automation: stage.automation,
  logger,
  notifier,
  metrics,
};
