import * as z from 'zod';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';
import { NodegroupSchema, planScaling, ScaleSettingsSchema } from '../logic.js';

/**
 * The scale-node-group workflow's one Lambda step: plan the new sizes from what the workflow's
 * EKS SDK tasks read. Pure decision, no AWS client: bad input or a guard-rail refusal fails the
 * step (RefusedError) before the workflow makes any mutating call.
 */
export const ScaleStepEvent = z.object({
  step: z.literal('plan'),
  parameters: z.unknown(),
  nodegroups: z.array(NodegroupSchema),
  settings: ScaleSettingsSchema,
  executionName: z.string(),
});

export const handler = withLogContext(async (event: unknown): Promise<unknown> => {
  const parsed = ScaleStepEvent.parse(event);
  logger.appendKeys({ correlationId: parsed.executionName, step: parsed.step });
  const plan = planScaling({ ...parsed, now: new Date() });
  logger.info('scaling planned', {
    mode: plan.mode,
    targets: plan.targets.map((t) => ({ nodegroup: t.nodegroup, before: t.before, after: t.after })),
    scaleBack: plan.scaleBack?.ScheduleExpression,
  });
  return plan;
});
