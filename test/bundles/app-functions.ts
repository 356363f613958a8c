import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { type BuildResult, build } from 'esbuild';
import { buildApp } from '../../infra/app.js';
import { esbuildOptionsFor } from '../../infra/bundling/esbuild-options.js';
import { buildFirstUse } from '../../infra/bundling/first-use.js';
import { OpsFunction, REPO_ROOT } from '../../infra/constructs/ops-function.js';

/**
 * The functions of the synthesised app (all stages), as the bundle smoke test and the cold-load
 * benchmark both see them: each distinct deployment of an entry once, with its bundling options,
 * handler, runtime and environment from its template, and one esbuild call per distinct set of
 * bundling options that builds every entry as synth would.
 */

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** The one template function to invoke for each distinct deployment of an entry. */
export interface Deployed {
  readonly id: string;
  readonly path: string;
  readonly entry: string;
  readonly buildKey: string;
  readonly handler: string;
  readonly runtime: string;
  readonly region: string;
  readonly environment: Record<string, string>;
  readonly functionName: string;
  readonly memory: number;
  /** Modules built beside the bundle, in its `node_modules` (OpsFunction `loadOnFirstUse`). */
  readonly loadOnFirstUse: readonly string[];
}

export interface BuildGroup {
  readonly bundling: OpsFunction['bundlingOptions'];
  readonly runtime: string;
  readonly entries: Set<string>;
  /** Per entry, the modules built beside its bundle (`loadOnFirstUse`), when it has any. */
  readonly firstUse: Map<string, readonly string[]>;
}

export interface AppFunctions {
  /** Distinct bundling options (keyed by runtime + options) and the entries built with each. */
  readonly builds: Map<string, BuildGroup>;
  /** Sorted by construct path. */
  readonly deployed: Deployed[];
  /** The folder (Lambda task root) one entry's bundle lands in under `outDir`. */
  bundleDir(outDir: string, buildKey: string, entry: string): string;
  /**
   * Builds every entry into `outDir`: one esbuild call per distinct set of bundling options, then
   * each entry's first-use modules into its bundle's `node_modules`, as CDK's after-bundling hook does.
   */
  buildAll(outDir: string): Promise<BuildResult[]>;
}

/** Intrinsics in a function's environment, resolved to the kind of value AWS would put there. */
function resolveValue(value: unknown, resources: Record<string, Resource>, region: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const [fn, arg] = Object.entries(value)[0] ?? [];
    if (fn === 'Ref' && typeof arg === 'string') {
      const type = resources[arg]?.Type;
      if (type === 'AWS::StepFunctions::StateMachine') {
        return `arn:aws:states:${region}:111111111111:stateMachine:${arg}`;
      }
      if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${region}:111111111111:${arg}`;
      if (type === 'AWS::SQS::Queue') return `https://sqs.${region}.amazonaws.com/111111111111/${arg}`;
      return arg.toLowerCase();
    }
    if (fn === 'Fn::Join' && Array.isArray(arg)) {
      const [sep, parts] = arg as [string, unknown[]];
      return parts.map((p) => resolveValue(p, resources, region)).join(sep);
    }
    if (fn === 'Fn::ImportValue') {
      // What the platform stack exports, by the attribute its export name carries.
      const name = resolveValue(arg, resources, region);
      if (/Endpoint/.test(name)) return `https://0123456789ABCDEF.gr7.${region}.eks.amazonaws.com`;
      if (/CertificateAuthority/.test(name)) {
        return Buffer.from('-----BEGIN CERTIFICATE-----\nsmoke\n-----END CERTIFICATE-----\n').toString(
          'base64',
        );
      }
      return `arn:aws:secretsmanager:${region}:111111111111:secret:imported-${name.slice(-12)}`;
    }
    if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `${arg[0]}-${arg[1]}`.toLowerCase();
  }
  throw new Error(`environment value ${JSON.stringify(value)} is not resolved by the smoke test`);
}

/** Synthesises the app into `cdkOut` (bundling skipped: callers build each entry once themselves). */
export function appFunctions(cdkOut: string): AppFunctions {
  const { app } = buildApp({
    nag: false,
    appProps: { outdir: cdkOut, context: { 'aws:cdk:bundling-stacks': [] } },
  });
  const assembly = app.synth();
  const opsFunctions = app.node.findAll().filter((c): c is OpsFunction => c instanceof OpsFunction);
  const builds = new Map<string, BuildGroup>();
  const deployedByKey = new Map<string, Deployed>();
  for (const fn of opsFunctions) {
    const stack = Stack.of(fn);
    const template = (assembly.getStackArtifact(stack.artifactId) as CloudFormationStackArtifact)
      .template as { Resources: Record<string, Resource> };
    const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
    const props = template.Resources[logicalId]?.Properties ?? {};
    const runtime = String(props.Runtime);
    const buildKey = JSON.stringify({ runtime, bundling: fn.bundlingOptions });
    const group = builds.get(buildKey) ?? {
      bundling: fn.bundlingOptions,
      runtime,
      entries: new Set<string>(),
      firstUse: new Map<string, readonly string[]>(),
    };
    group.entries.add(fn.entryFile);
    const known = group.firstUse.get(fn.entryFile);
    if (known && JSON.stringify(known) !== JSON.stringify(fn.loadOnFirstUse)) {
      throw new Error(`${fn.entryFile} is deployed with different loadOnFirstUse lists`);
    }
    if (fn.loadOnFirstUse.length > 0) group.firstUse.set(fn.entryFile, fn.loadOnFirstUse);
    builds.set(buildKey, group);
    const variables =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, resolveValue(v, template.Resources, stack.region)]),
    );
    // Datadog's layer wraps the handler (DD_LAMBDA_HANDLER names ours); the layer is not ours to load.
    const handler = environment.DD_LAMBDA_HANDLER ?? String(props.Handler);
    const deployed: Deployed = {
      id: `${fn.node.path}`,
      path: fn.node.path,
      entry: fn.entryFile,
      buildKey,
      handler,
      runtime,
      region: stack.region,
      environment,
      functionName: typeof props.FunctionName === 'string' ? props.FunctionName : logicalId,
      memory: Number(props.MemorySize ?? 128),
      loadOnFirstUse: fn.loadOnFirstUse,
    };
    // One bundle with one handler loads the same way in every stage: keep one (the last stage
    // found: prod, where Datadog wraps the handler).
    deployedByKey.set(JSON.stringify([fn.entryFile, buildKey, handler]), deployed);
  }
  const deployed = [...deployedByKey.values()].sort((a, b) => a.id.localeCompare(b.id));
  const slug = (entry: string) => entry.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-');
  const keyIndex = (buildKey: string) => String([...builds.keys()].indexOf(buildKey));
  return {
    builds,
    deployed,
    bundleDir: (outDir, buildKey, entry) => join(outDir, keyIndex(buildKey), slug(entry)),
    // No splitting: each entry is bundled on its own, as a single-entry build would bundle it.
    buildAll: async (outDir) => {
      const results = await Promise.all(
        [...builds.entries()].map(([key, group]) => {
          const { options, outFile } = esbuildOptionsFor(group.bundling, group.runtime, REPO_ROOT);
          return build({
            ...options,
            entryPoints: [...group.entries].map((entry) => ({
              in: join(REPO_ROOT, entry),
              out: join(keyIndex(key), slug(entry), outFile.replace(/\.m?js$/, '')),
            })),
            outdir: outDir,
          });
        }),
      );
      const firstUse = await Promise.all(
        [...builds.entries()].flatMap(([key, group]) =>
          [...group.firstUse.entries()].map(([entry, modules]) =>
            buildFirstUse({
              bundling: group.bundling,
              runtime: group.runtime,
              projectRoot: REPO_ROOT,
              outputDir: join(outDir, keyIndex(key), slug(entry)),
              modules,
            }),
          ),
        ),
      );
      return [...results, ...firstUse];
    },
  };
}

export interface InvocationIds {
  readonly taskRoot: string;
  readonly accessKeyId: string;
  readonly requestId: string;
  /** Where every AWS client of the bundle sends its requests (`AWS_ENDPOINT_URL`). */
  readonly awsEndpoint: string;
}

/** The process environment of one invocation: what the Lambda runtime sets, then the function's own. */
export function lambdaEnvironment(d: Deployed, ids: InvocationIds): Record<string, string> {
  return {
    // What the Lambda runtime sets (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
    PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: ids.taskRoot,
    _HANDLER: d.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${d.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: d.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memory),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${d.functionName}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: d.region,
    AWS_DEFAULT_REGION: d.region,
    AWS_ACCESS_KEY_ID: ids.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'smoke-secret',
    AWS_SESSION_TOKEN: 'smoke-session',
    // Every AWS client of the bundle talks to the refusing stand-in.
    AWS_ENDPOINT_URL: ids.awsEndpoint,
    SMOKE_REQUEST_ID: ids.requestId,
    // The function's own variables, NODE_OPTIONS=--enable-source-maps among them.
    ...d.environment,
  };
}
