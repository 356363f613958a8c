import * as z from 'zod';

/**
 * Reconciliation sweeps (issue 14): scheduled checks that find conditions directly and feed the intake,
 * bounding how long a condition can go unseen when its event was lost. Each check's interval is its
 * detection bound (plus its run time) when the event path fails; the README's table lists them.
 */
export const SWEEP_CHECKS = [
  'node-groups',
  'volumes',
  'secrets',
  'trails',
  'flow-logs',
  'sharing',
  'dns',
] as const;
export const SweepCheckSchema = z.enum(SWEEP_CHECKS);
export type SweepCheckName = z.infer<typeof SweepCheckSchema>;

/** Minutes between runs, per check: fast where a run could fix it, hourly where a person must look. */
export const DEFAULT_SWEEP_INTERVALS: Readonly<Record<SweepCheckName, number>> = {
  'node-groups': 5,
  volumes: 60,
  secrets: 60,
  trails: 15,
  'flow-logs': 15,
  sharing: 60,
  dns: 60,
};

const minutes = z.number().int().min(1).max(1440);

export const SweepsConfigSchema = z.object({
  /** Minutes between runs of each check (EventBridge Scheduler `rate(...)`). */
  intervals: z
    .object({
      'node-groups': minutes.default(DEFAULT_SWEEP_INTERVALS['node-groups']),
      volumes: minutes.default(DEFAULT_SWEEP_INTERVALS.volumes),
      secrets: minutes.default(DEFAULT_SWEEP_INTERVALS.secrets),
      trails: minutes.default(DEFAULT_SWEEP_INTERVALS.trails),
      'flow-logs': minutes.default(DEFAULT_SWEEP_INTERVALS['flow-logs']),
      sharing: minutes.default(DEFAULT_SWEEP_INTERVALS.sharing),
      dns: minutes.default(DEFAULT_SWEEP_INTERVALS.dns),
    })
    .prefault({}),
  /** Checks switched off in this stage (their schedule and alarm are not deployed). */
  disabled: z.array(SweepCheckSchema).default([]),
  /**
   * The platform's secrets: names starting with one of these prefixes (Secrets Manager `name` filter).
   * Only secrets with a rotation schedule are judged. Default: the stage's own prefix `<stage>/`.
   */
  secretNamePrefixes: z.array(z.string().min(1).max(256)).max(10).optional(),
  /**
   * Kubernetes namespaces of the platform's workloads. The node-groups sweep reads the evidence of
   * unschedulable pods there, and only there: core/v1 Events with reason `FailedScheduling` (the
   * scheduler) or `NotTriggerScaleUp` (cluster-autoscaler). The kube function gets `list` on `events`
   * in exactly these namespaces. None: the node-groups check is not scheduled (no evidence, no finding).
   */
  workloadNamespaces: z
    .array(
      z
        .string()
        .max(63)
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name (DNS-1123 label)'),
    )
    .max(20)
    .default([]),
  /** A secret rotated less than this late is not yet overdue (rotation windows, retries). */
  rotationGraceHours: z.number().int().min(0).max(168).default(24),
});
export type SweepsConfig = z.infer<typeof SweepsConfigSchema>;
