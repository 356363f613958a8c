import { describe, expect, it } from 'vitest';
import { ReportEventSchema } from '../../../functions/report/schema.js';

/**
 * What the report hook accepts from the workflow kit, case by case with answers written by hand:
 * the defaults an older frame relies on, what a report cannot do without, and what is kept or
 * dropped. The same cases pass on the schema's classic-zod build and on its zod/mini build (issue 17).
 */
const trigger = {
  source: 'cloudtrail',
  kind: 'cloudtrail.api-call',
  correlationId: 'evt-1',
  occurredAt: '2026-12-08T01:00:00Z',
  requestedBy: 'automation',
};
const input = { runbook: 'snapshot-volume', stage: 'dev', resourceKey: 'vol-0123456789abcdef0', trigger };
const event = { phase: 'started', execution: 'snapshot-volume-dev-1', input };

describe('ReportEventSchema', () => {
  it('fills what an older frame leaves out, and drops keys it does not know', () => {
    expect(ReportEventSchema.parse({ ...event, extra: 1, input: { ...input, extra: 2 } })).toEqual({
      phase: 'started',
      execution: 'snapshot-volume-dev-1',
      input: {
        ...input,
        parameters: {},
        dryRun: false,
        mode: 'auto',
        trigger: { ...trigger, summary: '' },
        reasons: [],
      },
    });
  });

  it('keeps every field of the approval and of a Step Functions error, and fills a result’s changes', () => {
    const parsed = ReportEventSchema.parse({
      ...event,
      phase: 'failed',
      approval: { status: 'approved', approver: 'U0PLATFORM1', channel: 'C0DEVOPS001' },
      error: { Error: 'States.TaskFailed', Cause: 'boom', extra: 'kept' },
      result: { outcome: 'failed', summary: 'it broke' },
    });
    expect(parsed.approval).toEqual({ status: 'approved', approver: 'U0PLATFORM1', channel: 'C0DEVOPS001' });
    expect(parsed.error).toEqual({ Error: 'States.TaskFailed', Cause: 'boom', extra: 'kept' });
    expect(parsed.result).toEqual({ outcome: 'failed', summary: 'it broke', changes: [] });
  });

  it.each([
    ['an unknown phase', { ...event, phase: 'paused' }, ['phase']],
    ['an empty execution name', { ...event, execution: '' }, ['execution']],
    ['an execution name over 80 characters', { ...event, execution: 'x'.repeat(81) }, ['execution']],
    ['no runbook', { ...event, input: { ...input, runbook: '' } }, ['input', 'runbook']],
    ['no resource key', { ...event, input: { ...input, resourceKey: '' } }, ['input', 'resourceKey']],
    ['an unknown mode', { ...event, input: { ...input, mode: 'manual' } }, ['input', 'mode']],
    ['no trigger', { ...event, input: { ...input, trigger: undefined } }, ['input', 'trigger']],
    [
      'a trigger without its requester',
      { ...event, input: { ...input, trigger: { ...trigger, requestedBy: undefined } } },
      ['input', 'trigger', 'requestedBy'],
    ],
    ['an unknown outcome', { ...event, result: { outcome: 'ok', summary: '' } }, ['result', 'outcome']],
    [
      'a change without its action',
      { ...event, result: { outcome: 'succeeded', summary: '', changes: [{ resource: 'r' }] } },
      ['result', 'changes', 0, 'action'],
    ],
  ])('refuses %s', (_what, value, path) => {
    const result = ReportEventSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('takes an execution name of exactly 80 characters', () => {
    expect(ReportEventSchema.safeParse({ ...event, execution: 'x'.repeat(80) }).success).toBe(true);
  });
});
