import type { Signal } from '../../signal.js';
import { compactDetails, compactStrings, finalise, oneLine, parseOrThrow, requireIso } from '../shared.js';
import { ScheduledRuleEventSchema, type SchedulerInput, SchedulerInputSchema } from './schema.js';

function scheduleLink(region: string, group: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/scheduler/home?region=${region}#schedules/${encodeURIComponent(group)}/${encodeURIComponent(name)}`;
}

/**
 * An EventBridge Scheduler invocation → `schedule.tick` Signal carrying the runbook request. Accepts the
 * target input exactly as Scheduler delivers it (so `normaliseEvent` can route it here too).
 */
export function scheduleSignal(input: SchedulerInput): Signal;
export function scheduleSignal(input: unknown): Signal;
export function scheduleSignal(input: unknown): Signal {
  const s = parseOrThrow(SchedulerInputSchema, input, 'schedule', 'EventBridge Scheduler input');
  const [, , , region = '', account = '', path = ''] = s.scheduleArn.split(':');
  const [, group = 'default', name = path] = path.split('/');
  const attempt = s.attemptNumber;
  return finalise(
    {
      source: 'schedule',
      kind: 'schedule.tick',
      resource: {
        type: 'schedule',
        id: `${group}/${name}`,
        region,
        account,
        attributes: compactStrings({ scheduleName: name, scheduleGroup: group, scheduleArn: s.scheduleArn }),
      },
      severity: 'info',
      occurredAt: requireIso(s.scheduledTime, 'schedule', 'scheduledTime'),
      // One id per scheduled time: Scheduler retries keep the execution id, so a retry is a duplicate.
      correlationId: s.executionId ?? `${s.scheduleArn}@${s.scheduledTime}`,
      actor: { type: 'automation', id: s.scheduleArn, name: `schedule:${name}` },
      details: compactDetails({
        runbook: s.runbook,
        scheduleArn: s.scheduleArn,
        executionId: s.executionId,
        attemptNumber: attempt === undefined ? undefined : Number(attempt),
      }),
      link: region ? scheduleLink(region, group, name) : undefined,
      summary: oneLine(`Schedule ${name} asks for ${s.runbook} (${s.scheduledTime})`),
      request: { runbook: s.runbook, parameters: s.parameters ?? {}, requestedBy: `schedule:${name}` },
      raw: input,
    },
    'schedule',
  );
}

/** An EventBridge schedule rule's "Scheduled Event" → `schedule.tick`. */
export function normaliseScheduledRule(raw: unknown): Signal {
  const event = parseOrThrow(ScheduledRuleEventSchema, raw, 'schedule', 'Scheduled Event');
  const ruleArn = event.resources[0] ?? '';
  const ruleName = /:rule\/(?:[^/]+\/)?([^/]+)$/.exec(ruleArn)?.[1] ?? ruleArn;
  const runbook = event.detail.runbook;
  return finalise(
    {
      source: 'schedule',
      kind: 'schedule.tick',
      resource: {
        type: 'schedule',
        id: `rule/${ruleName}`,
        region: event.region,
        account: event.account,
        attributes: compactStrings({ ruleName, ruleArn }),
      },
      severity: 'info',
      occurredAt: requireIso(event.time, 'schedule', 'time'),
      correlationId: event.id,
      actor: { type: 'automation', id: ruleArn, name: `schedule:${ruleName}` },
      details: compactDetails({ runbook, ruleArn }),
      summary: oneLine(`Schedule rule ${ruleName} fired${runbook ? ` for ${runbook}` : ''}`),
      request: runbook
        ? { runbook, parameters: event.detail.parameters ?? {}, requestedBy: `schedule:${ruleName}` }
        : undefined,
      raw,
    },
    'schedule',
  );
}
