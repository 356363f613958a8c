import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * AWS's own API models, read with Step Functions' eyes, so that a fake for an `aws-sdk:` task can
 * refuse what the real integration would refuse.
 *
 * Models: the C2J `service-2.json` files that botocore ships (the packaged AWS SDK for Python; the
 * same model format, from the same source, that the AWS SDK for Java v2 code generator reads, and
 * Step Functions runs its SDK integrations on the Java v2 SDK). `.ci/run` installs botocore when the
 * machine lacks it; `BOTOCORE_DATA` may point at a `botocore/data` folder instead. The npm clients'
 * Smithy schemas were not used: not every service we call has an installed client (KMS, EventBridge),
 * and they differ from the Java model where it matters (Route 53 `MaxItems` is a number there, a
 * string in the C2J model and in Java v2).
 *
 * Naming: Step Functions names parameters and result fields after the Java v2 SDK's members, in
 * PascalCase (Step Functions guide, "AWS SDK service integrations", API naming conventions). The
 * Java v2 name of a member comes from its code generator:
 * - `Utils.unCapitalize` lower-cases the first letter and every following capital that is not the
 *   first letter of the next word: `TTL` → `ttl`, `DBSnapshots` → `dbSnapshots`, `BOOL` → `bool`
 *   (aws/aws-sdk-java-v2, codegen/src/main/java/software/amazon/awssdk/codegen/internal/Utils.java);
 * - `DefaultNamingStrategy.rewriteInvalidMemberName` appends `Value` to a Java keyword or a reserved
 *   method name: `Equals` → `equalsValue`, `Default` → `defaultValue`
 *   (codegen/src/main/java/software/amazon/awssdk/codegen/naming/DefaultNamingStrategy.java);
 * - per-service `customization.config` files exclude or rename members (EC2 drops `DryRun` from
 *   every shape: services/ec2/src/main/resources/codegen-resources/customization.config).
 * Step Functions then capitalises the first letter: `Ttl`, `DbSnapshots`, `Bool`, `EqualsValue`.
 * EC2 query lists take the member name (`Filters`), not the wire name (`Filter.N`).
 */

// ---------------------------------------------------------------------------------------------
// Naming (Java v2 code generator)

const JAVA_KEYWORDS = new Set(
  'abstract assert boolean break byte case catch char class const continue default do double else enum extends false final finally float for goto if implements import instanceof int interface long native new null package private protected public return short static strictfp super switch synchronized this throw throws transient true try void volatile while'.split(
    ' ',
  ),
);
/** DefaultNamingStrategy.RESERVED_STRUCTURE_METHOD_NAMES. */
const RESERVED_STRUCTURE_METHODS = new Set([
  'equals',
  'finalize',
  'getClass',
  'hashCode',
  'notify',
  'notifyAll',
  'toString',
  'wait',
  'builder',
  'sdkFields',
  'toBuilder',
  'overrideConfiguration',
  'sdkHttpResponse',
]);

const isUpper = (c: string | undefined) => c !== undefined && /\p{Lu}/u.test(c);
const isLower = (c: string | undefined) => c !== undefined && /\p{Ll}/u.test(c);

/** `Utils.unCapitalize`, character for character. */
export function unCapitalize(name: string): string {
  if (name.trim() === '') throw new Error('Name cannot be null or empty');
  let out = '';
  let i = 0;
  do {
    out += (name[i++] as string).toLowerCase();
  } while (i < name.length && isUpper(name[i]) && !(i < name.length - 1 && isLower(name[i + 1])));
  return out + name.slice(i);
}

/** The Java v2 getter name of a model member (`getFluentGetterMethodName` without the enum suffix). */
export function javaMemberName(modelName: string): string {
  const name = unCapitalize(modelName);
  if (
    JAVA_KEYWORDS.has(name) ||
    JAVA_KEYWORDS.has(name.toLowerCase()) ||
    RESERVED_STRUCTURE_METHODS.has(name)
  )
    return unCapitalize(`${name}Value`);
  return name;
}

/** The name Step Functions uses for a model member in Parameters and in the result. */
export function sfnMemberName(modelName: string): string {
  const java = javaMemberName(modelName);
  return java.charAt(0).toUpperCase() + java.slice(1);
}

/** The Java v2 client method for an operation, which is the action in `aws-sdk:<service>:<action>`. */
export function sfnActionName(operation: string): string {
  return unCapitalize(operation);
}

// ---------------------------------------------------------------------------------------------
// Models (botocore C2J)

interface ShapeRef {
  readonly shape: string;
}
export interface C2jShape {
  readonly type: string;
  readonly members?: Record<string, ShapeRef>;
  readonly required?: readonly string[];
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly enum?: readonly string[];
  readonly document?: boolean;
  readonly union?: boolean;
}
interface C2jModel {
  readonly metadata: { readonly apiVersion: string; readonly serviceId: string };
  readonly operations: Record<
    string,
    { readonly name: string; readonly input?: ShapeRef; readonly output?: ShapeRef }
  >;
  readonly shapes: Record<string, C2jShape>;
}

/** Step Functions service name → botocore's folder, where they differ. */
const BOTOCORE_NAMES: Readonly<Record<string, string>> = {
  eventbridge: 'events',
  elasticloadbalancingv2: 'elbv2',
  sfn: 'stepfunctions',
};

/**
 * Java v2 `customization.config` entries that change member names for the services we call
 * (checked for ec2, s3, rds, route53; the others we call have none that touch members).
 */
const CUSTOMISATIONS: Readonly<
  Record<
    string,
    { readonly exclude?: readonly string[]; readonly rename?: Record<string, Record<string, string>> }
  >
> = {
  ec2: {
    exclude: ['DryRun'],
    rename: { Image: { Public: 'PublicLaunchPermissions' }, FpgaImage: { Public: 'IsPublic' } },
  },
};

let dataDir: string | undefined;
function botocoreData(): string {
  if (dataDir) return dataDir;
  const fromEnv = process.env.BOTOCORE_DATA;
  if (fromEnv && existsSync(fromEnv)) {
    dataDir = fromEnv;
    return dataDir;
  }
  try {
    const pkg = execFileSync(
      'python3',
      ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).trim();
    dataDir = join(pkg, 'data');
    return dataDir;
  } catch {
    throw new Error(
      'AWS API models not found: install botocore (python3 -m pip install botocore) or set BOTOCORE_DATA to its data folder',
    );
  }
}

const models = new Map<string, ServiceModel>();

/** The model of one service, by its Step Functions name (`ec2`, `route53`, `eventbridge`…). */
export function serviceModel(sfnService: string): ServiceModel {
  const hit = models.get(sfnService);
  if (hit) return hit;
  const folder = join(botocoreData(), BOTOCORE_NAMES[sfnService] ?? sfnService);
  if (!existsSync(folder))
    throw new Error(`no AWS API model for service "${sfnService}" (looked in ${folder})`);
  const version = readdirSync(folder)
    .filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))
    .sort()
    .pop();
  if (!version) throw new Error(`no API version folder under ${folder}`);
  const base = join(folder, version, 'service-2.json');
  const text = existsSync(base)
    ? readFileSync(base, 'utf8')
    : gunzipSync(readFileSync(`${base}.gz`)).toString('utf8');
  const model = new ServiceModel(sfnService, JSON.parse(text) as C2jModel);
  models.set(sfnService, model);
  return model;
}

export interface Operation {
  readonly name: string;
  readonly input?: string;
  readonly output?: string;
}

export class ServiceModel {
  private readonly exclude: ReadonlySet<string>;
  constructor(
    readonly service: string,
    private readonly model: C2jModel,
  ) {
    this.exclude = new Set(CUSTOMISATIONS[service]?.exclude ?? []);
  }

  /** The operation behind a Step Functions action (`describeVolumes` → DescribeVolumes). */
  operation(action: string): Operation {
    const op = Object.values(this.model.operations).find((o) => sfnActionName(o.name) === action);
    if (!op)
      throw new ModelError(
        `${this.service}:${action}`,
        `is not an action of ${this.model.metadata.serviceId}`,
      );
    return { name: op.name, input: op.input?.shape, output: op.output?.shape };
  }

  shape(name: string): C2jShape {
    const s = this.model.shapes[name];
    if (!s) throw new Error(`${this.service}: shape ${name} missing from the model`);
    return s;
  }

  /** A structure's members under their Step Functions names: name → [model name, shape name]. */
  members(
    shapeName: string,
  ): Map<string, { readonly modelName: string; readonly shape: string; readonly required: boolean }> {
    const shape = this.shape(shapeName);
    const renames = CUSTOMISATIONS[this.service]?.rename?.[shapeName] ?? {};
    const required = new Set(shape.required ?? []);
    const out = new Map<string, { modelName: string; shape: string; required: boolean }>();
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      if (this.exclude.has(name)) continue;
      out.set(sfnMemberName(renames[name] ?? name), {
        modelName: name,
        shape: ref.shape,
        required: required.has(name),
      });
    }
    return out;
  }
}

export class ModelError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path} ${detail}`);
    this.name = 'ModelError';
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface CheckOptions {
  /** Keys ending in `.$` are JSONPaths (a definition's static Parameters): check the name only. */
  readonly paths?: boolean;
  /** Check required members (requests: yes; fake responses may leave optional-to-us fields out). */
  readonly required?: boolean;
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

/** Every way `value` breaks `shapeName`, each naming its path. Empty when the value fits. */
export function shapeProblems(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
  options: CheckOptions = {},
): string[] {
  const shape = model.shape(shapeName);
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok)
      problems.push(
        `${path}: expected ${what} (${shapeName}), got ${typeOf(value)} ${JSON.stringify(value)}`,
      );
  };
  switch (shape.type) {
    case 'structure': {
      if (shape.document) break;
      if (typeOf(value) !== 'object') {
        expect(false, 'an object');
        break;
      }
      const members = model.members(shapeName);
      const given = value as Record<string, unknown>;
      for (const [rawKey, v] of Object.entries(given)) {
        const isPath = options.paths === true && rawKey.endsWith('.$');
        const key = isPath ? rawKey.slice(0, -2) : rawKey;
        const member = members.get(key);
        if (!member) {
          const near = [...members.keys()].find((m) => m.toLowerCase() === key.toLowerCase());
          const names = [...members.keys()];
          const listing = names.length <= 12 ? `; members: ${names.join(', ')}` : '';
          problems.push(
            `${path}.${key}: not a member of ${shapeName}${near ? ` (Step Functions calls it ${near})` : ''}${listing}`,
          );
          continue;
        }
        if (!isPath) problems.push(...shapeProblems(model, member.shape, v, `${path}.${key}`, options));
      }
      if (options.required !== false) {
        for (const [name, m] of members) {
          if (m.required && !(name in given) && !(`${name}.$` in given))
            problems.push(`${path}.${name}: required by ${shapeName}, missing`);
        }
      }
      if (shape.union && Object.keys(given).length !== 1)
        problems.push(`${path}: ${shapeName} is a union, set exactly one member`);
      break;
    }
    case 'list':
      if (!Array.isArray(value)) expect(false, 'a list');
      else
        value.forEach((item, i) => {
          problems.push(
            ...shapeProblems(model, (shape.member as ShapeRef).shape, item, `${path}[${i}]`, options),
          );
        });
      break;
    case 'map':
      if (typeOf(value) !== 'object') expect(false, 'a map');
      else
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          problems.push(...shapeProblems(model, (shape.value as ShapeRef).shape, v, `${path}.${k}`, options));
        }
      break;
    case 'string':
      expect(typeof value === 'string', 'a string');
      if (typeof value === 'string' && shape.enum && !shape.enum.includes(value))
        problems.push(
          `${path}: ${JSON.stringify(value)} is not one of ${shapeName}: ${shape.enum.join(', ')}`,
        );
      break;
    case 'integer':
    case 'long':
      expect(Number.isInteger(value), 'an integer');
      break;
    case 'double':
    case 'float':
      expect(typeof value === 'number', 'a number');
      break;
    case 'boolean':
      expect(typeof value === 'boolean', 'a boolean');
      break;
    case 'timestamp':
      expect(typeof value === 'string' || typeof value === 'number', 'a timestamp');
      break;
    case 'blob':
      expect(typeof value === 'string', 'a blob (string)');
      break;
    default:
      break;
  }
  return problems;
}

/** Parses `aws-sdk:<service>:<action>` out of a Task state's Resource, or undefined. */
export function sdkTarget(resource: string | undefined): { service: string; action: string } | undefined {
  const m = /^arn:[^:]+:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(\.[A-Za-z]+)?$/.exec(resource ?? '');
  return m ? { service: m[1] as string, action: m[2] as string } : undefined;
}

/** Problems with the parameters of one SDK-integration call (empty when AWS would accept them). */
export function requestProblems(
  service: string,
  action: string,
  parameters: unknown,
  options: CheckOptions = {},
): string[] {
  const model = serviceModel(service);
  const op = model.operation(action);
  const label = `${service}:${action}`;
  if (!op.input)
    return parameters && Object.keys(parameters).length > 0 ? [`${label}: takes no parameters`] : [];
  return shapeProblems(model, op.input, parameters ?? {}, label, { required: true, ...options });
}

/** Problems with a result a fake returns (members and types; required ones are not demanded). */
export function responseProblems(service: string, action: string, result: unknown): string[] {
  const model = serviceModel(service);
  const op = model.operation(action);
  const label = `${service}:${action} result`;
  if (!op.output) return [];
  return shapeProblems(model, op.output, result ?? {}, label, { required: false });
}

/**
 * Whether a JSONPath read of an action's result names fields its output shape has: `$.Snapshots[0].State`.
 * Returns the problem, or undefined when the path exists in the model.
 */
export function resultPathProblem(service: string, action: string, jsonPath: string): string | undefined {
  const model = serviceModel(service);
  const op = model.operation(action);
  if (!jsonPath.startsWith('$')) return `${jsonPath}: not a JSONPath`;
  const segments = [...jsonPath.slice(1).matchAll(/\.([A-Za-z0-9_]+)|\[(\d+|\*)\]/g)].map(
    (m) => m[1] ?? `[${m[2]}]`,
  );
  let shapeName = op.output;
  let walked = '$';
  for (const seg of segments) {
    if (!shapeName) return `${service}:${action} returns nothing, cannot read ${jsonPath}`;
    const shape = model.shape(shapeName);
    if (seg.startsWith('[')) {
      if (shape.type !== 'list')
        return `${service}:${action}: ${walked} is ${shape.type}, not a list (${jsonPath})`;
      shapeName = (shape.member as ShapeRef).shape;
    } else if (shape.type === 'map') {
      shapeName = (shape.value as ShapeRef).shape;
    } else if (shape.type === 'structure') {
      const member = model.members(shapeName).get(seg);
      if (!member)
        return `${service}:${action}: ${walked}.${seg} is not a member of ${shapeName} (${[...model.members(shapeName).keys()].join(', ')})`;
      shapeName = member.shape;
    } else {
      return `${service}:${action}: ${walked} is a ${shape.type}, has no field ${seg}`;
    }
    walked += seg.startsWith('[') ? seg : `.${seg}`;
  }
  return undefined;
}

/**
 * Renames an SDK v3 value (model member names, e.g. `ARN`) to what Step Functions shows (`Arn`), or
 * back, following the model; a fake written against the JavaScript SDK can then serve a workflow.
 * Members the model does not know are left as they are (the model check reports them).
 */
export function renameForSfn(
  service: string,
  action: string,
  value: unknown,
  direction: 'request' | 'response',
): unknown {
  const model = serviceModel(service);
  const op = model.operation(action);
  const shape = direction === 'request' ? op.input : op.output;
  return shape ? rename(model, shape, value, direction === 'request' ? 'toModel' : 'toSfn') : value;
}

function rename(model: ServiceModel, shapeName: string, value: unknown, way: 'toSfn' | 'toModel'): unknown {
  const shape = model.shape(shapeName);
  if (shape.type === 'list' && Array.isArray(value))
    return value.map((v) => rename(model, (shape.member as ShapeRef).shape, v, way));
  if (shape.type === 'map' && typeOf(value) === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        rename(model, (shape.value as ShapeRef).shape, v, way),
      ]),
    );
  if (shape.type === 'structure' && !shape.document && typeOf(value) === 'object') {
    const members = [...model.members(shapeName)];
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => {
        const hit = members.find(([sfnName, m]) => (way === 'toSfn' ? m.modelName : sfnName) === k);
        if (!hit) return [k, v];
        const [sfnName, m] = hit;
        return [way === 'toSfn' ? sfnName : m.modelName, rename(model, m.shape, v, way)];
      }),
    );
  }
  return value;
}
