import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * The Lambda entry point that closes a run's pending approvals when the run ends (rule `RunEnded`),
 * with DynamoDB faked at the boundary. closeApprovalsOf itself, with approvals and Slack, is
 * test/workflows/approval.test.ts's; here: the event it accepts, and the one it refuses before any call.
 */

const dynamoMock = mockClient(DynamoDBDocumentClient);
let handler: (event: unknown) => Promise<number>;
const EXECUTION = 'snapshot-volume-3f9a2c1b7d04-20261122T0900Z';

beforeAll(async () => {
  Object.assign(process.env, {
    SLACK_TABLE_NAME: 'ops-dev-slack',
    SLACK_BOT_TOKEN_SECRET: 'ops/dev/slack/bot-token',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'slack-run-ended',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../functions/slack/run-ended-handler.js'));
});
beforeEach(() => dynamoMock.reset());
afterAll(() => dynamoMock.restore());

const ended = (detail: unknown) => ({
  version: '0',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  detail,
});

describe('Slack run-ended handler', () => {
  it('looks up the approvals of the execution that ended, and closes none when it had none', async () => {
    dynamoMock.on(GetCommand).resolves({});

    const closed = await handler(ended({ name: EXECUTION, status: 'FAILED' }));

    expect(closed).toBe(0);
    expect(dynamoMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'ops-dev-slack',
      Key: { pk: `approval-exec#${EXECUTION}` },
    });
    expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses an event that is not a status change, with the field it lacks, before any call', async () => {
    await expect(handler(ended({ status: 'FAILED' }))).rejects.toThrow(
      'not a Step Functions execution status change: detail.name: Invalid input: expected string, received undefined',
    );
    await expect(
      handler({ 'detail-type': 'Slack job', detail: { name: EXECUTION, status: 'FAILED' } }),
    ).rejects.toThrow(/detail-type/);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});
