import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadStage, type StageConfig } from '../../config/index.js';
import { ApprovalStore } from '../../functions/approval/store.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/index.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { SlackApi } from '../../functions/shared/slack.js';
import { type GroupMembership, NO_GROUPS, UserGroupResolver } from '../../functions/slack/authz.js';
import type { EndpointDeps } from '../../functions/slack/endpoint.js';
import { liveIntake, offlineIntake } from '../../functions/slack/intake-port.js';
import { type EndpointServer, startEndpointServer } from '../../functions/slack/local-server.js';
import { MemoryReplayGuard } from '../../functions/slack/replay.js';
import { runSlackJob, type WorkerDeps } from '../../functions/slack/worker.js';
import { runbookNames } from '../../runbooks/registry.js';

/**
 * `ops serve`: the Slack endpoint on this machine, for a Slack app pointed at it through a
 * tunnel. The same endpoint core and worker as the Lambdas; the signing secret comes from
 * SLACK_SIGNING_SECRET, the bot token (optional: threads and user groups) from SLACK_BOT_TOKEN.
 * With AWS credentials it starts runs through the stage's intake for real; without them it
 * answers help, list and plan, and `run` says what it would do.
 */

const USAGE = `usage: ops serve [--port N] [--stage NAME] [--host ADDR] [--offline]

Runs the Slack endpoint locally (POST /slack/events). Environment:
  SLACK_SIGNING_SECRET  required: the Slack app's signing secret
  SLACK_BOT_TOKEN       optional: lets runs report in a thread and user groups count
Without AWS credentials (or with --offline) it answers help, list and plan, and run says what it would do.`;

export interface ServeOptions {
  readonly stage: StageConfig;
  readonly signingSecret: string;
  readonly botToken?: string;
  readonly port?: number;
  readonly host?: string;
  /** Whether to use AWS (state machines, guard store, approvals of the deployed stage). */
  readonly aws: boolean;
  /** For tests: where Slack's Web API and response URLs live. */
  readonly slackApiUrl?: string;
  readonly responseUrlOrigins?: readonly string[];
  readonly logger?: OpsLogger;
}

export interface Serving {
  readonly server: EndpointServer;
  readonly mode: 'aws' | 'offline';
  /** Settles when every job started so far has finished. */
  idle(): Promise<void>;
}

const consoleLogger: OpsLogger = {
  info: (msg, ...rest) => console.log(msg, ...rest.map((r) => JSON.stringify(r))),
  warn: (msg, ...rest) => console.warn(msg, ...rest.map((r) => JSON.stringify(r))),
  error: (msg, ...rest) => console.error(msg, ...rest.map((r) => JSON.stringify(r))),
  debug: () => undefined,
  appendKeys: () => undefined,
};

/** Whether the default credential chain yields credentials (bounded: IMDS probes can hang). */
export async function hasAwsCredentials(region: string, timeoutMs = 3000): Promise<boolean> {
  const client = new SFNClient({ region });
  try {
    const creds = await Promise.race([
      client.config.credentials(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref()),
    ]);
    return Boolean(creds?.accessKeyId);
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

export async function startServe(options: ServeOptions): Promise<Serving> {
  const { stage } = options;
  const logger = options.logger ?? consoleLogger;
  const prefix = `ops-${stage.name}`;
  const slack = new SlackApi({
    token: async () => {
      if (!options.botToken) throw new Error('no SLACK_BOT_TOKEN: nothing can be posted as the bot');
      return options.botToken;
    },
    ...(options.slackApiUrl ? { apiUrl: options.slackApiUrl } : {}),
    ...(options.responseUrlOrigins ? { responseUrlOrigins: options.responseUrlOrigins } : {}),
  });
  const groups: GroupMembership = options.botToken ? new UserGroupResolver(slack, logger) : NO_GROUPS;
  const stateMachines = Object.fromEntries(
    runbookNames().map((r) => [
      r,
      `arn:aws:states:${stage.region}:${stage.account}:stateMachine:${prefix}-${r}`,
    ]),
  );

  let worker: WorkerDeps;
  if (options.aws) {
    const region = stage.region;
    const sfn = new SFNClient({ region });
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const store = new GuardStore({
      doc,
      tableName: `${prefix}-intake-guards`,
      stage: stage.name,
      flags: ssmFlagReader(new SSMClient({ region }), 5),
    });
    worker = {
      stage: stage.name,
      auth: stage.automation.slack,
      groups,
      slack,
      intake: liveIntake({ stage: stage.name, automation: stage.automation, store, sfn, stateMachines }),
      sfn,
      stateMachines,
      approvals: new ApprovalStore(doc, `${prefix}-slack`),
      logger,
      nowMs: Date.now,
    };
  } else {
    worker = {
      stage: stage.name,
      auth: stage.automation.slack,
      groups,
      slack,
      intake: offlineIntake(stage.name, stage.automation),
      stateMachines,
      logger,
      nowMs: Date.now,
    };
  }

  const running = new Set<Promise<void>>();
  const deps: EndpointDeps = {
    stage: stage.name,
    slack: stage.automation.slack,
    runbookOverrides: stage.automation.runbooks,
    signingSecret: async () => options.signingSecret,
    replay: new MemoryReplayGuard(),
    groups,
    // In-process stand-in for the Lambda's asynchronous Invoke: queued, never awaited by the ack.
    dispatch: async (job) => {
      const p = runSlackJob(job, worker).catch((err: unknown) =>
        logger.error('Slack job failed', { error: (err as Error).message }),
      );
      running.add(p);
      void p.finally(() => running.delete(p));
    },
    logger,
    nowMs: Date.now,
  };
  const server = await startEndpointServer(deps, {
    ...(options.port !== undefined ? { port: options.port } : {}),
    host: options.host ?? '127.0.0.1',
  });
  return {
    server,
    mode: options.aws ? 'aws' : 'offline',
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export async function run(args: string[]): Promise<number> {
  let values: { port?: string; stage?: string; host?: string; offline?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        stage: { type: 'string' },
        host: { type: 'string' },
        offline: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`ops serve: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`ops serve: --port must be a port number, got "${values.port}"`);
    return 2;
  }
  const signingSecret = process.env.SLACK_SIGNING_SECRET;
  if (!signingSecret) {
    console.error("ops serve: set SLACK_SIGNING_SECRET to the Slack app's signing secret");
    return 2;
  }
  const stage = loadStage(values.stage ?? process.env.OPS_STAGE ?? 'dev');
  const aws = !values.offline && (await hasAwsCredentials(stage.region));
  const serving = await startServe({
    stage,
    signingSecret,
    ...(process.env.SLACK_BOT_TOKEN ? { botToken: process.env.SLACK_BOT_TOKEN } : {}),
    port,
    ...(values.host ? { host: values.host } : {}),
    aws,
  });
  console.log(`ops serve: Slack endpoint for stage ${stage.name} at ${serving.server.url}`);
  console.log(
    serving.mode === 'aws'
      ? 'AWS credentials found: runs start through the deployed intake, approvals resolve for real.'
      : 'No AWS credentials: help, list and plan are answered; run says what it would do.',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await serving.idle();
  await serving.server.close();
  return 0;
}
