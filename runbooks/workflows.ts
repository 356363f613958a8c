import type { RunbookWorkflowPlugin } from './build.js';
import { restoreGuardrailWorkflow } from './restore-guardrail/infra.js';
import { rotateSecretWorkflow } from './rotate-secret/infra.js';
import { scaleNodeGroupWorkflow } from './scale-node-group/workflow.js';
import { snapshotVolumeWorkflow } from './snapshot-volume/workflow.js';
import { updateDnsWorkflow } from './update-dns/workflow.js';
import { verifyBackupsWorkflow } from './verify-backups/infra.js';

export type { RunbookBuildContext, RunbookWorkflowPlugin } from './build.js';

/**
 * The CDK side of the registry (runbooks/registry.ts is the pure side): each runbook's `build`, by
 * name, in the order infra builds them (kept as the stacks were first deployed); infra refuses to synthesise a runbook
 * without its workflow (or a workflow without its runbook). Kept apart so Lambda bundles never see
 * aws-cdk-lib.
 */
export const RUNBOOK_WORKFLOWS: readonly RunbookWorkflowPlugin[] = [
  snapshotVolumeWorkflow,
  scaleNodeGroupWorkflow,
  updateDnsWorkflow,
  restoreGuardrailWorkflow,
  rotateSecretWorkflow,
  verifyBackupsWorkflow,
];
