import { createHash } from 'node:crypto';
import type { OpsLogger } from '../shared/powertools.js';
import type { SlackApi, SlackMessage } from '../shared/slack.js';
import * as z from '../shared/zod-mini.js';

/**
 * Slack as a destination of the alarm topic (`automation.alerting.slackChannel`): the notifier
 * subscribed to `ops-<stage>-alarms` turns each CloudWatch alarm notification into one Slack
 * message in the configured channel. A notification that is not an alarm state change (a test
 * publish, a future format) is still posted, truncated and hashed, never dropped: an alarm that
 * reaches no one is the failure this exists to prevent. A Slack failure is thrown, so Lambda's
 * asynchronous retries (and then the function's own Errors alarm) take over.
 */

/** What CloudWatch publishes to SNS when an alarm changes state (the fields read here). */
export const CloudWatchAlarmMessageSchema = z.looseObject({
  AlarmName: z.string().check(z.minLength(1)),
  AlarmDescription: z.nullish(z.string()),
  AWSAccountId: z.string(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  OldStateValue: z.optional(z.string()),
  NewStateReason: z.string(),
  StateChangeTime: z.string(),
  Region: z.string(),
  AlarmArn: z.optional(z.string()),
});
export type CloudWatchAlarmMessage = z.infer<typeof CloudWatchAlarmMessageSchema>;

export interface TopicNotification {
  readonly topicArn: string;
  readonly subject?: string | null | undefined;
  readonly message: string;
}

export interface AlarmRelayDeps {
  readonly slack: Pick<SlackApi, 'postMessage'>;
  /** Config `automation.alerting.slackChannel`. */
  readonly channel: string;
  readonly stage: string;
  readonly logger: OpsLogger;
}

const STATE = {
  ALARM: ':rotating_light:',
  OK: ':white_check_mark:',
  INSUFFICIENT_DATA: ':grey_question:',
} as const;

const MAX_RAW = 500;

function parseAlarm(message: string): CloudWatchAlarmMessage | undefined {
  try {
    const parsed = CloudWatchAlarmMessageSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The Slack message for one topic notification. */
export function alarmSlackMessage(n: TopicNotification, channel: string, stage: string): SlackMessage {
  const alarm = parseAlarm(n.message);
  if (!alarm) {
    const digest = createHash('sha256').update(n.message).digest('hex').slice(0, 16);
    const raw = n.message.length > MAX_RAW ? `${n.message.slice(0, MAX_RAW)}…` : n.message;
    const text = `:grey_question: [${stage}] ${n.subject ?? 'Notification'} on ${n.topicArn} (not a CloudWatch alarm state change; ${n.message.length} bytes, sha256 ${digest}): ${raw}`;
    return { channel, text };
  }
  const what = alarm.AlarmDescription ? `: ${alarm.AlarmDescription}` : '';
  const from = alarm.OldStateValue ? ` (was ${alarm.OldStateValue})` : '';
  const text =
    `${STATE[alarm.NewStateValue]} [${stage}] ${alarm.NewStateValue}${from} ${alarm.AlarmName}${what}\n` +
    `${alarm.NewStateReason}\n${alarm.StateChangeTime} · ${alarm.Region} · account ${alarm.AWSAccountId}`;
  return { channel, text };
}

/** Posts one notification to Slack; throws when Slack refuses, so the invocation is retried. */
export async function relayAlarm(n: TopicNotification, deps: AlarmRelayDeps): Promise<void> {
  const message = alarmSlackMessage(n, deps.channel, deps.stage);
  await deps.slack.postMessage(message);
  deps.logger.info('alarm relayed to Slack', { topicArn: n.topicArn, subject: n.subject ?? undefined });
}
