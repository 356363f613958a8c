import type { OpsLogger } from '../shared/powertools.js';
import type { SlackApi } from '../shared/slack.js';
import * as z from '../shared/zod-mini.js';
import { approvalRequestBlocks } from './messages.js';
import { type ApprovalStore, newApprovalId } from './store.js';

/**
 * What the frame's "Request approval" step sends (runbooks/workflow-kit.ts). On `zod/mini`
 * (functions/shared/zod-mini.ts): it is the approval hook's one schema, so its bundle carries no classic zod.
 */
export const ApprovalRequestEvent = z.object({
  taskToken: z.string().check(z.minLength(1)),
  execution: z.string().check(z.minLength(1)),
  input: z.object({
    runbook: z.string(),
    stage: z.string(),
    parameters: z._default(z.record(z.string(), z.unknown()), {}),
    dryRun: z._default(z.boolean(), false),
    resourceKey: z._default(z.string(), 'unknown'),
    reasons: z._default(z.array(z.string()), []),
    trigger: z._default(
      z.object({
        requestedBy: z._default(z.string(), 'unknown'),
        slack: z.optional(
          z.object({
            channel: z.string(),
            threadTs: z.optional(z.string()),
            responseUrl: z.optional(z.string()),
          }),
        ),
      }),
      { requestedBy: 'unknown' },
    ),
  }),
});
export type ApprovalRequestEvent = z.infer<typeof ApprovalRequestEvent>;

export interface ApprovalHookDeps {
  readonly store: ApprovalStore;
  readonly slack: SlackApi;
  /** The stage's channel: where automatic runs (no Slack thread of their own) ask for approval. */
  readonly channel: string;
  readonly approvalTimeoutMinutes: number;
  readonly logger: OpsLogger;
  readonly nowMs: () => number;
}

export interface ApprovalRequested {
  readonly approvalId: string;
  readonly channel: string;
  readonly ts: string;
  readonly expiresAt: number;
}

/**
 * Stores the task token under a fresh approval id with its expiry, then posts Approve / Reject
 * buttons carrying only that id: in the command's thread when the run came from Slack, otherwise
 * in the stage's channel. Returns at once; the run waits until the Slack endpoint answers the
 * token, or until the step's task timeout (same length as the expiry) rejects it.
 */
export async function requestApproval(
  event: ApprovalRequestEvent,
  deps: ApprovalHookDeps,
): Promise<ApprovalRequested> {
  const { input } = event;
  const id = newApprovalId();
  const expiresAt = Math.floor(deps.nowMs() / 1000) + deps.approvalTimeoutMinutes * 60;
  const record = await deps.store.create({
    id,
    taskToken: event.taskToken,
    execution: event.execution,
    runbook: input.runbook,
    stage: input.stage,
    resourceKey: input.resourceKey,
    requestedBy: input.trigger.requestedBy,
    expiresAt,
    summary: `${input.runbook} on ${input.resourceKey}`,
  });
  const view = approvalRequestBlocks({
    id: record.id,
    runbook: input.runbook,
    stage: input.stage,
    execution: event.execution,
    resourceKey: input.resourceKey,
    requestedBy: input.trigger.requestedBy,
    reasons: input.reasons,
    parameters: input.parameters,
    dryRun: input.dryRun,
    expiresAt,
  });
  const where = input.trigger.slack;
  const posted = await deps.slack.postMessage({
    channel: where?.channel ?? deps.channel,
    threadTs: where?.threadTs,
    // A request in a thread is easy to miss: show it in the channel too.
    replyBroadcast: Boolean(where?.threadTs),
    text: view.text,
    blocks: view.blocks,
  });
  await deps.store.attachMessage(id, posted);
  deps.logger.info('approval requested', {
    approvalId: id,
    runbook: input.runbook,
    requestedBy: input.trigger.requestedBy,
    expiresAt,
    channel: posted.channel,
  });
  return { approvalId: id, channel: posted.channel, ts: posted.ts, expiresAt };
}
