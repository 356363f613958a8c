import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import { type ClassPolicy, checkExists, checkFresh } from '../../../runbooks/verify-backups/logic.js';
import { type CollectSettings, collectEbs } from '../../../runbooks/verify-backups/steps/collect.js';

export interface VolumesSweepSettings {
  /** The allow-list verify-backups reads: volumes with this tag, and PVC volumes of these namespaces. */
  readonly protectedTag: { readonly key: string; readonly value: string };
  readonly pvcNamespaces: readonly string[];
  /** verify-backups' EBS class policy (its RPO) and clock skew tolerance. */
  readonly policy: ClassPolicy;
  readonly clockSkewMinutes: number;
  readonly region: string;
  readonly stage: string;
}

/**
 * Allow-listed volumes without a snapshot inside their RPO (issue 14 sweep 2), hourly between the daily
 * verify-backups runs. Nothing is re-implemented: the volume inventory is verify-backups' own collector
 * (`collectEbs`: the protected-tag and PVC-namespace allow-list, DescribeVolumes and DescribeSnapshots,
 * paginated) and the verdicts are its `exists` and `fresh` checks with the stage's EBS RPO.
 */
export async function staleVolumes(
  ec2: EC2Client,
  settings: VolumesSweepSettings,
  now: Date,
): Promise<SweepFinding[]> {
  const collect: CollectSettings = {
    stage: settings.stage,
    region: settings.region,
    protectedTag: { ...settings.protectedTag },
    pvcNamespaces: [...settings.pvcNamespaces],
    velero: { prefix: '', schedules: [] },
    restore: { ebs: { enabled: false }, rds: { enabled: false, weekday: 'SUN' } },
  };
  const items = await collectEbs({ ec2 } as Parameters<typeof collectEbs>[0], collect);
  const findings: SweepFinding[] = [];
  for (const item of items) {
    const exists = checkExists(item);
    const fresh = checkFresh(item, settings.policy, settings.clockSkewMinutes, now.getTime());
    const failed = exists.verdict === 'fail' ? exists : fresh.verdict === 'fail' ? fresh : undefined;
    if (!failed) continue;
    findings.push({
      check: 'volumes',
      condition: 'volume-snapshot-stale',
      resource: {
        type: 'ebs-volume',
        id: item.resource,
        region: settings.region,
        attributes: item.label ? { label: item.label } : {},
      },
      observedAt: now.toISOString(),
      summary: `volume ${item.resource}${item.label ? ` (${item.label})` : ''}: ${failed.check}: ${failed.reason}`,
      facts: {
        failedCheck: failed.check,
        rpoHours: settings.policy.rpoHours,
        ...(item.latestCompleted ? { newestSnapshot: item.latestCompleted.id } : {}),
      },
    });
  }
  return findings;
}
