import { SnsSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayAlarm } from '../../functions/notify/alarm.js';
import { SlackApi } from '../../functions/shared/slack.js';
import { captureLogger } from '../support/capture-logger.js';
import { type SlackApiServer, startSlackApiServer } from '../support/slack-api-server.js';

/**
 * The Slack destination of the alarm topic (`automation.alerting.slackChannel`): an SNS record as
 * Lambda receives it, validated by Powertools' own SNS schema (AWS's envelope, not ours), relayed
 * over real HTTP to the local Slack stand-in.
 *
 * The alarm message is written by hand from the fields CloudWatch documents for alarm
 * notifications to SNS (AlarmName, AlarmDescription, AWSAccountId, NewStateValue, NewStateReason,
 * StateChangeTime, Region, AlarmArn, OldStateValue, Trigger), with this product's own names.
 */
const ALARM_MESSAGE = JSON.stringify({
  AlarmName: 'prod-automation-ObservabilityFnIntakeFunctionErrors-1A2B3C4D5E6F',
  AlarmDescription: 'prod-automation/Intake/Function/Resource raised errors.',
  AWSAccountId: '333333333333',
  AlarmConfigurationUpdatedTimestamp: '2026-12-01T09:12:44.180+0000',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [2.0 (07/12/26 05:01:00)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).',
  StateChangeTime: '2026-12-07T05:02:31.114+0000',
  Region: 'EU (Ireland)',
  AlarmArn:
    'arn:aws:cloudwatch:eu-west-1:333333333333:alarm:prod-automation-ObservabilityFnIntakeFunctionErrors-1A2B3C4D5E6F',
  OldStateValue: 'OK',
  OKActions: [],
  AlarmActions: ['arn:aws:sns:eu-west-1:333333333333:ops-prod-alarms'],
  InsufficientDataActions: [],
  Trigger: {
    MetricName: 'Errors',
    Namespace: 'AWS/Lambda',
    StatisticType: 'Statistic',
    Statistic: 'SUM',
    Unit: null,
    Dimensions: [{ value: 'ops-prod-intake', name: 'FunctionName' }],
    Period: 60,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0.0,
    TreatMissingData: 'notBreaching',
    EvaluateLowSampleCountPercentile: '',
  },
});

const TOPIC = 'arn:aws:sns:eu-west-1:333333333333:ops-prod-alarms';

function snsEvent(message: string, subject: string | null) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${TOPIC}:6f1c2b1e-0d7a-4c61-9f0e-3c1d2a4b5e6f`,
        Sns: {
          Type: 'Notification',
          MessageId: '0b7c1e3a-5d0f-5a8e-9c42-2f1d9e7a6b5c',
          TopicArn: TOPIC,
          Subject: subject,
          Message: message,
          Timestamp: '2026-12-07T05:02:31.170Z',
          SignatureVersion: '1',
          Signature: 'RXhhbXBsZQ==',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-example.pem',
          UnsubscribeUrl: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:6f1c2b1e`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

describe('alarm notifier: CloudWatch alarm notifications reach the Slack channel', () => {
  let slack: SlackApiServer;
  let api: SlackApi;
  const log = captureLogger('alarm-notifier');

  beforeAll(async () => {
    slack = await startSlackApiServer();
    api = new SlackApi({
      token: async () => 'xoxb-test',
      apiUrl: slack.apiUrl,
      retryDelayMs: 5,
      timeoutMs: 2000,
    });
  });
  afterAll(async () => {
    await slack?.stop();
    log.restore();
  });

  const relay = async (event: unknown) => {
    const { Records } = SnsSchema.parse(event);
    for (const r of Records) {
      await relayAlarm(
        { topicArn: r.Sns.TopicArn, subject: r.Sns.Subject, message: r.Sns.Message },
        { slack: api, channel: 'C0PRODALRM1', stage: 'prod', logger: log.logger },
      );
    }
  };

  it('posts the alarm state, name, description, reason, time and account to the configured channel', async () => {
    // Act
    await relay(
      snsEvent(
        ALARM_MESSAGE,
        'ALARM: "prod-automation-ObservabilityFnIntakeFunctionErrors-1A2B3C4D5E6F" in EU (Ireland)',
      ),
    );
    // Assess
    const [call] = slack.callsOf('chat.postMessage').slice(-1);
    expect(call?.authorization).toBe('Bearer xoxb-test');
    expect(call?.body.channel).toBe('C0PRODALRM1');
    expect(call?.body.text).toBe(
      ':rotating_light: [prod] ALARM (was OK) prod-automation-ObservabilityFnIntakeFunctionErrors-1A2B3C4D5E6F: prod-automation/Intake/Function/Resource raised errors.\n' +
        'Threshold Crossed: 1 out of the last 1 datapoints [2.0 (07/12/26 05:01:00)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).\n' +
        '2026-12-07T05:02:31.114+0000 · EU (Ireland) · account 333333333333',
    );
  });

  it('still posts a notification that is not an alarm state change, truncated and hashed', async () => {
    const odd = `not json ${'x'.repeat(600)}`;
    await relay(snsEvent(odd, null));
    const [call] = slack.callsOf('chat.postMessage').slice(-1);
    const text = String(call?.body.text);
    expect(text).toMatch(
      /^:grey_question: \[prod\] Notification on arn:aws:sns:eu-west-1:333333333333:ops-prod-alarms \(not a CloudWatch alarm state change; 609 bytes, sha256 [0-9a-f]{16}\): not json x+…$/,
    );
    expect(text).toContain(`${odd.slice(0, 500)}…`);
    expect(text).not.toContain(odd.slice(0, 501));
  });

  it('throws when Slack refuses, so Lambda retries the notification', async () => {
    slack.failNext('chat.postMessage', 'channel_not_found');
    await expect(relay(snsEvent(ALARM_MESSAGE, 'ALARM'))).rejects.toThrow(/channel_not_found/);
  });
});
