import { describe, expect, it } from 'vitest';
import {
  CLOUDTRAIL_CONSOLE_SIGN_IN,
  cloudTrailRecordToEvent,
  isCloudTrailRecord,
  normaliseEvent,
  UnrecognisedEventError,
} from '../../../events/index.js';
import { listSampleFiles, sampleJson } from './support.js';

/**
 * A CloudTrail record read from a log file is put into the envelope the EventBridge CloudTrail integration
 * delivers. Oracles: the samples' envelopes (ec2-detachvolume.json is the whole event as AWS's EBS guide
 * publishes it; the others were wrapped by hand following events/samples/SOURCES.md), and the EventBridge
 * user guide's list of CloudTrail detail-types ("AWS service events delivered via AWS CloudTrail").
 */

const CLOUDTRAIL_SAMPLES = listSampleFiles().filter((f) => f.startsWith('cloudtrail/'));

type Event = Record<string, unknown> & { detail: Record<string, unknown> };

describe('cloudTrailRecordToEvent: a log record in the EventBridge envelope', () => {
  it('covers every CloudTrail sample', () => {
    expect(CLOUDTRAIL_SAMPLES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CLOUDTRAIL_SAMPLES)(
    '%s: the same envelope as delivered (all but the random id), detail untouched',
    (file) => {
      // Prepare
      const sample = sampleJson(file) as Event;

      // Act
      const wrapped = cloudTrailRecordToEvent(structuredClone(sample.detail));

      // Assess
      const { id: _sampleId, ...expected } = sample;
      const { id, ...actual } = wrapped;
      expect(actual).toEqual(expected);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    },
  );

  it.each(CLOUDTRAIL_SAMPLES)('%s: normalises to the signal the delivered event gives', (file) => {
    const sample = sampleJson(file) as Event;

    const fromLog = normaliseEvent(cloudTrailRecordToEvent(structuredClone(sample.detail)));
    const delivered = normaliseEvent(sample);

    const strip = (s: typeof fromLog) => ({
      ...s,
      raw: undefined,
      details: { ...s.details, eventBridgeId: undefined },
    });
    expect(strip(fromLog)).toEqual(strip(delivered));
  });

  it('the id is repeatable for one record and differs between records', () => {
    const { detail } = sampleJson('cloudtrail/kms-disablekey.json') as Event;

    const a = cloudTrailRecordToEvent({ ...detail });
    const b = cloudTrailRecordToEvent({ ...detail });
    const c = cloudTrailRecordToEvent({ ...detail, eventID: 'another-event' });

    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
  });

  it('a sign-in record without eventType (older log format) is still a console sign-in from aws.signin', () => {
    const { detail } = sampleJson('cloudtrail/signin-consolelogin-root-success.json') as Event;
    const { eventType: _dropped, ...old } = detail;

    const event = cloudTrailRecordToEvent(old);

    expect(event.source).toBe('aws.signin');
    expect(event['detail-type']).toBe(CLOUDTRAIL_CONSOLE_SIGN_IN);
  });

  it('service events and console actions get their own detail-types (EventBridge user guide), which no normaliser takes', () => {
    const { detail } = sampleJson('cloudtrail/kms-disablekey.json') as Event;

    const service = cloudTrailRecordToEvent({
      ...detail,
      eventType: 'AwsServiceEvent',
      eventName: 'RotateKey',
    });
    const action = cloudTrailRecordToEvent({ ...detail, eventType: 'AwsConsoleAction' });

    expect(service['detail-type']).toBe('AWS Service Event via CloudTrail');
    expect(service.source).toBe('aws.kms');
    expect(action['detail-type']).toBe('AWS Console Action via CloudTrail');
    expect(() => normaliseEvent(service)).toThrow(UnrecognisedEventError);
  });

  it('isCloudTrailRecord: a bare record yes; a delivered event, a Datadog body or a stray object no', () => {
    const sample = sampleJson('cloudtrail/kms-disablekey.json') as Event;

    expect(isCloudTrailRecord(sample.detail)).toBe(true);
    expect(isCloudTrailRecord(sample)).toBe(false);
    expect(isCloudTrailRecord({ alert_id: '1', event_type: 'x' })).toBe(false);
    expect(isCloudTrailRecord({ eventSource: 'kms.amazonaws.com' })).toBe(false);
  });
});
