import { type ExportValueOptions, Reference, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type { StageConfig } from '../../../config/index.js';
import { CONSOLE_SIGN_IN_RULE } from '../../../events/patterns.js';
import type { PlatformStack } from '../../stacks/platform-stack.js';
import { Canaries } from './canaries.js';
import { Hooks } from './hooks.js';
import { INTAKE_SERVICE, Intake } from './intake.js';
import { Observability } from './observability.js';
import { Reporting } from './reporting.js';
import { RunbookWorkflows } from './runbooks.js';
import { Schedules } from './schedules.js';
import { SlackEndpoint } from './slack.js';
import { Sweeps } from './sweeps.js';

/** The database the automation rotates secrets of and restore-tests (MySQL). */
export interface OpsDatabaseRefs {
  /** The master user's secret (`<stage>/rds/master`): single-user rotation, alternating users, the restore test. */
  readonly masterSecret: secretsmanager.ISecret;
  /** The application user's secret (`<stage>/rds/app-user`), when the automation rotates it. */
  readonly appUserSecret?: secretsmanager.ISecret;
  /** The database's security group: the rotation functions get an ingress rule on it (MySQL port). */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * Everything the automation reads from the platform it looks after, as references: the
 * platform's own stack passes its resources, a team with its own VPC and cluster passes
 * `fromLookup` / `fromAttributes` / `fromXxxName` values. Nothing here is created.
 */
export interface OpsPlatformRefs {
  /**
   * The cluster's VPC. The in-VPC functions (Kubernetes access, database rotation, restore check)
   * run in its PRIVATE_WITH_EGRESS subnets. Without a VPC and a cluster no Kubernetes action is wired.
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The EKS cluster (aws-eks-v2): name, endpoint, certificate authority and cluster security group,
   * and a kubectl provider (the automation's RBAC is applied through it). The automation adds an
   * ingress rule (443, from its kube function) to the cluster security group and an access entry.
   */
  readonly cluster?: eks.ICluster;
  /** Hosted zones the DNS runbook may change records in; matched to `allowLists.hostedZones` by name. */
  readonly zones?: readonly route53.IHostedZone[];
  /** Server access logs of the audit ledger bucket go here, when given. */
  readonly accessLogsBucket?: s3.IBucket;
  /** Backups are kept here; the backup verification writes its reports under its own prefix (PutObject only). */
  readonly backupBucket: s3.IBucket;
  /** Velero's bucket. Not needed when config names it (`backupVerification.velero.bucketName`). */
  readonly veleroBucket?: s3.IBucket;
  /** The KMS key backups, snapshots and database secrets are encrypted with (decrypt via service only). */
  readonly dataKey: kms.IKey;
  /** The MySQL database, when its secrets are rotated or its backups restore-tested. */
  readonly database?: OpsDatabaseRefs;
  /** CloudTrail trails (ARNs) the sweeps check are logging; none given, none checked. */
  readonly trailArns?: readonly string[];
  /**
   * The VPC's flow log (its CloudWatch log group and delivery role): the guardrail runbook recreates it
   * with these when it is deleted (`automation.restoreGuardrail.flowLogs`). Needs `vpc`.
   */
  readonly flowLogs?: { readonly logGroupName: string; readonly deliverLogsRoleArn: string };
}

export interface OpsAutomationProps extends OpsPlatformRefs {
  readonly stage: StageConfig;
  /**
   * The `<stage>-global` stack's us-east-1 forwarding rule, when one forwards global-service events
   * (console sign-ins) to this region: its canary then arrives the way forwarded sign-ins do.
   */
  readonly globalForwardRuleName?: string;
}

/**
 * The ops automation for one stage, as one construct any CDK app can hold. It composes the
 * automation constructs only, in this order:
 *   1. reporting and audit (issue 7): the `report` hook every workflow calls, the audit store
 *   2. approvals (issue 5): the `approval` hook (Slack buttons for waitForTaskToken)
 *   3. runbook workflows (issues 3, 4, 6): name → state machine
 *   4. intake (issue 2): guard store, intake function, event rules + DLQs, kill switch
 *   5. Slack endpoint (issue 5), schedules, a canary per intake rule
 *   6. observability attached after the fact (issue 7): alarms and monitors for everything above
 *
 * The platform comes in as references (`OpsPlatformRefs`) and nothing here changes it except
 * two rules that live on the automation's side: the cluster security group admits the kube
 * function on 443, and the database security group admits the rotation functions on MySQL.
 */
export class OpsAutomation extends Construct {
  /** Resource-name prefix for this stage's automation (`ops-<stage>`): also what loop protection matches. */
  readonly namePrefix: string;
  readonly hooks: Hooks;
  readonly reporting: Reporting;
  readonly runbooks: RunbookWorkflows;
  readonly intake: Intake;
  readonly slack: SlackEndpoint;
  readonly canaries: Canaries;
  readonly sweeps: Sweeps;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: OpsAutomationProps) {
    super(scope, id);
    const { stage } = props;
    this.namePrefix = `ops-${stage.name}`;
    checkRefs(props);

    // 1-2. Reporting, audit and approvals: the hooks every workflow calls.
    this.hooks = new Hooks(this, 'Hooks', { namePrefix: this.namePrefix, stage });
    this.reporting = new Reporting(this, 'Reporting', {
      stage,
      namePrefix: this.namePrefix,
      ...(props.accessLogsBucket ? { logsBucket: props.accessLogsBucket } : {}),
    });
    this.reporting.bindReportHook(this.hooks.report);

    // 3. Runbook workflows.
    const view = new PlatformView(this, props);
    this.runbooks = new RunbookWorkflows(this, 'Runbooks', {
      stage,
      namePrefix: this.namePrefix,
      hooks: this.hooks,
      // The runbook infra still declares the whole PlatformStack type but reads only the members
      // PlatformView has (checked by compiling the per-runbook infra files against PlatformView's
      // shape); `strict` turns a read of any other member into a clear synth error.
      // The plugin interface of issue 20a can take the narrow type and drop this cast.
      platform: strict(view, 'the platform references given to OpsAutomation') as unknown as PlatformStack,
    });
    view.retargetAcknowledgements(this.runbooks);

    // 4. Intake: every event rule → guards → StartExecution on the runbooks' state machines.
    const forwardRule = props.globalForwardRuleName;
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

    // 5. Slack (issue 5): commands and approval buttons; runs start through the intake's guards.
    this.slack = new SlackEndpoint(this, 'Slack', {
      stage,
      namePrefix: this.namePrefix,
      approvalHook: this.hooks.approval,
      stateMachines: this.runbooks.stateMachines,
      guards: this.intake,
      deadLetterQueue: this.intake.deadLetterQueue,
    });
    // Schedules (the daily backup verification) start through the intake's guards, like every other trigger.
    new Schedules(this, 'Schedules', {
      stage,
      namePrefix: this.namePrefix,
      intake: this.intake.function,
      deadLetterQueue: this.intake.deadLetterQueue,
    });
    // The backup verification's failure signals come back in through the intake's own rule for them
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
      trailArns: [...(props.trailArns ?? [])],
      vpcIds: props.vpc ? [props.vpc.vpcId] : [],
      // The dns check: the DNS runbook's allow-listed records in the zones given, and the audit store.
      dns: {
        zones: stage.automation.allowLists.hostedZones.flatMap((allowed) => {
          const zone = (props.zones ?? []).find((z) => z.zoneName === allowed.zoneName);
          return zone
            ? [{ zoneName: allowed.zoneName, hostedZoneId: zone.hostedZoneId, records: allowed.records }]
            : [];
        }),
        auditTable: this.reporting.table,
        auditKey: this.reporting.key,
      },
      // The node-groups check counts unschedulable pods through the in-VPC kube function.
      ...(this.runbooks.kube ? { kubeFunction: this.runbooks.kube.function } : {}),
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
    // Runbooks' own alarms (e.g. the backup verification's "last verified restore", issue 15) go to the same topic.
    this.runbooks.routeAlarmsTo(this.observability.topic);
  }
}

/** Refuses, with the setting to change, a stage whose configuration needs a reference that is missing. */
function checkRefs(props: OpsAutomationProps): void {
  const { stage } = props;
  const bv = stage.automation.backupVerification;
  const problems: string[] = [];
  if (!props.veleroBucket && !bv.velero.bucketName) {
    problems.push(
      'the backup verification reads Velero backups: pass veleroBucket, or name the bucket in automation.backupVerification.velero.bucketName',
    );
  }
  if (bv.rdsRestoreTest.enabled && !(props.vpc && props.database)) {
    problems.push(
      'automation.backupVerification.rdsRestoreTest.enabled restores into the VPC and reads the master secret: pass vpc and database',
    );
  }
  const databaseSecrets = stage.automation.allowLists.secrets.filter((s) => s.strategy.startsWith('mysql-'));
  if (databaseSecrets.length > 0 && !(props.vpc && props.database)) {
    problems.push(
      `allow-listed database secrets (${databaseSecrets.map((s) => s.name).join(', ')}) rotate from inside the VPC: pass vpc and database`,
    );
  }
  if (props.cluster && !props.vpc) {
    problems.push('the Kubernetes access function runs in the cluster VPC: pass vpc with cluster');
  }
  if (problems.length > 0) {
    throw new Error(`OpsAutomation (${stage.name}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * `target`, except that reading a member it does not have throws (naming the member) instead of
 * yielding `undefined`: what stands behind a widening cast.
 */
export function strict<T extends object>(target: T, label: string): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string' && !(key in t)) {
        throw new Error(`${label} have no "${key}": add it to OpsPlatformRefs and pass it`);
      }
      return Reflect.get(t, key, receiver);
    },
  });
}

/**
 * The members the runbook infra (runbooks.ts and the per-runbook infra files) reads from
 * `platform`, built from references. `exportValue` keeps the PlatformStack's behaviour where the
 * value lives in another stack (an export named by the caller, so cdk-nag findings name it); a
 * value of this construct's own stack (an imported bucket, a literal) is used as it is.
 */
class PlatformView {
  readonly vpc?: ec2.IVpc;
  readonly cluster?: eks.ICluster;
  /** The allow-listed zones given, any number (the DNS runbook looks its zones up among them by name). */
  readonly zones: readonly route53.IHostedZone[];
  readonly masterSecret?: secretsmanager.ISecret;
  readonly appUserSecret?: secretsmanager.ISecret;
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;
  readonly backupBucket: s3.IBucket;
  readonly veleroBucket?: s3.IBucket;
  readonly dataKey: kms.IKey;
  /** The flow log the guardrail runbook recreates, in the shape the platform's network construct has. */
  readonly network?: {
    readonly vpc: ec2.IVpc;
    readonly flowLogGroup: { readonly logGroupName: string };
    readonly flowLog: { readonly iamRole: { readonly roleArn: string } };
  };
  /** Export names asked for whose value was used as it is: name → the value. */
  private readonly unimported = new Map<string, string>();
  private readonly stack: Stack;

  constructor(scope: Construct, props: OpsAutomationProps) {
    this.stack = Stack.of(scope);
    this.vpc = props.vpc;
    this.cluster = props.cluster;
    // The DNS runbook looks its allow-listed zones up among these by name.
    const allowed = new Set(props.stage.automation.allowLists.hostedZones.map((z) => z.zoneName));
    this.zones = (props.zones ?? []).filter((z) => allowed.has(z.zoneName));
    this.masterSecret = props.database?.masterSecret;
    this.appUserSecret = props.database?.appUserSecret;
    this.databaseSecurityGroup = props.database?.securityGroup;
    this.backupBucket = props.backupBucket;
    this.veleroBucket = props.veleroBucket;
    this.dataKey = props.dataKey;
    this.network =
      props.vpc && props.flowLogs
        ? {
            vpc: props.vpc,
            flowLogGroup: { logGroupName: props.flowLogs.logGroupName },
            flowLog: { iamRole: { roleArn: props.flowLogs.deliverLogsRoleArn } },
          }
        : undefined;
  }

  exportValue(value: string, options: ExportValueOptions = {}): string {
    const owners = new Set<Stack>();
    for (const token of Tokenization.reverseString(value).tokens) {
      if (Reference.isReference(token)) owners.add(Stack.of(token.target));
    }
    owners.delete(this.stack);
    const [owner, ...more] = [...owners];
    if (more.length > 0) throw new Error(`a value from ${owners.size} other stacks cannot be exported once`);
    if (owner) return owner.exportValue(value, options);
    if (options.name) this.unimported.set(options.name, value);
    return value;
  }

  /**
   * The runbook infra acknowledges cdk-nag findings on imported values by their export name. Where a
   * value was not imported, the finding shows the value itself: such an acknowledgement is rewritten
   * in place to name that rendering (same scope, same reason), so it neither misses its finding nor
   * lingers as an acknowledgement of nothing. Acknowledgements are plain construct metadata
   * (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`, `{ id: reason }`) read only at synth.
   */
  retargetAcknowledgements(root: IConstruct): void {
    if (this.unimported.size === 0) return;
    for (const c of root.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
        const acks = entry.data as Record<string, string>;
        for (const [id, reason] of Object.entries(acks)) {
          for (const [name, value] of this.unimported) {
            const finding = `Resource::${name}`;
            if (!id.includes(finding)) continue;
            delete acks[id];
            acks[id.replace(finding, `Resource::${renderForNag(this.stack.resolve(value))}`)] = reason;
          }
        }
      }
    }
  }
}

/**
 * A CloudFormation value as cdk-nag writes it in a finding id (its flattenCfnReference):
 * `Fn::Join` joined, `Ref` as `<Name>`, `Fn::GetAtt` as `<Res.Attr>`, an import as its name.
 */
function renderForNag(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [sep, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(renderForNag).join(sep);
    }
    if (o.Ref !== undefined) return `<${renderForNag(o.Ref)}>`;
    if (o['Fn::GetAtt']) {
      const [res, attr] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${renderForNag(res)}.${renderForNag(attr)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return renderForNag(o['Fn::ImportValue']);
  }
  return JSON.stringify(value);
}
