import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deployedStage } from '../../config/deployed.js';
import { AuditStore } from '../audit/store.js';
import { GuardStore } from '../intake/guard-store.js';
import { recordRunOutcome, releaseLock } from '../intake/run-end.js';
import { DatadogApi } from '../shared/datadog.js';
import { logger, metrics, requiredEnv, withLogContext } from '../shared/powertools.js';
import { SlackApi, secretsManagerSecret, secretsManagerToken } from '../shared/slack.js';
import { type ReportDeps, type ReportOutcome, reportPhase } from './core.js';
import { ReportEventSchema } from './schema.js';

// Read once at cold start; a misconfigured function fails loudly here.
const stage = deployedStage(requiredEnv('STAGE'));
const tableName = requiredEnv('AUDIT_TABLE_NAME');
const bucketName = requiredEnv('AUDIT_BUCKET_NAME');
const guardTableName = process.env.GUARD_TABLE_NAME;

const secrets = new SecretsManagerClient({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

const guards = guardTableName
  ? new GuardStore({
      doc,
      tableName: guardTableName,
      stage: stage.name,
      // Ending a run releases its lock and feeds the breaker; it never reads the kill switch.
      flags: { get: async () => undefined },
    })
  : undefined;

const deps: ReportDeps = {
  slack: new SlackApi({ token: secretsManagerToken(secrets, stage.automation.slack.botTokenSecretName) }),
  datadog: new DatadogApi({
    apiKey: secretsManagerSecret(secrets, stage.automation.datadog.apiKeySecretName),
    site: stage.automation.datadog.site,
  }),
  audit: new AuditStore({ doc, s3: new S3Client({}), tableName, bucketName }),
  logger,
  metrics,
  channel: stage.automation.slack.channel,
  now: () => new Date(),
  console: { region: stage.region, account: stage.account, namePrefix: `ops-${stage.name}` },
  ...(guards
    ? {
        onRunEnd: async (input, execution, outcome) => {
          await releaseLock(guards, {
            runbook: input.runbook,
            resourceKey: input.resourceKey,
            executionName: execution,
          });
          await recordRunOutcome(guards, stage.automation, input.runbook, outcome);
        },
      }
    : {}),
};

/**
 * The report hook every runbook workflow calls at each phase (runbooks/workflow-kit.ts).
 * Thin: parse, set the correlation id (= execution name), call the core, flush metrics.
 * A bad payload throws (the frame catches it and the run still ends in its own state).
 */
export const handler = withLogContext(
  async (event: unknown): Promise<Pick<ReportOutcome, 'status'> & { auditHash: string }> => {
    const parsed = ReportEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('report payload rejected', {
        issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
      throw new Error(`Invalid report payload: ${parsed.error.issues.length} problem(s)`);
    }
    logger.appendKeys({ correlationId: parsed.data.execution, runbook: parsed.data.input.runbook });
    try {
      const outcome = await reportPhase(parsed.data, deps);
      return { status: outcome.status, auditHash: outcome.entry.hash };
    } finally {
      metrics.publishStoredMetrics();
      logger.removeKeys(['correlationId', 'runbook']);
    }
  },
);
