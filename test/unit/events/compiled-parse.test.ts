import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import {
  AutoScalingActivityEventSchema,
  AutoScalingLifecycleEventSchema,
} from '../../../events/sources/autoscaling/schema.js';
import { CloudTrailEventSchema } from '../../../events/sources/cloudtrail/schema.js';
import { KubernetesEventSchema } from '../../../events/sources/cluster-autoscaler/schema.js';
import { DatadogAlertEventSchema, DatadogWebhookBodySchema } from '../../../events/sources/datadog/schema.js';
import { ManualRequestSchema } from '../../../events/sources/manual/schema.js';
import { ScheduledRuleEventSchema, SchedulerInputSchema } from '../../../events/sources/schedule/schema.js';
import { EnvelopeSchema, parserFor } from '../../../events/sources/shared.js';
import { SweepFindingSchema } from '../../../events/sources/sweep/schema.js';
import { listSampleFiles, sampleText } from './support.js';

/**
 * `parseOrThrow` parses with zod's generated parser once a schema has been used a few times
 * (issue 17: intake speed). Its contract is the schema's: the same success and output, the same
 * issues and messages. The oracle is the schema's own runtime parser, on every recorded sample and
 * on mutations of each at every key of the envelope and of its detail, against every source schema
 * (so most inputs exercise the failure paths).
 */
const SCHEMAS: Record<string, z.ZodType> = {
  AutoScalingActivityEventSchema,
  AutoScalingLifecycleEventSchema,
  CloudTrailEventSchema,
  KubernetesEventSchema,
  DatadogAlertEventSchema,
  DatadogWebhookBodySchema,
  ManualRequestSchema,
  ScheduledRuleEventSchema,
  SchedulerInputSchema,
  EnvelopeSchema,
  SweepFindingSchema,
};

const ODD_VALUES: readonly unknown[] = [undefined, null, '', 0, ['a', 1]];

function inputs(): unknown[] {
  const out: unknown[] = [];
  for (const file of listSampleFiles()) {
    if (!file.endsWith('.json')) continue;
    const value = JSON.parse(sampleText(file)) as unknown;
    out.push(value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const event = value as Record<string, unknown>;
    for (const key of Object.keys(event)) {
      for (const odd of ODD_VALUES) out.push({ ...event, [key]: odd });
      const { [key]: _gone, ...without } = event;
      out.push(without);
    }
    const detail = event.detail;
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) continue;
    // The detail on its own too: some schemas (the sweep's finding) parse only the detail.
    out.push(detail);
    for (const key of Object.keys(detail)) {
      for (const odd of ODD_VALUES) {
        const changed = { ...detail, [key]: odd };
        out.push({ ...event, detail: changed }, changed);
      }
    }
  }
  return out;
}

describe('parseOrThrow’s compiled parsers answer as the schemas do', () => {
  const all = inputs();

  it.each(Object.entries(SCHEMAS))('%s', (_name, schema) => {
    // Past the threshold: from here on parserFor gives the compiled clone.
    for (let i = 0; i < 100; i++) parserFor(schema);
    const fast = parserFor(schema);
    expect(fast).not.toBe(schema);
    let accepted = 0;
    for (const input of all) {
      const want = schema.safeParse(input);
      const got = fast.safeParse(input);
      expect(got.success).toBe(want.success);
      if (want.success) {
        accepted++;
        expect(got.data).toStrictEqual(want.data);
      } else {
        expect(got.error?.issues).toStrictEqual(want.error.issues);
      }
    }
    expect(all.length).toBeGreaterThan(2000);
    // Every schema accepts some sample as it is, but those with no recorded sample in events/samples.
    if (!['DatadogWebhookBodySchema', 'ManualRequestSchema', 'SweepFindingSchema'].includes(_name)) {
      expect(accepted).toBeGreaterThan(0);
    }
  });
});
