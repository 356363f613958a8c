import * as z from 'zod';

/**
 * The SNS delivery a subscribed Lambda receives, as far as the alarm notifier reads it. Written
 * here rather than taken from `@aws-lambda-powertools/parser/schemas/sns`: that module imports
 * zod's namespace object (`import { z } from 'zod'`), which keeps every one of zod's locales in
 * the bundle, 350 KB parsed at each cold start (issue 17; test/bundles/bundle-weight.test.ts).
 * test/unit/notify/sns-event.test.ts holds this schema to Powertools' on the same deliveries.
 */
export const SnsDeliverySchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({
          Type: z.literal('Notification'),
          TopicArn: z.string().min(1),
          Subject: z.string().nullish(),
          Message: z.string(),
          MessageId: z.string().min(1),
        }),
      }),
    )
    .min(1),
});
export type SnsDelivery = z.infer<typeof SnsDeliverySchema>;
