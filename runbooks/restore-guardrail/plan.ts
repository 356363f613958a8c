import * as z from 'zod';
import type { RunChange, RunResult } from '../types.js';
import { type CheckResult, type GuardrailSettings, refuse } from './logic.js';
import { RestoreGuardrailParameters, type SnapshotKind } from './spec.js';

/**
 * The restore-guardrail workflow's second decision, pure: from what the read returned, the one write
 * call that puts the guardrail back (or nothing, when it is already in place), what a revert needs,
 * and the run's result. Called by the `plan` Lambda step (steps/handler.ts).
 */

/** What the workflow's read returned, per branch, in Step Functions' (Java v2) member names. */
const Permission = z.object({ UserId: z.string().optional(), Group: z.string().optional() }).passthrough();
const ImagePermission = Permission.extend({
  OrganizationArn: z.string().optional(),
  OrganizationalUnitArn: z.string().optional(),
});
const DbAttributes = z.array(
  z.object({ AttributeName: z.string(), AttributeValues: z.array(z.string()).default([]) }).passthrough(),
);
const SgRule = z
  .object({
    SecurityGroupRuleId: z.string(),
    GroupId: z.string().optional(),
    IsEgress: z.boolean().optional(),
    IpProtocol: z.string(),
    FromPort: z.number().optional(),
    ToPort: z.number().optional(),
    CidrIpv4: z.string().optional(),
    CidrIpv6: z.string().optional(),
    Description: z.string().optional(),
  })
  .passthrough();
const Pab = z
  .object({
    BlockPublicAcls: z.boolean().optional(),
    IgnorePublicAcls: z.boolean().optional(),
    BlockPublicPolicy: z.boolean().optional(),
    RestrictPublicBuckets: z.boolean().optional(),
  })
  .passthrough();
type PabFlags = {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
};

export const ReadSchemas = {
  trail: z.object({ IsLogging: z.boolean() }).passthrough(),
  'flow-logs': z
    .object({
      FlowLogs: z
        .array(
          z
            .object({
              FlowLogId: z.string(),
              ResourceId: z.string().optional(),
              LogGroupName: z.string().optional(),
              FlowLogStatus: z.string().optional(),
              TrafficType: z.string().optional(),
            })
            .passthrough(),
        )
        .default([]),
    })
    .passthrough(),
  'ebs-snapshot': z.object({ CreateVolumePermissions: z.array(Permission).default([]) }).passthrough(),
  ami: z.object({ LaunchPermissions: z.array(ImagePermission).default([]) }).passthrough(),
  'db-snapshot': z
    .object({
      DbSnapshotAttributesResult: z.object({ DbSnapshotAttributes: DbAttributes.default([]) }).passthrough(),
    })
    .passthrough(),
  'db-cluster-snapshot': z
    .object({
      DbClusterSnapshotAttributesResult: z
        .object({ DbClusterSnapshotAttributes: DbAttributes.default([]) })
        .passthrough(),
    })
    .passthrough(),
  'security-group': z
    .object({ SecurityGroupRules: z.array(SgRule).default([]), NextToken: z.string().optional() })
    .passthrough(),
  bucket: z.object({ PublicAccessBlockConfiguration: Pab.default({}) }).passthrough(),
} as const;

/** The write branches of the workflow: each is one SDK call whose parameters are `request`. */
export type WriteBranch =
  | 'start-logging'
  | 'create-flow-log'
  | 'ebs-snapshot'
  | 'ami'
  | 'db-snapshot-remove'
  | 'db-snapshot-add'
  | 'db-cluster-snapshot-remove'
  | 'db-cluster-snapshot-add'
  | 'revoke-ingress'
  | 'authorize-ingress'
  | 'public-access-block';

export interface RestorePlan {
  readonly noop: boolean;
  readonly write: WriteBranch | 'none';
  readonly request: Record<string, unknown>;
  readonly result: RunResult;
  readonly dryRunResult: RunResult;
}

export interface PlanInput {
  readonly parameters: unknown;
  readonly settings: GuardrailSettings;
  readonly check: CheckResult;
  readonly read: unknown;
  readonly executionName: string;
}

const ALL_BLOCKED: PabFlags = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const isWorld = (cidr: string | undefined) => cidr !== undefined && /\/0$/.test(cidr.trim());

interface Draft {
  readonly write: WriteBranch;
  readonly request: Record<string, unknown>;
  readonly changes: RunChange[];
  readonly summary: string;
  readonly revert?: Record<string, unknown>;
}

function result(check: CheckResult, draft: Draft | string, outcome: RunResult['outcome']): RunResult {
  if (typeof draft === 'string') return { outcome, summary: draft, changes: [] };
  const summary = outcome === 'dry-run' ? `Dry run: would ${draft.summary}` : draft.summary;
  return {
    outcome,
    summary,
    changes: outcome === 'dry-run' ? [] : draft.changes,
    ...(outcome !== 'dry-run' && draft.revert
      ? { revert: { guardrail: check.guardrail, target: check.target, ...draft.revert } }
      : {}),
  };
}

/** The permissions that share a snapshot or AMI outside its owner and the trusted accounts. */
function external<
  T extends { UserId?: string; Group?: string; OrganizationArn?: string; OrganizationalUnitArn?: string },
>(permissions: readonly T[], settings: GuardrailSettings): T[] {
  const own = new Set([...settings.snapshotOwners, ...settings.trustedAccounts]);
  return permissions.filter(
    (x) =>
      x.Group === 'all' ||
      (x.UserId !== undefined && !own.has(x.UserId)) ||
      x.OrganizationArn !== undefined ||
      x.OrganizationalUnitArn !== undefined,
  );
}

const describePermission = (x: {
  UserId?: string;
  Group?: string;
  OrganizationArn?: string;
  OrganizationalUnitArn?: string;
}) =>
  x.Group === 'all'
    ? 'everyone (public)'
    : (x.UserId ?? x.OrganizationArn ?? x.OrganizationalUnitArn ?? 'unknown');

const samePermission = (
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  keys = ['UserId', 'Group', 'OrganizationArn', 'OrganizationalUnitArn'],
) => keys.every((k) => a[k] === b[k]);

/** Only the members a Remove/Add list takes (a read may carry more). */
const permissionOnly = (x: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => x[k] !== undefined).map((k) => [k, x[k]]));

function planSharing(input: PlanInput, restore: Record<string, unknown> | undefined): Draft | string {
  const { check, settings } = input;
  const at = new Date().toISOString();
  const kind = check.read as SnapshotKind;
  const id = check.target;
  if (kind === 'ebs-snapshot' || kind === 'ami') {
    const keys =
      kind === 'ami' ? ['UserId', 'Group', 'OrganizationArn', 'OrganizationalUnitArn'] : ['UserId', 'Group'];
    const current =
      kind === 'ami'
        ? ReadSchemas.ami.parse(input.read).LaunchPermissions
        : ReadSchemas['ebs-snapshot'].parse(input.read).CreateVolumePermissions;
    const idKey = kind === 'ami' ? 'ImageId' : 'SnapshotId';
    const attribute = kind === 'ami' ? 'launchPermission' : 'createVolumePermission';
    const listKey = kind === 'ami' ? 'LaunchPermission' : 'CreateVolumePermission';
    const label = kind === 'ami' ? 'AMI' : 'snapshot';
    if (restore) {
      const removed = z.array(z.record(z.string(), z.unknown())).parse(restore.removed ?? []);
      const add = removed
        .filter((r) => !current.some((c) => samePermission(c, r)))
        .map((r) => permissionOnly(r, keys));
      if (add.length === 0) return `Nothing to change: ${label} ${id} is already shared as before`;
      return {
        write: kind,
        request: { [idKey]: id, Attribute: attribute, [listKey]: { Add: add } },
        changes: [
          {
            action: `ec2:Modify${kind === 'ami' ? 'Image' : 'Snapshot'}Attribute`,
            resource: id,
            before: current,
            after: [...current, ...add],
            at,
          },
        ],
        summary: `re-shared ${label} ${id} with ${add.map(describePermission).join(', ')} (revert)`,
      };
    }
    const remove = external(current, settings).map((r) => permissionOnly(r, keys));
    if (remove.length === 0)
      return `Nothing to change: ${label} ${id} is not shared outside the platform's accounts`;
    return {
      write: kind,
      request: { [idKey]: id, Attribute: attribute, [listKey]: { Remove: remove } },
      changes: [
        {
          action: `ec2:Modify${kind === 'ami' ? 'Image' : 'Snapshot'}Attribute`,
          resource: id,
          before: current,
          after: current.filter((c) => !remove.some((r) => samePermission(c, r))),
          at,
        },
      ],
      summary: `removed sharing of ${label} ${id} with ${remove.map(describePermission).join(', ')}`,
      revert: { kind, removed: remove },
    };
  }
  // RDS: the `restore` attribute lists account ids, or `all` when public.
  const cluster = kind === 'db-cluster-snapshot';
  const attrs = cluster
    ? ReadSchemas['db-cluster-snapshot'].parse(input.read).DbClusterSnapshotAttributesResult
        .DbClusterSnapshotAttributes
    : ReadSchemas['db-snapshot'].parse(input.read).DbSnapshotAttributesResult.DbSnapshotAttributes;
  const current = attrs.find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];
  const idKey = cluster ? 'DbClusterSnapshotIdentifier' : 'DbSnapshotIdentifier';
  const action = cluster ? 'rds:ModifyDBClusterSnapshotAttribute' : 'rds:ModifyDBSnapshotAttribute';
  const label = cluster ? 'DB cluster snapshot' : 'DB snapshot';
  if (restore) {
    const removed = z.array(z.string()).parse(restore.removed ?? []);
    const add = removed.filter((v) => !current.includes(v));
    if (add.length === 0) return `Nothing to change: ${label} ${id} is already shared as before`;
    return {
      write: cluster ? 'db-cluster-snapshot-add' : 'db-snapshot-add',
      request: { [idKey]: id, AttributeName: 'restore', ValuesToAdd: add },
      changes: [{ action, resource: id, before: current, after: [...current, ...add], at }],
      summary: `re-shared ${label} ${id} with ${add.join(', ')} (revert)`,
    };
  }
  const own = new Set([...settings.snapshotOwners, ...settings.trustedAccounts]);
  const remove = current.filter((v) => v === 'all' || !own.has(v));
  if (remove.length === 0)
    return `Nothing to change: ${label} ${id} is not shared outside the platform's accounts`;
  return {
    write: cluster ? 'db-cluster-snapshot-remove' : 'db-snapshot-remove',
    request: { [idKey]: id, AttributeName: 'restore', ValuesToRemove: remove },
    changes: [
      { action, resource: id, before: current, after: current.filter((v) => !remove.includes(v)), at },
    ],
    summary: `removed sharing of ${label} ${id} with ${remove.map((v) => (v === 'all' ? 'everyone (public)' : v)).join(', ')}`,
    revert: { kind, removed: remove },
  };
}

const RuleSnapshot = z.object({
  IpProtocol: z.string(),
  FromPort: z.number().optional(),
  ToPort: z.number().optional(),
  CidrIpv4: z.string().optional(),
  CidrIpv6: z.string().optional(),
  Description: z.string().optional(),
});
type RuleSnapshot = z.infer<typeof RuleSnapshot>;

const sameRule = (a: RuleSnapshot, b: RuleSnapshot) =>
  a.IpProtocol === b.IpProtocol &&
  (a.FromPort ?? -1) === (b.FromPort ?? -1) &&
  (a.ToPort ?? -1) === (b.ToPort ?? -1) &&
  a.CidrIpv4 === b.CidrIpv4 &&
  a.CidrIpv6 === b.CidrIpv6;

const ruleText = (r: RuleSnapshot) =>
  `${r.IpProtocol === '-1' ? 'all traffic' : `${r.IpProtocol} ${r.FromPort ?? ''}${r.ToPort !== r.FromPort ? `-${r.ToPort ?? ''}` : ''}`} from ${r.CidrIpv4 ?? r.CidrIpv6}`;

function planIngress(
  input: PlanInput,
  restore: Record<string, unknown> | undefined,
  ruleIds: readonly string[] | undefined,
): Draft | string {
  const { check } = input;
  const at = new Date().toISOString();
  const read = ReadSchemas['security-group'].parse(input.read);
  if (read.NextToken)
    return refuse(`security group ${check.target} has more rules than one read returns: revoke by hand`);
  const ingress = read.SecurityGroupRules.filter((r) => r.IsEgress !== true);
  const snapshot = (r: z.infer<typeof SgRule>): RuleSnapshot =>
    RuleSnapshot.parse({
      IpProtocol: r.IpProtocol,
      FromPort: r.FromPort,
      ToPort: r.ToPort,
      CidrIpv4: r.CidrIpv4,
      CidrIpv6: r.CidrIpv6,
      Description: r.Description,
    });
  if (restore) {
    const rules = z.array(RuleSnapshot).parse(restore.rules ?? []);
    const missing = rules.filter((r) => !ingress.some((c) => sameRule(snapshot(c), r)));
    if (missing.length === 0)
      return `Nothing to change: the revoked rules of ${check.target} are already back`;
    const withDescription = (r: RuleSnapshot) => (r.Description ? { Description: r.Description } : {});
    return {
      write: 'authorize-ingress',
      request: {
        GroupId: check.target,
        IpPermissions: missing.map((r) => ({
          IpProtocol: r.IpProtocol,
          ...(r.FromPort !== undefined ? { FromPort: r.FromPort } : {}),
          ...(r.ToPort !== undefined ? { ToPort: r.ToPort } : {}),
          ...(r.CidrIpv4 ? { IpRanges: [{ CidrIp: r.CidrIpv4, ...withDescription(r) }] } : {}),
          ...(r.CidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6, ...withDescription(r) }] } : {}),
        })),
      },
      changes: [
        {
          action: 'ec2:AuthorizeSecurityGroupIngress',
          resource: check.target,
          before: null,
          after: missing,
          at,
        },
      ],
      summary: `re-added ${missing.map(ruleText).join(', ')} to ${check.target} (revert)`,
    };
  }
  const world = ingress.filter(
    (r) =>
      (isWorld(r.CidrIpv4) || isWorld(r.CidrIpv6)) &&
      (ruleIds === undefined || ruleIds.includes(r.SecurityGroupRuleId)),
  );
  if (world.length === 0)
    return `Nothing to change: security group ${check.target} has no world-open ingress${ruleIds ? ` among ${ruleIds.join(', ')}` : ''}`;
  const rules = world.map(snapshot);
  return {
    write: 'revoke-ingress',
    request: { GroupId: check.target, SecurityGroupRuleIds: world.map((r) => r.SecurityGroupRuleId) },
    changes: [
      {
        action: 'ec2:RevokeSecurityGroupIngress',
        resource: check.target,
        before: world.map((r) => ({ id: r.SecurityGroupRuleId, ...snapshot(r) })),
        after: null,
        at,
      },
    ],
    summary: `revoked ${rules.map(ruleText).join(', ')} on ${check.target}`,
    revert: { rules },
  };
}

function planBucket(input: PlanInput, restore: Record<string, unknown> | undefined): Draft | string {
  const { check } = input;
  const at = new Date().toISOString();
  const cfg = ReadSchemas.bucket.parse(input.read).PublicAccessBlockConfiguration;
  const before: PabFlags = {
    BlockPublicAcls: cfg.BlockPublicAcls ?? false,
    IgnorePublicAcls: cfg.IgnorePublicAcls ?? false,
    BlockPublicPolicy: cfg.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: cfg.RestrictPublicBuckets ?? false,
  };
  const target: PabFlags = restore
    ? z
        .object({
          BlockPublicAcls: z.boolean(),
          IgnorePublicAcls: z.boolean(),
          BlockPublicPolicy: z.boolean(),
          RestrictPublicBuckets: z.boolean(),
        })
        .parse(restore.before)
    : ALL_BLOCKED;
  const same = (Object.keys(target) as (keyof PabFlags)[]).every((k) => before[k] === target[k]);
  if (same)
    return `Nothing to change: bucket ${check.target}'s public access block is already ${restore ? 'as before' : 'all on'}`;
  return {
    write: 'public-access-block',
    request: { Bucket: check.target, PublicAccessBlockConfiguration: target },
    changes: [{ action: 's3:PutBucketPublicAccessBlock', resource: check.target, before, after: target, at }],
    summary: restore
      ? `put bucket ${check.target}'s public access block back as it was (revert)`
      : `re-applied bucket ${check.target}'s public access block (all four settings on)`,
    ...(restore ? {} : { revert: { before } }),
  };
}

export function planRestore(input: PlanInput): RestorePlan {
  const { check, settings } = input;
  const params = RestoreGuardrailParameters.parse(input.parameters);
  const restore = check.revert ? (params.restore as Record<string, unknown>) : undefined;
  const at = new Date().toISOString();
  let draft: Draft | string;
  switch (check.read) {
    case 'trail': {
      const status = ReadSchemas.trail.parse(input.read);
      draft = status.IsLogging
        ? `Nothing to change: trail ${check.target} is logging`
        : {
            write: 'start-logging',
            request: { Name: check.target },
            changes: [
              {
                action: 'cloudtrail:StartLogging',
                resource: check.target,
                before: { isLogging: false },
                after: { isLogging: true },
                at,
              },
            ],
            summary: `restarted logging of trail ${check.target}`,
          };
      break;
    }
    case 'flow-logs': {
      const fl = settings.flowLog ?? refuse('this stage has no platform VPC flow log to restore');
      const logs = ReadSchemas['flow-logs'].parse(input.read).FlowLogs;
      const active = logs.find(
        (f) =>
          f.ResourceId === fl.vpcId &&
          f.LogGroupName === fl.logGroupName &&
          (f.FlowLogStatus ?? 'ACTIVE') === 'ACTIVE',
      );
      draft = active
        ? `Nothing to change: VPC ${fl.vpcId} has its flow log ${active.FlowLogId} into ${fl.logGroupName}`
        : {
            write: 'create-flow-log',
            request: {
              ResourceIds: [fl.vpcId],
              ResourceType: 'VPC',
              TrafficType: fl.trafficType,
              LogDestinationType: 'cloud-watch-logs',
              LogGroupName: fl.logGroupName,
              DeliverLogsPermissionArn: fl.deliverLogsPermissionArn,
              // Idempotent: a retried call with the same token creates one flow log (at most 64 characters).
              ClientToken: input.executionName.slice(0, 64),
              TagSpecifications: [
                {
                  ResourceType: 'vpc-flow-log',
                  Tags: [
                    { Key: settings.optInTag.key, Value: settings.optInTag.value },
                    { Key: 'ops:restored-by', Value: input.executionName.slice(0, 256) },
                  ],
                },
              ],
            },
            changes: [
              {
                action: 'ec2:CreateFlowLogs',
                resource: fl.vpcId,
                before: null,
                after: { logGroupName: fl.logGroupName, trafficType: fl.trafficType },
                at,
              },
            ],
            summary: `recreated the flow log of VPC ${fl.vpcId} into ${fl.logGroupName}`,
          };
      break;
    }
    case 'security-group':
      draft = planIngress(input, restore, params.ruleIds);
      break;
    case 'bucket':
      draft = planBucket(input, restore);
      break;
    default:
      draft = planSharing(input, restore);
  }
  if (typeof draft === 'string') {
    const r = result(check, draft, 'succeeded');
    return {
      noop: true,
      write: 'none',
      request: {},
      result: r,
      dryRunResult: result(check, draft, 'dry-run'),
    };
  }
  return {
    noop: false,
    write: draft.write,
    request: draft.request,
    result: result(check, draft, 'succeeded'),
    dryRunResult: result(check, draft, 'dry-run'),
  };
}
