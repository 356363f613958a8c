import { describe, expect, it } from 'vitest';
import {
  MalformedEventError,
  manualSignal,
  normaliseDatadogWebhook,
  normaliseEvent,
  scheduleSignal,
  UnrecognisedEventError,
} from '../../../events/index.js';
import { sampleJson } from './support.js';

function caught(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

function mutate(file: string, change: (event: Record<string, unknown>) => void): Record<string, unknown> {
  const event = structuredClone(sampleJson(file)) as Record<string, unknown>;
  change(event);
  return event;
}

function detailOf(event: Record<string, unknown>): Record<string, unknown> {
  return event.detail as Record<string, unknown>;
}

describe('events errors: not a source we handle → UnrecognisedEventError', () => {
  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['a number', 42],
    ['an object without source/detail-type', { foo: 'bar' }],
  ])('%s', (_label, raw) => {
    // Act
    const error = caught(() => normaliseEvent(raw));
    // Assess: the class, and a message that says what was expected.
    expect(error).toBeInstanceOf(UnrecognisedEventError);
    expect(error.name).toBe('UnrecognisedEventError');
    expect(error.message).toMatch(/AWS API Call via CloudTrail/);
  });

  it('names the source and detail-type it did not recognise', () => {
    const error = caught(() =>
      normaliseEvent({
        source: 'aws.health',
        'detail-type': 'AWS Health Event',
        id: '1',
        time: 'x',
        detail: {},
      }),
    );
    expect(error).toBeInstanceOf(UnrecognisedEventError);
    expect(error.message).toContain('"aws.health"');
    expect(error.message).toContain('"AWS Health Event"');
  });

  it('rejects an Auto Scaling detail-type we do not handle (instance refresh)', () => {
    const event = mutate('autoscaling/ec2-instance-launch-successful.json', (e) => {
      e['detail-type'] = 'EC2 Auto Scaling Instance Refresh Started';
    });
    expect(() => normaliseEvent(event)).toThrow(UnrecognisedEventError);
  });

  it('rejects Kubernetes events from other components than cluster-autoscaler', () => {
    const event = mutate('cluster-autoscaler/triggeredscaleup.json', (e) => {
      detailOf(e).source = { component: 'default-scheduler' };
      detailOf(e).reason = 'FailedScheduling';
    });
    const error = caught(() => normaliseEvent(event));
    expect(error).toBeInstanceOf(UnrecognisedEventError);
    expect(error.message).toContain('"default-scheduler"');
  });

  it('rejects a flat-layout Kubernetes event whose reason is not a cluster-autoscaler reason', () => {
    const event = mutate('cluster-autoscaler/nottriggerscaleup-templated-details.json', (e) => {
      detailOf(e).reason = 'BackOff';
    });
    expect(() => normaliseEvent(event)).toThrow(/expected a cluster-autoscaler reason/);
  });
});

describe('events errors: a known source that fails its schema → MalformedEventError', () => {
  it('CloudTrail without eventTime: names the field', () => {
    const event = mutate('cloudtrail/ec2-detachvolume.json', (e) => {
      delete detailOf(e).eventTime;
    });
    const error = caught(() => normaliseEvent(event));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as MalformedEventError).source).toBe('cloudtrail');
    expect(error.message).toContain('detail.eventTime');
    expect((error as MalformedEventError).issues.join('\n')).toContain('detail.eventTime');
  });

  it('CloudTrail with an impossible eventTime: says it is not a timestamp', () => {
    const event = mutate('cloudtrail/ec2-detachvolume.json', (e) => {
      detailOf(e).eventTime = 'yesterday-ish';
    });
    expect(() => normaliseEvent(event)).toThrow(/detail\.eventTime is not a valid timestamp/);
  });

  it('CloudTrail with a non-AWS eventSource: says what it expected', () => {
    const event = mutate('cloudtrail/ec2-detachvolume.json', (e) => {
      detailOf(e).eventSource = 'evil.example.com';
    });
    expect(() => normaliseEvent(event)).toThrow(/expected <service>\.amazonaws\.com/);
  });

  it('Auto Scaling without the group name', () => {
    const event = mutate('autoscaling/ec2-instance-launch-unsuccessful.json', (e) => {
      delete detailOf(e).AutoScalingGroupName;
    });
    const error = caught(() => normaliseEvent(event));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toContain('detail.AutoScalingGroupName');
  });

  it('Kubernetes event without a reason', () => {
    const event = mutate('cluster-autoscaler/scaleupfailed.json', (e) => {
      detailOf(e).reason = '';
    });
    expect(() => normaliseEvent(event)).toThrow(/a Kubernetes Event has a reason/);
  });

  it('Datadog EventBridge event without a monitor', () => {
    const event = mutate('datadog/eventbridge-alert-notification-idr-example.json', (e) => {
      delete (detailOf(e).meta as Record<string, unknown>).monitor;
    });
    const error = caught(() => normaliseEvent(event));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toContain('detail.meta.monitor');
  });

  it('Datadog webhook with a non-numeric alert id', () => {
    const body = JSON.stringify({
      id: '1',
      alert_id: 'abc',
      alert_transition: 'Triggered',
      date: '1722429060000',
    });
    expect(() => normaliseDatadogWebhook(body)).toThrow(/alert_id: expected a numeric Datadog id/);
  });

  it('Datadog webhook without a usable date', () => {
    const body = JSON.stringify({ id: '1', alert_id: '2', alert_transition: 'Triggered', date: '$DATE' });
    expect(() => normaliseDatadogWebhook(body)).toThrow(/date is not a valid timestamp/);
  });

  it('Scheduler input with an unrendered context attribute', () => {
    const error = caught(() => scheduleSignal(sampleJson('schedule/scheduler-target-input-template.json')));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toContain('scheduleArn: expected a Scheduler schedule ARN');
  });

  it('a manual request with a bad runbook name and no requester', () => {
    const error = caught(() =>
      manualSignal({ runbook: 'Drop Tables', requestedBy: '', at: '2026-01-01T00:00:00Z' }),
    );
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toContain('runbook: a runbook name is kebab-case');
    expect(error.message).toContain('requestedBy');
  });
});

describe('events: a backup-failure event cannot smuggle a runbook request through the bus', () => {
  const forged = (detail: Record<string, unknown>) => ({
    version: '0',
    id: 'forged-1',
    'detail-type': 'Backup Verification Failed',
    source: 'ops.backup-verification',
    time: '2026-11-21T05:07:42Z',
    detail: {
      source: 'backup-verification',
      kind: 'backup-verification.backup-failed',
      resource: { type: 'ebs-volume', id: 'vol-0a1b2c3d4e5f60718', attributes: {} },
      severity: 'critical',
      occurredAt: '2026-11-21T05:07:40Z',
      correlationId: 'x',
      summary: 'x',
      raw: {},
      ...detail,
    },
  });

  it('refuses a detail that carries a runbook request', () => {
    const event = forged({ request: { runbook: 'update-dns', parameters: {}, requestedBy: 'U0PLATFORM1' } });
    expect(() => normaliseEvent(event)).toThrow(MalformedEventError);
    expect(() => normaliseEvent(event)).toThrow(/cannot carry a runbook request/);
  });

  it('refuses a detail that claims another source or kind', () => {
    expect(() => normaliseEvent(forged({ source: 'slack' }))).toThrow(MalformedEventError);
    expect(() => normaliseEvent(forged({ kind: 'cloudtrail.api-call' }))).toThrow(MalformedEventError);
  });

  it('accepts the genuine shape', () => {
    expect(normaliseEvent(forged({})).kind).toBe('backup-verification.backup-failed');
  });
});
