/**
 * IAM policy documents read out of a synthesised CloudFormation template, with CloudFormation's
 * intrinsics replaced by concrete strings for one fixed account, region and partition, so that they
 * can be checked against the Service Authorization Reference and evaluated by an IAM simulator.
 */

type Json = unknown;
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
export interface Template {
  readonly Resources: Record<string, CfnResource>;
}
export interface Env {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
  /** Export name → value, for `Fn::ImportValue` (see `exportsOf`); unknown imports become `import:<name>`. */
  readonly imports?: Readonly<Record<string, string>>;
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: Json;
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}
export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What `Ref` and `Fn::GetAtt …Arn` give for a resource, built from its name property or logical id. */
function refAndArn(
  id: string,
  r: CfnResource | undefined,
  env: Required<Omit<Env, 'imports'>>,
): { ref: string; arn: string } {
  const { account: a, region: g, partition: p } = env;
  const props = r?.Properties ?? {};
  const named = (key: string) => (typeof props[key] === 'string' ? (props[key] as string) : id.toLowerCase());
  switch (r?.Type) {
    case 'AWS::Lambda::Function': {
      const n = named('FunctionName');
      return { ref: n, arn: `arn:${p}:lambda:${g}:${a}:function:${n}` };
    }
    case 'AWS::DynamoDB::Table': {
      const n = named('TableName');
      return { ref: n, arn: `arn:${p}:dynamodb:${g}:${a}:table/${n}` };
    }
    case 'AWS::SQS::Queue': {
      const n = named('QueueName');
      return { ref: `https://sqs.${g}.amazonaws.com/${a}/${n}`, arn: `arn:${p}:sqs:${g}:${a}:${n}` };
    }
    case 'AWS::SNS::Topic': {
      const n = `arn:${p}:sns:${g}:${a}:${named('TopicName')}`;
      return { ref: n, arn: n };
    }
    case 'AWS::KMS::Key':
      return { ref: `${id}-key-id`, arn: `arn:${p}:kms:${g}:${a}:key/${id}-key-id` };
    case 'AWS::S3::Bucket': {
      const n = named('BucketName');
      return { ref: n, arn: `arn:${p}:s3:::${n}` };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const n = `arn:${p}:states:${g}:${a}:stateMachine:${named('StateMachineName')}`;
      return { ref: n, arn: n };
    }
    case 'AWS::CloudTrail::Trail': {
      const n = named('TrailName');
      return { ref: n, arn: `arn:${p}:cloudtrail:${g}:${a}:trail/${n}` };
    }
    case 'AWS::IAM::Role': {
      const n = named('RoleName');
      return { ref: n, arn: `arn:${p}:iam::${a}:role/${n}` };
    }
    case 'AWS::Logs::LogGroup': {
      const n = named('LogGroupName');
      return { ref: n, arn: `arn:${p}:logs:${g}:${a}:log-group:${n}:*` };
    }
    case 'AWS::SecretsManager::Secret': {
      // Secrets Manager adds six random characters to a secret's ARN; here they are always AbCdEf.
      const n = `arn:${p}:secretsmanager:${g}:${a}:secret:${named('Name')}-AbCdEf`;
      return { ref: n, arn: n };
    }
    case 'AWS::Events::EventBus': {
      const n = named('Name');
      return { ref: n, arn: `arn:${p}:events:${g}:${a}:event-bus/${n}` };
    }
    case 'AWS::IAM::ManagedPolicy':
      return { ref: `arn:${p}:iam::${a}:policy/${id}`, arn: `arn:${p}:iam::${a}:policy/${id}` };
    default:
      return { ref: id, arn: `arn:${p}:unknown:${g}:${a}:${id}` };
  }
}

/** Replaces intrinsics with strings; an import from another stack becomes `import:<export name>`. */
export function resolveCfn(value: Json, template: Template, env: Env): Json {
  const e: Required<Env> = { partition: 'aws', imports: {}, ...env };
  const go = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(go);
    if (!v || typeof v !== 'object') return v;
    const obj = v as Record<string, Json>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = obj[key];
      if (key === 'Ref') {
        const ref = arg as string;
        if (ref === 'AWS::Partition') return e.partition;
        if (ref === 'AWS::Region') return e.region;
        if (ref === 'AWS::AccountId') return e.account;
        if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
        return refAndArn(ref, template.Resources[ref], e).ref;
      }
      if (key === 'Fn::GetAtt') {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        if (attr === 'Arn') return refAndArn(id, template.Resources[id], e).arn;
        return `${id}.${attr}`;
      }
      if (key === 'Fn::Join') {
        const [sep, parts] = arg as [string, Json[]];
        return (go(parts) as Json[]).map(String).join(sep);
      }
      if (key === 'Fn::Select') {
        const [index, items] = arg as [number, Json];
        return (go(items) as Json[])[Number(index)];
      }
      if (key === 'Fn::Split') {
        const [sep, source] = arg as [string, Json];
        return String(go(source)).split(sep);
      }
      if (key === 'Fn::ImportValue') {
        const name = String(go(arg));
        return e.imports[name] ?? `import:${name}`;
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, Json>];
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in vars) return String(go(vars[name]));
          return String(go(name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name }));
        });
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, go(x)]));
  };
  return go(value);
}

/** The exports of a template (Outputs with an Export name), resolved: feed them to `Env.imports`. */
export function exportsOf(
  template: Template & { Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }> },
  env: Env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of Object.values(template.Outputs ?? {})) {
    if (o.Export)
      out[String(resolveCfn(o.Export.Name, template, env))] = String(resolveCfn(o.Value, template, env));
  }
  return out;
}

export interface FoundPolicy {
  /** `<logical id>` or `<logical id>/<property>`. */
  readonly where: string;
  /** identity policies apply to principals; resource and trust policies name one. */
  readonly kind: 'identity' | 'resource' | 'trust';
  readonly document: PolicyDocument;
}

const RESOURCE_POLICY_PROPS: Record<string, string> = {
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::Events::EventBusPolicy': 'Statement',
  'AWS::SecretsManager::ResourcePolicy': 'ResourcePolicy',
  'AWS::Logs::ResourcePolicy': 'PolicyDocument',
};

/** Every policy document of a template, intrinsics resolved. */
export function allPolicies(template: Template, env: Env): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  const doc = (v: Json) => resolveCfn(v, template, env) as PolicyDocument;
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      out.push({ where: id, kind: 'identity', document: doc(props.PolicyDocument) });
    if (r.Type === 'AWS::IAM::Role') {
      if (props.AssumeRolePolicyDocument)
        out.push({
          where: `${id}/AssumeRolePolicyDocument`,
          kind: 'trust',
          document: doc(props.AssumeRolePolicyDocument),
        });
      for (const p of list(props.Policies as { PolicyName: string; PolicyDocument: Json }[]))
        out.push({ where: `${id}/${p.PolicyName}`, kind: 'identity', document: doc(p.PolicyDocument) });
    }
    const rp = RESOURCE_POLICY_PROPS[r.Type];
    if (rp && props[rp] !== undefined) {
      const value = props[rp];
      const resolved =
        typeof value === 'string'
          ? (JSON.parse(value) as PolicyDocument)
          : r.Type === 'AWS::Events::EventBusPolicy'
            ? { Statement: [doc(value) as unknown as Statement] }
            : doc(value);
      out.push({ where: `${id}/${rp}`, kind: 'resource', document: resolved });
    }
  }
  return out;
}

/**
 * The identity policies attached to one role: its inline policies, the AWS::IAM::Policy resources
 * naming it, and customer managed policies of the same template it lists (AWS managed ones are left
 * out: name them in the test if a role has any).
 */
export function rolePolicies(template: Template, roleId: string, env: Env): PolicyDocument[] {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const docs: PolicyDocument[] = [];
  const doc = (v: Json) => resolveCfn(v, template, env) as PolicyDocument;
  for (const p of list(role.Properties?.Policies as { PolicyDocument: Json }[]))
    docs.push(doc(p.PolicyDocument));
  const refersToRole = (refs: Json) =>
    list(refs as Json[]).some((r) => (r as { Ref?: string }).Ref === roleId);
  for (const r of Object.values(template.Resources)) {
    if (r.Type === 'AWS::IAM::Policy' && refersToRole(r.Properties?.Roles))
      docs.push(doc(r.Properties?.PolicyDocument));
  }
  for (const m of list(role.Properties?.ManagedPolicyArns as Json[])) {
    const id = (m as { Ref?: string }).Ref;
    const managed = id ? template.Resources[id] : undefined;
    if (managed?.Type === 'AWS::IAM::ManagedPolicy') docs.push(doc(managed.Properties?.PolicyDocument));
  }
  return docs;
}

/** What `Ref` gives for one resource of the template (a name, an id, an ARN: as resolveCfn renders it). */
export function refOf(template: Template, logicalId: string, env: Env): string {
  return String(resolveCfn({ Ref: logicalId }, template, env));
}

/** The logical id of the first resource of a type whose properties contain these values. */
export function findResource(template: Template, type: string, props: Record<string, Json> = {}): string {
  const hit = Object.entries(template.Resources).find(
    ([, r]) => r.Type === type && Object.entries(props).every(([k, v]) => r.Properties?.[k] === v),
  );
  if (!hit) throw new Error(`no ${type} with ${JSON.stringify(props)}`);
  return hit[0];
}

/** The logical id of the role with this RoleName. */
export function roleNamed(template: Template, roleName: string): string {
  const hit = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === roleName,
  );
  if (!hit) throw new Error(`no role named ${roleName}`);
  return hit[0];
}
