import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import type { AlarmSource, FunctionFactory, RunbookBuildContext } from '../../../runbooks/build.js';
import type { WorkflowHooks } from '../../../runbooks/workflow-kit.js';
import type { PlatformStack } from '../../stacks/platform-stack.js';
import { grantVpcNetworkInterfaces, OpsFunction, XRayWritePolicy } from '../ops-function.js';
import { drBucketName } from '../platform/dr-names.js';
import { KubeAccess, RESTORE_NAMESPACE_PREFIX } from './kube-access.js';
import { type LoadedRunbook, SHIPPED_RUNBOOKS } from './runbook-loader.js';

export interface RunbookWorkflowsProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly platform: PlatformStack;
  /**
   * The runbooks to build, in order, each with its CDK side (default: the registry, loaded by
   * convention from each runbook's folder, runbook-loader.ts). A test may add a fixture runbook.
   */
  readonly runbooks?: readonly LoadedRunbook[];
}

/** The product's one way to define a Lambda, handed to every runbook's `build` (runbooks/build.ts). */
export const OPS_FUNCTIONS: FunctionFactory = {
  create: (scope, id, props) => new OpsFunction(scope, id, props),
  xrayWritePolicy: (scope) => XRayWritePolicy.of(scope),
  grantVpcNetworkInterfaces,
};

/**
 * Builds every runbook of the registry for one stage by calling its plugin's `build` (each runbook
 * folder holds its own workflow, step functions and least-privilege IAM, from the stage's
 * configuration); `stateMachines` maps runbook name → state machine for the intake, the Slack
 * endpoint and the schedules. No runbook has a block of its own here.
 */
export class RunbookWorkflows extends Construct {
  readonly stateMachines: Record<string, sfn.StateMachine> = {};
  private kubeAccess?: KubeAccess;

  /** The one in-VPC path to the Kubernetes API every runbook's Kubernetes action takes. */
  get kube(): KubeAccess | undefined {
    return this.kubeAccess;
  }

  constructor(scope: Construct, id: string, props: RunbookWorkflowsProps) {
    super(scope, id);
    const { stage, namePrefix, hooks, platform } = props;

    // Kubernetes access (issue 13): one function in the cluster VPC, its access entry and RBAC,
    // shared by every runbook; its allow-list is the union of what each registered runbook declares
    // (`kubeAccess` of its CDK side) plus the platform's namespaces. Built when the first runbook
    // asks for it (so the construct order, hence the template, stays as it was), and in any case
    // for a stage with a cluster.
    const runbooks = props.runbooks ?? SHIPPED_RUNBOOKS;
    const needs = runbooks.map(
      ({ workflow }) => workflow.kubeAccess?.(stage, RESTORE_NAMESPACE_PREFIX) ?? {},
    );
    const scratchNamespaces = needs.flatMap((n) => n.scratchNamespaces ?? []);
    const scratchProbes = needs.flatMap((n) => n.scratchProbes ?? []);
    const kubeOnce = (): KubeAccess | undefined => {
      if (this.kubeAccess || !platform.cluster || !platform.vpc) return this.kubeAccess;
      this.kubeAccess = new KubeAccess(this, 'Kube', {
        namePrefix,
        cluster: platform.cluster,
        vpc: platform.vpc,
        settings: {
          restartWorkloads: [...new Set(needs.flatMap((n) => n.restartWorkloads ?? []))].sort(),
          veleroNamespace: stage.platform.eks.charts.velero?.namespace ?? 'velero',
          restoreNamespacePrefix: RESTORE_NAMESPACE_PREFIX,
          ...(scratchNamespaces.length > 0 ? { scratchNamespaces } : {}),
          ...(scratchProbes.length > 0 ? { scratchProbes } : {}),
          autoscalerNamespace: stage.platform.eks.charts.clusterAutoscaler?.namespace ?? 'kube-system',
          // The node-groups sweep's evidence of unschedulable pods (Events, `list` in these namespaces only).
          eventNamespaces: stage.automation.sweeps.disabled.includes('node-groups')
            ? []
            : [...stage.automation.sweeps.workloadNamespaces],
        },
      });
      return this.kubeAccess;
    };

    const ctx: RunbookBuildContext = {
      stage,
      namePrefix,
      hooks,
      approvalTimeout: Duration.minutes(stage.automation.slack.approvalTimeoutMinutes),
      platform,
      functions: OPS_FUNCTIONS,
      ...(stage.drRegion
        ? {
            drBucketName: (purpose: 'velero' | 'backups') =>
              drBucketName(
                { stageName: stage.name, account: stage.account, drRegion: stage.drRegion as string },
                purpose,
              ),
          }
        : {}),
      get kube() {
        const kube = kubeOnce();
        return kube
          ? { function: kube.function, restoreNamespacePrefix: RESTORE_NAMESPACE_PREFIX }
          : undefined;
      },
      // Named by the cross-team contract (functions `ops-<stage>-<purpose>`); the intake is built after the runbooks.
      intakeFunctionArn: Stack.of(this).formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: `${namePrefix}-intake`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    };

    // Built in registry order (construct order fixes the order of resources such as metric filters).
    for (const { workflow } of runbooks) {
      const stateMachine = workflow.build(this, ctx);
      if (stateMachine) this.stateMachines[workflow.name] = stateMachine;
    }
    kubeOnce();
  }

  /** Routes every runbook's own alarms (constructs implementing `AlarmSource`) to the stage's alarm topic. */
  routeAlarmsTo(topic: sns.ITopic): void {
    for (const c of this.node.findAll()) {
      const source = c as Construct & Partial<AlarmSource>;
      if (c !== this && typeof source.routeAlarmsTo === 'function') source.routeAlarmsTo(topic);
    }
  }
}
