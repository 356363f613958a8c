import type { Template } from 'aws-cdk-lib/assertions';

/**
 * IAM assertions every infra test can share. `wildcardMutations(template)` lists each Allow
 * statement of an identity policy (AWS::IAM::Policy, AWS::IAM::ManagedPolicy, a role's inline
 * policies) that grants a mutating action on an unscoped resource:
 * - `*` itself (unless the action supports no resource-level permissions at all, see below), or
 * - an ARN naming only a resource type (`arn:aws:ec2:eu-west-1:111111111111:snapshot/*`) in a
 *   statement without a Condition (a tag condition is what scopes such a statement).
 * A wildcard under a specific resource (`<table>/index/*`, `<bucket>/runs/*`, `<function>:*` for its
 * versions, `nodegroup/dev-platform/dev-platform-*`) is scoped and passes. Resource policies (KMS key
 * policies, queue policies) are not identity policies and are not checked here.
 *
 *   expect(wildcardMutations(template)).toEqual([]);
 */

/** Verbs that only read. Anything else (Put, Create, Start, Update, Delete, Send, …) mutates. */
const READ_ONLY =
  /^(Get|List|Describe|BatchGet|Query|Scan|Head|View|Lookup|Search|Select|Check|Validate|Test|Filter)/i;

/**
 * Mutating actions that support no resource-level permissions at all, so `*` is the only way to
 * grant them; the policy that grants them must acknowledge its cdk-nag finding with that reason.
 */
export const NO_RESOURCE_LEVEL_ACTIONS: readonly string[] = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'cloudwatch:PutMetricData',
  // Step Functions / vended log delivery: CloudWatch Logs offers no resource-level permissions for these.
  'logs:CreateLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:PutResourcePolicy',
];

/** Sub-type words some ARNs carry between the resource type and the name (`loadbalancer/net/<name>`). */
const ARN_NOISE = new Set(['net', 'app', 'gwy', 'autoScalingGroupName']);

/** Whether `resource` names no particular resource: `*`, or an ARN whose resource part is only a type and wildcards. */
export function isUnscoped(resource: string): boolean {
  if (resource === '*') return true;
  const m = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/.exec(resource);
  if (!m?.[1] || !resource.includes('*')) return false;
  const [, ...rest] = m[1].split(/[/:]/);
  return rest.every((part) => part === '*' || part === '' || ARN_NOISE.has(part));
}

export interface WildcardFinding {
  readonly logicalId: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

type Json = unknown;

/** A resource value as text: literal strings stay, `Fn::Join` is joined, other intrinsics become a marker. */
function text(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, Json[]];
      return parts.map(text).join(sep);
    }
    if ('Fn::Sub' in obj) {
      const sub = obj['Fn::Sub'];
      return typeof sub === 'string' ? sub : text((sub as Json[])[0]);
    }
    return '<ref>';
  }
  return String(value);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function isMutating(action: string): boolean {
  if (action === '*' || action.endsWith(':*')) return true;
  const verb = action.split(':')[1] ?? action;
  return !READ_ONLY.test(verb);
}

interface Statement {
  Effect?: string;
  Condition?: unknown;
  Action?: string | string[];
  Resource?: Json | Json[];
}

function documentsOf(type: string, props: Record<string, Json>): Json[] {
  if (type === 'AWS::IAM::Role')
    return list(props.Policies as Json[]).map((p) => (p as { PolicyDocument: Json }).PolicyDocument);
  return [props.PolicyDocument];
}

export interface WildcardOptions {
  /** Mutating actions accepted on `*` (default: those without resource-level permissions). */
  readonly allowed?: readonly string[];
  /** Also flag type-only ARNs without a Condition (default true); false checks literal `*` only. */
  readonly typeOnlyArns?: boolean;
  /** Check only the policies whose logical id passes (e.g. one construct's: `(id) => id.startsWith('Intake')`). */
  readonly only?: (logicalId: string) => boolean;
}

export function wildcardMutations(
  template: Template,
  options: WildcardOptions | readonly string[] = {},
): WildcardFinding[] {
  const opts: WildcardOptions = Array.isArray(options)
    ? { allowed: options as readonly string[] }
    : (options as WildcardOptions);
  const allowed = opts.allowed ?? NO_RESOURCE_LEVEL_ACTIONS;
  const typeOnly = opts.typeOnlyArns ?? true;
  const findings: WildcardFinding[] = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, Json> }
  >;
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(resource.Type)) continue;
    if (opts.only && !opts.only(logicalId)) continue;
    for (const doc of documentsOf(resource.Type, resource.Properties ?? {})) {
      for (const st of list((doc as { Statement?: Statement[] } | undefined)?.Statement)) {
        if (st.Effect !== 'Allow') continue;
        const wild = list(st.Resource)
          .map(text)
          .filter((r) => r === '*' || (typeOnly && isUnscoped(r) && st.Condition === undefined));
        if (wild.length === 0) continue;
        const actions = list(st.Action).filter((a) => isMutating(a) && !allowed.includes(a));
        if (actions.length > 0) findings.push({ logicalId, actions, resources: wild });
      }
    }
  }
  return findings;
}
