import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SnsSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { describe, expect, it } from 'vitest';
import { SnsDeliverySchema } from '../../../functions/notify/sns-event.js';
import { SAMPLES } from '../../bundles/samples.js';

/**
 * The alarm notifier's own SNS schema against Powertools' (the schema it replaced, to keep zod's
 * locales out of the bundle): on real deliveries both accept and read the same fields, and both
 * refuse what is not an SNS notification. Deliveries: the Lambda documentation's example as
 * Powertools tests it (test/fixtures/sns/SOURCE.md) and the bundle smoke test's alarm delivery.
 */
const DELIVERIES: Record<string, unknown> = {
  'Lambda documentation example (Powertools test event)': JSON.parse(
    readFileSync(join(import.meta.dirname, '../../fixtures/sns/powertools-base.json'), 'utf8'),
  ),
  'CloudWatch alarm delivery (bundle smoke test)': SAMPLES['functions/notify/alarm-handler.ts']?.event,
};

const fieldsRead = (
  records: ReadonlyArray<{ Sns: { TopicArn: string; Subject?: string | null; Message: string } }>,
) => records.map(({ Sns }) => ({ topicArn: Sns.TopicArn, subject: Sns.Subject, message: Sns.Message }));

type Edit = (delivery: {
  Records: Array<Record<string, unknown> & { Sns: Record<string, unknown> }>;
}) => void;
const REFUSED: Record<string, Edit> = {
  'no records': (d) => {
    d.Records = [];
  },
  'an SQS record': (d) => {
    if (d.Records[0]) d.Records[0].EventSource = 'aws:sqs';
  },
  'a subscription confirmation': (d) => {
    if (d.Records[0]) d.Records[0].Sns.Type = 'SubscriptionConfirmation';
  },
  'no message': (d) => {
    if (d.Records[0]) delete d.Records[0].Sns.Message;
  },
  'a topic ARN that is not a string': (d) => {
    if (d.Records[0]) d.Records[0].Sns.TopicArn = 42;
  },
};

describe('the alarm notifier’s SNS delivery schema', () => {
  it.each(Object.entries(DELIVERIES))('accepts %s and reads what Powertools reads', (_, delivery) => {
    const ours = SnsDeliverySchema.parse(delivery);
    const theirs = SnsSchema.parse(delivery);
    expect(fieldsRead(ours.Records)).toEqual(fieldsRead(theirs.Records));
    expect(ours.Records.length).toBeGreaterThan(0);
  });

  it('keeps a null subject as Powertools does', () => {
    const delivery = structuredClone(DELIVERIES['Lambda documentation example (Powertools test event)']) as {
      Records: Array<{ Sns: Record<string, unknown> }>;
    };
    if (delivery.Records[0]) delivery.Records[0].Sns.Subject = null;
    expect(SnsDeliverySchema.parse(delivery).Records[0]?.Sns.Subject).toBeNull();
    expect(SnsSchema.parse(delivery).Records[0]?.Sns.Subject).toBeNull();
  });

  it.each(Object.entries(REFUSED))('refuses %s, as Powertools does', (_, edit) => {
    const delivery = structuredClone(
      DELIVERIES['Lambda documentation example (Powertools test event)'],
    ) as Parameters<Edit>[0];
    edit(delivery);
    expect(SnsSchema.safeParse(delivery).success).toBe(false);
    expect(SnsDeliverySchema.safeParse(delivery).success).toBe(false);
  });

  it('reads a refusal in English in a process with no classic zod (zod/mini loads no locale itself)', () => {
    // Classic zod, which this test process has loaded through Powertools, sets English messages for
    // every zod schema; a fresh Node process that loads only the notifier's schema shows what the
    // function itself says. The expected words are zod's English messages for these checks.
    const script = `import('./functions/notify/sns-event.ts').then(({ SnsDeliverySchema: s }) =>
      console.log(JSON.stringify([s.safeParse({ Records: [] }), s.safeParse({})].map((r) =>
        r.error.issues.map((i) => [i.path.join('.'), i.message])))))`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..', '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([
      [['Records', 'Too small: expected array to have >=1 items']],
      [['Records', 'Invalid input: expected array, received undefined']],
    ]);
  });
});
