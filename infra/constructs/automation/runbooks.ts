import { Annotations, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import { buildRestoreGuardrail } from '../../../runbooks/restore-guardrail/infra.js';
import { ScaleNodeGroupWorkflow } from '../../../runbooks/scale-node-group/workflow.js';
import { SnapshotVolumeWorkflow } from '../../../runbooks/snapshot-volume/workflow.js';
import { UpdateDnsWorkflow } from '../../../runbooks/update-dns/workflow.js';
import type { WorkflowHooks } from '../../../runbooks/workflow-kit.js';
import type { PlatformStack } from '../../stacks/platform-stack.js';
import { OpsFunction, XRayWritePolicy } from '../ops-function.js';
import { KubeAccess, RESTORE_NAMESPACE_PREFIX } from './kube-access.js';
import { RotateSecretInfra } from './rotation.js';
import { VerifyBackupsInfra } from './verify-backups.js';

export interface RunbookWorkflowsProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly platform: PlatformStack;
}

/**
 * Builds every runbook's state machine for one stage, each with its own least-privilege role,
 * from the stage's allow-lists. One block per runbook; `stateMachines` maps runbook name →
 * state machine for the intake, the Slack endpoint and the schedules.
 */
export class RunbookWorkflows extends Construct {
  readonly stateMachines: Record<string, sfn.StateMachine> = {};
  /** The one in-VPC path to the Kubernetes API every runbook's Kubernetes action takes. */
  readonly kube?: KubeAccess;

  constructor(scope: Construct, id: string, props: RunbookWorkflowsProps) {
    super(scope, id);
    void props;
    // Each runbook adds its block here: build its step function(s) with OpsFunction, its workflow
    // construct from runbooks/<name>/workflow.ts, then `this.stateMachines['<name>'] = wf.stateMachine`.
    const { stage, namePrefix, hooks, platform } = props;
    const approvalTimeout = Duration.minutes(stage.automation.slack.approvalTimeoutMinutes);

    // snapshot-volume (issue 3): volumes carrying the protected / opt-in tag, or PVCs of allowed namespaces.
    {
      const volumes = stage.automation.allowLists.volumes;
      const steps = this.stepFunction(
        'SnapshotVolumeSteps',
        `${namePrefix}-snapshot-volume-steps`,
        'snapshot-volume',
      );
      const wf = new SnapshotVolumeWorkflow(this, 'SnapshotVolume', {
        namePrefix,
        hooks,
        stepFunction: steps,
        settings: {
          region: stage.region,
          createdBy: namePrefix,
          protectedTag: volumes.protectedTag,
          optInTag: stage.automation.optInTag,
          pvcNamespaces: volumes.pvcNamespaces,
          keepLast: volumes.keepLast,
          maxAgeDays: volumes.maxAgeDays,
        },
        ...(stage.drRegion
          ? {
              dr: {
                region: stage.drRegion,
                ...(volumes.drKmsKeyAlias ? { kmsKeyAlias: volumes.drKmsKeyAlias } : {}),
              },
            }
          : {}),
        approvalTimeout,
      });
      this.stateMachines['snapshot-volume'] = wf.stateMachine;
    }

    // scale-node-group (issue 3): allow-listed node groups, sizes recorded in the platform's SSM parameters.
    if (stage.automation.allowLists.nodeGroups.length > 0) {
      const steps = this.stepFunction(
        'ScaleNodeGroupSteps',
        `${namePrefix}-scale-node-group-steps`,
        'scale-node-group',
      );
      const wf = new ScaleNodeGroupWorkflow(this, 'ScaleNodeGroup', {
        namePrefix,
        stage: stage.name,
        hooks,
        stepFunction: steps,
        nodeGroups: stage.automation.allowLists.nodeGroups,
        sizeParameterPrefix: `/ops/${stage.name}/nodegroups`,
        // Named by the cross-team contract (functions `ops-<stage>-<purpose>`); the intake is built after the runbooks.
        intakeFunctionArn: Stack.of(this).formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: `${namePrefix}-intake`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        approvalTimeout,
      });
      this.stateMachines['scale-node-group'] = wf.stateMachine;
    }

    // update-dns (issue 3): allow-listed records of the platform's own zones (ids resolved from the platform stack).
    {
      const platformZones = [platform.publicZone, platform.privateZone].filter(Boolean);
      const zones = stage.automation.allowLists.hostedZones.flatMap((allowed) => {
        const zone = platformZones.find((z) => z.zoneName === allowed.zoneName);
        if (!zone) {
          Annotations.of(this).addWarningV2(
            'ops:update-dns-zone',
            `update-dns: allow-listed zone ${allowed.zoneName} is not one of the platform's zones; skipped (its id is unknown at synth).`,
          );
          return [];
        }
        return [{ ...allowed, hostedZoneId: zone.hostedZoneId }];
      });
      if (zones.length > 0) {
        const steps = this.stepFunction('UpdateDnsSteps', `${namePrefix}-update-dns-steps`, 'update-dns');
        const wf = new UpdateDnsWorkflow(this, 'UpdateDns', {
          namePrefix,
          hooks,
          stepFunction: steps,
          zones,
          loadBalancerPrefix: stage.automation.ingressLoadBalancerPrefix,
          approvalTimeout,
        });
        this.stateMachines['update-dns'] = wf.stateMachine;
      }
    }

    // restore-guardrail (issue 14): the runbook builds itself (runbooks/restore-guardrail/infra.ts).
    {
      const sm = buildRestoreGuardrail(this, {
        stage,
        namePrefix,
        hooks,
        approvalTimeout,
        platform,
        stepFunction: (id, name, entry) => this.stepFunction(id, name, 'restore-guardrail', entry),
      });
      if (sm) this.stateMachines['restore-guardrail'] = sm;
    }

    // Kubernetes access (issue 13): one function in the cluster VPC, its access entry and RBAC, for every runbook.
    if (platform.cluster && platform.vpc) {
      const veleroRestore = stage.automation.backupVerification.velero.restoreTest;
      this.kube = new KubeAccess(this, 'Kube', {
        namePrefix,
        cluster: platform.cluster,
        vpc: platform.vpc,
        settings: {
          restartWorkloads: [
            ...new Set(stage.automation.allowLists.secrets.flatMap((s) => s.restartWorkloads)),
          ].sort(),
          veleroNamespace: stage.platform.eks.charts.velero?.namespace ?? 'velero',
          restoreNamespacePrefix: RESTORE_NAMESPACE_PREFIX,
          ...(veleroRestore.enabled && veleroRestore.namespaces.length > 0
            ? {
                scratchNamespaces: veleroRestore.namespaces.map(
                  (n) => `${RESTORE_NAMESPACE_PREFIX}${n.namespace}`,
                ),
                // The readiness probes' Services (`<scratch>/<service>:<port>`), when any is configured.
                ...(veleroRestore.namespaces.some((n) => n.probe)
                  ? {
                      scratchProbes: veleroRestore.namespaces.flatMap((n) =>
                        n.probe
                          ? [`${RESTORE_NAMESPACE_PREFIX}${n.namespace}/${n.probe.service}:${n.probe.port}`]
                          : [],
                      ),
                    }
                  : {}),
              }
            : {}),
          autoscalerNamespace: stage.platform.eks.charts.clusterAutoscaler?.namespace ?? 'kube-system',
          // The node-groups sweep's evidence of unschedulable pods (Events, `list` in these namespaces only).
          eventNamespaces: stage.automation.sweeps.disabled.includes('node-groups')
            ? []
            : [...stage.automation.sweeps.workloadNamespaces],
        },
      });
    }

    // rotate-secret (issue 4): one rotation function + schedule per allow-listed secret, and the runbook driving them.
    if (stage.automation.allowLists.secrets.length > 0) {
      const rs = new RotateSecretInfra(this, 'RotateSecret', {
        stage,
        namePrefix,
        hooks,
        platform,
        approvalTimeout,
        ...(this.kube ? { kubeFunction: this.kube.function } : {}),
      });
      this.stateMachines['rotate-secret'] = rs.stateMachine;
    }

    // verify-backups (issue 6): daily proof that every backup exists, is fresh, encrypted, copied and restorable.
    {
      const vb = new VerifyBackupsInfra(this, 'VerifyBackups', {
        stage,
        namePrefix,
        hooks,
        platform,
        approvalTimeout,
        ...(this.kube ? { kubeFunction: this.kube.function } : {}),
      });
      this.stateMachines['verify-backups'] = vb.stateMachine;
    }
  }

  /** A runbook's step function, with a role named under the automation prefix (loop protection). */
  private stepFunction(
    id: string,
    name: string,
    service: string,
    entry = `functions/steps/${service}/handler.ts`,
  ): OpsFunction {
    const role = new iam.Role(this, `${id}Role`, {
      roleName: name,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name}`,
      managedPolicies: [XRayWritePolicy.of(this)],
    });
    return new OpsFunction(this, id, {
      entry,
      service,
      functionName: name,
      role,
      timeout: Duration.seconds(60),
    });
  }
}
