import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError, loadStage } from '../../config/index.js';
import type { AuditEntry } from '../../functions/audit/record.js';
import { AuditStore } from '../../functions/audit/store.js';
import { describeVerdict, VERIFIED, verifyChain } from '../../functions/audit/verify.js';

const USAGE = `usage: ops history <resource> [--since ISO-8601] [--stage NAME] [--limit N] [--json]

Lists the runs that touched a resource (a volume id, cluster/nodegroup, secret name, zone/record…),
newest first, from the stage's audit table (ops-<stage>-audit): when, runbook, outcome, who asked,
who approved, what changed, and whether the run's audit chain is verified against the ledger
(the Object-Locked S3 copy of every entry). Needs AWS credentials for the stage's account
(read-only: dynamodb:Query; s3:ListBucket and s3:GetObject on the ledger). Default stage: dev.
Exit 0 on success (also when nothing is found); 1 when the table cannot be read; 2 for a usage error.`;

interface Options {
  resource: string;
  since?: string;
  stage: string;
  limit: number;
  json: boolean;
}

function parse(args: string[]): Options | string {
  const positional: string[] = [];
  const opts: Partial<Options> = { stage: 'dev', limit: 20, json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? (arg.split(/=(.*)/s, 2) as [string, string])
        : [arg, undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '--since': {
        const v = value();
        if (!v || Number.isNaN(Date.parse(v)))
          return '--since needs an ISO-8601 time, e.g. 2026-11-01T00:00:00Z';
        opts.since = new Date(v).toISOString();
        break;
      }
      case '--stage': {
        const v = value();
        if (!v) return '--stage needs a stage name';
        opts.stage = v;
        break;
      }
      case '--limit': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 500) return '--limit needs a whole number from 1 to 500';
        opts.limit = v;
        break;
      }
      case '--json':
        opts.json = true;
        break;
      default:
        if (arg.startsWith('-')) return `unknown option ${arg}`;
        positional.push(arg);
    }
  }
  if (positional.length !== 1) return 'give exactly one resource';
  return { ...(opts as Options), resource: positional[0] as string };
}

function line(entry: AuditEntry, chain: string): string {
  const outcome = entry.result?.outcome ?? `(${entry.phase})`;
  const approval =
    entry.approval.status === 'approved'
      ? `approved by ${entry.approval.approver ?? '?'}`
      : entry.approval.status === 'not-requested'
        ? 'no approval needed'
        : `approval ${entry.approval.status}`;
  const changes =
    entry.changes.map((c) => `${c.action}${c.requestId ? ` (${c.requestId})` : ''}`).join(', ') ||
    'no changes';
  return [
    entry.startedAt ?? entry.at,
    entry.runbook,
    outcome,
    `by ${entry.trigger.requestedBy}`,
    approval,
    changes,
    entry.executionName,
    chain,
  ].join('  ');
}

/** `ops history <resource>`: the audit record of every run that touched a resource. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const opts = parse(args);
  if (typeof opts === 'string') {
    console.error(`ops history: ${opts}\n\n${USAGE}`);
    return 2;
  }
  let stage: ReturnType<typeof loadStage>;
  try {
    stage = loadStage(opts.stage);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`ops history: ${err.message.split('\n')[0]}`);
      return 2;
    }
    throw err;
  }
  const tableName = `ops-${stage.name}-audit`;
  const dynamo = new DynamoDBClient({ region: stage.region, maxAttempts: 2 });
  try {
    await dynamo.config.credentials();
  } catch {
    console.error(
      `ops history: no AWS credentials found: sign in to account ${stage.account} (e.g. aws sso login, AWS_PROFILE) to read ${tableName}`,
    );
    return 1;
  }
  const store = new AuditStore({
    doc: DynamoDBDocumentClient.from(dynamo),
    s3: new S3Client({ region: stage.region }),
    tableName,
    bucketName: `ops-${stage.name}-audit-ledger-${stage.account}-${stage.region}`,
  });
  try {
    const runs = await store.history({
      stage: stage.name,
      resourceKey: opts.resource,
      ...(opts.since ? { since: opts.since } : {}),
      limit: opts.limit,
    });
    const verified = await Promise.all(
      runs.map(async (entry) => {
        const entries = await store.runEntries(entry.executionName);
        return { entry, chain: describeVerdict(verifyChain(entries, await store.ledgerEntries(entries))) };
      }),
    );
    if (opts.json) {
      console.log(
        JSON.stringify(
          verified.map((v) => ({ ...v.entry, chain: v.chain })),
          null,
          2,
        ),
      );
    } else if (verified.length === 0) {
      console.log(
        `No runs touched ${opts.resource} in ${stage.name}${opts.since ? ` since ${opts.since}` : ''}.`,
      );
    } else {
      for (const v of verified) console.log(line(v.entry, v.chain));
    }
    return verified.some((v) => v.chain !== VERIFIED) ? 1 : 0;
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    console.error(
      `ops history: cannot read ${tableName} in ${stage.region}: ${name}: ${(err as Error).message}`.split(
        '\n',
      )[0],
    );
    return 1;
  } finally {
    dynamo.destroy();
  }
}
