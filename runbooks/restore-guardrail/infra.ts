import type { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import type { WorkflowHooks } from '../workflow-kit.js';
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

/** What infra hands every runbook's builder (the plugin shape): the stage, names, hooks, and a step-function factory. */
export interface RunbookBuildContext {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly approvalTimeout: Duration;
  readonly platform: GuardrailPlatform;
  /** Builds a runbook step Lambda (OpsFunction, role under the automation prefix) from an entry file. */
  readonly stepFunction: (id: string, functionName: string, entry: string) => lambda.IFunction;
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

/** Builds restore-guardrail's step function and state machine for one stage; none when nothing is configured. */
export function buildRestoreGuardrail(
  scope: Construct,
  ctx: RunbookBuildContext,
): sfn.StateMachine | undefined {
  const settings = guardrailSettings(ctx.stage, ctx.platform);
  if (!hasGuardrails(settings, settings.flowLog?.deliverLogsPermissionArn)) return undefined;
  const steps = ctx.stepFunction(
    'RestoreGuardrailSteps',
    `${ctx.namePrefix}-restore-guardrail-steps`,
    RESTORE_GUARDRAIL_STEPS_ENTRY,
  );
  const wf = new RestoreGuardrailWorkflow(scope, 'RestoreGuardrail', {
    namePrefix: ctx.namePrefix,
    hooks: ctx.hooks,
    stepFunction: steps,
    settings,
    ...(settings.flowLog ? { flowLogRoleArn: settings.flowLog.deliverLogsPermissionArn } : {}),
    approvalTimeout: ctx.approvalTimeout,
  });
  return wf.stateMachine;
}
