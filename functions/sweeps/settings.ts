import * as z from 'zod';
import type { StageConfig } from '../../config/index.js';
import { SWEEP_CHECKS, type SweepCheckName, SweepCheckSchema } from '../../config/sweeps.js';
import type { DnsSweepSettings } from './checks/dns.js';
import type { NodeGroupsSweepSettings } from './checks/node-groups.js';
import type { SecretsSweepSettings } from './checks/secrets.js';
import type { VolumesSweepSettings } from './checks/volumes.js';

/** The checks this function implements (the handler's check table): infra schedules these. */
export const IMPLEMENTED_SWEEP_CHECKS = [
  'node-groups',
  'trails',
  'flow-logs',
  'secrets',
  'sharing',
  'volumes',
  'dns',
] as const satisfies readonly SweepCheckName[];

export type ImplementedSweepCheck = (typeof IMPLEMENTED_SWEEP_CHECKS)[number];

/** What a schedule hands the sweep function: the checks to run now. */
export const SweepInput = z
  .object({
    checks: z.array(SweepCheckSchema).min(1).max(SWEEP_CHECKS.length),
    scheduledTime: z.string().optional(),
  })
  .strict();
export type SweepInput = z.infer<typeof SweepInput>;

/** What infra knows and the config does not: resource names of the platform (env `SWEEP_TARGETS`). */
export const SweepTargets = z.object({
  /** The intake function the findings are handed to. */
  intakeFunction: z.string().min(1),
  trailArns: z.array(z.string().regex(/^arn:/, 'a trail ARN')).default([]),
  vpcIds: z.array(z.string().min(1)).default([]),
  /** The dns check: the allow-listed platform zones (ids resolved at deploy) and the audit table it reads. */
  dnsZones: z
    .array(
      z.object({
        zoneName: z.string().min(1),
        hostedZoneId: z.string().min(1),
        records: z.array(z.string().min(1)).min(1),
      }),
    )
    .default([]),
  auditTable: z.string().min(1).optional(),
  /** The node-groups check: the in-VPC kube function that counts the evidence of unschedulable pods. */
  kubeFunction: z.string().min(1).optional(),
});
export type SweepTargets = z.infer<typeof SweepTargets>;

export interface SweepSettings {
  readonly targets: SweepTargets;
  readonly secrets: SecretsSweepSettings;
  readonly volumes: VolumesSweepSettings;
  readonly dns: DnsSweepSettings;
  readonly nodeGroups: NodeGroupsSweepSettings;
}

/** The checks' settings from the stage config (the allow-lists the backup verification and rotation read) and targets. */
export function sweepSettings(stage: StageConfig, targets: SweepTargets): SweepSettings {
  const a = stage.automation;
  return {
    targets,
    secrets: {
      namePrefixes: a.sweeps.secretNamePrefixes ?? [`${stage.name}/`],
      graceHours: a.sweeps.rotationGraceHours,
    },
    volumes: {
      protectedTag: a.allowLists.volumes.protectedTag,
      pvcNamespaces: a.allowLists.volumes.pvcNamespaces,
      policy: a.backupVerification.classes.ebs,
      clockSkewMinutes: a.backupVerification.clockSkewMinutes,
      region: stage.region,
      stage: stage.name,
    },
    dns: { stage: stage.name, zones: targets.dnsZones },
    nodeGroups: {
      nodeGroups: a.allowLists.nodeGroups.map((g) => ({ cluster: g.cluster, nodegroup: g.nodegroup })),
      // Evidence within two intervals: a run that was late or failed once still sees it.
      evidenceWindowMinutes: 2 * a.sweeps.intervals['node-groups'],
      region: stage.region,
    },
  };
}
