import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag acknowledgement audit (issue 13): what every `Validations.of(x).acknowledge(...)`
 * in a synthesised app says, and which wildcard permissions every IAM policy grants.
 *
 * cdk-nag v3 reports `AwsSolutions-IAM5` once per distinct wildcard (`Resource::<arn>` or
 * `Action::<pattern>`) per policy and matches an acknowledgement by that exact id, on the policy or
 * any construct above it. So `AwsSolutions-IAM5[Resource::*]` on a role passes *every* action ever
 * granted on `*` by that role, including one added next year. The rules checked here close that:
 *
 * 1. no acknowledgement of a finding-reporting rule (IAM4, IAM5) without its finding;
 * 2. the reason of the acknowledgement covering a `Resource::<r>` finding names, as `service:Action`,
 *    every action the policy grants on `<r>`; for an `Action::<pattern>` finding it names the pattern;
 * 3. every IAM5 acknowledgement matches a finding under the construct it is on (no stale reasons).
 *
 * Findings are rendered the way cdk-nag renders them (its `flattenCfnReference`: `Ref` → `<Id>`,
 * `Fn::GetAtt` → `<Id.Attr>`, `Fn::Join` joined, `${x}` → `<x>`), written out here from its
 * documented format rather than imported, so the audit does not share cdk-nag's code.
 */

export interface Acknowledgement {
  readonly path: string;
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

export interface WildcardGrant {
  readonly path: string;
  readonly policy: CfnResource;
  /** `Resource::<flattened>` or `Action::<pattern>`. */
  readonly finding: string;
  /** Resource findings: the actions granted on that resource; action findings: the pattern. */
  readonly actions: readonly string[];
}

const FINDING_RULES = ['AwsSolutions-IAM4', 'AwsSolutions-IAM5'];

/** Every acknowledgement recorded under `root`, in tree order. */
export function acknowledgements(root: IConstruct): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, scope: c, id: qualified.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

/** cdk-nag's rendering of a CloudFormation value as one string. */
export function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [sep, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(sep);
    }
    if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [res, attr] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(res)}.${flatten(attr)}>`;
    }
    if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
    if (o.Ref) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(value);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

function documents(node: CfnResource): { Statement?: Statement[] }[] {
  const stack = Stack.of(node);
  if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy)
    return [stack.resolve(node.policyDocument)];
  if (node instanceof iam.CfnRole) {
    const policies = (stack.resolve(node.policies) ?? []) as { PolicyDocument?: unknown }[];
    return policies.map((p) => stack.resolve(p.PolicyDocument) as { Statement?: Statement[] });
  }
  return [];
}

/** Every wildcard an identity policy under `root` allows, one entry per cdk-nag IAM5 finding. */
export function wildcardGrants(root: IConstruct): WildcardGrant[] {
  const out: WildcardGrant[] = [];
  for (const node of root.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const byFinding = new Map<string, Set<string>>();
    const add = (finding: string, actions: string[]) => {
      const set = byFinding.get(finding) ?? new Set<string>();
      for (const a of actions) set.add(a);
      byFinding.set(finding, set);
    };
    for (const doc of documents(node)) {
      for (const st of list(doc?.Statement)) {
        if (st.Effect !== 'Allow') continue;
        const actions = list(st.Action);
        for (const a of actions) if (a.includes('*')) add(`Action::${a}`, [a]);
        for (const r of list(st.Resource).map(flatten)) if (r.includes('*')) add(`Resource::${r}`, actions);
      }
    }
    for (const [finding, actions] of byFinding) {
      out.push({ path: node.node.path, policy: node, finding, actions: [...actions].sort() });
    }
  }
  return out;
}

/** The acknowledgements that pass `id` on `node` for cdk-nag: on the node or any construct above it. */
export function coveringAcknowledgements(node: IConstruct, id: string): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  let current: IConstruct | undefined = node;
  while (current) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        const ackId = qualified.replace(/^annotation::/i, '');
        if (ackId === id) out.push({ path: current.node.path, scope: current, id: ackId, reason });
      }
    }
    current = current.node.scope;
  }
  return out;
}

/**
 * Whether `reason` names `action` as a whole word (`ec2:DescribeNetworkInterfaces`, `s3:GetObject*`).
 * IAM action names are case-insensitive (Step Functions' SDK tasks write `ec2:describeVolumes`).
 */
export function names(reason: string, action: string): boolean {
  const escaped = action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9:*])${escaped}($|[^A-Za-z0-9*])`, 'i').test(reason);
}

/** Everything wrong with the acknowledgements under `root` (empty when the audit passes). */
export function auditAcknowledgements(root: IConstruct): string[] {
  const problems: string[] = [];
  const acks = acknowledgements(root);
  for (const a of acks) {
    if (FINDING_RULES.includes(a.id)) {
      problems.push(`${a.path}: bare ${a.id} acknowledgement (name the finding: ${a.id}[Resource::…])`);
    }
  }
  const grants = wildcardGrants(root);
  for (const g of grants) {
    const id = `AwsSolutions-IAM5[${g.finding}]`;
    const covering = coveringAcknowledgements(g.policy, id);
    if (covering.length === 0) {
      problems.push(`${g.path}: ${id} is not acknowledged`);
      continue;
    }
    const missing = g.actions.filter((a) => !covering.some((ack) => names(ack.reason, a)));
    if (missing.length > 0) {
      problems.push(
        `${g.path}: ${id} grants ${missing.join(', ')}, which no acknowledgement of it (on ${covering.map((a) => a.path).join(', ')}) names`,
      );
    }
  }
  for (const a of acks) {
    const m = /^AwsSolutions-IAM5\[(.+)\]$/.exec(a.id);
    if (!m) continue;
    const prefix = `${a.path}/`;
    const used = grants.some(
      (g) => g.finding === m[1] && (g.path === a.path || g.path.startsWith(prefix) || a.path === ''),
    );
    if (!used) problems.push(`${a.path}: ${a.id} acknowledges a finding nothing under it has`);
  }
  return problems;
}
