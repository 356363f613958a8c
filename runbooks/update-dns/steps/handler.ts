import * as z from 'zod';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';
import {
  checkRequest,
  DnsSettingsSchema,
  LoadBalancerSchema,
  planDnsChange,
  RecordSetSchema,
} from '../logic.js';

/**
 * The update-dns workflow's Lambda steps, both pure decisions over what the workflow's SDK tasks
 * read: `check` (parameters and allow-list, before any read) and `plan` (ownership, the batch and
 * its inverse). A refusal fails the step with `RefusedError` before any mutating call.
 */
export const DnsStepEvent = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('check'),
    parameters: z.unknown(),
    settings: DnsSettingsSchema,
    executionName: z.string(),
  }),
  z.object({
    step: z.literal('plan'),
    parameters: z.unknown(),
    settings: DnsSettingsSchema,
    check: z.object({
      zoneId: z.string(),
      zoneName: z.string(),
      recordName: z.string(),
      recordType: z.string(),
      registryName: z.string(),
      needLoadBalancers: z.boolean(),
    }),
    records: z.array(RecordSetSchema),
    registry: z.array(RecordSetSchema),
    loadBalancers: z.array(LoadBalancerSchema),
    executionName: z.string(),
  }),
]);

export const handler = withLogContext(async (event: unknown): Promise<unknown> => {
  const parsed = DnsStepEvent.parse(event);
  logger.appendKeys({ correlationId: parsed.executionName, step: parsed.step });
  if (parsed.step === 'check') return checkRequest(parsed.parameters, parsed.settings);
  const plan = planDnsChange(parsed);
  logger.info('dns change planned', { noop: plan.noop, changes: plan.changeBatch.Changes.length });
  return plan;
});
