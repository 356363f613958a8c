import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import { CONSOLE_SIGN_IN_RULE } from '../../events/patterns.js';
import { Canaries } from '../constructs/automation/canaries.js';
import { Hooks } from '../constructs/automation/hooks.js';
import { INTAKE_SERVICE, Intake } from '../constructs/automation/intake.js';
import { Observability } from '../constructs/automation/observability.js';
import { Reporting } from '../constructs/automation/reporting.js';
import { RunbookWorkflows } from '../constructs/automation/runbooks.js';
import { Schedules } from '../constructs/automation/schedules.js';
import { SlackEndpoint } from '../constructs/automation/slack.js';
import { Sweeps } from '../constructs/automation/sweeps.js';
import { globalForwardRuleName, needsGlobalForwarding } from './global-stack.js';
import type { PlatformStack } from './platform-stack.js';

export interface AutomationStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The platform this automation looks after (same stage, same account and region). */
  readonly platform: PlatformStack;
}

/**
 * The ops automation for one stage. Composes automation constructs only, in this order:
 *   1. reporting and audit (issue 7): the `report` hook every workflow calls, the audit store
 *   2. approvals (issue 5): the `approval` hook (Slack buttons for waitForTaskToken)
 *   3. runbook workflows (issues 3, 4, 6): name → state machine
 *   4. intake (issue 2): guard store, intake function, event rules + DLQs, kill switch
 *   5. Slack endpoint (issue 5), schedules
 *   6. observability attached after the fact (issue 7): alarms and monitors for everything above
 */
export class AutomationStack extends Stack {
  /** Resource-name prefix for this stage's automation: also what loop protection matches. */
  readonly namePrefix: string;
  readonly hooks: Hooks;
  readonly reporting: Reporting;
  readonly runbooks: RunbookWorkflows;
  readonly intake: Intake;
  readonly slack: SlackEndpoint;
  readonly canaries: Canaries;
  readonly sweeps: Sweeps;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id, props);
    this.namePrefix = `ops-${props.stage.name}`;
    const { stage, platform } = props;
    const forwardRule = needsGlobalForwarding(stage) ? globalForwardRuleName(stage) : undefined;

    // 1-2. Reporting, audit and approvals: the hooks every workflow calls.
    this.hooks = new Hooks(this, 'Hooks', { namePrefix: this.namePrefix });
    this.reporting = new Reporting(this, 'Reporting', {
      stage,
      namePrefix: this.namePrefix,
      logsBucket: platform.logsBucket,
    });
    this.reporting.bindReportHook(this.hooks.report);

    // 3. Runbook workflows.
    this.runbooks = new RunbookWorkflows(this, 'Runbooks', {
      stage,
      namePrefix: this.namePrefix,
      hooks: this.hooks,
      platform,
    });

    // 4. Intake: every event rule → guards → StartExecution on the runbooks' state machines.
    this.intake = new Intake(this, 'Intake', {
      stage,
      namePrefix: this.namePrefix,
      stateMachines: this.runbooks.stateMachines,
      // The us-east-1 forwarding rule's canary arrives the way forwarded sign-ins do.
      ...(forwardRule ? { forwardedCanaries: { [CONSOLE_SIGN_IN_RULE.name]: [forwardRule] } } : {}),
    });
    this.reporting.bindGuardStore(this.hooks.report, this.intake.table);
    // The intake's notify decisions (events and webhooks) go to Slack and Datadog.
    this.reporting.bindNotifier(this.intake.function);
    this.reporting.bindNotifier(this.intake.webhookFunction);

    // 5. Slack endpoint, schedules. 6. Observability.
    // Slack (issue 5): commands and approval buttons; runs start through the intake's guards.
    this.slack = new SlackEndpoint(this, 'Slack', {
      stage,
      namePrefix: this.namePrefix,
      approvalHook: this.hooks.approval,
      stateMachines: this.runbooks.stateMachines,
      guards: this.intake,
    });
    // Schedules (verify-backups daily) start through the intake's guards, like every other trigger.
    new Schedules(this, 'Schedules', {
      stage,
      namePrefix: this.namePrefix,
      intake: this.intake.function,
      deadLetterQueue: this.intake.deadLetterQueue,
    });
    // verify-backups' failure signals come back in through the intake's own rule for them
    // (events/patterns.ts BACKUP_VERIFICATION_RULE), like every other source.

    // Every intake rule proves it still delivers: a scheduled canary per rule, an alarm when it stops.
    this.canaries = new Canaries(this, 'Canaries', {
      namePrefix: this.namePrefix,
      rules: this.intake.rules,
      ruleSpecs: this.intake.ruleSpecs,
      intakeService: INTAKE_SERVICE,
      deadLetterQueue: this.intake.deadLetterQueue,
      ...(forwardRule ? { forwardedRules: [forwardRule] } : {}),
    });

    // Sweeps find what the rules may have missed and hand it to the same intake (issue 14).
    this.sweeps = new Sweeps(this, 'Sweeps', {
      stage,
      namePrefix: this.namePrefix,
      intake: this.intake.function,
      trailArns: [platform.trail.trailArn],
      vpcIds: [platform.vpc.vpcId],
      // The dns check: update-dns's allow-listed records in the platform's own zones, and the audit store.
      dns: {
        zones: stage.automation.allowLists.hostedZones.flatMap((allowed) => {
          const zone = [platform.publicZone, platform.privateZone].find(
            (z) => z?.zoneName === allowed.zoneName,
          );
          return zone
            ? [{ zoneName: allowed.zoneName, hostedZoneId: zone.hostedZoneId, records: allowed.records }]
            : [];
        }),
        auditTable: this.reporting.table,
        auditKey: this.reporting.key,
      },
      deadLetterQueue: this.intake.deadLetterQueue,
    });

    // 6. Observability, last: alarms and monitors for everything composed above.
    this.observability = new Observability(this, 'Observability', {
      stage,
      namePrefix: this.namePrefix,
      target: this,
    });
    this.canaries.routeAlarmsTo(this.observability.topic);
    this.sweeps.routeAlarmsTo(this.observability.topic);
  }
}
