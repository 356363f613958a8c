import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import { GLOBAL_EVENTS_REGION, globalForwardingPattern } from '../../events/patterns.js';
import { CanarySender } from '../constructs/automation/canaries.js';

/** The us-east-1 forwarding rule of a stage: its name is also what its canary and alarm are keyed by. */
export function globalForwardRuleName(stage: StageConfig): string {
  return `ops-${stage.name}-global-forward`;
}

/** Whether a stage needs the `<stage>-global` stack: its region is not where global services' events arrive. */
export function needsGlobalForwarding(stage: StageConfig): boolean {
  return stage.region !== GLOBAL_EVENTS_REGION;
}

export interface GlobalEventsStackProps extends StackProps {
  readonly stage: StageConfig;
}

/**
 * `<stage>-global`, in us-east-1, for a stage in another region (issue 14). Global services deliver their
 * events to EventBridge in us-east-1 only (IAM calls; console sign-ins, mostly): one rule on the us-east-1
 * default bus matches the global-service alternatives of the intake's own rules (events/patterns.ts
 * `globalEventPatterns`) and forwards them to the stage region's default bus, where the intake's rules take
 * them like any other event. The forwarding role may only `events:PutEvents` on that one bus.
 *
 * The rule proves it is alive like the intake's rules: a canary scheduled here matches it (`$or`), is
 * forwarded, arrives through the stage's console sign-in rule, and the stage's alarm for this rule fires
 * when it stops arriving (automation stack, Canaries `forwardedRules`).
 */
export class GlobalEventsStack extends Stack {
  readonly rule: events.Rule;
  readonly role: iam.Role;
  readonly canaries: CanarySender;

  constructor(scope: Construct, id: string, props: GlobalEventsStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const ruleName = globalForwardRuleName(stage);
    const stageBusArn = this.formatArn({
      service: 'events',
      region: stage.region,
      account: stage.account,
      resource: 'event-bus',
      resourceName: 'default',
    });
    const stageBus = events.EventBus.fromEventBusArn(this, 'StageBus', stageBusArn);

    this.role = new iam.Role(this, 'ForwardRole', {
      roleName: `ops-${stage.name}-global-forward`,
      description: `EventBridge: forwards global-service events from ${GLOBAL_EVENTS_REGION} to the ${stage.name} bus in ${stage.region}`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stage.account } },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [stageBusArn] }),
    );

    this.rule = new events.Rule(this, 'Forward', {
      ruleName,
      description: `Global-service events (console sign-in, IAM) and this rule's canary → the ${stage.name} default bus in ${stage.region}`,
      // Replaced below by the `$or` pattern, which CDK's typed EventPattern cannot say.
      eventPattern: { source: ['aws.signin'] },
    });
    (this.rule.node.defaultChild as events.CfnRule).eventPattern = globalForwardingPattern(ruleName);
    this.rule.addTarget(new targets.EventBus(stageBus, { role: this.role }));

    this.canaries = new CanarySender(this, 'Canaries', {
      roleName: `ops-${stage.name}-global-canaries`,
      groupName: `ops-${stage.name}-canaries`,
      ruleNames: [ruleName],
    });
  }
}
