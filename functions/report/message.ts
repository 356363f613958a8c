import type { KnownBlock } from '@slack/web-api';
import type { RunChange } from '../../runbooks/types.js';
import { ACTION } from '../approval/messages.js';
import type { AuditApproval, AuditResult, RunPhase } from '../audit/record.js';
import type { DatadogEvent, EventAlertType } from '../shared/datadog.js';
import { tag } from '../shared/datadog.js';
import { redact } from '../shared/redact.js';
import type { ReportInput } from './schema.js';

/**
 * What people see of a run: the one Slack message (posted on `started`, updated in place after)
 * and the Datadog event of each phase. Pure functions of the run's state; every value passes
 * through `redact` (here and again in the clients).
 */

export interface RunView {
  readonly phase: RunPhase;
  readonly execution: string;
  readonly input: ReportInput;
  readonly approval: AuditApproval;
  readonly result?: AuditResult;
  /** What the run changed (each with before / after and the AWS request id). */
  readonly changes: readonly RunChange[];
  /** Link to the execution in the Step Functions console, when the region and account are known. */
  readonly executionUrl?: string;
}

/** What the status line says. A run in approval mode that has just started is waiting for a human. */
export function statusOf(view: RunView): { label: string; emoji: string; alert: EventAlertType } {
  const outcome = view.result?.outcome;
  switch (view.phase) {
    case 'started':
      return view.input.mode === 'approval' && view.approval.status !== 'approved'
        ? { label: 'awaiting approval', emoji: ':double_vertical_bar:', alert: 'warning' }
        : { label: 'running', emoji: ':arrows_counterclockwise:', alert: 'info' };
    case 'awaiting-approval':
      return { label: 'awaiting approval', emoji: ':double_vertical_bar:', alert: 'warning' };
    case 'succeeded':
      return outcome === 'dry-run'
        ? { label: 'dry run: nothing changed', emoji: ':test_tube:', alert: 'info' }
        : { label: 'succeeded', emoji: ':white_check_mark:', alert: 'success' };
    case 'rejected':
      return view.approval.status === 'expired'
        ? { label: 'approval expired: nothing changed', emoji: ':hourglass:', alert: 'warning' }
        : { label: 'rejected: nothing changed', emoji: ':no_entry_sign:', alert: 'warning' };
    case 'failed':
      return outcome === 'timed-out'
        ? { label: 'timed out', emoji: ':alarm_clock:', alert: 'error' }
        : { label: 'failed', emoji: ':x:', alert: 'error' };
  }
}

function who(requestedBy: string): string {
  return /^[UW][A-Z0-9]+$/.test(requestedBy) ? `<@${requestedBy}>` : `\`${requestedBy}\``;
}

function slackLink(url: string | undefined, label: string): string {
  return url ? `<${url}|${label.replace(/[<>|]/g, '')}>` : label;
}

/** Compact JSON for before/after, bounded so a message stays readable (Slack caps a section at 3000 chars). */
function brief(value: unknown, max = 400): string {
  if (value === undefined) return '—';
  const text = JSON.stringify(redact(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(view: RunView): { text: string; blocks: KnownBlock[] } {
  const { input } = view;
  const status = statusOf(view);
  const title = `${status.emoji} *${input.runbook}* on \`${input.resourceKey}\`: ${status.label}${input.dryRun ? ' (dry run)' : ''}`;
  const text = `${input.runbook} on ${input.resourceKey}: ${status.label}`;
  const trigger = input.trigger;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: title } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `*Trigger:* ${slackLink(trigger.link, escapeMrkdwn(trigger.summary || trigger.kind))}`,
          `*Requested by:* ${who(trigger.requestedBy)} · source \`${trigger.source}\` · event \`${trigger.correlationId}\``,
          `*Why:* ${escapeMrkdwn(input.reasons.join('; ') || 'requested')}`,
          `*Plan:* \`${input.runbook}\` with \`${brief(input.parameters, 300)}\`${input.mode === 'approval' ? ' (needs approval)' : ''}`,
        ].join('\n'),
      },
    },
  ];
  if (view.approval.status === 'approved' && view.approval.approver) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `Approved by ${who(view.approval.approver)} at ${view.approval.at ?? '?'}` },
      ],
    });
  } else if (view.approval.status === 'rejected' || view.approval.status === 'expired') {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: escapeMrkdwn(`Approval ${view.approval.status}: ${view.approval.detail ?? ''}`),
        },
      ],
    });
  }
  const result = view.result;
  if (result) {
    const lines = [`*Result:* ${escapeMrkdwn(result.summary)}`];
    for (const c of view.changes) {
      const req = c.requestId ? ` (request \`${c.requestId}\`)` : '';
      lines.push(
        `• ${escapeMrkdwn(c.action)} \`${escapeMrkdwn(c.resource)}\`: \`${brief(c.before)}\` → \`${brief(c.after)}\`${req}`,
      );
    }
    if (result.error)
      lines.push(`*Failed at:* \`${result.error.step}\`: ${escapeMrkdwn(result.error.cause)}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } });
    if (result.revert && result.outcome === 'succeeded') {
      // The Slack endpoint routes this button (value = execution name only) to a revert run through the intake.
      blocks.push({
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.revert,
            text: { type: 'plain_text', text: 'Revert' },
            value: view.execution,
            confirm: {
              title: { type: 'plain_text', text: 'Revert this run?' },
              text: {
                type: 'mrkdwn',
                text: `Starts \`${input.runbook}\` to restore the state before \`${view.execution}\`.`,
              },
              confirm: { type: 'plain_text', text: 'Revert' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
        ],
      });
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Or: \`/ops revert ${view.execution}\`` }],
      });
    }
  }
  const footer = [`stage \`${input.stage}\``, `run ${slackLink(view.executionUrl, `\`${view.execution}\``)}`];
  if (input.dryRun) footer.push('dry run');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: footer.join(' · ') }] });
  return redact({ text, blocks });
}

/** The run's Datadog event for a phase: tagged for search, grouped per run, linked to its trigger. */
export function datadogEvent(view: RunView): DatadogEvent {
  const { input } = view;
  const status = statusOf(view);
  const outcome =
    view.result?.outcome ?? (status.label === 'awaiting approval' ? 'awaiting-approval' : view.phase);
  const lines = [
    `**${input.runbook}** on \`${input.resourceKey}\` (${input.stage}): ${status.label}`,
    '',
    `Trigger: ${input.trigger.link ? `[${input.trigger.summary}](${input.trigger.link})` : input.trigger.summary}`,
    `Requested by: ${input.trigger.requestedBy}`,
    `Why: ${input.reasons.join('; ')}`,
  ];
  if (view.approval.approver) lines.push(`Approval: ${view.approval.status} by ${view.approval.approver}`);
  if (view.result) {
    lines.push('', `Result: ${view.result.summary}`);
    for (const c of view.changes)
      lines.push(`- ${c.action} ${c.resource}: ${brief(c.before, 200)} → ${brief(c.after, 200)}`);
    if (view.result.error) lines.push(`Failed at ${view.result.error.step}: ${view.result.error.cause}`);
  }
  if (view.executionUrl) lines.push('', `[Execution](${view.executionUrl})`);
  const tags = [
    tag('runbook', input.runbook),
    tag('stage', input.stage),
    tag('resource', input.resourceKey),
    tag('outcome', outcome),
    tag('phase', view.phase),
    tag('execution', view.execution),
    tag('trigger_source', input.trigger.source),
    tag('dry_run', input.dryRun),
    tag('service', 'ops-automation'),
  ];
  if (input.trigger.source === 'datadog' && input.trigger.requestedBy.startsWith('datadog:')) {
    tags.push(tag('monitor_id', input.trigger.requestedBy.slice('datadog:'.length)));
  }
  return redact({
    title: `[ops-${input.stage}] ${input.runbook} ${status.label}: ${input.resourceKey}`,
    text: `%%%\n${lines.join('\n')}\n%%%`,
    tags,
    alertType: status.alert,
    aggregationKey: view.execution,
  });
}
