import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stageDefine } from '../../config/deployed.js';
import type { StageConfig } from '../../config/schema.js';
import { packageCopyAliases, preparePackageCopies, splitAlias } from '../bundling/package-aliases.js';
import { packageOf } from '../bundling/specifier.js';

/** Repository root, so entries can be given relative to it (`functions/intake/handler.ts`). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * esbuild settings every function shares: ESM, minified, tree-shaken, with the `require`
 * shim some SDK dependencies still need in ESM, and source maps for readable stack traces.
 * Measured in `npm run bench` against a naive CommonJS bundle of the same handler.
 */
export const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  banner: "import{createRequire}from'module';const require=createRequire(import.meta.url);",
  // Warnings and errors only: the per-file size table is noise in a synth (sizes are benchmarked).
  logLevel: nodejs.LogLevel.WARNING,
  // The runtime ships its own SDK, but a pinned, tree-shaken copy keeps behaviour identical to the tests.
  externalModules: [],
  // Packages replaced in every bundle (CDK passes each as `--alias:<package>=<file>`), each measured
  // in the cold-load bench (README "Benchmarks"):
  // - the Datadog client's `cross-fetch`: our fetch over node:https (functions/shared/https-fetch.ts;
  //   our configuration gives the client that fetch anyway), so node-fetch and its Unicode tables stay out;
  // - its `pako`: Node's zlib (functions/shared/pako-zlib.ts), for 48 KB of JavaScript zlib it loads
  //   and we never use;
  // - the SDK's credential chain: the environment provider (functions/shared/lambda-credentials.ts:
  //   a function's credentials are in its environment);
  // - each SDK client, and the Datadog client: rewritten copies (infra/bundling/package-aliases.ts),
  //   whose schemas esbuild can tree-shake and whose serializer requires only the models its APIs reach.
  esbuildArgs: {
    '--alias': [
      'cross-fetch=./functions/shared/https-fetch.ts',
      'pako=./functions/shared/pako-zlib.ts',
      '@aws-sdk/credential-provider-node=./functions/shared/lambda-credentials.ts',
      ...packageCopyAliases(REPO_ROOT),
    ],
  },
};

export interface OpsFunctionProps
  extends Omit<nodejs.NodejsFunctionProps, 'entry' | 'runtime' | 'architecture'> {
  /** Entry file relative to the repository root, e.g. `functions/intake/handler.ts`. */
  readonly entry: string;
  /** Powertools service name (logs, metrics namespace dimension). */
  readonly service: string;
  /** Log retention; defaults to three months. */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Modules the function's code loads with `import()` on first use, as it names them (e.g.
   * `mysql2/promise`): built beside the bundle, in the asset's `node_modules`, instead of inside it
   * (infra/bundling/first-use.ts), so a cold start that never needs them does not compile them.
   */
  readonly loadOnFirstUse?: readonly string[];
  /**
   * The stage whose configuration the function reads (`deployedStage`, config/deployed.ts): written
   * into its bundle as synth validated it, so a cold start neither builds the configuration schema
   * nor parses the configuration. Sets `STAGE` too.
   */
  readonly stage?: StageConfig;
}

/**
 * One customer-managed policy per stack for X-Ray writes: X-Ray's write actions support no
 * resource-level permissions, so this is the only `*` every function role carries, and it is
 * acknowledged here, once, rather than on each role's policy (where it could hide another `*`).
 */
export class XRayWritePolicy extends Construct {
  static of(scope: Construct): iam.ManagedPolicy {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('XRayWrite') as XRayWritePolicy | undefined;
    return (existing ?? new XRayWritePolicy(stack, 'XRayWrite')).policy;
  }

  readonly policy: iam.ManagedPolicy;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'X-Ray trace writes for ops-automation functions (no resource-level permissions exist)',
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}

/**
 * The one way this product defines a Lambda function: ARM64, Node 22 (the project's one pinned
 * Node version: `.nvmrc`, `engines`, CI and the Lambda runtime move together), X-Ray tracing, its own log group with retention and a role that may write only
 * to it (no AWS managed policy), JSON logs, source maps, Powertools configured by environment.
 */
export class OpsFunction extends nodejs.NodejsFunction {
  readonly logGroupRef: logs.LogGroup;
  /** Entry file relative to the repository root, as given (the bundle smoke test builds it again). */
  readonly entryFile: string;
  /** The esbuild options this function was bundled with (BUNDLING plus the function's own). */
  readonly bundlingOptions: nodejs.BundlingOptions;
  /** Modules built beside the bundle (`loadOnFirstUse`); the smoke test builds them too. */
  readonly loadOnFirstUse: readonly string[];

  constructor(scope: Construct, id: string, props: OpsFunctionProps) {
    // CDK bundles in the constructor: the package copies BUNDLING aliases must exist by then.
    preparePackageCopies(REPO_ROOT);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${id}`,
        managedPolicies: [XRayWritePolicy.of(scope)],
      });
    logGroup.grantWrite(role);
    const { entry, service, environment, bundling, loadOnFirstUse = [], stage, ...rest } = props;
    const merged: nodejs.BundlingOptions = {
      ...BUNDLING,
      ...bundling,
      ...(stage ? { define: { ...bundling?.define, ...stageDefine(stage) } } : {}),
    };
    const firstUse = new Set(loadOnFirstUse.map((specifier) => packageOf(specifier)));
    const bundlingOptions: nodejs.BundlingOptions =
      loadOnFirstUse.length === 0
        ? merged
        : {
            ...merged,
            externalModules: [...(merged.externalModules ?? []), ...firstUse],
            // esbuild applies an alias before it marks a package external: a first-use package keeps
            // its name in the bundle, and its build beside the bundle (first-use.ts) takes the alias.
            esbuildArgs: {
              ...merged.esbuildArgs,
              '--alias': withoutAliasesOf(merged.esbuildArgs?.['--alias'], firstUse),
            },
          };
    const runtime = lambda.Runtime.NODEJS_22_X;
    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(30),
      loggingFormat: lambda.LoggingFormat.JSON,
      ...rest,
      role,
      entry: path.join(REPO_ROOT, entry),
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime,
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      bundling:
        loadOnFirstUse.length === 0
          ? bundlingOptions
          : {
              ...bundlingOptions,
              commandHooks: firstUseHooks(bundlingOptions, runtime.name, loadOnFirstUse),
            },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'OpsAutomation',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(stage ? { STAGE: stage.name } : {}),
        ...environment,
      },
    });
    // Tracing is set on the resource directly: the `tracing` prop would add a second `*` X-Ray
    // statement to this role's own policy; the shared XRayWrite policy already grants it.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    Validations.of(this.node.defaultChild as lambda.CfnFunction).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the code is tested and benchmarked on Node 22 (.nvmrc, engines, CI), ' +
        'so the runtime it runs on is the one it was tested on; all of them move to the next LTS together.',
    });
    this.logGroupRef = logGroup;
    this.entryFile = entry;
    this.bundlingOptions = bundlingOptions;
    this.loadOnFirstUse = loadOnFirstUse;
  }
}

/** `--alias` values, less those replacing one of `packages`. */
function withoutAliasesOf(
  aliases: string | boolean | string[] | undefined,
  packages: ReadonlySet<string>,
): string[] {
  const all = Array.isArray(aliases) ? aliases : typeof aliases === 'string' ? [aliases] : [];
  return all.filter((alias) => !packages.has(splitAlias(alias).name));
}

/**
 * CDK's after-bundling step for `loadOnFirstUse`: the asset's `node_modules`, built by
 * infra/bundling/first-use-cli.ts under this Node through tsx (as synth itself runs). The spec
 * travels as base64url JSON, which a shell passes as it is.
 */
function firstUseHooks(
  bundling: nodejs.BundlingOptions,
  runtime: string,
  modules: readonly string[],
): nodejs.ICommandHooks {
  const spec = Buffer.from(JSON.stringify({ bundling, runtime, projectRoot: REPO_ROOT, modules })).toString(
    'base64url',
  );
  const tsx = import.meta.resolve('tsx');
  const cli = path.join(REPO_ROOT, 'infra', 'bundling', 'first-use-cli.ts');
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `"${process.execPath}" --import "${tsx}" "${cli}" ${spec} "${outputDir}"`,
    ],
  };
}

/**
 * What a VPC function's role needs for its network interfaces (Lambda creates and deletes them with
 * the function's role), scoped to this account and region, with the acknowledgements that name each
 * action. `DescribeNetworkInterfaces` has no resource-level permissions: the caller acknowledges its
 * role's `*` findings once, naming every action it grants there.
 */
export function grantVpcNetworkInterfaces(role: iam.Role, securityGroup: string): void {
  const { partition, region, account } = Stack.of(role);
  const actions = [
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ];
  role.addToPolicy(
    new iam.PolicyStatement({
      actions,
      resources: [
        `arn:${partition}:ec2:${region}:${account}:network-interface/*`,
        `arn:${partition}:ec2:${region}:${account}:subnet/*`,
        `arn:${partition}:ec2:${region}:${account}:security-group/*`,
      ],
    }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }));
  const named = `${actions.slice(0, -1).join(', ')} and ${actions.at(-1)}`;
  const ack = (resource: string, reason: string) =>
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${account}:${resource}/*]`,
      reason,
    });
  ack(
    'network-interface',
    `Lambda manages the VPC function’s network interfaces with the function role (${named}); their ids are not known in advance.`,
  );
  ack(
    'subnet',
    `${named} are authorised on the subnet too; the private subnets are chosen by Lambda at run time.`,
  );
  ack('security-group', `${named} are authorised on the security group too (${securityGroup}).`);
}
