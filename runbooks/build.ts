import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/index.js';
import type { WorkflowHooks } from './workflow-kit.js';

/**
 * The CDK side of a runbook plugin: what `infra/` hands every runbook's `build` (its workflow
 * construct, its Lambda steps, the IAM it needs from config), and what each `workflow.ts` exports.
 * CDK only: imported by `workflow.ts` files and `infra/`, never by Lambda code.
 *
 * The context carries the shared mechanisms as values (the product's one way to define a Lambda,
 * the platform's resources) so a runbook folder never imports `infra/`: arrows point down only.
 */

/** What a runbook may use of the platform it looks after. Our `PlatformStack` provides all of it. */
export interface RunbookPlatform {
  readonly vpc?: ec2.IVpc;
  readonly publicZone?: route53.IHostedZone;
  readonly privateZone?: route53.IHostedZone;
  /**
   * Hosted zones a runbook may change records in, any number (`OpsAutomation`'s `zones`). Absent:
   * the platform stack's public and private zones are those.
   */
  readonly zones?: readonly route53.IHostedZone[];
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;
  readonly masterSecret?: secretsmanager.ISecret;
  readonly appUserSecret?: secretsmanager.ISecret;
  readonly backupBucket: s3.IBucket;
  readonly veleroBucket: s3.IBucket;
  readonly dataKey: kms.IKey;
  /** The stage VPC's flow log as deployed (a runbook may recreate it when it is deleted). */
  readonly network?: {
    readonly vpc: { readonly vpcId: string };
    readonly flowLogGroup: { readonly logGroupName: string };
    readonly flowLog: { readonly iamRole?: { readonly roleArn: string } };
  };
  /** Exports a platform value under a name of ours (the name is what cdk-nag shows for it). */
  exportValue(value: string, options: { readonly name: string }): string;
}

/** A runbook Lambda's definition: infra's `OpsFunctionProps` (entry relative to the repository root). */
export interface RunbookFunctionProps
  extends Omit<nodejs.NodejsFunctionProps, 'entry' | 'runtime' | 'architecture'> {
  readonly entry: string;
  /** Powertools service name. */
  readonly service: string;
  readonly logRetention?: logs.RetentionDays;
  /** Modules the code loads with `import()` on first use, built beside its bundle (infra/bundling/first-use.ts). */
  readonly loadOnFirstUse?: readonly string[];
}

/** The product's one way to define a Lambda and its role's shared grants (infra/constructs/ops-function.ts). */
export interface FunctionFactory {
  create(scope: Construct, id: string, props: RunbookFunctionProps): lambda.Function;
  /** The stack's one X-Ray write policy (its `*` acknowledged once). */
  xrayWritePolicy(scope: Construct): iam.IManagedPolicy;
  /** What a VPC function's role needs for its network interfaces, with the acknowledgements naming each action. */
  grantVpcNetworkInterfaces(role: iam.Role, securityGroup: string): void;
}

export interface RunbookBuildContext {
  readonly stage: StageConfig;
  /** Resource-name prefix, e.g. `ops-dev`: every function and role name starts with it (loop protection). */
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly approvalTimeout: Duration;
  readonly platform: RunbookPlatform;
  readonly functions: FunctionFactory;
  /** The one in-VPC Kubernetes access function, when the stage has a cluster. */
  readonly kube?: { readonly function: lambda.IFunction; readonly restoreNamespacePrefix: string };
  /** The name of a platform bucket's replica in the stage's DR region; absent without a DR region. */
  readonly drBucketName?: (purpose: 'velero' | 'backups') => string;
  /** The intake function's ARN (named by the `ops-<stage>-intake` contract; built after the runbooks). */
  readonly intakeFunctionArn: string;
}

/**
 * A runbook construct with alarms of its own (e.g. the backup verification's "last verified
 * restore"): infra routes them to the stage's alarm topic, which exists only after the runbooks.
 */
export interface AlarmSource {
  routeAlarmsTo(topic: sns.ITopic): void;
}

/**
 * What a runbook may do through the one in-VPC Kubernetes function: its part of that function's
 * allow-list and RBAC (infra/constructs/automation/kube-access.ts), from the stage's configuration.
 * Infra takes the union over the registered runbooks; the function refuses anything else.
 */
export interface RunbookKubeAccess {
  /** Workloads it may restart (`<namespace>/<kind>/<name>`): get + patch on exactly these. */
  readonly restartWorkloads?: readonly string[];
  /** Scratch namespaces it restores into (names starting with the restore prefix). */
  readonly scratchNamespaces?: readonly string[];
  /** Services in those scratch namespaces it may GET through the API server's proxy (`<ns>/<svc>:<port>`). */
  readonly scratchProbes?: readonly string[];
}

/** A runbook's CDK side: `build` adds its constructs under `scope` and returns its state machine. */
export interface RunbookWorkflowPlugin {
  /** The registry name of the runbook (runbooks/registry.ts). */
  readonly name: string;
  /** Returns undefined when the stage configures nothing for it (e.g. an empty allow-list). */
  build(scope: Construct, ctx: RunbookBuildContext): sfn.StateMachine | undefined;
  /**
   * Its needs of the in-VPC Kubernetes function, for this stage (none when absent). Called before
   * any `build`, with the prefix every scratch namespace of a restore test must start with.
   */
  kubeAccess?(stage: StageConfig, restoreNamespacePrefix: string): RunbookKubeAccess;
}

/**
 * A runbook's step function with its own role, named `name` (under the automation prefix: the
 * intake's loop protection recognises it), a 60-second timeout and the shared X-Ray policy.
 * Construct ids: `<id>` for the function, `<id>Role` for its role.
 */
export function stepFunction(
  scope: Construct,
  ctx: RunbookBuildContext,
  id: string,
  props: {
    readonly name: string;
    readonly entry: string;
    readonly service: string;
  } & Partial<RunbookFunctionProps>,
): lambda.Function {
  const { name, ...rest } = props;
  const role = new iam.Role(scope, `${id}Role`, {
    roleName: name,
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${name}`,
    managedPolicies: [ctx.functions.xrayWritePolicy(scope)],
  });
  return ctx.functions.create(scope, id, {
    functionName: name,
    role,
    timeout: Duration.seconds(60),
    ...rest,
  });
}
