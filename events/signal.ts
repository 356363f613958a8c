import * as z from 'zod';

/**
 * The one normalised shape every source is translated into, once, in `events/`.
 * Nothing downstream parses a raw payload again: policy, guards, runbooks, reports
 * and tests all speak `Signal`.
 */

export const SIGNAL_SOURCES = [
  'cloudtrail',
  'autoscaling',
  'cluster-autoscaler',
  'datadog',
  'schedule',
  'slack',
  /** A manual request from the `ops` command line (same shape as a Slack request). */
  'cli',
  'backup-verification',
  /** A condition a scheduled sweep found directly (events/sources/sweep). */
  'sweep',
] as const;
export const SignalSourceSchema = z.enum(SIGNAL_SOURCES);
export type SignalSource = z.infer<typeof SignalSourceSchema>;

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Who (or what) caused the event: used for loop protection and for the break-glass rule. */
export const ActorSchema = z.object({
  /** `human` = SSO / IAM user / Slack user; `service` = workload role or AWS service; `root` = account root. */
  type: z.enum(['human', 'service', 'root', 'automation', 'unknown']),
  /** IAM ARN (for roles, the role ARN, not the session ARN), Slack user id, or Datadog handle. */
  id: z.string().optional(),
  /** Readable name: session name, user name, Slack handle. */
  name: z.string().optional(),
  /** IAM role name when the actor assumed a role: what allow-lists and loop protection match on. */
  roleName: z.string().optional(),
  sourceIp: z.string().optional(),
});
export type Actor = z.infer<typeof ActorSchema>;

/** The thing the signal is about. `type` names a resource class; `id` is its stable identifier. */
export const ResourceSchema = z.object({
  type: z.enum([
    'ebs-volume',
    'pvc',
    'node-group',
    'auto-scaling-group',
    'secret',
    'dns-record',
    'load-balancer',
    'trail',
    'kms-key',
    'security-group',
    'account',
    'flow-log',
    'dns-query-log',
    'detector',
    'config-recorder',
    'snapshot',
    'machine-image',
    'db-snapshot',
    's3-bucket',
    'lambda-function',
    'access-key',
    'monitor',
    'schedule',
    'backup',
    'unknown',
  ]),
  /** Stable id: volume id, `cluster/nodegroup`, secret ARN or name, `zoneId/name/type`, monitor id (string). */
  id: z.string().min(1),
  region: z.string().optional(),
  account: z.string().optional(),
  /** Extra identifying facts (cluster, namespace, nodegroup, zone, record name, tags). Strings only. */
  attributes: z.record(z.string(), z.string()).default({}),
});
export type Resource = z.infer<typeof ResourceSchema>;

/** Facts a source extracted for policy: flat, typed, never nested raw payload. */
export const DetailsSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
);
export type Details = z.infer<typeof DetailsSchema>;

/**
 * What a human (Slack, CLI) or a schedule explicitly asked for: the runbook by name and its raw,
 * not yet validated parameters. Absent for signals the policy has to interpret (CloudTrail, Datadog, ...).
 */
export const RunbookRequestSchema = z.object({
  runbook: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a runbook name is kebab-case'),
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** Who asked: Slack user id, IAM ARN, or `schedule:<name>`. */
  requestedBy: z.string().min(1),
  /** Asked for a dry run (`--dry-run`): can only make a run safer, never turn a dry run live. */
  dryRun: z.boolean().optional(),
  /** Where to report back, when the request came from Slack. */
  slack: z
    .object({
      channel: z.string().min(1),
      threadTs: z.string().optional(),
      responseUrl: z.string().optional(),
    })
    .optional(),
});
export type RunbookRequest = z.infer<typeof RunbookRequestSchema>;

export const SignalSchema = z.object({
  source: SignalSourceSchema,
  /**
   * What happened, namespaced by source, kebab-case, e.g. `cloudtrail.api-call`,
   * `cluster-autoscaler.node-group-at-max`, `datadog.monitor-triggered`, `schedule.tick`.
   */
  kind: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/),
  resource: ResourceSchema,
  severity: SeveritySchema,
  /** When it happened at the source (ISO-8601, UTC). Dedup windows are computed from this, not arrival time. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** Stable id of the source event (EventBridge id, CloudTrail eventID, Datadog event id as a string). */
  correlationId: z.string().min(1),
  actor: ActorSchema.optional(),
  details: DetailsSchema.default({}),
  /** Human link back to the source (Datadog monitor, CloudTrail console, Slack message). */
  link: z.string().optional(),
  /** Short human summary, one line. */
  summary: z.string(),
  /** Set when the signal is an explicit request to run a named runbook (Slack, CLI, schedule). */
  request: RunbookRequestSchema.optional(),
  /** The payload exactly as received, kept for audit and dead-letter analysis. */
  raw: z.unknown(),
});
export type Signal = z.infer<typeof SignalSchema>;

/** Raised for input that no retry can fix: logged with its payload and rejected/dead-lettered. */
export class UnrecognisedEventError extends Error {
  override readonly name = 'UnrecognisedEventError';
}

/** Raised for input that looks like a known source but fails its schema. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    message: string,
    readonly source: SignalSource,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}
