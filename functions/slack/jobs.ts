import * as z from 'zod';

/**
 * The work the endpoint hands to the worker after acknowledging Slack: everything the worker
 * needs, already verified and authenticated (the worker is invoked only by the endpoint, with
 * InvocationType Event). The worker validates it again with this schema.
 */
const user = z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/), name: z.string().optional() });
const common = {
  user,
  channel: z.string().min(1),
  responseUrl: z.string().url(),
  /** When the endpoint received the request (ISO-8601): the signal's occurredAt. */
  receivedAt: z.iso.datetime(),
  /** Slack's trigger id: the correlation id of what the request starts. */
  correlationId: z.string().min(1),
};

export const SlackJob = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('start'),
    verb: z.enum(['plan', 'run']),
    runbook: z.string(),
    parameters: z.record(z.string(), z.unknown()),
    dryRun: z.boolean(),
    /** The command as typed, for the thread's first message. */
    text: z.string(),
    ...common,
  }),
  z.object({
    kind: z.literal('execution'),
    verb: z.enum(['status', 'revert']),
    execution: z.string(),
    text: z.string(),
    ...common,
  }),
  z.object({
    kind: z.literal('action'),
    action: z.enum(['approve', 'reject', 'revert']),
    value: z.string().min(1).max(200),
    /** The message that carried the button. */
    messageTs: z.string().optional(),
    ...common,
  }),
]);
export type SlackJob = z.infer<typeof SlackJob>;
