import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatadogApi } from '../../../functions/shared/datadog.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import { SlackApi } from '../../../functions/shared/slack.js';
import { evaluateItem } from '../../../runbooks/verify-backups/logic.js';
import { buildReportStep } from '../../../runbooks/verify-backups/steps/build-report.js';
import { publishReport } from '../../../runbooks/verify-backups/steps/publish.js';
import {
  ebsItem,
  type FakeChatOps,
  NOW,
  point,
  receivedMetrics,
  SETTINGS,
  startFakeChatOps,
} from './fixtures.js';

const errors: unknown[] = [];
const logger: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: (...a: unknown[]) => void errors.push(a),
  debug: () => undefined,
  appendKeys: () => undefined,
};

function built() {
  const evaluations = [
    evaluateItem(ebsItem(), SETTINGS, NOW),
    evaluateItem(
      ebsItem({ resource: 'vol-0ccccccccccccccc3', latestCompleted: point({}, 40) }),
      SETTINGS,
      NOW,
    ),
  ];
  return buildReportStep(
    { evaluations, stage: 'test', executionName: 'run-1', region: 'eu-west-1', bucket: 'reports' },
    new Date(NOW),
  );
}

describe('verify-backups publish: Slack and Datadog over real HTTP', () => {
  let chat: FakeChatOps;
  let slack: SlackApi;
  let datadog: DatadogApi;
  beforeAll(async () => {
    chat = await startFakeChatOps();
    slack = new SlackApi({ token: async () => 'xoxb-test', apiUrl: `${chat.url}/api/`, maxRetries: 0 });
    datadog = new DatadogApi({
      apiKey: async () => 'dd-key',
      site: 'datadoghq.eu',
      baseUrl: chat.url,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await chat.close();
  });
  beforeEach(() => {
    chat.requests.length = 0;
    chat.slackDown = false;
    errors.length = 0;
  });

  it('posts the summary and failures, a metric per backup, and an event per failure', async () => {
    // Prepare
    const b = built();
    // Act
    const out = await publishReport(
      { report: b.report, slack: b.slack, reportUrl: b.reportUrl },
      { slack, datadog, channel: 'C0TEST00001', logger },
    );
    // Assess
    expect(out).toEqual({ slack: 'posted', metrics: 'submitted', events: 'posted' });
    const post = chat.requests.find((r) => r.path === '/api/chat.postMessage');
    expect(post?.headers.authorization).toBe('Bearer xoxb-test');
    expect(post?.body).toMatchObject({
      channel: 'C0TEST00001',
      text: 'verify-backups test: 1 of 2 backups FAILED verification (1 passed)',
    });
    expect(
      receivedMetrics(chat).map(([m, v, tags]) => [m, v, tags.find((t) => t.startsWith('resource:'))]),
    ).toEqual([
      ['ops.backup.age_hours', 40, 'resource:vol-0ccccccccccccccc3'],
      ['ops.backup.verified', 0, 'resource:vol-0ccccccccccccccc3'],
      ['ops.backup.age_hours', 2, 'resource:vol-0aaaaaaaaaaaaaaa1'],
      ['ops.backup.verified', 1, 'resource:vol-0aaaaaaaaaaaaaaa1'],
    ]);
    const events = chat.requests.filter((r) => r.path === '/api/v1/events');
    expect(events).toHaveLength(1);
    expect(events[0]?.body).toMatchObject({
      title: 'Backup verification failed: ebs vol-0ccccccccccccccc3 (test)',
      alert_type: 'error',
      aggregation_key: 'run-1',
    });
  });

  it('replies in the Slack thread when the run was started from Slack', async () => {
    const b = built();
    await publishReport(
      {
        report: b.report,
        slack: b.slack,
        trigger: { slack: { channel: 'C0ASKED0001', threadTs: '1763791100.000200' } },
      },
      { slack, datadog, channel: 'C0TEST00001', logger },
    );
    expect(chat.requests.find((r) => r.path === '/api/chat.postMessage')?.body).toMatchObject({
      channel: 'C0ASKED0001',
      thread_ts: '1763791100.000200',
    });
  });

  it('records a Slack outage and still sends the Datadog metrics', async () => {
    chat.slackDown = true;
    const b = built();
    const out = await publishReport(
      { report: b.report, slack: b.slack },
      { slack, datadog, channel: 'C0TEST00001', logger },
    );
    expect(out.slack).toMatch(/^failed: Slack chat.postMessage/);
    expect(out.metrics).toBe('submitted');
    expect(errors).toHaveLength(1);
  });
});
