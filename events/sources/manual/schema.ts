import * as z from 'zod';

/**
 * A person asking for a runbook by name: `/ops <runbook> <args>` in Slack, or `ops run` on the command line.
 * The Slack endpoint (signature check, form parsing) and the CLI build this; the parameters stay raw here
 * and are validated against the runbook's own schema by the intake.
 */
export const ManualRequestSchema = z.object({
  runbook: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'a runbook name is kebab-case (lower-case words joined by hyphens)'),
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** Slack user id (U…/W…) or, from the CLI, the caller's IAM ARN. */
  requestedBy: z.string().min(1),
  /** `--dry-run`: compute and report the change, make no mutating call. */
  dryRun: z.boolean().optional(),
  /** Readable name: Slack handle or user name. */
  requestedByName: z.string().min(1).optional(),
  /** Where the request came from; `slack` unless the CLI says otherwise. */
  via: z.enum(['slack', 'cli']).default('slack'),
  /** Slack channel id, thread timestamp and response URL to report back into. */
  channel: z.string().min(1).optional(),
  threadTs: z
    .string()
    .regex(/^\d+\.\d+$/, 'a Slack ts looks like 1548261231.000200')
    .optional(),
  responseUrl: z.url({ protocol: /^https$/ }).optional(),
  /** When it was asked (ISO-8601 or epoch milliseconds). */
  at: z.union([z.string().min(1), z.number(), z.date()]),
  /** Stable id of the request (Slack trigger_id, CLI invocation id); derived from the request when absent. */
  requestId: z.string().min(1).optional(),
});
export type ManualRequest = z.input<typeof ManualRequestSchema>;
