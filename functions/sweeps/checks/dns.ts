import {
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import {
  normaliseName,
  type RecordSet,
  RecordSetSchema,
  recordAllowed,
} from '../../../runbooks/update-dns/logic.js';
import { UpdateDnsParameters, updateDns } from '../../../runbooks/update-dns/spec.js';
import type { AuditEntry } from '../../audit/record.js';
import type { AuditStore } from '../../audit/store.js';
import { allPages, read } from '../core.js';

/**
 * DNS records drifted from what automation last set (issue 14, sweep 6). What automation set lives in the
 * audit store: every succeeded update-dns run's terminal entry holds its changes, each with the record set
 * it wrote (`after`, or null for a set it deleted), under the runbook's resource key
 * `<zone>/<record>/<type>` (the `by-resource` index). The sweep lists the allow-listed zones' record sets
 * (Route 53 ListResourceRecordSets, every page, bounded), takes the allow-listed names automation may
 * change (those present, plus every allow-listed name written without a wildcard, so a set deleted behind
 * automation's back is found too), reads their update-dns history newest first, and compares each set
 * automation last wrote with what Route 53 holds now. A difference is a `dns-record-drifted` finding:
 * the sweep-findings rule tells people, no runbook starts.
 */

export interface DnsSweepZone {
  readonly zoneName: string;
  readonly hostedZoneId: string;
  /** Allow-listed record names (`*` wildcard at the left), as update-dns reads them. */
  readonly records: readonly string[];
}

export interface DnsSweepSettings {
  readonly stage: string;
  readonly zones: readonly DnsSweepZone[];
  /** update-dns runs read per record, newest first (the last write of each set is among them). */
  readonly historyRuns?: number;
}

/** The record types update-dns changes (its parameter enum). */
const TYPES = UpdateDnsParameters.shape.recordType.def.innerType.options;

/** The part of the audit store this sweep reads: a resource's runs, newest first (dynamodb:Query on by-resource). */
export type AuditHistory = Pick<AuditStore, 'history'>;

const setKey = (s: { Name: string; Type: string; SetIdentifier?: string | undefined }) =>
  `${normaliseName(s.Name)}|${s.Type}|${s.SetIdentifier ?? ''}`;

/** Route 53's answer (SDK v3 names: `TTL`, `DNSName`) in update-dns's form (Step Functions' `Ttl`, `DnsName`). */
export function fromRoute53(s: ResourceRecordSet): RecordSet {
  return RecordSetSchema.parse({
    Name: s.Name,
    Type: s.Type,
    ...(s.SetIdentifier !== undefined ? { SetIdentifier: s.SetIdentifier } : {}),
    ...(s.Weight !== undefined ? { Weight: s.Weight } : {}),
    ...(s.Failover !== undefined ? { Failover: s.Failover } : {}),
    ...(s.TTL !== undefined ? { Ttl: s.TTL } : {}),
    ...(s.ResourceRecords
      ? { ResourceRecords: s.ResourceRecords.map((r) => ({ Value: r.Value ?? '' })) }
      : {}),
    ...(s.AliasTarget
      ? {
          AliasTarget: {
            HostedZoneId: s.AliasTarget.HostedZoneId,
            DnsName: s.AliasTarget.DNSName,
            EvaluateTargetHealth: s.AliasTarget.EvaluateTargetHealth,
          },
        }
      : {}),
    ...(s.HealthCheckId !== undefined ? { HealthCheckId: s.HealthCheckId } : {}),
  });
}

/** What a set answers: routing (weight, failover, health check) and target (alias, or TTL and values). */
export function describeSet(s: RecordSet): string {
  const routing = [
    s.Weight !== undefined ? `weight ${s.Weight}` : '',
    s.Failover ? `failover ${s.Failover}` : '',
    s.HealthCheckId ? `health check ${s.HealthCheckId}` : '',
  ].filter(Boolean);
  const target = s.AliasTarget
    ? `alias ${normaliseName(s.AliasTarget.DnsName).replace(/^dualstack\./, '')} (zone ${s.AliasTarget.HostedZoneId}, evaluate health ${s.AliasTarget.EvaluateTargetHealth})`
    : `TTL ${s.Ttl ?? '-'} ${(s.ResourceRecords ?? [])
        .map((r) => r.Value.toLowerCase())
        .sort()
        .join(' ')}`;
  return [target, ...routing].join(', ');
}

/** Each set automation last wrote for one record (name + type), from its update-dns runs (newest first). */
export function lastSetByAutomation(
  entries: readonly AuditEntry[],
): Map<string, { set: RecordSet | null; execution: string; at: string }> {
  const out = new Map<string, { set: RecordSet | null; execution: string; at: string }>();
  const ordered = [...entries].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  for (const entry of ordered) {
    if (entry.runbook !== updateDns.name || entry.phase !== 'succeeded') continue;
    if (entry.result?.outcome !== 'succeeded' || entry.decision.dryRun) continue;
    for (const change of entry.changes) {
      const after = change.after == null ? null : RecordSetSchema.safeParse(change.after);
      const before = RecordSetSchema.safeParse(change.before);
      const keyed = after?.success ? after.data : before.success ? before.data : undefined;
      if (!keyed || (after && !after.success)) continue;
      const key = setKey(keyed);
      if (out.has(key)) continue;
      out.set(key, { set: after ? after.data : null, execution: entry.executionName, at: entry.at });
    }
  }
  return out;
}

type Page = ListResourceRecordSetsCommandOutput;

async function zoneSets(route53: Pick<Route53Client, 'send'>, zone: DnsSweepZone): Promise<RecordSet[]> {
  // Route 53's page cursor is three fields; carried through allPages as one JSON token.
  const sets = await allPages<Page, ResourceRecordSet>(
    'route53:ListResourceRecordSets',
    (token) => {
      const start = token
        ? (JSON.parse(token) as {
            StartRecordName: string;
            StartRecordType?: string;
            StartRecordIdentifier?: string;
          })
        : undefined;
      return route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zone.hostedZoneId,
          ...(start?.StartRecordName ? { StartRecordName: start.StartRecordName } : {}),
          ...(start?.StartRecordType
            ? { StartRecordType: start.StartRecordType as ResourceRecordSet['Type'] }
            : {}),
          ...(start?.StartRecordIdentifier ? { StartRecordIdentifier: start.StartRecordIdentifier } : {}),
        }),
      );
    },
    (p) => p.ResourceRecordSets,
    (p) =>
      p.IsTruncated && p.NextRecordName
        ? JSON.stringify({
            StartRecordName: p.NextRecordName,
            ...(p.NextRecordType ? { StartRecordType: p.NextRecordType } : {}),
            ...(p.NextRecordIdentifier ? { StartRecordIdentifier: p.NextRecordIdentifier } : {}),
          })
        : undefined,
  );
  return sets.filter((s) => s.Name && s.Type).map(fromRoute53);
}

export async function driftedDnsRecords(
  route53: Pick<Route53Client, 'send'>,
  audit: AuditHistory,
  settings: DnsSweepSettings,
  now: Date,
): Promise<SweepFinding[]> {
  const findings: SweepFinding[] = [];
  for (const zone of settings.zones) {
    const zoneName = normaliseName(zone.zoneName);
    const inZone = (name: string) => name === zoneName || name.endsWith(`.${zoneName}`);
    const current = (await zoneSets(route53, zone)).filter(
      (s) => (TYPES as readonly string[]).includes(s.Type) && recordAllowed(zone.records, s.Name),
    );
    // The records to judge: allow-listed names present now, and allow-listed names without a wildcard.
    const records = new Map<string, { name: string; type: string }>();
    for (const s of current)
      records.set(`${normaliseName(s.Name)}|${s.Type}`, { name: normaliseName(s.Name), type: s.Type });
    for (const pattern of zone.records.map(normaliseName)) {
      if (pattern.includes('*') || !inZone(pattern)) continue;
      for (const type of TYPES) records.set(`${pattern}|${type}`, { name: pattern, type });
    }
    const byKey = new Map(current.map((s) => [setKey(s), s]));
    for (const { name, type } of records.values()) {
      const resourceKey = updateDns.resourceKey(
        UpdateDnsParameters.parse({ zoneName, recordName: name, recordType: type }),
      );
      const history = await read('dynamodb:Query', () =>
        audit.history({ stage: settings.stage, resourceKey, limit: settings.historyRuns ?? 20 }),
      );
      for (const [key, last] of lastSetByAutomation(history)) {
        const held = byKey.get(key);
        const wanted = last.set ? describeSet(last.set) : 'no such set';
        const found = held ? describeSet(held) : 'no such set';
        if (wanted === found) continue;
        const setId = key.split('|')[2];
        const id = `${resourceKey}${setId ? `/${setId}` : ''}`;
        findings.push({
          check: 'dns',
          condition: 'dns-record-drifted',
          resource: {
            type: 'dns-record',
            id,
            attributes: {
              zoneName,
              hostedZoneId: zone.hostedZoneId,
              recordName: name,
              recordType: type,
              ...(setId ? { setIdentifier: setId } : {}),
            },
          },
          observedAt: now.toISOString(),
          summary:
            `${id}: automation last set "${wanted}" (run ${last.execution} at ${last.at}); Route 53 now holds "${found}"`.slice(
              0,
              500,
            ),
          facts: {
            lastSetBy: last.execution,
            lastSetAt: last.at,
            expected: wanted.slice(0, 1024),
            actual: found.slice(0, 1024),
          },
        });
      }
    }
  }
  return findings;
}
