import * as z from 'zod';
import { RefusedError } from '../shared.js';
import type { RunChange, RunResult } from '../types.js';
import { normaliseName, recordAllowed } from './names.js';
import { UpdateDnsParameters } from './spec.js';

/**
 * Pure logic of the update-dns Lambda steps: the allow-list check, the external-dns ownership
 * check, the one batched Route 53 change and its inverse, and the run's result.
 *
 * Shapes are those of the Step Functions AWS SDK integration, which uses the Java SDK v2 member
 * names in PascalCase: `Ttl` (not `TTL`), `AliasTarget.DnsName` (not `DNSName`), and ELBv2's
 * `LoadBalancers[].DnsName` / `CanonicalHostedZoneId`.
 */

export const AliasTargetSchema = z.object({
  HostedZoneId: z.string(),
  DnsName: z.string(),
  EvaluateTargetHealth: z.boolean().default(true),
});

export const RecordSetSchema = z
  .object({
    Name: z.string(),
    Type: z.string(),
    SetIdentifier: z.string().optional(),
    Weight: z.number().int().optional(),
    Failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
    Ttl: z.number().int().optional(),
    ResourceRecords: z.array(z.object({ Value: z.string() })).optional(),
    AliasTarget: AliasTargetSchema.optional(),
    HealthCheckId: z.string().optional(),
  })
  .passthrough();
export type RecordSet = z.infer<typeof RecordSetSchema>;

export const LoadBalancerSchema = z
  .object({
    LoadBalancerName: z.string(),
    DnsName: z.string(),
    CanonicalHostedZoneId: z.string(),
    CreatedTime: z.union([z.string(), z.number()]).optional(),
    State: z.object({ Code: z.string() }).partial().optional(),
  })
  .passthrough();
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;

export const AllowedZoneSchema = z.object({
  zoneName: z.string(),
  hostedZoneId: z.string(),
  /** Record names automation may change; `*` at the left matches any sub-domain. */
  records: z.array(z.string()).min(1),
  overrideExternalDns: z.boolean().default(false),
});
export type AllowedZone = z.infer<typeof AllowedZoneSchema>;

export const DnsSettingsSchema = z.object({
  zones: z.array(AllowedZoneSchema),
  /** Name prefix of the load balancer an `alias` change points at when none is given. */
  loadBalancerPrefix: z.string(),
  /** external-dns `--txt-prefix` (empty by default). */
  externalDnsTxtPrefix: z.string().default(''),
});
export type DnsSettings = z.infer<typeof DnsSettingsSchema>;

// In names.ts, which builds no schema: the plugin (loaded by the intake and `ops plan`) needs only these.
export { normaliseName, recordAllowed };

export interface DnsCheck {
  readonly zoneId: string;
  readonly zoneName: string;
  readonly recordName: string;
  readonly recordType: string;
  /** external-dns TXT registry record in its current format: `<prefix><type>-<name>`. */
  readonly registryName: string;
  readonly needLoadBalancers: boolean;
}

/** First step: validate the parameters and the allow-list; name what must be read. Refuses early. */
export function checkRequest(parameters: unknown, settings: DnsSettings): DnsCheck {
  const p = UpdateDnsParameters.parse(parameters);
  const zone = settings.zones.find((z) => normaliseName(z.zoneName) === p.zoneName);
  if (!zone) throw new RefusedError(`hosted zone ${p.zoneName} is not allow-listed`);
  if (!(p.recordName === p.zoneName || p.recordName.endsWith(`.${p.zoneName}`)))
    throw new RefusedError(`${p.recordName} is not in zone ${p.zoneName}`);
  if (!recordAllowed(zone.records, p.recordName))
    throw new RefusedError(`record ${p.recordName} is not allow-listed in ${p.zoneName}`);
  if (!p.revertOf) {
    if (p.change === 'weight' && (p.setIdentifier === undefined || p.weight === undefined))
      throw new RefusedError('a weight change needs setIdentifier and weight');
  }
  return {
    zoneId: zone.hostedZoneId,
    zoneName: p.zoneName,
    recordName: p.recordName,
    recordType: p.recordType,
    registryName: `${settings.externalDnsTxtPrefix}${p.recordType.toLowerCase()}-${p.recordName}`,
    needLoadBalancers: !p.revertOf && p.change === 'alias',
  };
}

export interface ExternalDnsOwnership {
  readonly owned: boolean;
  readonly owner?: string;
  readonly registryRecord?: string;
}

/**
 * external-dns marks what it owns with TXT records whose value reads
 * `"heritage=external-dns,external-dns/owner=<id>,external-dns/resource=<...>"`, at the record's
 * own name (the old format) or at `<type>-<name>` (the current format), both behind `--txt-prefix`.
 */
export function externalDnsOwnership(
  records: readonly RecordSet[],
  recordName: string,
  recordType: string,
  txtPrefix = '',
): ExternalDnsOwnership {
  const name = normaliseName(recordName);
  const candidates = new Set([`${txtPrefix}${name}`, `${txtPrefix}${recordType.toLowerCase()}-${name}`]);
  for (const r of records) {
    if (r.Type !== 'TXT' || !candidates.has(normaliseName(r.Name))) continue;
    for (const v of r.ResourceRecords ?? []) {
      const text = v.Value.replace(/^"|"$/g, '');
      if (!text.split(',').includes('heritage=external-dns')) continue;
      const owner = text
        .split(',')
        .find((kv) => kv.startsWith('external-dns/owner='))
        ?.slice('external-dns/owner='.length);
      return { owned: true, ...(owner ? { owner } : {}), registryRecord: normaliseName(r.Name) };
    }
  }
  return { owned: false };
}

export interface Change {
  readonly Action: 'UPSERT' | 'DELETE' | 'CREATE';
  readonly ResourceRecordSet: RecordSet;
}

export interface DnsPlan {
  /** Nothing differs from the wanted state: the workflow skips the change (a repeated run is a no-op). */
  readonly noop: boolean;
  readonly changeBatch: { Comment: string; Changes: Change[] };
  readonly inverse: { Comment: string; Changes: Change[] };
  readonly result: RunResult;
  readonly dryRunResult: RunResult;
}

export const DnsRestoreSchema = z.object({
  /** The sets at the name before the reverted run (written back). */
  before: z.array(RecordSetSchema),
  /** The sets that run wrote (deleted when they did not exist before, after checking they are unchanged). */
  after: z.array(RecordSetSchema),
});
export type DnsRestore = z.infer<typeof DnsRestoreSchema>;

const key = (r: RecordSet) => `${normaliseName(r.Name)}|${r.Type}|${r.SetIdentifier ?? ''}`;
const target = (r: RecordSet) =>
  r.AliasTarget ? { AliasTarget: r.AliasTarget } : { Ttl: r.Ttl, ResourceRecords: r.ResourceRecords };
const targetName = (r: RecordSet) =>
  normaliseName(r.AliasTarget?.DnsName ?? r.ResourceRecords?.[0]?.Value ?? '').replace(/^dualstack\./, '');
const stripUndefined = (r: RecordSet): RecordSet =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as RecordSet;
const sameSet = (a: RecordSet, b: RecordSet) =>
  JSON.stringify(canonical(stripUndefined(a))) === JSON.stringify(canonical(stripUndefined(b)));
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, k === 'Name' || k === 'DnsName' ? normaliseName(String(v)) : canonical(v)]),
    );
  return value;
}

function pickLoadBalancer(
  lbs: readonly LoadBalancer[],
  wanted: string | undefined,
  prefix: string,
): LoadBalancer {
  const active = lbs.filter((lb) => !lb.State?.Code || lb.State.Code === 'active');
  if (wanted) {
    const w = normaliseName(wanted).replace(/^dualstack\./, '');
    const lb = lbs.find((l) => normaliseName(l.DnsName) === w);
    if (!lb) throw new RefusedError(`no load balancer with DNS name ${wanted} in this account and region`);
    return lb;
  }
  const time = (lb: LoadBalancer) =>
    typeof lb.CreatedTime === 'number' ? lb.CreatedTime : Date.parse(String(lb.CreatedTime ?? 0)) || 0;
  const matching = active
    .filter((lb) => lb.LoadBalancerName.startsWith(prefix))
    .sort((a, b) => time(b) - time(a));
  const newest = matching[0];
  if (!newest) throw new RefusedError(`no active load balancer whose name starts with "${prefix}"`);
  return newest;
}

export function consoleZoneUrl(zoneId: string): string {
  return `https://console.aws.amazon.com/route53/v2/hostedzones#ListRecordSets/${zoneId}`;
}

/**
 * Plans the change: the ownership check (never overwrite what external-dns owns unless the
 * zone's allow-list entry says so), the sets before, the one batch that makes the change and the
 * batch that undoes it. Throws `RefusedError` for anything it must not or cannot do.
 */
export function planDnsChange(args: {
  parameters: unknown;
  settings: DnsSettings;
  check: DnsCheck;
  records: readonly RecordSet[];
  registry: readonly RecordSet[];
  loadBalancers: readonly LoadBalancer[];
  executionName: string;
}): DnsPlan {
  const p = UpdateDnsParameters.parse(args.parameters);
  const { check, settings } = args;
  const zone = settings.zones.find((z) => z.hostedZoneId === check.zoneId);
  if (!zone) throw new RefusedError(`hosted zone ${check.zoneName} is not allow-listed`);
  const resource = `${check.zoneName}/${check.recordName}/${check.recordType}`;
  const ownership = externalDnsOwnership(
    [...args.records, ...args.registry],
    check.recordName,
    check.recordType,
    settings.externalDnsTxtPrefix,
  );
  if (ownership.owned && !zone.overrideExternalDns) {
    throw new RefusedError(
      `${check.recordName} is owned by external-dns (owner ${ownership.owner ?? 'unknown'}, registry ${ownership.registryRecord}): ` +
        'it would undo this change on its next sync; change the Kubernetes resource instead, or set overrideExternalDns for the zone',
    );
  }
  const current = args.records.filter(
    (r) => normaliseName(r.Name) === check.recordName && r.Type === check.recordType,
  );
  const comment = `ops-automation update-dns ${args.executionName}${p.revertOf ? ` (revert of ${p.revertOf})` : ''}`;
  let changes: Change[] = [];
  let inverse: Change[] = [];
  let wanted: RecordSet[] = [];
  let headline: string;

  if (p.revertOf) {
    const restore = DnsRestoreSchema.safeParse(p.restore);
    if (!restore.success)
      throw new RefusedError(
        `revert of ${p.revertOf} needs restore.before and restore.after: ${restore.error.issues[0]?.message}`,
      );
    for (const s of [...restore.data.before, ...restore.data.after]) {
      if (normaliseName(s.Name) !== check.recordName || s.Type !== check.recordType)
        throw new RefusedError(
          `restore holds ${s.Name} ${s.Type}, not ${check.recordName} ${check.recordType}`,
        );
    }
    const byKey = new Map(current.map((r) => [key(r), r]));
    for (const a of restore.data.after) {
      const now = byKey.get(key(a));
      if (!now || !sameSet(now, a))
        throw new RefusedError(
          `${key(a)} changed since run ${p.revertOf}: not reverting over someone else's change`,
        );
    }
    const beforeKeys = new Set(restore.data.before.map(key));
    changes = [
      ...restore.data.before.map((b) => ({
        Action: 'UPSERT' as const,
        ResourceRecordSet: stripUndefined(b),
      })),
      ...restore.data.after
        .filter((a) => !beforeKeys.has(key(a)))
        .map((a) => ({
          Action: 'DELETE' as const,
          ResourceRecordSet: stripUndefined(byKey.get(key(a)) ?? a),
        })),
    ];
    wanted = restore.data.before;
    headline = `restore ${resource} as before run ${p.revertOf}`;
  } else if (p.change === 'alias') {
    if (current.some((r) => r.SetIdentifier))
      throw new RefusedError(
        `${resource} uses weighted or failover routing: use change=weight or change=failover`,
      );
    const lb = pickLoadBalancer(args.loadBalancers, p.loadBalancerDnsName, settings.loadBalancerPrefix);
    const set: RecordSet = {
      Name: `${check.recordName}.`,
      Type: check.recordType,
      AliasTarget: {
        HostedZoneId: lb.CanonicalHostedZoneId,
        DnsName: lb.DnsName,
        EvaluateTargetHealth: true,
      },
    };
    wanted = [set];
    headline = `point ${resource} at load balancer ${lb.LoadBalancerName} (${lb.DnsName})`;
  } else if (p.change === 'failover') {
    const primary = current.find((r) => r.Failover === 'PRIMARY');
    const secondary = current.find((r) => r.Failover === 'SECONDARY');
    if (!primary || !secondary)
      throw new RefusedError(`${resource} has no PRIMARY and SECONDARY failover pair`);
    if (
      p.standbyTarget &&
      normaliseName(p.standbyTarget).replace(/^dualstack\./, '') !== targetName(secondary)
    )
      throw new RefusedError(
        `standby target ${p.standbyTarget} is not the SECONDARY record's target (${targetName(secondary)})`,
      );
    const swap = (a: RecordSet, b: RecordSet): RecordSet =>
      stripUndefined({
        ...a,
        AliasTarget: undefined,
        Ttl: undefined,
        ResourceRecords: undefined,
        ...target(b),
      });
    wanted = [swap(primary, secondary), swap(secondary, primary)];
    headline = `fail ${resource} over: PRIMARY now serves ${targetName(secondary)}, SECONDARY ${targetName(primary)}`;
  } else {
    const weighted = current.filter((r) => r.Weight !== undefined);
    const chosen = weighted.find((r) => r.SetIdentifier === p.setIdentifier);
    if (!chosen || p.weight === undefined)
      throw new RefusedError(`${resource} has no weighted record set "${p.setIdentifier}"`);
    const next: RecordSet[] = [{ ...chosen, Weight: p.weight }];
    if (weighted.length === 2) {
      const other = weighted.find((r) => r !== chosen) as RecordSet;
      const total = (chosen.Weight ?? 0) + (other.Weight ?? 0);
      next.push({ ...other, Weight: Math.max(0, Math.min(255, total - p.weight)) });
    }
    wanted = next;
    headline = `shift ${resource} weight: ${next.map((r) => `${r.SetIdentifier}=${r.Weight}`).join(', ')}`;
  }

  if (!p.revertOf) {
    const byKey = new Map(current.map((r) => [key(r), r]));
    const differing = wanted.filter((w) => {
      const now = byKey.get(key(w));
      return !now || !sameSet(now, w);
    });
    changes = differing.map((w) => ({ Action: 'UPSERT' as const, ResourceRecordSet: stripUndefined(w) }));
    inverse = differing.map((w) => {
      const now = byKey.get(key(w));
      return now
        ? { Action: 'UPSERT' as const, ResourceRecordSet: stripUndefined(now) }
        : { Action: 'DELETE' as const, ResourceRecordSet: stripUndefined(w) };
    });
  } else {
    inverse = [];
  }
  const beforeOf = (s: RecordSet) => current.find((r) => key(r) === key(s)) ?? null;
  const runChanges: RunChange[] = changes.map((c) => ({
    action: c.Action === 'DELETE' ? 'delete-record-set' : 'upsert-record-set',
    resource: `${resource}${c.ResourceRecordSet.SetIdentifier ? `/${c.ResourceRecordSet.SetIdentifier}` : ''}`,
    before: beforeOf(c.ResourceRecordSet),
    after: c.Action === 'DELETE' ? null : c.ResourceRecordSet,
  }));
  const noop = changes.length === 0;
  const links = [{ title: `Hosted zone ${check.zoneName}`, url: consoleZoneUrl(check.zoneId) }];
  const before = changes.map((c) => beforeOf(c.ResourceRecordSet)).filter((r): r is RecordSet => r !== null);
  const after = changes.filter((c) => c.Action !== 'DELETE').map((c) => c.ResourceRecordSet);
  const result: RunResult = {
    outcome: 'succeeded',
    summary: noop ? `Nothing to change: ${resource} already as wanted (${headline}).` : `Done: ${headline}.`,
    changes: runChanges,
    links,
    ...(p.revertOf || noop ? {} : { revert: { before, after } satisfies DnsRestore }),
  };
  return {
    noop,
    changeBatch: { Comment: comment, Changes: changes },
    inverse: { Comment: `${comment} (inverse)`, Changes: inverse },
    result,
    dryRunResult: { ...result, outcome: 'dry-run', summary: noop ? result.summary : `Would ${headline}.` },
  };
}
