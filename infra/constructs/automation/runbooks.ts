import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import type { WorkflowHooks } from '../../../runbooks/workflow-kit.js';
import type { PlatformStack } from '../../stacks/platform-stack.js';

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

  constructor(scope: Construct, id: string, props: RunbookWorkflowsProps) {
    super(scope, id);
    void props;
    // Each runbook adds its block here: build its step function(s) with OpsFunction, its workflow
    // construct from runbooks/<name>/workflow.ts, then `this.stateMachines['<name>'] = wf.stateMachine`.
  }
}
