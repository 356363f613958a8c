import * as z from 'zod';

/**
 * A sweep finding: a condition a scheduled sweep found directly (functions/sweeps/), fed to the same
 * intake as the events that should have reported it (issue 14, "Reconciliation"). It reaches the intake
 * as an EventBridge-shaped event invoked on the intake function by the sweep function alone (no rule on
 * any bus matches it, so nobody else can put one in front of the intake).
 */
export const SWEEP_SOURCE = 'ops.sweep';
export const SWEEP_DETAIL_TYPE = 'Ops Sweep Finding';

/**
 * The conditions sweeps find. Each has an event path that should have reported it first, or none:
 *
 * | condition | event path of the same condition |
 * | --- | --- |
 * | `node-group-at-max` | cluster-autoscaler "max node group size reached" (`cluster-autoscaler.node-group-at-max`) |
 * | `volume-snapshot-stale` | the backup verification's failure signal (`backup-verification.backup-failed`, checks exists/fresh) |
 * | `trail-not-logging` | CloudTrail `StopLogging` / `DeleteTrail` |
 * | `flow-logs-missing` | CloudTrail `DeleteFlowLogs` |
 * | `snapshot-shared` / `db-snapshot-shared` | CloudTrail `ModifySnapshotAttribute` / `ModifyDBSnapshotAttribute` |
 * | `secret-rotation-overdue` | none |
 * | `dns-record-drifted` | none |
 */
export const SWEEP_CONDITIONS = [
  'node-group-at-max',
  'volume-snapshot-stale',
  'secret-rotation-overdue',
  'trail-not-logging',
  'flow-logs-missing',
  'snapshot-shared',
  'db-snapshot-shared',
  'dns-record-drifted',
] as const;
export const SweepConditionSchema = z.enum(SWEEP_CONDITIONS);
export type SweepCondition = z.infer<typeof SweepConditionSchema>;

/** The resource class each condition is about: a finding about anything else is malformed. */
export const CONDITION_RESOURCE = {
  'node-group-at-max': 'node-group',
  'volume-snapshot-stale': 'ebs-volume',
  'secret-rotation-overdue': 'secret',
  'trail-not-logging': 'trail',
  'flow-logs-missing': 'flow-log',
  'snapshot-shared': 'snapshot',
  'db-snapshot-shared': 'db-snapshot',
  'dns-record-drifted': 'dns-record',
} as const satisfies Record<SweepCondition, string>;

const factValue = z.union([
  z.string().max(1024),
  z.number(),
  z.boolean(),
  z.array(z.string().max(256)).max(100),
]);

export const SweepFindingSchema = z
  .object({
    /** The sweep check that found it (`trails`, `secrets`, ...): a dimension of its metrics. */
    check: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    condition: SweepConditionSchema,
    resource: z.object({
      type: z.string(),
      id: z.string().min(1).max(512),
      region: z.string().optional(),
      account: z.string().optional(),
      attributes: z.record(z.string(), z.string().max(512)).default({}),
    }),
    /** When the sweep saw it (ISO-8601): de-duplication windows are computed from this. */
    observedAt: z.iso.datetime({ offset: true }),
    /** One line people read. */
    summary: z.string().min(1).max(500),
    /** Flat facts the sweep read (sizes, dates, accounts shared with). */
    facts: z.record(z.string(), factValue).default({}),
  })
  .strict()
  .refine((f) => f.resource.type === CONDITION_RESOURCE[f.condition], {
    message: 'the resource type does not fit the condition',
    path: ['resource', 'type'],
  });
export type SweepFinding = z.input<typeof SweepFindingSchema>;
export type ParsedSweepFinding = z.output<typeof SweepFindingSchema>;
