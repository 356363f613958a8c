import { createHmac } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { loadStage, type StageConfig } from '../../config/index.js';
import { ApprovalStore } from '../../functions/approval/store.js';
import { GuardStore, killSwitchParameter } from '../../functions/intake/index.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { SlackApi } from '../../functions/shared/slack.js';
import { UserGroupResolver } from '../../functions/slack/authz.js';
import type { EndpointDeps } from '../../functions/slack/endpoint.js';
import { liveIntake } from '../../functions/slack/intake-port.js';
import type { SlackJob } from '../../functions/slack/jobs.js';
import { type EndpointServer, startEndpointServer } from '../../functions/slack/local-server.js';
import { DynamoReplayGuard } from '../../functions/slack/replay.js';
import { runSlackJob, type WorkerDeps } from '../../functions/slack/worker.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type SlackApiServer, startSlackApiServer } from '../support/slack-api-server.js';

/**
 * The Slack endpoint as the tests meet it: its real core behind a local node:http server,
 * the real worker (intake guards on dynalite, approvals on dynalite), Slack as a local HTTP
 * server, and only Step Functions faked (aws-sdk-client-mock) at the AWS boundary.
 */

export const SIGNING_SECRET = 'test-signing-secret-0f1e2d3c4b5a6978';
/** From the dev stage's config: may run and approve everything. */
export const PLATFORM_1 = 'U0PLATFORM1';
export const PLATFORM_2 = 'U0PLATFORM2';
/** Member of the dev stage's on-call group S0ONCALL01 (run snapshot-volume / scale-node-group, approve nothing). */
export const ONCALL = 'U0ONCALL001';
export const STRANGER = 'U0STRANGER1';
export const CHANNEL = 'C0DEVOPS001';

export const silentLogger: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};

export function signatureOf(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(body: string, nowMs: number, secret = SIGNING_SECRET): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signatureOf(body, timestamp, secret),
  };
}

let triggers = 0;
export function slashCommand(text: string, user: string, responseUrl: string, channel = CHANNEL): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEAM00001',
    channel_id: channel,
    channel_name: 'ops',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/ops',
    text,
    response_url: responseUrl,
    trigger_id: `trigger.${++triggers}.${Date.now()}`,
  }).toString();
}

export function buttonClick(
  actionId: string,
  value: string,
  user: string,
  responseUrl: string,
  messageTs?: string,
): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0TEAM00001' },
    team: { id: 'T0TEAM00001' },
    channel: { id: CHANNEL, name: 'ops' },
    container: { type: 'message', channel_id: CHANNEL, ...(messageTs ? { message_ts: messageTs } : {}) },
    ...(messageTs ? { message: { ts: messageTs, type: 'message' } } : {}),
    response_url: responseUrl,
    trigger_id: `trigger.${++triggers}.${Date.now()}`,
    actions: [{ action_id: actionId, block_id: 'approval', value, type: 'button', action_ts: '1.2' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface Harness {
  readonly url: string;
  readonly stage: StageConfig;
  readonly slack: SlackApiServer;
  readonly slackApi: SlackApi;
  readonly db: LocalDynamo;
  readonly sfn: AwsClientStub<SFNClient>;
  readonly approvals: ApprovalStore;
  /** The flags the intake reads (kill switch, pauses): "off" unless a test says otherwise. */
  readonly flags: Map<string, string>;
  readonly jobs: SlackJob[];
  /** The clock every part reads (endpoint, worker, approvals); tests move it. */
  now: number;
  post(
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Waits until every job dispatched so far has finished in the worker. */
  settled(): Promise<void>;
  /** Holds the worker before it starts a job until `release()`; returns the release function. */
  holdWorker(): () => void;
  readonly endpointDeps: EndpointDeps;
  readonly workerDeps: WorkerDeps;
  stop(): Promise<void>;
}

export const STATE_MACHINES: Record<string, string> = {
  'snapshot-volume': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-snapshot-volume',
  'scale-node-group': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-scale-node-group',
  'update-dns': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-update-dns',
  'rotate-secret': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-rotate-secret',
  'verify-backups': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-verify-backups',
};

export async function startHarness(options: { stage?: StageConfig } = {}): Promise<Harness> {
  const stage = options.stage ?? loadStage('dev');
  const db = await startDynalite([
    { name: 'slack', partitionKey: 'pk' },
    { name: 'guards', partitionKey: 'pk' },
  ]);
  const slack = await startSlackApiServer({ userGroups: { S0ONCALL01: [ONCALL] } });
  const slackApi = new SlackApi({
    token: async () => 'xoxb-test-bot-token',
    apiUrl: slack.apiUrl,
    responseUrlOrigins: [slack.origin],
    maxRetries: 0,
  });
  const sfn = mockClient(SFNClient);
  const flags = new Map<string, string>();
  const approvals = new ApprovalStore(db.doc, 'slack');
  const store = new GuardStore({
    doc: db.doc,
    tableName: 'guards',
    stage: stage.name,
    flags: { get: async (name) => flags.get(name) ?? 'off' },
    now: () => h.now,
  });
  const jobs: SlackJob[] = [];
  const running: Promise<void>[] = [];
  let gate: Promise<void> | undefined;

  const workerDeps: WorkerDeps = {
    stage: stage.name,
    auth: stage.automation.slack,
    groups: new UserGroupResolver(slackApi, silentLogger),
    slack: slackApi,
    intake: liveIntake({
      stage: stage.name,
      automation: stage.automation,
      store,
      sfn: new SFNClient({ region: 'eu-west-1' }),
      stateMachines: STATE_MACHINES,
    }),
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachines: STATE_MACHINES,
    approvals,
    logger: silentLogger,
    nowMs: () => h.now,
  };
  const endpointDeps: EndpointDeps = {
    stage: stage.name,
    slack: stage.automation.slack,
    runbookOverrides: stage.automation.runbooks,
    signingSecret: async () => SIGNING_SECRET,
    replay: new DynamoReplayGuard(db.doc, 'slack'),
    groups: new UserGroupResolver(slackApi, silentLogger),
    // As the Lambda's asynchronous Invoke: queue the job, return, never wait for the work.
    dispatch: async (job) => {
      jobs.push(job);
      const held = gate;
      running.push(
        (async () => {
          if (held) await held;
          await runSlackJob(job, workerDeps);
        })(),
      );
    },
    logger: silentLogger,
    nowMs: () => h.now,
  };
  const server: EndpointServer = await startEndpointServer(endpointDeps);

  const h: Harness = {
    url: server.url,
    stage,
    slack,
    slackApi,
    db,
    sfn,
    approvals,
    flags,
    jobs,
    now: Date.now(),
    async post(body, headers) {
      const res = await fetch(server.url, { method: 'POST', headers, body });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async settled() {
      for (let seen = -1; seen !== running.length; ) {
        seen = running.length;
        await Promise.all(running);
      }
    },
    holdWorker() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    endpointDeps,
    workerDeps,
    async stop() {
      await server.close();
      await slack.stop();
      await db.stop();
      sfn.restore();
    },
  };
  return h;
}

export { killSwitchParameter };
