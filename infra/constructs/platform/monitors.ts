import { CfnResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type PlatformMonitorSpec, platformMonitorSpecs } from '../../../config/datadog-monitors.js';
import { datadogWiring, platformMonitorName } from '../../../config/datadog-wiring.js';
import type { StageConfig } from '../../../config/index.js';

export interface PlatformMonitorsProps {
  readonly stage: StageConfig;
}

/**
 * The platform's Datadog monitors (config/datadog-monitors.ts), one `Datadog::Monitors::Monitor` each:
 * Datadog's public CloudFormation registry type, as in the automation's observability construct (same
 * prerequisite: the type activated in the account and region, with its `DatadogCredentials`).
 *
 * Every message notifies the stage's webhook (`@webhook-ops-automation-<stage>`), so every alert reaches
 * the intake, which starts the monitor's `runbook:` or, for `runbook:notify-only`, tells people in
 * Slack; the stage's alert handles (`automation.alerting.datadogHandles`) are notified directly too, so a
 * person hears even when the automation is down.
 */
export class PlatformMonitors extends Construct {
  readonly monitors: Record<string, CfnResource> = {};

  constructor(scope: Construct, id: string, props: PlatformMonitorsProps) {
    super(scope, id);
    const { stage } = props;
    const wiring = datadogWiring(stage);
    const handles = [wiring.webhookMention, ...stage.automation.alerting.datadogHandles].join(' ');
    for (const spec of platformMonitorSpecs(stage)) {
      this.monitors[spec.key] = new CfnResource(this, spec.key, {
        type: 'Datadog::Monitors::Monitor',
        properties: this.properties(stage, spec, handles, wiring.monitorTags),
      });
    }
  }

  private properties(
    stage: StageConfig,
    spec: PlatformMonitorSpec,
    handles: string,
    commonTags: readonly string[],
  ): Record<string, unknown> {
    return {
      Name: platformMonitorName(stage.name, spec.title),
      Type: spec.type,
      Query: spec.query,
      Message: `${spec.message}\n\n${handles}`,
      Tags: [...spec.tags, ...commonTags, `stage:${stage.name}`],
      Priority: spec.priority,
      Options: {
        Thresholds: {
          Critical: spec.thresholds.critical,
          ...(spec.thresholds.warning === undefined ? {} : { Warning: spec.thresholds.warning }),
        },
        NotifyNoData: false,
        IncludeTags: true,
        RenotifyInterval: 120,
        // CloudWatch metrics reach Datadog minutes late: evaluate AWS metrics 15 minutes behind.
        ...(/\baws\./.test(spec.query) ? { EvaluationDelay: 900 } : {}),
      },
    };
  }
}
