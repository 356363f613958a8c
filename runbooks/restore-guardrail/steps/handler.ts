import * as z from 'zod';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';
import { checkRequest, GuardrailSettingsSchema } from '../logic.js';
import { planRestore } from '../plan.js';

/**
 * The restore-guardrail workflow's Lambda steps, both pure decisions over what its SDK tasks read:
 * `check` (parameters, allow-list, revert meaningful; before any read) and `plan` (the one write
 * call and its inverse). A refusal fails the step with `RefusedError` before any mutating call.
 * The entry point lives with its runbook (one folder per runbook); only the Powertools set-up is shared.
 */
const CheckSchema = z.object({
  guardrail: z.string(),
  read: z.string(),
  target: z.string(),
  revert: z.boolean(),
  flowLogFilters: z.array(z.object({ Name: z.string(), Values: z.array(z.string()) })).optional(),
});

export const GuardrailStepEvent = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('check'),
    parameters: z.unknown(),
    settings: GuardrailSettingsSchema,
    executionName: z.string(),
  }),
  z.object({
    step: z.literal('plan'),
    parameters: z.unknown(),
    settings: GuardrailSettingsSchema,
    check: CheckSchema,
    read: z.unknown(),
    executionName: z.string(),
  }),
]);

export const handler = withLogContext(async (event: unknown): Promise<unknown> => {
  const parsed = GuardrailStepEvent.parse(event);
  logger.appendKeys({ correlationId: parsed.executionName, step: parsed.step });
  if (parsed.step === 'check') return checkRequest(parsed.parameters, parsed.settings);
  // The check step produced `check`; its shape is re-validated above, its values are the check's own.
  const plan = planRestore({ ...parsed, check: parsed.check as Parameters<typeof planRestore>[0]['check'] });
  logger.info('guardrail restore planned', { noop: plan.noop, write: plan.write });
  return plan;
});
