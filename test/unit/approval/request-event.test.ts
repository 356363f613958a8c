import { describe, expect, it } from 'vitest';
import { ApprovalRequestEvent } from '../../../functions/approval/core.js';

/**
 * The approval hook's event schema, on zod/mini (functions/shared/zod-mini.ts): the defaults the
 * hook relies on, and refusals that name the field and the reason in zod's English messages, as
 * classic zod gave them before (the messages would read "Invalid input" without the locale).
 */
describe('ApprovalRequestEvent', () => {
  it('fills in every default of a minimal request', () => {
    expect(
      ApprovalRequestEvent.parse({
        taskToken: 't',
        execution: 'e',
        input: { runbook: 'scale-node-group', stage: 'dev' },
      }),
    ).toEqual({
      taskToken: 't',
      execution: 'e',
      input: {
        runbook: 'scale-node-group',
        stage: 'dev',
        parameters: {},
        dryRun: false,
        resourceKey: 'unknown',
        reasons: [],
        trigger: { requestedBy: 'unknown' },
      },
    });
  });

  it('keeps what a Slack-triggered request carries, and fills the requester inside a trigger without one', () => {
    const slack = { channel: 'C0DEVOPS001', threadTs: '1765000000.000100' };
    expect(
      ApprovalRequestEvent.parse({
        taskToken: 't',
        execution: 'e',
        input: { runbook: 'r', stage: 'dev', dryRun: true, trigger: { slack } },
      }).input,
    ).toMatchObject({ dryRun: true, trigger: { requestedBy: 'unknown', slack } });
  });

  it.each([
    [
      { taskToken: '', execution: 'e', input: { runbook: 'r', stage: 's' } },
      ['taskToken'],
      'Too small: expected string to have >=1 characters',
    ],
    [
      { taskToken: 't', execution: 'e', input: { runbook: 'r', stage: 's', dryRun: 'yes' } },
      ['input', 'dryRun'],
      'Invalid input: expected boolean, received string',
    ],
    [{ taskToken: 't', execution: 'e' }, ['input'], 'Invalid input: expected object, received undefined'],
    [
      {
        taskToken: 't',
        execution: 'e',
        input: { runbook: 'r', stage: 's', trigger: { slack: { threadTs: '1' } } },
      },
      ['input', 'trigger', 'slack', 'channel'],
      'Invalid input: expected string, received undefined',
    ],
  ])('refuses %j at %j: %s', (event, path, message) => {
    const result = ApprovalRequestEvent.safeParse(event);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => ({ path: issue.path, message: issue.message }))).toEqual([
      { path, message },
    ]);
  });
});
