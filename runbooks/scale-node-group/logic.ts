import { createHash } from 'node:crypto';
import * as z from 'zod';
import { wildcardMatch } from '../../config/wildcard.js';
import { schedulerTargetInput } from '../../events/sources/schedule/schema.js';
import { RefusedError } from '../shared.js';
import type { RunChange, RunResult } from '../types.js';
import { ScaleNodeGroupParameters } from './spec.js';

/**
 * Pure logic of the scale-node-group Lambda step: which node groups, what new size (within
 * the allow-list's ceiling and step), the idempotency token, the IaC size parameters, the
 * scale-back schedule and the run's result. Shapes are those of the Step Functions EKS SDK
 * integration (PascalCase members).
 */

export interface Size {
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
}

export const AllowedNodeGroupSchema = z.object({
  cluster: z.string(),
  /** Node group name; `*` wildcard allowed. */
  nodegroup: z.string(),
  ceiling: z.number().int().positive(),
  stepSize: z.number().int().positive(),
  scaleBackAfterMinutes: z.number().int().min(0),
});
export type AllowedNodeGroup = z.infer<typeof AllowedNodeGroupSchema>;

export const ScaleSettingsSchema = z.object({
  region: z.string(),
  stage: z.string(),
  nodeGroups: z.array(AllowedNodeGroupSchema),
  /** SSM prefix of the IaC size parameters: `<prefix>/<nodegroup>/max-size` and `/desired-size`. */
  sizeParameterPrefix: z.string().startsWith('/'),
  /**
   * For the scale-back schedule: the intake function it invokes (so the revert run passes the
   * intake's guards like any scheduled run), the role Scheduler uses, the schedules' name prefix.
   */
  scaleBack: z
    .object({ intakeFunctionArn: z.string(), roleArn: z.string(), schedulePrefix: z.string() })
    .optional(),
});
export type ScaleSettings = z.infer<typeof ScaleSettingsSchema>;

export const NodegroupSchema = z.object({
  NodegroupName: z.string(),
  ClusterName: z.string(),
  NodegroupArn: z.string().optional(),
  Status: z.string().optional(),
  ScalingConfig: z.object({ MinSize: z.number(), MaxSize: z.number(), DesiredSize: z.number() }),
});
export type Nodegroup = z.infer<typeof NodegroupSchema>;

export function findAllowed(
  allowList: readonly AllowedNodeGroup[],
  cluster: string,
  nodegroup: string,
): AllowedNodeGroup | undefined {
  return allowList.find((a) => a.cluster === cluster && wildcardMatch(a.nodegroup, nodegroup));
}

/**
 * The new size of a node group being scaled up: max grows by at most `stepSize` (and by
 * `increaseBy` when asked for less), never above `ceiling`; desired grows by the same amount
 * and never drops below the current desired size; min is unchanged. Refuses (throws
 * `RefusedError`) when there is no room left under the ceiling or the group is already above it.
 */
export function computeScaleUp(
  current: Size,
  rule: { ceiling: number; stepSize: number },
  increaseBy?: number,
): Size {
  if (current.maxSize > rule.ceiling) {
    throw new RefusedError(
      `max size ${current.maxSize} is already above the ceiling ${rule.ceiling}: not scaling (fix the ceiling or the node group first)`,
    );
  }
  if (current.maxSize >= rule.ceiling) {
    throw new RefusedError(
      `max size ${current.maxSize} has reached the ceiling ${rule.ceiling}: refusing to scale further`,
    );
  }
  const step = Math.max(1, Math.min(increaseBy ?? rule.stepSize, rule.stepSize));
  const maxSize = Math.min(current.maxSize + step, rule.ceiling);
  const grew = maxSize - current.maxSize;
  const desiredSize = Math.max(current.desiredSize, Math.min(current.desiredSize + grew, maxSize));
  return { minSize: current.minSize, maxSize, desiredSize };
}

/** Idempotency token for UpdateNodegroupConfig: the same run and node group always send the same token. */
export function clientRequestToken(executionName: string, nodegroup: string): string {
  return createHash('sha256').update(`${executionName}/${nodegroup}`).digest('hex').slice(0, 40);
}

export const ScaleRestoreSchema = z.object({
  nodegroups: z
    .array(
      z.object({
        nodegroup: z.string(),
        minSize: z.number().int().min(0),
        maxSize: z.number().int().min(1),
        desiredSize: z.number().int().min(0),
        /** The max size the reverted run set: a revert refuses when someone changed it since. */
        expectMaxSize: z.number().int().min(1).optional(),
      }),
    )
    .min(1),
});
export type ScaleRestore = z.infer<typeof ScaleRestoreSchema>;

export interface ScaleTarget {
  readonly clusterName: string;
  readonly nodegroup: string;
  readonly before: Size;
  readonly after: Size;
  readonly clientRequestToken: string;
  readonly maxSizeParameter: string;
  readonly desiredSizeParameter: string;
  /** Strings for SSM PutParameter (Step Functions' JSONPath cannot turn a number into a string). */
  readonly maxSizeValue: string;
  readonly desiredSizeValue: string;
}

export interface ScalePlan {
  readonly mode: 'scale-up' | 'revert';
  readonly targets: ScaleTarget[];
  readonly dryRunResult: RunResult;
  readonly result: RunResult;
  /** Present when a scale-back is due: CreateSchedule parameters. */
  readonly scaleBack: ScaleBackSchedule | null;
}

export interface ScaleBackSchedule {
  readonly Name: string;
  readonly ScheduleExpression: string;
  readonly Target: { readonly Arn: string; readonly RoleArn: string; readonly Input: string };
}

const sizeOf = (n: Nodegroup): Size => ({
  minSize: n.ScalingConfig.MinSize,
  maxSize: n.ScalingConfig.MaxSize,
  desiredSize: n.ScalingConfig.DesiredSize,
});

export function consoleNodegroupUrl(region: string, cluster: string, nodegroup: string): string {
  return `https://${region}.console.aws.amazon.com/eks/home?region=${region}#/clusters/${cluster}/nodegroups/${nodegroup}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` for EventBridge Scheduler, in UTC. */
export function atExpression(when: Date): string {
  return `at(${when.toISOString().slice(0, 19)})`;
}

/**
 * Plans a run: in scale-up mode, the named node group (must be allow-listed) or, when none is
 * named, every allow-listed node group of the cluster that sits at its maximum; in revert mode,
 * the captured sizes. Node groups already at the target size are left out (a repeated run
 * changes nothing). Throws `RefusedError` with the reason when nothing may be done.
 */
export function planScaling(args: {
  parameters: unknown;
  nodegroups: readonly Nodegroup[];
  settings: ScaleSettings;
  executionName: string;
  now: Date;
}): ScalePlan {
  const p = ScaleNodeGroupParameters.parse(args.parameters);
  const { settings, executionName } = args;
  const revert = Boolean(p.revertOf);
  const targets: ScaleTarget[] = [];
  const skipped: string[] = [];
  const target = (ng: Nodegroup, after: Size): ScaleTarget => ({
    clusterName: p.cluster,
    nodegroup: ng.NodegroupName,
    before: sizeOf(ng),
    after,
    clientRequestToken: clientRequestToken(executionName, ng.NodegroupName),
    maxSizeParameter: `${settings.sizeParameterPrefix}/${ng.NodegroupName}/max-size`,
    desiredSizeParameter: `${settings.sizeParameterPrefix}/${ng.NodegroupName}/desired-size`,
    maxSizeValue: String(after.maxSize),
    desiredSizeValue: String(after.desiredSize),
  });
  const same = (a: Size, b: Size) =>
    a.minSize === b.minSize && a.maxSize === b.maxSize && a.desiredSize === b.desiredSize;
  const byName = new Map(args.nodegroups.map((n) => [n.NodegroupName, n]));
  const active = (ng: Nodegroup) => {
    if (ng.Status && ng.Status !== 'ACTIVE')
      throw new RefusedError(
        `node group ${p.cluster}/${ng.NodegroupName} is ${ng.Status}, not ACTIVE: try again later`,
      );
  };

  if (revert) {
    const restore = ScaleRestoreSchema.safeParse(p.restore);
    if (!restore.success)
      throw new RefusedError(
        `revert of ${p.revertOf} needs restore.nodegroups: ${restore.error.issues[0]?.message}`,
      );
    for (const r of restore.data.nodegroups) {
      const rule = findAllowed(settings.nodeGroups, p.cluster, r.nodegroup);
      if (!rule) throw new RefusedError(`node group ${p.cluster}/${r.nodegroup} is not allow-listed`);
      const ng = byName.get(r.nodegroup);
      if (!ng) throw new RefusedError(`node group ${p.cluster}/${r.nodegroup} was not found`);
      active(ng);
      const after = { minSize: r.minSize, maxSize: r.maxSize, desiredSize: r.desiredSize };
      if (after.maxSize > rule.ceiling)
        throw new RefusedError(
          `restoring ${r.nodegroup} to max ${after.maxSize} would exceed its ceiling ${rule.ceiling}`,
        );
      if (!(after.minSize <= after.desiredSize && after.desiredSize <= after.maxSize))
        throw new RefusedError(`restore sizes of ${r.nodegroup} violate min ≤ desired ≤ max`);
      if (r.expectMaxSize !== undefined && ng.ScalingConfig.MaxSize !== r.expectMaxSize) {
        throw new RefusedError(
          `${r.nodegroup} max size is ${ng.ScalingConfig.MaxSize}, not the ${r.expectMaxSize} run ${p.revertOf} set: it changed since, not reverting`,
        );
      }
      if (same(sizeOf(ng), after))
        skipped.push(`${r.nodegroup} already at ${after.maxSize}/${after.desiredSize}`);
      else targets.push(target(ng, after));
    }
  } else {
    const candidates = p.nodegroup ? [p.nodegroup] : args.nodegroups.map((n) => n.NodegroupName);
    if (p.nodegroup && !findAllowed(settings.nodeGroups, p.cluster, p.nodegroup))
      throw new RefusedError(`node group ${p.cluster}/${p.nodegroup} is not allow-listed`);
    for (const name of candidates) {
      const rule = findAllowed(settings.nodeGroups, p.cluster, name);
      const ng = byName.get(name);
      if (!rule) {
        skipped.push(`${name} not allow-listed`);
        continue;
      }
      if (!ng) throw new RefusedError(`node group ${p.cluster}/${name} was not found`);
      const atMax = ng.ScalingConfig.DesiredSize >= ng.ScalingConfig.MaxSize;
      if (!p.nodegroup && !atMax) {
        skipped.push(
          `${name} not at its maximum (${ng.ScalingConfig.DesiredSize}/${ng.ScalingConfig.MaxSize})`,
        );
        continue;
      }
      active(ng);
      targets.push(target(ng, computeScaleUp(sizeOf(ng), rule, p.increaseBy)));
    }
    if (targets.length === 0) {
      throw new RefusedError(
        `no allow-listed node group of ${p.cluster} needs scaling${skipped.length ? `: ${skipped.join('; ')}` : ''}`,
      );
    }
  }

  const changes: RunChange[] = targets.map((t) => ({
    action: revert ? 'restore-node-group-size' : 'scale-node-group',
    resource: `${t.clusterName}/${t.nodegroup}`,
    before: t.before,
    after: t.after,
    requestId: t.clientRequestToken,
  }));
  const links = targets.map((t) => ({
    title: `Node group ${t.nodegroup}`,
    url: consoleNodegroupUrl(settings.region, t.clusterName, t.nodegroup),
  }));
  const describe = (t: ScaleTarget) =>
    `${t.nodegroup} max ${t.before.maxSize}→${t.after.maxSize}, desired ${t.before.desiredSize}→${t.after.desiredSize}`;

  let scaleBack: ScaleBackSchedule | null = null;
  const minutes = Math.min(
    ...targets.map(
      (t) => findAllowed(settings.nodeGroups, p.cluster, t.nodegroup)?.scaleBackAfterMinutes ?? 0,
    ),
  );
  if (!revert && settings.scaleBack && targets.length > 0 && minutes > 0) {
    const at = new Date(args.now.getTime() + minutes * 60_000);
    const restore: ScaleRestore = {
      nodegroups: targets.map((t) => ({
        nodegroup: t.nodegroup,
        ...t.before,
        expectMaxSize: t.after.maxSize,
      })),
    };
    const name = `${settings.scaleBack.schedulePrefix}-${createHash('sha256').update(executionName).digest('hex').slice(0, 16)}`;
    // The intake reads this as a `schedule` signal whose request names the runbook and its
    // parameters (events/sources/schedule): schema, allow-list, lock, rate limit and dedup apply.
    const input = schedulerTargetInput('scale-node-group', {
      cluster: p.cluster,
      reason: `scale-back ${minutes} min after ${executionName}`,
      revertOf: executionName,
      restore,
    });
    scaleBack = {
      Name: name,
      ScheduleExpression: atExpression(at),
      Target: {
        Arn: settings.scaleBack.intakeFunctionArn,
        RoleArn: settings.scaleBack.roleArn,
        Input: input,
      },
    };
  }
  const revertInfo: ScaleRestore | undefined = revert
    ? undefined
    : {
        nodegroups: targets.map((t) => ({
          nodegroup: t.nodegroup,
          ...t.before,
          expectMaxSize: t.after.maxSize,
        })),
      };
  const skippedNote = skipped.length ? ` Left alone: ${skipped.join('; ')}.` : '';
  const result: RunResult = {
    outcome: 'succeeded',
    summary:
      (targets.length === 0
        ? `Nothing to restore: every node group is already at its captured size.`
        : `${revert ? 'Restored' : 'Scaled'} ${targets.map(describe).join('; ')}.`) +
      (scaleBack ? ` Scale-back scheduled ${scaleBack.ScheduleExpression} (${scaleBack.Name}).` : '') +
      skippedNote,
    changes,
    links,
    ...(revertInfo ? { revert: revertInfo } : {}),
  };
  const dryRunResult: RunResult = {
    ...result,
    outcome: 'dry-run',
    summary: `Would ${revert ? 'restore' : 'scale'} ${targets.map(describe).join('; ') || 'nothing'}.${skippedNote}`,
  };
  return { mode: revert ? 'revert' : 'scale-up', targets, dryRunResult, result, scaleBack };
}
