import * as z from 'zod';
import { RUN_PHASES } from '../audit/record.js';

/**
 * What the report hook receives from the workflow kit (runbooks/workflow-kit.ts):
 * `{ phase, execution, startTime, input, approval, result?, error? }`. Lenient where the frame
 * may leave things out (an older frame has no `approval` / `startTime`), strict where a report
 * would be meaningless without it.
 */

const RunChangeSchema = z.object({
  action: z.string(),
  resource: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  requestId: z.string().optional(),
  at: z.string().optional(),
});

export const RunResultSchema = z.object({
  outcome: z.enum(['succeeded', 'failed', 'dry-run', 'rejected', 'timed-out']),
  summary: z.string(),
  changes: z.array(RunChangeSchema).default([]),
  links: z.array(z.object({ title: z.string(), url: z.string() })).optional(),
  error: z.object({ step: z.string(), cause: z.string() }).optional(),
  revert: z.record(z.string(), z.unknown()).optional(),
});

export const ReportInputSchema = z.object({
  runbook: z.string().min(1),
  stage: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()).default({}),
  dryRun: z.boolean().default(false),
  mode: z.enum(['auto', 'approval']).default('auto'),
  executionName: z.string().optional(),
  resourceKey: z.string().min(1),
  trigger: z.object({
    source: z.string(),
    kind: z.string(),
    correlationId: z.string(),
    occurredAt: z.string(),
    summary: z.string().default(''),
    link: z.string().optional(),
    requestedBy: z.string(),
    slack: z
      .object({ channel: z.string(), threadTs: z.string().optional(), responseUrl: z.string().optional() })
      .optional(),
  }),
  reasons: z.array(z.string()).default([]),
  guards: z.array(z.object({ name: z.string(), outcome: z.string(), detail: z.string() })).optional(),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;

/** The approval as the frame passes it: `{ status: 'not-requested' }` or the approver's answer. */
export const ApprovalAnswerSchema = z
  .object({
    status: z.string().optional(),
    approved: z.boolean().optional(),
    approver: z.string().optional(),
    at: z.string().optional(),
  })
  .loose();

export const ReportEventSchema = z.object({
  phase: z.enum(RUN_PHASES),
  execution: z.string().min(1).max(80),
  startTime: z.string().optional(),
  input: ReportInputSchema,
  approval: ApprovalAnswerSchema.optional(),
  result: RunResultSchema.optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});
export type ReportEvent = z.infer<typeof ReportEventSchema>;
