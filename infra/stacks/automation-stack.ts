import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import type { PlatformStack } from './platform-stack.js';

export interface AutomationStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The platform this automation looks after (same stage, same account and region). */
  readonly platform: PlatformStack;
}

/**
 * The ops automation for one stage: intake, runbook workflows, Slack endpoint, reporting,
 * audit, schedules, alarms. Composes automation constructs only.
 */
export class AutomationStack extends Stack {
  constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id, props);
  }
}
