import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import type { Canaries } from '../constructs/automation/canaries.js';
import type { Hooks } from '../constructs/automation/hooks.js';
import type { Intake } from '../constructs/automation/intake.js';
import type { Observability } from '../constructs/automation/observability.js';
import { OpsAutomation } from '../constructs/automation/ops-automation.js';
import type { Reporting } from '../constructs/automation/reporting.js';
import type { RunbookWorkflows } from '../constructs/automation/runbooks.js';
import type { SlackEndpoint } from '../constructs/automation/slack.js';
import type { Sweeps } from '../constructs/automation/sweeps.js';
import { globalForwardRuleName, needsGlobalForwarding } from './global-stack.js';
import type { PlatformStack } from './platform-stack.js';

export interface AutomationStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The platform this automation looks after (same stage, same account and region). */
  readonly platform: PlatformStack;
}

/**
 * The ops automation for one stage, next to our own platform: the `OpsAutomation` construct,
 * given the PlatformStack's resources as references, exactly as another team's app gives its own
 * (examples/existing-cluster). The construct's id is `Default`, which CloudFormation logical ids
 * leave out, so the automation's resources keep the logical ids they had when this stack held them.
 */
export class AutomationStack extends Stack {
  readonly ops: OpsAutomation;

  constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id, props);
    const { stage, platform } = props;
    this.ops = new OpsAutomation(this, 'Default', {
      stage,
      vpc: platform.vpc,
      cluster: platform.cluster,
      zones: [platform.publicZone, platform.privateZone],
      accessLogsBucket: platform.logsBucket,
      backupBucket: platform.backupBucket,
      veleroBucket: platform.veleroBucket,
      dataKey: platform.dataKey,
      trailArns: [platform.trail.trailArn],
      ...(platform.network.flowLog.iamRole
        ? {
            flowLogs: {
              logGroupName: platform.network.flowLogGroup.logGroupName,
              deliverLogsRoleArn: platform.network.flowLog.iamRole.roleArn,
            },
          }
        : {}),
      database: {
        masterSecret: platform.masterSecret,
        appUserSecret: platform.appUserSecret,
        securityGroup: platform.databaseSecurityGroup,
      },
      ...(needsGlobalForwarding(stage) ? { globalForwardRuleName: globalForwardRuleName(stage) } : {}),
    });
  }

  /** Resource-name prefix for this stage's automation: also what loop protection matches. */
  get namePrefix(): string {
    return this.ops.namePrefix;
  }
  get hooks(): Hooks {
    return this.ops.hooks;
  }
  get reporting(): Reporting {
    return this.ops.reporting;
  }
  get runbooks(): RunbookWorkflows {
    return this.ops.runbooks;
  }
  get intake(): Intake {
    return this.ops.intake;
  }
  get slack(): SlackEndpoint {
    return this.ops.slack;
  }
  get canaries(): Canaries {
    return this.ops.canaries;
  }
  get sweeps(): Sweeps {
    return this.ops.sweeps;
  }
  get observability(): Observability {
    return this.ops.observability;
  }
}
