import { describe, expect, it } from 'vitest';
import { manualSignal, normaliseEvent, schedulerTargetInput, scheduleSignal } from '../../../events/index.js';
import { sampleJson } from './support.js';

describe('schedule signals', () => {
  it('normaliseEvent routes an EventBridge Scheduler input (no envelope) to schedule.tick', () => {
    // Prepare
    const input = sampleJson('schedule/scheduler-target-input.json');
    // Act
    const viaEvent = normaliseEvent(input);
    const direct = scheduleSignal(input);
    // Assess
    expect(viaEvent).toEqual(direct);
    expect(viaEvent.kind).toBe('schedule.tick');
  });

  it('carries the runbook and its parameters as the request, and the schedule as the resource', () => {
    const signal = scheduleSignal({
      runbook: 'verify-backups',
      scheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/ops/verify-backups-daily',
      scheduledTime: '2026-11-22T03:00:00Z',
      executionId: 'abc123',
      attemptNumber: '2',
      parameters: { scope: ['ebs'], restoreTests: false },
    });
    expect(signal).toMatchObject({
      source: 'schedule',
      kind: 'schedule.tick',
      resource: {
        type: 'schedule',
        id: 'ops/verify-backups-daily',
        region: 'eu-west-1',
        account: '123456789012',
      },
      occurredAt: '2026-11-22T03:00:00.000Z',
      correlationId: 'abc123',
      actor: { type: 'automation', name: 'schedule:verify-backups-daily' },
      request: {
        runbook: 'verify-backups',
        parameters: { scope: ['ebs'], restoreTests: false },
        requestedBy: 'schedule:verify-backups-daily',
      },
    });
    expect(signal.details.attemptNumber).toBe(2);
  });

  it('gives the same correlation id to a retry of the same scheduled time without an execution id', () => {
    const input = {
      runbook: 'verify-backups',
      scheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/daily',
      scheduledTime: '2026-11-22T03:00:00Z',
    };
    expect(scheduleSignal({ ...input, attemptNumber: 1 }).correlationId).toBe(
      scheduleSignal({ ...input, attemptNumber: 2 }).correlationId,
    );
  });

  it('accepts what Scheduler delivers from the target input template infra creates schedules with', () => {
    // Prepare: Scheduler substitutes its context attributes into the template at each invocation.
    const template = schedulerTargetInput('verify-backups', { restoreTests: true });
    const delivered = template
      .replace(
        '<aws.scheduler.schedule-arn>',
        'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/verify',
      )
      .replace('<aws.scheduler.scheduled-time>', '2026-11-22T03:00:00Z')
      .replace('<aws.scheduler.execution-id>', 'e-1')
      .replace('<aws.scheduler.attempt-number>', '1');
    // Act
    const signal = normaliseEvent(JSON.parse(delivered));
    // Assess
    expect(signal.request).toMatchObject({ runbook: 'verify-backups', parameters: { restoreTests: true } });
    expect(() => scheduleSignal(JSON.parse(template))).toThrow(/scheduleArn/);
    expect(() => schedulerTargetInput('Not A Runbook')).toThrow();
  });

  it('reads a runbook from a schedule rule’s constant input', () => {
    const event = structuredClone(sampleJson('schedule/scheduled-event-rule.json')) as Record<
      string,
      unknown
    >;
    event.detail = { runbook: 'verify-backups' };
    expect(normaliseEvent(event).request).toMatchObject({ runbook: 'verify-backups', parameters: {} });
  });
});

describe('manual signals (Slack / CLI)', () => {
  const base = {
    runbook: 'snapshot-volume',
    parameters: { volumeId: 'vol-0abc1234def567890', reason: 'before upgrade' },
    requestedBy: 'U2147483697',
    requestedByName: 'steve',
    channel: 'C2147483705',
    threadTs: '1548261231.000200',
    responseUrl: 'https://hooks.slack.com/commands/1234/5678',
    at: '2026-11-22T10:00:00Z',
  };

  it('builds a slack.command signal with the request, the requester and where to reply', () => {
    // Act
    const signal = manualSignal(base);
    // Assess
    expect(signal).toMatchObject({
      source: 'slack',
      kind: 'slack.command',
      severity: 'info',
      resource: { type: 'ebs-volume', id: 'vol-0abc1234def567890' },
      occurredAt: '2026-11-22T10:00:00.000Z',
      actor: { type: 'human', id: 'U2147483697', name: 'steve' },
      request: {
        runbook: 'snapshot-volume',
        parameters: base.parameters,
        requestedBy: 'U2147483697',
        slack: { channel: 'C2147483705', threadTs: '1548261231.000200', responseUrl: base.responseUrl },
      },
    });
    expect(signal.summary).toBe(
      'steve asked for snapshot-volume volumeId=vol-0abc1234def567890 reason=before upgrade',
    );
  });

  it('derives a stable correlation id from the request when none is given (a re-delivery is a duplicate)', () => {
    const first = manualSignal(base);
    const again = manualSignal({
      ...base,
      parameters: { reason: 'before upgrade', volumeId: 'vol-0abc1234def567890' },
    });
    const other = manualSignal({ ...base, at: '2026-11-22T10:00:01Z' });
    expect(first.correlationId).toBe(again.correlationId);
    expect(first.correlationId).not.toBe(other.correlationId);
    expect(manualSignal({ ...base, requestId: 'trigger-1' }).correlationId).toBe('trigger-1');
  });

  it.each([
    [{ cluster: 'prod', namespace: 'db', pvc: 'data-0' }, 'snapshot-volume', 'pvc', 'prod/db/data-0'],
    [{ cluster: 'prod' }, 'scale-node-group', 'node-group', 'prod/*'],
    [{ cluster: 'prod', nodegroup: 'ng-a' }, 'scale-node-group', 'node-group', 'prod/ng-a'],
    [{ secretId: 'prod/orders/db' }, 'rotate-secret', 'secret', 'prod/orders/db'],
    [
      { zoneName: 'example.com', recordName: 'api.example.com' },
      'update-dns',
      'dns-record',
      'example.com/api.example.com/A',
    ],
    [{}, 'verify-backups', 'unknown', 'verify-backups'],
  ])('parameters %o for %s name a %s %s', (parameters, runbook, type, id) => {
    expect(manualSignal({ ...base, runbook, parameters }).resource).toMatchObject({ type, id });
  });

  it('marks CLI requests as source cli, kind cli.command, without Slack routing', () => {
    const signal = manualSignal({
      runbook: 'verify-backups',
      requestedBy: 'arn:aws:iam::123456789012:user/alice',
      via: 'cli',
      at: Date.UTC(2026, 10, 22, 10, 0, 0),
    });
    expect(signal).toMatchObject({
      source: 'cli',
      kind: 'cli.command',
      occurredAt: '2026-11-22T10:00:00.000Z',
    });
    expect(signal.request?.slack).toBeUndefined();
  });
});
