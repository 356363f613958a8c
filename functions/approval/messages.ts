import type { KnownBlock } from '@slack/web-api';
import type { ApprovalRecord } from './store.js';

/** Action ids the Slack endpoint routes on; button values carry only the approval id. */
export const ACTION = { approve: 'ops-approve', reject: 'ops-reject', revert: 'ops-revert' } as const;

/** Slack renders this in each reader's time zone; the fallback is UTC. */
export function slackDate(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${unixSeconds}^{date_short_pretty} {time}|${iso}>`;
}

const who = (requestedBy: string) =>
  /^[UW][A-Z0-9]+$/.test(requestedBy) ? `<@${requestedBy}>` : `\`${requestedBy}\``;

export interface ApprovalRequestView {
  readonly id: string;
  readonly runbook: string;
  readonly stage: string;
  readonly execution: string;
  readonly resourceKey: string;
  readonly requestedBy: string;
  readonly reasons: readonly string[];
  readonly parameters: Record<string, unknown>;
  readonly dryRun: boolean;
  readonly expiresAt: number;
}

export function approvalSummary(v: Pick<ApprovalRequestView, 'runbook' | 'resourceKey' | 'stage'>): string {
  return `\`${v.runbook}\` on \`${v.resourceKey}\` in *${v.stage}*`;
}

/** The request: what, why, who asked, until when; Approve / Reject carrying the approval id only. */
export function approvalRequestBlocks(v: ApprovalRequestView): { text: string; blocks: KnownBlock[] } {
  const text = `Approval needed: ${v.runbook} on ${v.resourceKey} (${v.stage})`;
  const params = Object.entries(v.parameters)
    .map(([k, val]) => `\`${k}\`=${'`'}${typeof val === 'string' ? val : JSON.stringify(val)}${'`'}`)
    .join(' ');
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:raised_hand: *Approval needed*: ${approvalSummary(v)}${v.dryRun ? ' (dry run)' : ''}`,
        },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Requested by*\n${who(v.requestedBy)}` },
          { type: 'mrkdwn', text: `*Expires*\n${slackDate(v.expiresAt)}` },
          { type: 'mrkdwn', text: `*Why*\n${v.reasons.join('; ') || 'no reason given'}` },
          { type: 'mrkdwn', text: `*Execution*\n\`${v.execution}\`` },
        ],
      },
      ...(params
        ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: params }] }]
        : []),
      {
        type: 'actions',
        block_id: 'approval',
        elements: [
          {
            type: 'button',
            action_id: ACTION.approve,
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value: v.id,
          },
          {
            type: 'button',
            action_id: ACTION.reject,
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject' },
            value: v.id,
          },
        ],
      },
    ],
  };
}

/** The same message once decided or expired: the buttons are gone, the outcome and who decided stay. */
export function approvalOutcomeBlocks(
  record: Pick<
    ApprovalRecord,
    'runbook' | 'resourceKey' | 'stage' | 'requestedBy' | 'execution' | 'expiresAt'
  >,
  outcome: 'approved' | 'rejected' | 'expired' | 'closed',
  /** Who decided (approved / rejected), or the run's final status (closed). */
  by?: string,
): { text: string; blocks: KnownBlock[] } {
  const lines = {
    approved: `:white_check_mark: *Approved* by <@${by}>`,
    rejected: `:no_entry: *Rejected* by <@${by}>`,
    expired: `:hourglass: *Expired* at ${slackDate(record.expiresAt)}: the run was not approved in time and is rejected`,
    closed: `:heavy_minus_sign: *Closed*: the run ended (${by ?? 'ended'}) before anyone decided`,
  };
  const line = lines[outcome];
  return {
    text: `${outcome}: ${record.runbook} on ${record.resourceKey} (${record.stage})`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${line}: ${approvalSummary(record)}` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Requested by ${who(record.requestedBy)} · execution \`${record.execution}\``,
          },
        ],
      },
    ],
  };
}
