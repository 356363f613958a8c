import type { StageConfig } from '../../config/index.js';
import { type RunbookWorkflowPlugin, stepFunction } from '../build.js';
import type { GuardrailSettings } from './logic.js';
import { hasGuardrails, RestoreGuardrailWorkflow } from './workflow.js';

/** Where the step handler lives, relative to the repository root (what OpsFunction bundles). */
export const RESTORE_GUARDRAIL_STEPS_ENTRY = 'runbooks/restore-guardrail/steps/handler.ts';

/** What the runbook needs from the platform: the stage VPC's flow log as deployed (absent: not restored). */
export interface GuardrailPlatform {
  readonly network?: {
    readonly vpc: { readonly vpcId: string };
    readonly flowLogGroup: { readonly logGroupName: string };
    readonly flowLog: { readonly iamRole?: { readonly roleArn: string } };
  };
}

/** The settings the workflow bakes in, from the stage's config and the platform. */
export function guardrailSettings(stage: StageConfig, platform: GuardrailPlatform): GuardrailSettings {
  const cfg = stage.automation.restoreGuardrail;
  const net = platform.network;
  return {
    trails: cfg.trails,
    flowLogs: cfg.flowLogs,
    buckets: cfg.buckets,
    securityGroups: cfg.securityGroups,
    snapshotOwners: cfg.snapshotOwners,
    trustedAccounts: cfg.trustedAccounts,
    optInTag: stage.automation.optInTag,
    ...(cfg.flowLogs && net?.flowLog.iamRole
      ? {
          flowLog: {
            vpcId: net.vpc.vpcId,
            logGroupName: net.flowLogGroup.logGroupName,
            deliverLogsPermissionArn: net.flowLog.iamRole.roleArn,
            // The platform's flow log captures ALL traffic (infra/constructs/platform/network.ts).
            trafficType: 'ALL' as const,
          },
        }
      : {}),
  };
}

/** restore-guardrail's infra: its step function and state machine; none when the stage configures nothing. */
export const restoreGuardrailWorkflow: RunbookWorkflowPlugin = {
  name: 'restore-guardrail',
  build(scope, ctx) {
    const settings = guardrailSettings(ctx.stage, ctx.platform);
    if (!hasGuardrails(settings, settings.flowLog?.deliverLogsPermissionArn)) return undefined;
    const steps = stepFunction(scope, ctx, 'RestoreGuardrailSteps', {
      name: `${ctx.namePrefix}-restore-guardrail-steps`,
      entry: RESTORE_GUARDRAIL_STEPS_ENTRY,
      service: 'restore-guardrail',
    });
    const wf = new RestoreGuardrailWorkflow(scope, 'RestoreGuardrail', {
      namePrefix: ctx.namePrefix,
      hooks: ctx.hooks,
      stepFunction: steps,
      settings,
      ...(settings.flowLog ? { flowLogRoleArn: settings.flowLog.deliverLogsPermissionArn } : {}),
      approvalTimeout: ctx.approvalTimeout,
    });
    return wf.stateMachine;
  },
};
