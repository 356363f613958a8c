import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../functions/audit/record.js';
import { AuditStore } from '../../functions/audit/store.js';
import { describeVerdict, VERIFIED, verifyChain } from '../../functions/audit/verify.js';
import type { CommandContext, CommonOptions } from '../cli/context.js';
import { type Cell, CommandFailedError, EXIT, table } from '../cli/io.js';
import { safeJson, sanitise } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';

export interface HistoryOptions extends CommonOptions {
  readonly since?: string;
  readonly limit: number;
}

function approvalText(entry: AuditEntry): string {
  const a = entry.approval;
  if (a.status === 'approved') return `approved by ${a.approver ?? '?'}`;
  if (a.status === 'not-requested') return 'not needed';
  return a.status;
}

function changesText(entry: AuditEntry): string {
  return (
    entry.changes.map((c) => `${c.action}${c.requestId ? ` (${c.requestId})` : ''}`).join(', ') || 'none'
  );
}

/** `ops history <resource>`: the audit record of every run that touched a resource. */
export async function history(resource: string, opts: HistoryOptions, ctx: CommandContext): Promise<number> {
  const stage = stageFor(opts.stage, ctx);
  const tableName = `ops-${stage.name}-audit`;
  const dynamo = new DynamoDBClient({ region: stage.region, maxAttempts: 2 });
  try {
    try {
      await dynamo.config.credentials();
    } catch {
      throw new CommandFailedError(
        `no AWS credentials found: sign in to account ${stage.account} (e.g. aws sso login, AWS_PROFILE) to read ${tableName}`,
      );
    }
    const store = new AuditStore({
      doc: DynamoDBDocumentClient.from(dynamo),
      s3: new S3Client({ region: stage.region }),
      tableName,
      bucketName: `ops-${stage.name}-audit-ledger-${stage.account}-${stage.region}`,
    });
    let runs: { entry: AuditEntry; chain: string }[];
    try {
      const latest = await store.history({
        stage: stage.name,
        resourceKey: resource,
        ...(opts.since ? { since: opts.since } : {}),
        limit: opts.limit,
      });
      runs = await Promise.all(
        latest.map(async (entry) => {
          // Verified against the Object-Locked ledger copy of every entry, not only DynamoDB.
          const entries = await store.runEntries(entry.executionName);
          return { entry, chain: describeVerdict(verifyChain(entries, await store.ledgerEntries(entries))) };
        }),
      );
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      const message = `${(err as Error).message}`.split('\n')[0];
      throw new CommandFailedError(`cannot read ${tableName} in ${stage.region}: ${name}: ${message}`);
    }
    if (opts.json) {
      ctx.io.out(safeJson(runs.map((r) => ({ ...r.entry, chain: r.chain }))));
    } else if (runs.length === 0) {
      ctx.io.out(
        sanitise(`No runs touched ${resource} in ${stage.name}${opts.since ? ` since ${opts.since}` : ''}.`),
      );
    } else {
      const rows = runs.map(({ entry, chain }): (string | Cell)[] => {
        const outcome = entry.result?.outcome ?? `(${entry.phase})`;
        return [
          entry.startedAt ?? entry.at,
          entry.runbook,
          {
            text: outcome,
            style: outcome === 'succeeded' ? 'green' : outcome === 'failed' ? 'red' : 'yellow',
          },
          entry.trigger.requestedBy,
          approvalText(entry),
          changesText(entry),
          entry.executionName,
          { text: chain, style: chain === VERIFIED ? 'green' : 'red' },
        ];
      });
      ctx.io.out(
        table(
          ctx.io,
          ['STARTED', 'RUNBOOK', 'OUTCOME', 'REQUESTED BY', 'APPROVAL', 'CHANGES', 'EXECUTION', 'CHAIN'],
          rows,
        ),
      );
    }
    return runs.some((r) => r.chain !== VERIFIED) ? EXIT.failure : EXIT.ok;
  } finally {
    dynamo.destroy();
  }
}
