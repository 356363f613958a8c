import type { AutomationConfig } from '../../config/schema.js';
import { findRunbook } from '../../runbooks/registry.js';
import type { RunbookSpec } from '../../runbooks/types.js';
import { ACTION } from '../approval/messages.js';
import type { OpsLogger } from '../shared/powertools.js';
import * as z from '../shared/zod-mini.js';
import {
  authorise,
  type GroupMembership,
  isKnownUser,
  type Permission,
  type SlackAuthConfig,
} from './authz.js';
import { parseCommandText, validateParameters } from './command.js';
import type { SlackJob } from './jobs.js';
import { ackText, helpText, listText } from './messages.js';
import type { ReplayGuard } from './replay.js';
import { SlackAuthError, verifySignedRequest } from './verify.js';

/**
 * The Slack endpoint's core: one signed HTTP request in, one HTTP response out, within Slack's
 * three seconds. It verifies (signature, age, replay), parses, validates, authorises and answers
 * what it can answer at once (help, list, bad input, refusals); anything that talks to Step
 * Functions or posts later is handed to `dispatch` (the worker, invoked asynchronously) and
 * acknowledged without waiting for it. The Lambda handler and `ops serve` both run this.
 */

export interface HttpRequest {
  /** Header names in lower case (API Gateway v2 and node:http both deliver them so). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface EndpointDeps {
  readonly stage: string;
  readonly slack: SlackAuthConfig;
  /** The stage's policy overrides, so `/ops list` shows each runbook's effective mode. */
  readonly runbookOverrides?: AutomationConfig['runbooks'];
  readonly signingSecret: () => Promise<string>;
  readonly replay: ReplayGuard;
  readonly groups: GroupMembership;
  /** Hands the job over and returns once it is queued: it must not wait for the work itself. */
  readonly dispatch: (job: SlackJob) => Promise<void>;
  readonly logger: OpsLogger;
  readonly nowMs: () => number;
}

const json = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
/** Slack shows a slash command's 200 JSON body to the person who typed it (ephemeral by default). */
const reply = (text: string) => json(200, { response_type: 'ephemeral', text });
const unauthorised = () => json(401, { error: 'invalid_request_signature' });

const SLACK_USER = /^[UW][A-Z0-9]+$/;

const SlashCommand = z.object({
  command: z.string(),
  text: z._default(z.string(), ''),
  user_id: z.string().check(z.regex(SLACK_USER)),
  user_name: z.optional(z.string()),
  channel_id: z.string().check(z.minLength(1)),
  response_url: z.string().check(z.url()),
  trigger_id: z.string().check(z.minLength(1)),
});

const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().check(z.regex(SLACK_USER)), username: z.optional(z.string()) }),
  channel: z.optional(z.object({ id: z.string() })),
  container: z.optional(z.object({ channel_id: z.optional(z.string()), message_ts: z.optional(z.string()) })),
  message: z.optional(z.object({ ts: z.string() })),
  response_url: z.string().check(z.url()),
  trigger_id: z.string().check(z.minLength(1)),
  actions: z.array(z.object({ action_id: z.string(), value: z.optional(z.string()) })).check(z.minLength(1)),
});

export async function handleSlackRequest(req: HttpRequest, deps: EndpointDeps): Promise<HttpResponse> {
  const now = deps.nowMs();
  try {
    const verified = verifySignedRequest(
      {
        rawBody: req.rawBody,
        signature: req.headers['x-slack-signature'],
        timestamp: req.headers['x-slack-request-timestamp'],
      },
      await deps.signingSecret(),
      now,
    );
    if (!(await deps.replay.claim(verified.signature, verified.timestampSeconds))) {
      throw new SlackAuthError('signature already used: replayed request');
    }
  } catch (err) {
    if (!(err instanceof SlackAuthError)) throw err;
    deps.logger.warn('refused Slack request', { reason: err.message });
    return unauthorised();
  }

  const form = new URLSearchParams(req.rawBody);
  if (form.get('ssl_check') === '1') return json(200, {});
  const payload = form.get('payload');
  if (payload !== null) return handleInteraction(payload, deps, now);
  return handleCommand(form, deps, now);
}

async function permitted(
  deps: EndpointDeps,
  userId: string,
  permission: Permission,
  runbook: string,
): Promise<ReturnType<typeof authorise>> {
  const direct = authorise(deps.slack, deps.stage, userId, [], permission, runbook);
  if (direct.allowed) return direct;
  const groupIds = Object.keys(deps.slack.userGroups);
  const groups = groupIds.length > 0 ? await deps.groups.groupsOf(userId, groupIds) : [];
  return authorise(deps.slack, deps.stage, userId, groups, permission, runbook);
}

async function known(deps: EndpointDeps, userId: string): Promise<boolean> {
  if (isKnownUser(deps.slack, userId, [])) return true;
  const groupIds = Object.keys(deps.slack.userGroups);
  return groupIds.length > 0 && isKnownUser(deps.slack, userId, await deps.groups.groupsOf(userId, groupIds));
}

function unknownUser(deps: EndpointDeps, userId: string): HttpResponse {
  const verdict = authorise(deps.slack, deps.stage, userId, [], 'run', '*');
  return reply(verdict.allowed ? 'ok' : verdict.message);
}

async function handleCommand(form: URLSearchParams, deps: EndpointDeps, now: number): Promise<HttpResponse> {
  const parsedForm = SlashCommand.safeParse(Object.fromEntries(form));
  if (!parsedForm.success) {
    deps.logger.warn('signed request is neither a slash command nor an interaction', {
      fields: [...form.keys()],
    });
    return json(400, { error: 'not a slash command or interaction payload' });
  }
  const cmd = parsedForm.data;
  const userId = cmd.user_id;
  deps.logger.appendKeys({ correlationId: cmd.trigger_id, slackUser: userId });
  const parsed = parseCommandText(cmd.text);
  // Anyone may read help; everything else, even a typo, is for people the stage knows.
  const help = parsed.ok && parsed.command.verb === 'help';
  if (!help && !(await known(deps, userId))) {
    deps.logger.info('refused unknown Slack user', { verb: parsed.ok ? parsed.command.verb : 'unparsed' });
    return unknownUser(deps, userId);
  }
  if (!parsed.ok) return reply(parsed.message);
  const c = parsed.command;
  if (c.verb === 'help') return reply(helpText(deps.stage));
  if (c.verb === 'list') {
    const modeOf = (spec: RunbookSpec) => deps.runbookOverrides?.[spec.name]?.mode ?? spec.defaults.mode;
    return reply(listText(deps.stage, modeOf));
  }
  const common = {
    user: { id: userId, ...(cmd.user_name ? { name: cmd.user_name } : {}) },
    channel: cmd.channel_id,
    responseUrl: cmd.response_url,
    receivedAt: new Date(now).toISOString(),
    correlationId: cmd.trigger_id,
    text: `${cmd.command} ${cmd.text}`.trim(),
  };
  let job: SlackJob;
  let ack: string;
  if (c.verb === 'plan' || c.verb === 'run') {
    const spec = findRunbook(c.runbook) as RunbookSpec; // parseCommandText only returns known runbooks
    const valid = validateParameters(spec, c.args);
    if (!valid.ok) return reply(valid.message);
    if (c.verb === 'run') {
      const verdict = await permitted(deps, userId, 'run', spec.name);
      if (!verdict.allowed) {
        deps.logger.info('refused Slack run', { runbook: spec.name, reason: verdict.reason });
        return reply(verdict.message);
      }
    }
    job = {
      kind: 'start',
      verb: c.verb,
      runbook: spec.name,
      parameters: valid.parameters,
      dryRun: c.dryRun,
      ...common,
    };
    ack = c.verb === 'run' ? ackText.run(spec.name, c.dryRun) : ackText.plan(spec.name);
  } else {
    // Who may revert is decided by the worker, once it knows which runbook the execution ran.
    job = { kind: 'execution', verb: c.verb, execution: c.execution, ...common };
    ack = c.verb === 'status' ? ackText.status(c.execution) : ackText.revert(c.execution);
  }
  return dispatchAndAck(job, ack, deps);
}

async function dispatchAndAck(job: SlackJob, ack: string, deps: EndpointDeps): Promise<HttpResponse> {
  try {
    await deps.dispatch(job);
  } catch (err) {
    deps.logger.error('could not dispatch Slack job', { kind: job.kind, error: (err as Error).message });
    return reply(ackText.busy);
  }
  deps.logger.info('Slack request acknowledged; work dispatched', { kind: job.kind });
  return reply(ack);
}

const ACTIONS: Record<string, 'approve' | 'reject' | 'revert'> = {
  [ACTION.approve]: 'approve',
  [ACTION.reject]: 'reject',
  [ACTION.revert]: 'revert',
};

async function handleInteraction(payload: string, deps: EndpointDeps, now: number): Promise<HttpResponse> {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return json(400, { error: 'payload is not JSON' });
  }
  const parsed = BlockActions.safeParse(body);
  if (!parsed.success) {
    deps.logger.info('ignored Slack interaction', { type: (body as { type?: unknown })?.type });
    return json(200, {});
  }
  const p = parsed.data;
  const first = p.actions[0] as { action_id: string; value?: string };
  const action = ACTIONS[first.action_id];
  if (!action || !first.value) return json(200, {});
  deps.logger.appendKeys({ correlationId: p.trigger_id, slackUser: p.user.id });
  // Who may press it is decided by the worker, which knows the approval's (or execution's) runbook
  // and answers a refusal through response_url: Slack ignores the body of a button's response.
  const channel = p.channel?.id ?? p.container?.channel_id;
  if (!channel) return json(400, { error: 'interaction without a channel' });
  const job: SlackJob = {
    kind: 'action',
    action,
    value: first.value,
    messageTs: p.message?.ts ?? p.container?.message_ts,
    user: { id: p.user.id, ...(p.user.username ? { name: p.user.username } : {}) },
    channel,
    responseUrl: p.response_url,
    receivedAt: new Date(now).toISOString(),
    correlationId: p.trigger_id,
  };
  try {
    await deps.dispatch(job);
  } catch (err) {
    deps.logger.error('could not dispatch Slack job', { kind: job.kind, error: (err as Error).message });
    return reply(ackText.busy);
  }
  // An empty 200 acknowledges a button; the worker updates the message through response_url.
  return json(200, {});
}
