import {
  ListSecretsCommand,
  type SecretListEntry,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import { allPages } from '../core.js';

export interface SecretsSweepSettings {
  /** Only secrets whose name starts with one of these are the platform's (case-sensitive, checked again). */
  readonly namePrefixes: readonly string[];
  readonly graceHours: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The rotation period: `AutomaticallyAfterDays`, or a `rate(N days|hours)` schedule; undefined for cron. */
export function rotationPeriodMs(entry: SecretListEntry): number | undefined {
  const days = entry.RotationRules?.AutomaticallyAfterDays;
  if (days !== undefined && days > 0) return days * DAY_MS;
  const m = /^rate\((\d+) (day|days|hour|hours)\)$/.exec(entry.RotationRules?.ScheduleExpression ?? '');
  if (!m) return undefined;
  return Number(m[1]) * (m[2]?.startsWith('day') ? DAY_MS : HOUR_MS);
}

/** When the secret should have been rotated at the latest: last rotation (or creation) + period, else NextRotationDate. */
export function rotationDue(entry: SecretListEntry): Date | undefined {
  const period = rotationPeriodMs(entry);
  const since = entry.LastRotatedDate ?? entry.CreatedDate;
  if (period !== undefined && since) return new Date(since.getTime() + period);
  return entry.NextRotationDate;
}

/**
 * Secrets past their rotation period (issue 14 sweep 3): the platform's secrets (by name prefix) that have
 * rotation on, whose last rotation is older than the period plus `graceHours`. A secret with rotation off is
 * not judged here (config and the rotation construct decide which rotate); a finding names how late it is.
 */
export async function overdueSecrets(
  sm: SecretsManagerClient,
  settings: SecretsSweepSettings,
  now: Date,
): Promise<SweepFinding[]> {
  if (settings.namePrefixes.length === 0) return [];
  const entries = await allPages(
    'secretsmanager:ListSecrets',
    (token) =>
      sm.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [...settings.namePrefixes] }],
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    (p) => p.SecretList,
    (p) => p.NextToken,
  );
  const findings: SweepFinding[] = [];
  for (const entry of entries) {
    const name = entry.Name;
    if (!name || !settings.namePrefixes.some((p) => name.startsWith(p))) continue;
    if (entry.RotationEnabled !== true || entry.DeletedDate) continue;
    const due = rotationDue(entry);
    if (!due) continue;
    const lateMs = now.getTime() - due.getTime();
    if (lateMs <= settings.graceHours * HOUR_MS) continue;
    const last = entry.LastRotatedDate?.toISOString();
    const lateHours = Math.floor(lateMs / HOUR_MS);
    findings.push({
      check: 'secrets',
      condition: 'secret-rotation-overdue',
      resource: { type: 'secret', id: name, attributes: entry.ARN ? { arn: entry.ARN } : {} },
      observedAt: now.toISOString(),
      summary:
        `secret ${name} should have rotated by ${due.toISOString()} (${lateHours} h ago); ` +
        `last rotated ${last ?? 'never'}`,
      facts: {
        rotationDueAt: due.toISOString(),
        hoursOverdue: lateHours,
        ...(last ? { lastRotatedAt: last } : {}),
        ...(entry.RotationRules?.AutomaticallyAfterDays
          ? { rotationEveryDays: entry.RotationRules.AutomaticallyAfterDays }
          : {}),
      },
    });
  }
  return findings;
}
