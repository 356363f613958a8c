import * as z from 'zod';
import { EnvelopeSchema } from '../shared.js';

/**
 * Datadog monitor notifications, from two doors:
 * - the Datadog EventBridge integration: detail-type "Datadog Alert Notification" on the partner event source
 *   `aws.partner/datadog.com/<name>` (fields as in the AWS IDR guide's example, see samples/SOURCES.md);
 * - the Datadog webhook integration: our JSON payload template (samples/datadog/webhook-payload-template.json),
 *   whose `$VARIABLES` Datadog renders as strings. It is parsed losslessly from the raw body, because a
 *   template that leaves `$ID` unquoted sends integers beyond 2^53.
 */

export const DATADOG_DETAIL_TYPE = 'Datadog Alert Notification';
export const DATADOG_PARTNER_SOURCE_PREFIX = 'aws.partner/datadog.com';

/** An id that may arrive as a JSON number or string: kept as its decimal string. */
export const DatadogIdSchema = z.preprocess(
  (value) => (typeof value === 'number' || typeof value === 'bigint' ? String(value) : value),
  z
    .string({ error: 'expected a numeric Datadog id (digits, as a string or a number)' })
    .trim()
    .regex(/^\d{1,24}$/, 'expected a numeric Datadog id'),
);

const LooseString = z.union([z.string(), z.number()]).transform(String);

export const DatadogAlertDetailSchema = z.object({
  alert_type: z.string().optional(),
  event_type: z.string().optional(),
  title: z.string().optional(),
  id: DatadogIdSchema.optional(),
  meta: z.object({
    monitor: z.object({
      id: DatadogIdSchema,
      org_id: DatadogIdSchema.optional(),
      type: z.string().optional(),
      name: z.string().optional(),
      message: z.string().optional(),
      query: z.string().optional(),
      tags: z.array(z.string()).optional(),
    }),
    transition: z.object({
      trans_name: z.string().min(1),
      trans_type: z.string().optional(),
    }),
    states: z.object({ source_state: z.string().optional(), dest_state: z.string().optional() }).optional(),
    result: z
      .object({
        result_id: DatadogIdSchema.optional(),
        result_ts: z.number().optional(),
        evaluation_ts: z.number().optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  }),
  priority: z.string().optional(),
  source_type_name: z.string().optional(),
  tags: z.array(z.string()).default([]),
});
export type DatadogAlertDetail = z.infer<typeof DatadogAlertDetailSchema>;

export const DatadogAlertEventSchema = EnvelopeSchema.extend({
  'detail-type': z.literal(DATADOG_DETAIL_TYPE),
  source: z.string().startsWith(DATADOG_PARTNER_SOURCE_PREFIX),
  detail: DatadogAlertDetailSchema,
});
export type DatadogAlertEvent = z.infer<typeof DatadogAlertEventSchema>;

/** The webhook body our payload template renders. `$TAGS` is a comma-separated string. */
export const DatadogWebhookBodySchema = z.object({
  id: DatadogIdSchema,
  event_type: z.string().optional(),
  title: z.string().optional(),
  date: LooseString.optional(),
  last_updated: LooseString.optional(),
  org: z.object({ id: DatadogIdSchema.optional(), name: z.string().optional() }).optional(),
  body: z.string().optional(),
  link: z.string().optional(),
  tags: z.union([z.string(), z.array(z.string())]).default(''),
  priority: z.string().optional(),
  hostname: z.string().optional(),
  aggreg_key: z.string().optional(),
  alert_id: DatadogIdSchema,
  alert_cycle_key: DatadogIdSchema.optional(),
  alert_transition: z.string().min(1),
  alert_type: z.string().optional(),
  alert_status: z.string().optional(),
  alert_title: z.string().optional(),
  alert_scope: z.string().optional(),
  alert_query: z.string().optional(),
  alert_metric: z.string().optional(),
  alert_priority: z.string().optional(),
});
export type DatadogWebhookBody = z.infer<typeof DatadogWebhookBodySchema>;
