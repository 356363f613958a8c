import type { KnownBlock } from '@slack/web-api';
import type { Signal } from '../../events/signal.js';
import type { AuditDelivery } from '../audit/record.js';
import type { Decision } from '../intake/decision.js';
import { type DatadogApi, type EventAlertType, tag } from '../shared/datadog.js';
import type { OpsLogger } from '../shared/powertools.js';
import { redact, redactString } from '../shared/redact.js';
import type { SlackApi } from '../shared/slack.js';

/**
 * Tells people about a `notify` decision of the intake (CloudTrail stopped, a KMS key scheduled
 * for deletion, world-open ingress, a root sign-in, a run held back because the guard store is
 * down): a Slack message in the stage's channel and a Datadog event, sent in parallel, with the
 * event's who / what / where. Never throws: each delivery is bounded by its client's retries
 * and its outcome is returned and logged, so a Slack or Datadog outage cannot fail (and so
 * re-deliver) the event that caused it.
 *
 * The intake calls it through the `Notifier` interface (functions/intake/core.ts):
 *
 *   const notifier = slackDatadogNotifier({ slack, datadog, channel, stage, logger });
 *   await processSignal(signal, { ...deps, notifier });
 */

export interface NotifyDeps {
  readonly slack: SlackApi;
  readonly datadog: DatadogApi;
  /** Config `automation.slack.channel`. */
  readonly channel: string;
  readonly stage: string;
  readonly logger: OpsLogger;
}

export interface NotifyOutcome {
  readonly slack: AuditDelivery;
  readonly datadog: AuditDelivery;
}

const SEVERITY = {
  critical: { emoji: ':rotating_light:', alert: 'error' as EventAlertType, priority: 'normal' as const },
  warning: { emoji: ':warning:', alert: 'warning' as EventAlertType, priority: 'normal' as const },
  info: { emoji: ':information_source:', alert: 'info' as EventAlertType, priority: 'low' as const },
};

/** Who did it, as one line: the actor's readable name, its identity, its type and source IP. */
export function whoOf(signal: Signal): string {
  const a = signal.actor;
  if (!a) return 'unknown';
  const parts = [a.name ?? a.id ?? 'unknown'];
  if (a.id && a.name && a.id !== a.name) parts.push(`(${a.id})`);
  parts.push(`[${a.type}]`);
  if (a.sourceIp) parts.push(`from ${a.sourceIp}`);
  return parts.join(' ');
}

/** Where it happened: resource type and id, region and account. */
export function whereOf(signal: Signal): string {
  const r = signal.resource;
  const at = [r.region, r.account].filter(Boolean).join(' / ');
  return `${r.type} ${r.id}${at ? ` in ${at}` : ''}`;
}

/** What happened: the source's summary, and the event name when the source gave one. */
export function whatOf(signal: Signal): string {
  const name = signal.details.eventName;
  return typeof name === 'string' && !signal.summary.includes(name)
    ? `${signal.summary} (${name})`
    : signal.summary;
}

function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function notificationMessage(
  signal: Signal,
  decision: Decision,
  stage: string,
): { text: string; blocks: KnownBlock[] } {
  const sev = SEVERITY[decision.severity];
  const what = whatOf(signal);
  const text = `${decision.severity.toUpperCase()} (${stage}): ${what}`;
  const facts = [
    `*What:* ${mrkdwn(what)}`,
    `*Who:* ${mrkdwn(whoOf(signal))}`,
    `*Where:* ${mrkdwn(whereOf(signal))}`,
    `*When:* ${signal.occurredAt}`,
  ];
  if (decision.reasons.length > 0) facts.push(`*Why this matters:* ${mrkdwn(decision.reasons.join('; '))}`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${sev.emoji} *${mrkdwn(text)}*` } },
    { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: [
            `source \`${signal.source}\``,
            `event \`${signal.correlationId}\``,
            signal.link ? `<${signal.link}|open the event>` : undefined,
          ]
            .filter(Boolean)
            .join(' · '),
        },
      ],
    },
  ];
  return redact({ text, blocks });
}

function failed(err: unknown, attempts: number): AuditDelivery {
  return {
    status: 'failed',
    attempts,
    error: redactString(err instanceof Error ? err.message : String(err)).slice(0, 300),
  };
}

export async function notify(signal: Signal, decision: Decision, deps: NotifyDeps): Promise<NotifyOutcome> {
  const sev = SEVERITY[decision.severity];
  const message = notificationMessage(signal, decision, deps.stage);
  const slackSend = deps.slack
    .postMessage({ channel: deps.channel, ...message })
    .then((ref): AuditDelivery => ({ status: 'sent', channel: ref.channel, ts: ref.ts }))
    .catch((err: unknown) => failed(err, deps.slack.maxAttempts));
  const lines = [
    `**What:** ${whatOf(signal)}`,
    `**Who:** ${whoOf(signal)}`,
    `**Where:** ${whereOf(signal)}`,
    `**When:** ${signal.occurredAt}`,
    `**Why this matters:** ${decision.reasons.join('; ')}`,
  ];
  if (signal.link) lines.push('', `[Open the event](${signal.link})`);
  const tags = [
    tag('stage', deps.stage),
    tag('severity', decision.severity),
    tag('source', signal.source),
    tag('kind', signal.kind),
    tag('resource_type', signal.resource.type),
    tag('resource', signal.resource.id),
    tag('service', 'ops-automation'),
  ];
  if (signal.actor?.type) tags.push(tag('actor_type', signal.actor.type));
  if (typeof signal.details.eventName === 'string') tags.push(tag('event_name', signal.details.eventName));
  const datadogSend = deps.datadog
    .postEvent({
      title: `[ops-${deps.stage}] ${decision.severity}: ${whatOf(signal)}`,
      text: `%%%\n${lines.join('\n')}\n%%%`,
      tags,
      alertType: sev.alert,
      priority: sev.priority,
      aggregationKey: signal.correlationId,
      dateHappened: Math.floor(Date.parse(signal.occurredAt) / 1000) || undefined,
    })
    .then((eventId): AuditDelivery => ({ status: 'sent', ...(eventId ? { eventId } : {}) }))
    .catch((err: unknown) => failed(err, deps.datadog.maxAttempts));
  const [slack, datadog] = await Promise.all([slackSend, datadogSend]);
  const line = {
    severity: decision.severity,
    kind: signal.kind,
    what: whatOf(signal),
    who: whoOf(signal),
    where: whereOf(signal),
    slack: slack.status,
    datadog: datadog.status,
    ...(slack.error ? { slackError: slack.error } : {}),
    ...(datadog.error ? { datadogError: datadog.error } : {}),
  };
  if (slack.status === 'failed' || datadog.status === 'failed')
    deps.logger.error('notification not fully delivered', line);
  else deps.logger.info('notification delivered', line);
  return { slack, datadog };
}

/** The intake's `Notifier` (functions/intake/core.ts), delivering to Slack and Datadog. */
export function slackDatadogNotifier(deps: NotifyDeps): {
  notify(signal: Signal, decision: Decision): Promise<void>;
} {
  return {
    async notify(signal, decision) {
      await notify(signal, decision, deps);
    },
  };
}
