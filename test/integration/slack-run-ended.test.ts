import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../functions/approval/store.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { closeApprovalsOf } from '../../functions/slack/run-ended.js';
import { CHANNEL, type Harness, PLATFORM_1, startHarness } from './slack-harness.js';

/**
 * Closing a run's approvals when the run ends (functions/slack/run-ended.ts), case by case: the real
 * approval store on a local DynamoDB (dynalite) and Slack's Web API as a local server. The round trip
 * through a workflow is test/workflows/approval.test.ts's.
 */
let h: Harness;
let seq = 0;
const lines: Array<{ level: 'info' | 'warn'; message: string; fields: Record<string, unknown> }> = [];
const logger: OpsLogger = {
  info: (message: string, fields: Record<string, unknown> = {}) =>
    void lines.push({ level: 'info', message, fields }),
  warn: (message: string, fields: Record<string, unknown> = {}) =>
    void lines.push({ level: 'warn', message, fields }),
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
} as unknown as OpsLogger; // Only the two levels closeApprovalsOf writes are recorded.

beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => h.stop());
beforeEach(() => {
  h.now = Date.UTC(2026, 11, 8, 9, 0, 0);
  h.slack.calls.length = 0;
  lines.length = 0;
});

const deps = () => ({ approvals: h.approvals, slack: h.slackApi, logger, nowMs: () => h.now });

/** A pending approval of `execution`, as the hook stores it, with its message unless `posted` is false. */
async function pending(execution: string, expiresAt: number, posted = true): Promise<ApprovalRecord> {
  seq += 1;
  const record = await h.approvals.create({
    id: `approval-${String(seq).padStart(6, '0')}-abcdef`,
    taskToken: `token-${seq}`,
    execution,
    runbook: 'snapshot-volume',
    stage: 'dev',
    resourceKey: 'vol-0123456789abcdef0',
    requestedBy: PLATFORM_1,
    expiresAt,
    summary: 'snapshot-volume on vol-0123456789abcdef0',
  });
  if (posted) await h.approvals.attachMessage(record.id, { channel: CHANNEL, ts: `1765184400.${seq}` });
  return record;
}

const nowSeconds = () => Math.floor(h.now / 1000);

describe('closeApprovalsOf', () => {
  it('without an approval store (ops serve offline) closes nothing and calls nothing', async () => {
    expect(await closeApprovalsOf('any-run', 'FAILED', { ...deps(), approvals: undefined })).toBe(0);
    expect(h.slack.calls).toEqual([]);
  });

  it('closes the pending approval of the run that ended, records why, logs it, and leaves other runs alone', async () => {
    const mine = await pending('run-a', nowSeconds() + 600);
    const other = await pending('run-b', nowSeconds() + 600);

    expect(await closeApprovalsOf('run-a', 'FAILED', deps())).toBe(1);

    expect(await h.approvals.get(mine.id)).toMatchObject({
      status: 'closed',
      resolvedBy: 'execution FAILED',
      resolvedAt: new Date(h.now).toISOString(),
    });
    expect((await h.approvals.get(other.id))?.status).toBe('pending');
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'approval closed with its run',
        fields: { approvalId: mine.id, execution: 'run-a', status: 'FAILED', outcome: 'closed' },
      },
    ]);
    expect(h.slack.callsOf('chat.update')).toHaveLength(1);
  });

  it('calls an approval expired from the second its time is up, and closed a millisecond before', async () => {
    const atExpiry = await pending('run-c', nowSeconds());
    const justBefore = await pending('run-d', nowSeconds());

    await closeApprovalsOf('run-c', 'TIMED_OUT', deps());
    h.now -= 1;
    await closeApprovalsOf('run-d', 'TIMED_OUT', deps());

    expect((await h.approvals.get(atExpiry.id))?.status).toBe('expired');
    expect((await h.approvals.get(justBefore.id))?.status).toBe('closed');
  });

  it('leaves a decided approval as it was, and updates no message for it', async () => {
    const decided = await pending('run-e', nowSeconds() + 600);
    await h.approvals.resolve(decided.id, 'approved', PLATFORM_1, new Date(h.now));

    expect(await closeApprovalsOf('run-e', 'FAILED', deps())).toBe(0);

    expect(await h.approvals.get(decided.id)).toMatchObject({ status: 'approved', resolvedBy: PLATFORM_1 });
    expect(h.slack.calls).toEqual([]);
  });

  it('closes an approval whose message was never posted without calling Slack', async () => {
    const unposted = await pending('run-f', nowSeconds() + 600, false);

    expect(await closeApprovalsOf('run-f', 'ABORTED', deps())).toBe(1);

    expect((await h.approvals.get(unposted.id))?.status).toBe('closed');
    expect(h.slack.calls).toEqual([]);
  });

  it('skips an approval whose record is gone (kept past its expiry, then removed) and closes the others', async () => {
    const gone = await pending('run-g', nowSeconds() + 600);
    const kept = await pending('run-g', nowSeconds() + 600);
    await h.db.doc.send(new DeleteCommand({ TableName: 'slack', Key: { pk: `approval#${gone.id}` } }));

    expect(await closeApprovalsOf('run-g', 'FAILED', deps())).toBe(1);

    expect((await h.approvals.get(kept.id))?.status).toBe('closed');
  });

  it('still closes the approval when Slack refuses the update, and says so in a warning', async () => {
    const record = await pending('run-h', nowSeconds() + 600);
    h.slack.failNext('chat.update', 'message_not_found');

    expect(await closeApprovalsOf('run-h', 'FAILED', deps())).toBe(1);

    expect((await h.approvals.get(record.id))?.status).toBe('closed');
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.message).toBe('could not update the approval message');
    expect(String(warning?.fields.error)).toContain('message_not_found');
  });
});
