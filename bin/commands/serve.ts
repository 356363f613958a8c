import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StageConfig } from '../../config/index.js';
import { ApprovalStore } from '../../functions/approval/store.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/index.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import {
  SlackApi,
  type SlackApiOptions,
  type SlackEphemeral,
  type SlackMessage,
  type SlackMessageRef,
  type SlackResponse,
  type SlackUpdate,
} from '../../functions/shared/slack.js';
import { type GroupMembership, NO_GROUPS, UserGroupResolver } from '../../functions/slack/authz.js';
import type { EndpointDeps } from '../../functions/slack/endpoint.js';
import { liveIntake, offlineIntake } from '../../functions/slack/intake-port.js';
import type { SlackJob } from '../../functions/slack/jobs.js';
import { type EndpointServer, startEndpointServer } from '../../functions/slack/local-server.js';
import { MemoryReplayGuard } from '../../functions/slack/replay.js';
import { runSlackJob, type WorkerDeps } from '../../functions/slack/worker.js';
import { runbookNames } from '../../runbooks/registry.js';
import type { CommandContext, CommonOptions } from '../cli/context.js';
import { EXIT, type Io, paint, UsageError } from '../cli/io.js';
import { safeJson, sanitise } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';

/**
 * `ops serve`: the Slack endpoint on this machine, for a Slack app pointed at it through a
 * tunnel. The same endpoint core and worker as the Lambdas; the signing secret comes from
 * SLACK_SIGNING_SECRET, the bot token (optional: threads and user groups) from SLACK_BOT_TOKEN.
 * With AWS credentials it starts runs through the stage's intake for real; without them it
 * answers help, list and plan, and `run` says what it would do.
 */

/** What `ops serve` shows on the terminal: a request and its answer, a message a run sent, a run's end. */
export type ServeEvent =
  | {
      readonly type: 'request';
      readonly at: string;
      readonly user: string;
      readonly command: string;
      readonly status: number;
      readonly answer: string;
    }
  | { readonly type: 'message'; readonly at: string; readonly via: string; readonly text: string }
  | {
      readonly type: 'run';
      readonly at: string;
      readonly user: string;
      readonly job: string;
      readonly result: 'ok' | 'failed';
      readonly ms: number;
      readonly error?: string;
    };

/** The Web API client with every message also handed to `echo` first (then sent as usual). */
class EchoingSlackApi extends SlackApi {
  constructor(
    options: SlackApiOptions,
    private readonly echo: (via: string, text: string) => void,
  ) {
    super(options);
  }
  override async respond(responseUrl: string, response: SlackResponse): Promise<void> {
    this.echo('response_url', response.text);
    return super.respond(responseUrl, response);
  }
  override async postMessage(message: SlackMessage): Promise<SlackMessageRef> {
    this.echo(`chat.postMessage ${message.channel}`, message.text);
    return super.postMessage(message);
  }
  override async update(update: SlackUpdate): Promise<SlackMessageRef> {
    this.echo(`chat.update ${update.channel}`, update.text);
    return super.update(update);
  }
  override async postEphemeral(message: SlackEphemeral): Promise<void> {
    this.echo(`chat.postEphemeral ${message.user}`, message.text);
    return super.postEphemeral(message);
  }
}

function describeJob(job: SlackJob): string {
  if (job.kind === 'action') return `button ${job.action} ${job.value}`;
  // The command as typed, `/ops` included.
  return job.text;
}

/** What a request asked, from its form body: a slash command's text, or an interaction (button). */
function describeRequest(rawBody: string): { user: string; command: string } {
  const form = new URLSearchParams(rawBody);
  if (form.has('command'))
    return {
      user: form.get('user_id') ?? '?',
      command: `${form.get('command')} ${form.get('text') ?? ''}`.trim(),
    };
  const payload = form.get('payload');
  if (payload) {
    try {
      const p = JSON.parse(payload) as { user?: { id?: string }; actions?: { action_id?: string }[] };
      return { user: p.user?.id ?? '?', command: `button ${p.actions?.[0]?.action_id ?? '?'}` };
    } catch {
      return { user: '?', command: 'interaction (unreadable payload)' };
    }
  }
  return { user: '?', command: '(not a Slack request)' };
}

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
  /** Told about every request, message and run end (what the terminal shows). */
  readonly onEvent?: (event: ServeEvent) => void;
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

function stderrLogger(io: Io): OpsLogger {
  const line =
    (level: string) =>
    (msg: string, ...rest: unknown[]) =>
      io.err(sanitise(`${level} ${msg}${rest.map((r) => ` ${JSON.stringify(r)}`).join('')}`));
  return {
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    debug: () => undefined,
    appendKeys: () => undefined,
  };
}

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
  const emit = options.onEvent ?? (() => undefined);
  const now = () => new Date().toISOString();
  const slack = new EchoingSlackApi(
    {
      token: async () => {
        if (!options.botToken) throw new Error('no SLACK_BOT_TOKEN: nothing can be posted as the bot');
        return options.botToken;
      },
      ...(options.slackApiUrl ? { apiUrl: options.slackApiUrl } : {}),
      ...(options.responseUrlOrigins ? { responseUrlOrigins: options.responseUrlOrigins } : {}),
    },
    (via, text) => emit({ type: 'message', at: now(), via, text }),
  );
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
      const started = Date.now();
      const base = { type: 'run', user: job.user.id, job: describeJob(job) } as const;
      const p = runSlackJob(job, worker).then(
        () => emit({ ...base, at: now(), result: 'ok', ms: Date.now() - started }),
        (err: unknown) => {
          logger.error('Slack job failed', { error: (err as Error).message });
          emit({
            ...base,
            at: now(),
            result: 'failed',
            ms: Date.now() - started,
            error: (err as Error).message,
          });
        },
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
    onExchange: ({ rawBody, status, body }) => {
      let answer = '';
      try {
        answer = (JSON.parse(body) as { text?: string }).text ?? '';
      } catch {
        answer = body;
      }
      emit({ type: 'request', at: now(), ...describeRequest(rawBody), status, answer });
    },
  });
  return {
    server,
    mode: options.aws ? 'aws' : 'offline',
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export interface ServeCliOptions extends CommonOptions {
  readonly port: number;
  readonly host: string;
  readonly offline?: boolean;
}

/** Multi-line Slack text, sanitised line by line and indented under its heading. */
function indented(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${sanitise(l)}`)
    .join('\n');
}

/** One terminal block per event: human by default, one JSON object per line with --json. */
export function printServeEvent(io: Io, json: boolean, event: ServeEvent): void {
  if (json) {
    io.out(safeJson(event, 0));
    return;
  }
  const time = event.at.slice(11, 19);
  if (event.type === 'request') {
    const ok = event.status === 200;
    io.out(
      `${paint(io, 'dim', time)}  ${sanitise(event.user)}  ${sanitise(event.command)}  ${paint(io, ok ? 'green' : 'red', `HTTP ${event.status}`)}`,
    );
    if (event.answer) io.out(indented(event.answer));
  } else if (event.type === 'message') {
    io.out(`${paint(io, 'dim', time)}  ${paint(io, 'cyan', `→ ${sanitise(event.via)}`)}`);
    io.out(indented(event.text));
  } else {
    const verdict = event.result === 'ok' ? paint(io, 'green', 'done') : paint(io, 'red', 'FAILED');
    io.out(
      `${paint(io, 'dim', time)}  ${sanitise(event.user)}  ${sanitise(event.job)}  ${verdict} in ${event.ms} ms${event.error ? `: ${sanitise(event.error)}` : ''}`,
    );
  }
}

/** `ops serve`: the Slack endpoint on this machine until Ctrl-C. */
export async function serve(opts: ServeCliOptions, ctx: CommandContext): Promise<number> {
  const stage = stageFor(opts.stage, ctx);
  const signingSecret = ctx.io.env.SLACK_SIGNING_SECRET;
  if (!signingSecret) {
    throw new UsageError("set SLACK_SIGNING_SECRET to the Slack app's signing secret");
  }
  const aws = !opts.offline && (await hasAwsCredentials(stage.region));
  const json = opts.json === true;
  const serving = await startServe({
    stage,
    signingSecret,
    ...(ctx.io.env.SLACK_BOT_TOKEN ? { botToken: ctx.io.env.SLACK_BOT_TOKEN } : {}),
    port: opts.port,
    host: opts.host,
    aws,
    // Stdout carries the requests and runs; the endpoint's and worker's own log lines go to stderr.
    logger: stderrLogger(ctx.io),
    onEvent: (event) => printServeEvent(ctx.io, json, event),
  });
  if (json) {
    ctx.io.out(
      safeJson({ type: 'listening', stage: stage.name, url: serving.server.url, mode: serving.mode }, 0),
    );
  } else {
    ctx.io.out(`ops serve: Slack endpoint for stage ${stage.name} at ${serving.server.url}`);
    ctx.io.out(
      serving.mode === 'aws'
        ? 'AWS credentials found: runs start through the deployed intake, approvals resolve for real.'
        : 'No AWS credentials: help, list and plan are answered; run says what it would do.',
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await serving.idle();
  await serving.server.close();
  return EXIT.ok;
}
