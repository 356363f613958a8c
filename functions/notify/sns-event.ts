import * as z from '../shared/zod-mini.js';

/**
 * The SNS delivery a subscribed Lambda receives, as far as the alarm notifier reads it. Written
 * here rather than taken from `@aws-lambda-powertools/parser/schemas/sns`: that module imports
 * zod's namespace object (`import { z } from 'zod'`), which keeps every one of zod's locales in
 * the bundle, 350 KB parsed at each cold start (issue 17; test/bundles/bundle-weight.test.ts).
 * test/unit/notify/sns-event.test.ts holds this schema to Powertools' on the same deliveries. In
 * `zod/mini` (functions/shared/zod-mini.ts), as is the alarm message's: the notifier's only schemas.
 */
export const SnsDeliverySchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({
          Type: z.literal('Notification'),
          TopicArn: z.string().check(z.minLength(1)),
          Subject: z.nullish(z.string()),
          Message: z.string(),
          MessageId: z.string().check(z.minLength(1)),
        }),
      }),
    )
    .check(z.minLength(1)),
});
export type SnsDelivery = z.infer<typeof SnsDeliverySchema>;
