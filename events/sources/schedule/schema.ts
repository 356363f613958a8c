import * as z from 'zod';
import { EnvelopeSchema } from '../shared.js';

/**
 * Schedules, from two doors:
 * - EventBridge Scheduler delivers the target `Input` as-is (no envelope). Our schedules use the input in
 *   samples/schedule/scheduler-target-input-template.json: the runbook plus Scheduler's context attributes
 *   (`<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>`,
 *   `<aws.scheduler.attempt-number>`), optionally with the runbook's `parameters`.
 * - an EventBridge schedule rule delivers "Scheduled Event" (source `aws.events`, `resources` = the rule ARN).
 */

export const SCHEDULED_EVENT_DETAIL_TYPE = 'Scheduled Event';

const runbookName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a runbook name is kebab-case');

export const SchedulerInputSchema = z.object({
  runbook: runbookName,
  scheduleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:scheduler:[a-z0-9-]+:\d{12}:schedule\/[^/]+\/[^/]+$/,
      'expected a Scheduler schedule ARN',
    ),
  scheduledTime: z.string().min(1),
  executionId: z.string().min(1).optional(),
  attemptNumber: z.union([z.string(), z.number()]).transform(String).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type SchedulerInput = z.input<typeof SchedulerInputSchema>;

export const ScheduledRuleEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal(SCHEDULED_EVENT_DETAIL_TYPE),
  resources: z.array(z.string()).min(1, 'a Scheduled Event names its rule in resources'),
  /** Rule targets may set a constant input in place of the event; when they do not, detail is `{}`. */
  detail: z
    .object({ runbook: runbookName.optional(), parameters: z.record(z.string(), z.unknown()).optional() })
    .default({}),
});

/**
 * The target `Input` every schedule of ours is created with (infra passes it to the CfnSchedule target),
 * so what Scheduler delivers is exactly what `SchedulerInputSchema` reads. Scheduler substitutes the
 * `<aws.scheduler.*>` context attributes at each invocation.
 */
export function schedulerTargetInput(runbook: string, parameters: Record<string, unknown> = {}): string {
  return JSON.stringify({
    runbook: runbookName.parse(runbook),
    parameters,
    scheduleArn: '<aws.scheduler.schedule-arn>',
    scheduledTime: '<aws.scheduler.scheduled-time>',
    executionId: '<aws.scheduler.execution-id>',
    attemptNumber: '<aws.scheduler.attempt-number>',
  });
}
