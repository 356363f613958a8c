import { createHash } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/shared/powertools.js';

/**
 * The Slack worker's Lambda entry with a job that fails its schema: refused before any call, and kept
 * the way every refused input is (size, SHA-256 of its JSON, a redacted head), never in full.
 */
const mocks = [
  mockClient(DynamoDBDocumentClient),
  mockClient(SFNClient),
  mockClient(SSMClient),
  mockClient(SecretsManagerClient),
];
let handler: (event: unknown) => Promise<void>;

beforeAll(async () => {
  Object.assign(process.env, {
    STAGE: 'dev',
    STATE_MACHINES: JSON.stringify({
      'snapshot-volume': 'arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-snapshot-volume',
    }),
    SLACK_TABLE_NAME: 'ops-dev-slack',
    GUARD_TABLE_NAME: 'ops-dev-intake-guards',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'slack-worker',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../functions/slack/worker-handler.js'));
});
afterAll(() => {
  for (const m of mocks) m.restore();
});

describe('Slack worker handler: a malformed job', () => {
  it('is logged as its size, hash and redacted head with the fields it lacks, and makes no call', async () => {
    const error = vi.spyOn(logger, 'error');
    const job = {
      kind: 'start',
      verb: 'run',
      runbook: 'snapshot-volume',
      botToken: 'xoxb-1234567890-abcdefghij',
    };

    await handler(job);

    expect(error).toHaveBeenCalledTimes(1);
    const [message, details] = error.mock.calls[0] as [string, Record<string, unknown>];
    expect(message).toBe('dropped a malformed Slack job');
    const text = JSON.stringify(job);
    expect(details.payload).toMatchObject({
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
      truncated: false,
      serialisation: 'json',
    });
    const head = (details.payload as { head: string }).head;
    expect(head).toContain('"runbook":"snapshot-volume"');
    expect(head).not.toContain('xoxb-1234567890-abcdefghij');
    expect(details.issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^parameters: /), expect.stringMatching(/^user: /)]),
    );
    for (const m of mocks) expect(m).not.toHaveReceivedAnyCommand();
    error.mockRestore();
  });
});
