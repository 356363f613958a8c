/**
 * What an app of your own imports to hold the ops automation (README "Adopting it: whole platform or
 * automation only"; examples/existing-cluster): the construct, the references it takes, the stage
 * configuration it is driven by, and the cdk-nag checks our own stages run.
 */
export { ConfigError, parseStage, type StageConfig, type StageConfigInput } from '../config/index.js';
export {
  OpsAutomation,
  type OpsAutomationProps,
  type OpsDatabaseRefs,
  type OpsPlatformRefs,
} from './constructs/automation/ops-automation.js';
export { PlatformChecks } from './constructs/platform/checks.js';
export { FEATURE_FLAGS } from './feature-flags.js';
