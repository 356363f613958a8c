import { RUN_PHASES } from '../audit/record.js';
import * as z from '../shared/zod-mini.js';

/**
 * What the report hook receives from the workflow kit (runbooks/workflow-kit.ts):
 * `{ phase, execution, startTime, input, approval, result?, error? }`. Lenient where the frame
 * may leave things out (an older frame has no `approval` / `startTime`), strict where a report
 * would be meaningless without it.
 */

const RunChangeSchema = z.object({
  action: z.string(),
  resource: z.string(),
  before: z.optional(z.unknown()),
  after: z.optional(z.unknown()),
  requestId: z.optional(z.string()),
  at: z.optional(z.string()),
});

export const RunResultSchema = z.object({
  outcome: z.enum(['succeeded', 'failed', 'dry-run', 'rejected', 'timed-out']),
  summary: z.string(),
  changes: z._default(z.array(RunChangeSchema), []),
  links: z.optional(z.array(z.object({ title: z.string(), url: z.string() }))),
  error: z.optional(z.object({ step: z.string(), cause: z.string() })),
  revert: z.optional(z.record(z.string(), z.unknown())),
});

const nonEmpty = () => z.string().check(z.minLength(1));

export const ReportInputSchema = z.object({
  runbook: nonEmpty(),
  stage: nonEmpty(),
  parameters: z._default(z.record(z.string(), z.unknown()), {}),
  dryRun: z._default(z.boolean(), false),
  mode: z._default(z.enum(['auto', 'approval']), 'auto'),
  executionName: z.optional(z.string()),
  resourceKey: nonEmpty(),
  trigger: z.object({
    source: z.string(),
    kind: z.string(),
    correlationId: z.string(),
    occurredAt: z.string(),
    summary: z._default(z.string(), ''),
    link: z.optional(z.string()),
    requestedBy: z.string(),
    slack: z.optional(
      z.object({
        channel: z.string(),
        threadTs: z.optional(z.string()),
        responseUrl: z.optional(z.string()),
      }),
    ),
  }),
  reasons: z._default(z.array(z.string()), []),
  guards: z.optional(z.array(z.object({ name: z.string(), outcome: z.string(), detail: z.string() }))),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;

/** The approval as the frame passes it: `{ status: 'not-requested' }` or the approver's answer. */
export const ApprovalAnswerSchema = z.looseObject({
  status: z.optional(z.string()),
  approved: z.optional(z.boolean()),
  approver: z.optional(z.string()),
  at: z.optional(z.string()),
});

export const ReportEventSchema = z.object({
  phase: z.enum(RUN_PHASES),
  execution: z.string().check(z.minLength(1), z.maxLength(80)),
  startTime: z.optional(z.string()),
  input: ReportInputSchema,
  approval: z.optional(ApprovalAnswerSchema),
  result: z.optional(RunResultSchema),
  error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});
export type ReportEvent = z.infer<typeof ReportEventSchema>;
