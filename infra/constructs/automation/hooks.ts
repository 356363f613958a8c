import { Construct } from 'constructs';
import type { StageConfig } from '../../../config/schema.js';
import type { WorkflowHooks } from '../../../runbooks/workflow-kit.js';
import { OpsFunction } from '../ops-function.js';

export interface HooksProps {
  readonly namePrefix: string;
  /** The stage both read their configuration from (written into their bundles, `OpsFunction`'s `stage`). */
  readonly stage: StageConfig;
  readonly environment?: Record<string, string>;
}

/**
 * The two functions every runbook workflow calls: `report` (Slack message, Datadog event,
 * audit record for each phase of a run) and `approval` (Slack Approve / Reject buttons for a
 * waitForTaskToken step). Their permissions are granted by the reporting and Slack constructs.
 */
export class Hooks extends Construct implements WorkflowHooks {
  readonly report: OpsFunction;
  readonly approval: OpsFunction;

  constructor(scope: Construct, id: string, props: HooksProps) {
    super(scope, id);
    this.report = new OpsFunction(this, 'Report', {
      entry: 'functions/report/handler.ts',
      service: 'report',
      functionName: `${props.namePrefix}-report`,
      stage: props.stage,
      environment: props.environment,
    });
    this.approval = new OpsFunction(this, 'Approval', {
      entry: 'functions/approval/handler.ts',
      service: 'approval',
      functionName: `${props.namePrefix}-approval`,
      stage: props.stage,
      environment: props.environment,
    });
  }
}
