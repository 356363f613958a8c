import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { manualSignal } from '../../events/index.js';
import type { Signal } from '../../events/signal.js';
import { findRunbook, runbookNames } from '../../runbooks/registry.js';
import type { RunbookInput, RunbookSpec, RunResult } from '../../runbooks/types.js';
import { approvalOutcomeBlocks } from '../approval/messages.js';
import type { ApprovalRecord, ApprovalStore } from '../approval/store.js';
import type { Decision } from '../intake/decision.js';
import type { OpsLogger } from '../shared/powertools.js';
import type { SlackApi, SlackResponse } from '../shared/slack.js';
import { authorise, type GroupMembership, type Permission, type SlackAuthConfig } from './authz.js';
import type { SlackJob } from './jobs.js';

/**
 * The Slack worker's core: the slow half of a Slack request, run after the endpoint has
 * acknowledged it. Starts go through the intake (same guards as every other trigger); approvals
 * resolve the approval id to its task token here, in AWS, and answer Step Functions.
 */

/** The intake as the worker uses it: `plan` is pure (`ops plan`), `submit` runs decide → admit → start. */
export interface IntakePort {
  plan(signal: Signal, options: RequestOptions): readonly Decision[];
  submit(
    signal: Signal,
    options: RequestOptions,
  ): Promise<readonly { decision: Decision; executionArn?: string }[]>;
}

/** What the person asked for beyond the signal: `--dry-run` (it can only make a decision safer). */
export interface RequestOptions {
  readonly dryRun: boolean;
}

export interface WorkerDeps {
  readonly stage: string;
  readonly auth: SlackAuthConfig;
  readonly groups: GroupMembership;
  readonly slack: SlackApi;
  readonly intake: IntakePort;
  /** Absent without AWS credentials (`ops serve` offline): status, revert and approvals say so. */
  readonly sfn?: SFNClient;
  /** Runbook name → state machine ARN. */
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly approvals?: ApprovalStore;
  readonly logger: OpsLogger;
  readonly nowMs: () => number;
}

type ActionJob = Extract<SlackJob, { kind: 'action' }>;
type StartJob = Extract<SlackJob, { kind: 'start' }>;

export async function runSlackJob(job: SlackJob, deps: WorkerDeps): Promise<void> {
  deps.logger.appendKeys({ correlationId: job.correlationId, slackUser: job.user.id });
  try {
    if (job.kind === 'start') {
      if (job.verb === 'plan') await plan(job, deps);
      else await run(job, deps);
    } else if (job.kind === 'execution') {
      if (job.verb === 'status') await status(job.execution, job, deps);
      else await revert(job.execution, job, deps);
    } else if (job.action === 'revert') {
      await revert(job.value, job, deps);
    } else {
      await decideApproval(job, deps);
    }
  } catch (err) {
    deps.logger.error('Slack job failed', { kind: job.kind, error: (err as Error).message });
    // Not rethrown: the person has been told, and an automatic retry of a half-done job would
    // announce twice; every step it took is idempotent, so asking again is safe.
    await respond(deps, job, {
      text: `:x: Something went wrong: ${(err as Error).message}. Please try again.`,
    });
  }
}

async function respond(deps: WorkerDeps, job: SlackJob, message: SlackResponse): Promise<void> {
  try {
    await deps.slack.respond(job.responseUrl, message);
  } catch (err) {
    deps.logger.warn('could not answer through response_url', { error: (err as Error).message });
  }
}

async function allowed(
  deps: WorkerDeps,
  userId: string,
  permission: Permission,
  runbook: string,
): Promise<ReturnType<typeof authorise>> {
  const groups = await deps.groups.groupsOf(userId, Object.keys(deps.auth.userGroups));
  return authorise(deps.auth, deps.stage, userId, groups, permission, runbook);
}

const icon = (outcome: string) =>
  outcome === 'pass' ? ':white_check_mark:' : outcome === 'block' ? ':x:' : ':heavy_minus_sign:';

export function describeDecision(d: Decision): string {
  const head =
    d.action === 'start'
      ? `would start \`${d.executionName}\` (${d.mode === 'approval' ? 'after approval' : 'at once'}${d.dryRun ? ', dry run' : ''})`
      : `would *${d.action}*`;
  const guards = d.guards.map((g) => `${icon(g.outcome)} ${g.name}: ${g.detail}`);
  return [
    `*${d.runbook ?? 'no runbook'}*: ${head}`,
    ...guards,
    ...(d.reasons.length ? [`Reasons: ${d.reasons.join('; ')}`] : []),
  ].join('\n');
}

/** The request as the one normalised Signal, through events/ (the manual-request normaliser). */
function signalOf(job: StartJob, threadTs?: string): Signal {
  return manualSignal({
    runbook: job.runbook,
    parameters: job.parameters,
    requestedBy: job.user.id,
    ...(job.dryRun ? { dryRun: true } : {}),
    ...(job.user.name ? { requestedByName: job.user.name } : {}),
    via: 'slack',
    channel: job.channel,
    // response_url stays out of the run's input: it is a credential for 30 minutes.
    ...(threadTs ? { threadTs } : {}),
    at: job.receivedAt,
    requestId: job.correlationId,
  });
}

async function plan(job: StartJob, deps: WorkerDeps): Promise<void> {
  const decisions = deps.intake.plan(signalOf(job), { dryRun: job.dryRun });
  await respond(deps, job, {
    text: [
      `:mag: *Plan* for \`${job.text}\` (nothing was changed):`,
      ...decisions.map(describeDecision),
    ].join('\n'),
  });
}

/** Announces the command in the channel: its message is the thread the run reports into. */
async function announce(deps: WorkerDeps, job: StartJob): Promise<string | undefined> {
  try {
    const ref = await deps.slack.postMessage({
      channel: job.channel,
      text: `<@${job.user.id}> ran \`${job.text}\``,
    });
    return ref.ts;
  } catch (err) {
    // e.g. a direct message or a channel the bot is not in: the run reports in the stage's channel.
    deps.logger.warn('could not announce the command in its channel', { error: (err as Error).message });
    return undefined;
  }
}

async function run(job: StartJob, deps: WorkerDeps): Promise<void> {
  const threadTs = await announce(deps, job);
  const results = await deps.intake.submit(signalOf(job, threadTs), { dryRun: job.dryRun });
  const lines = results.map(({ decision: d, executionArn }) => {
    const wait = d.mode === 'approval' ? ', after approval' : '';
    if (d.action === 'start' && executionArn) {
      return `:rocket: Started \`${d.executionName}\`${d.dryRun ? ' (dry run)' : ''}${wait}. Progress follows in the thread.`;
    }
    if (d.action === 'start') {
      return `:information_source: Would start \`${d.executionName}\`${d.dryRun ? ' (dry run)' : ''}${wait}: no AWS credentials here, nothing was started.`;
    }
    return `:no_entry_sign: Not started (${d.action}): ${d.reasons.join('; ') || 'no reason given'}`;
  });
  const text = lines.join('\n') || ':no_entry_sign: Nothing to start.';
  deps.logger.info('Slack run request handled', {
    runbook: job.runbook,
    outcomes: results.map((r) => ({ action: r.decision.action, executionName: r.decision.executionName })),
  });
  if (threadTs) {
    try {
      await deps.slack.postMessage({ channel: job.channel, threadTs, text });
      return;
    } catch (err) {
      deps.logger.warn('could not reply in the thread', { error: (err as Error).message });
    }
  }
  await respond(deps, job, { text, responseType: 'in_channel' });
}

/** The runbook an execution belongs to: its name starts with the runbook's (intake naming). */
export function runbookOfExecution(execution: string): RunbookSpec | undefined {
  const name = runbookNames()
    .filter((r) => execution.startsWith(`${r}-`))
    .sort((a, b) => b.length - a.length)[0];
  return name ? findRunbook(name) : undefined;
}

async function describe(execution: string, job: SlackJob, deps: WorkerDeps) {
  const spec = runbookOfExecution(execution);
  const smArn = spec ? deps.stateMachines[spec.name] : undefined;
  if (!spec || !smArn) {
    await respond(deps, job, {
      text: `:grey_question: \`${execution}\` is not an execution of a runbook deployed in *${deps.stage}*.`,
    });
    return undefined;
  }
  if (!deps.sfn) {
    await respond(deps, job, {
      text: `Would look up \`${execution}\` in \`${smArn}\` (no AWS credentials here).`,
    });
    return undefined;
  }
  const executionArn = `${smArn.replace(':stateMachine:', ':execution:')}:${execution}`;
  try {
    const out = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { spec, out };
  } catch (err) {
    if ((err as Error).name === 'ExecutionDoesNotExist') {
      await respond(deps, job, { text: `:grey_question: No execution \`${execution}\` in *${deps.stage}*.` });
      return undefined;
    }
    throw err;
  }
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

async function status(execution: string, job: SlackJob, deps: WorkerDeps): Promise<void> {
  const found = await describe(execution, job, deps);
  if (!found) return;
  const { out } = found;
  const result = parseJson<RunResult>(out.output);
  const lines = [
    `*\`${execution}\`*: ${out.status}`,
    `Started ${out.startDate?.toISOString() ?? '?'}${out.stopDate ? `, ended ${out.stopDate.toISOString()}` : ''}`,
    ...(result?.summary ? [`Result: ${result.summary}`] : []),
    ...(out.error ? [`Error: ${out.error}${out.cause ? `: ${out.cause.slice(0, 300)}` : ''}`] : []),
  ];
  await respond(deps, job, { text: lines.join('\n') });
}

async function revert(execution: string, job: SlackJob, deps: WorkerDeps): Promise<void> {
  const found = await describe(execution, job, deps);
  if (!found) return;
  const { spec, out } = found;
  const verdict = await allowed(deps, job.user.id, 'run', spec.name);
  if (!verdict.allowed) {
    await respond(deps, job, { text: verdict.message });
    return;
  }
  if (!spec.revertible) {
    await respond(deps, job, { text: `\`${spec.name}\` runs cannot be reverted.` });
    return;
  }
  if (out.status !== 'SUCCEEDED') {
    await respond(deps, job, {
      text: `Only a succeeded run can be reverted; \`${execution}\` is ${out.status}.`,
    });
    return;
  }
  const input = parseJson<RunbookInput>(out.input);
  const result = parseJson<RunResult>(out.output);
  // The run says how to undo it (`RunResult.revert`); older results only carry their changes' before state.
  const before =
    result?.revert ?? result?.changes.find((c) => c.before && typeof c.before === 'object')?.before;
  if (!input || !before) {
    await respond(deps, job, { text: `\`${execution}\` recorded no earlier state to restore.` });
    return;
  }
  const { revertOf: _r, restore: _s, ...original } = input.parameters as Record<string, unknown>;
  const parsed = spec.parameters.safeParse({
    ...original,
    revertOf: execution,
    restore: before,
    reason: `revert of ${execution} requested by ${job.user.id}`,
  });
  if (!parsed.success) {
    await respond(deps, job, {
      text: `Cannot build the revert of \`${execution}\`: ${parsed.error.issues[0]?.message}`,
    });
    return;
  }
  const startJob: StartJob = {
    kind: 'start',
    verb: 'run',
    runbook: spec.name,
    parameters: parsed.data as Record<string, unknown>,
    dryRun: false,
    text: `/ops revert ${execution}`,
    user: job.user,
    channel: job.channel,
    responseUrl: job.responseUrl,
    receivedAt: job.receivedAt,
    correlationId: job.correlationId,
  };
  await run(startJob, deps);
}

const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

async function showOutcome(
  deps: WorkerDeps,
  record: ApprovalRecord,
  outcome: 'approved' | 'rejected' | 'expired',
  job: ActionJob,
  by?: string,
): Promise<void> {
  const view = approvalOutcomeBlocks(record, outcome, by);
  const where = record.message ?? (job.messageTs ? { channel: job.channel, ts: job.messageTs } : undefined);
  try {
    if (where) await deps.slack.update({ ...where, ...view });
    else await respond(deps, job, { ...view, replaceOriginal: true });
  } catch (err) {
    deps.logger.warn('could not update the approval message', { error: (err as Error).message });
  }
}

/**
 * Approve / Reject: the id → its record; refuse an unknown id, an expired one, a self-approval
 * and anyone not allowed to approve the runbook; then mark the record (once, conditionally) and
 * answer Step Functions with the token that only this side ever saw.
 */
async function decideApproval(job: ActionJob, deps: WorkerDeps): Promise<void> {
  const action = job.action as 'approve' | 'reject';
  if (!deps.approvals || !deps.sfn) {
    await respond(deps, job, { text: 'Approvals need AWS credentials: nothing was sent.' });
    return;
  }
  const record = await deps.approvals.get(job.value);
  if (!record) {
    await respond(deps, job, { text: 'This approval request is unknown or no longer exists.' });
    return;
  }
  deps.logger.appendKeys({ correlationId: record.execution });
  const userId = job.user.id;
  if (record.status !== 'pending') {
    await respond(deps, job, {
      text: `This request was already ${record.status}${record.resolvedBy ? ` by <@${record.resolvedBy}>` : ''}.`,
    });
    return;
  }
  const now = new Date(deps.nowMs());
  if (record.expiresAt * 1000 <= now.getTime()) {
    if (await deps.approvals.resolve(record.id, 'expired', 'expiry', now))
      await showOutcome(deps, record, 'expired', job);
    await respond(deps, job, {
      text: ':hourglass: This approval request has expired; the run was rejected.',
    });
    return;
  }
  const isRequester = userId === record.requestedBy;
  if (action === 'approve' && isRequester) {
    deps.logger.info('refused self-approval', { approvalId: record.id });
    await respond(deps, job, { text: 'You asked for this run: someone else must approve it.' });
    return;
  }
  // The requester may withdraw their own request; everyone else needs approve permission.
  if (!(action === 'reject' && isRequester)) {
    const verdict = await allowed(deps, userId, 'approve', record.runbook);
    if (!verdict.allowed) {
      deps.logger.info('refused approver', { approvalId: record.id, reason: verdict.reason });
      await respond(deps, job, { text: verdict.message });
      return;
    }
  }
  const outcome = action === 'approve' ? 'approved' : 'rejected';
  if (!(await deps.approvals.resolve(record.id, outcome, userId, now))) {
    await respond(deps, job, { text: 'Someone else decided this request a moment ago.' });
    return;
  }
  try {
    if (action === 'approve') {
      await deps.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: record.taskToken,
          output: JSON.stringify({ approved: true, approver: userId, at: now.toISOString() }),
        }),
      );
    } else {
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken: record.taskToken,
          error: 'ApprovalRejected',
          cause: `Rejected by ${userId}${isRequester ? ' (the requester withdrew it)' : ''}`,
        }),
      );
    }
  } catch (err) {
    if (STALE_TOKEN_ERRORS.has((err as Error).name)) {
      // Step Functions' own timeout won the race: the run is already rejected.
      await deps.approvals.reopen(record.id);
      await deps.approvals.resolve(record.id, 'expired', 'expiry', now);
      await showOutcome(deps, record, 'expired', job);
      await respond(deps, job, {
        text: ':hourglass: This approval request has expired; the run was rejected.',
      });
      return;
    }
    await deps.approvals.reopen(record.id);
    throw err;
  }
  deps.logger.info('approval decided', {
    approvalId: record.id,
    outcome,
    by: userId,
    runbook: record.runbook,
  });
  await showOutcome(deps, record, outcome, job, userId);
}
