import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { RestoreCheck } from '../../config/schema.js';
import {
  acknowledgeInvoke,
  addLambdaRetry,
  type BodyTools,
  isDryRun,
  POLL_START,
  PollLoop,
  RunbookFrame,
  retryOn,
  ScopedAwsCall,
  type WorkflowHooks,
} from '../workflow-kit.js';
import { estimateRestoreCostUsd, PRICE_SOURCE } from './cost.js';
import type { BackupClass, ClassPolicy } from './logic.js';
import { BACKUP_SIGNAL_EVENT } from './report.js';
import { EXECUTION_TAG_KEY, SCRATCH_TAG } from './scratch-tags.js';

/**
 * Errors as the Step Functions SDK integrations raise them: `<Service>.<Code>Exception`, and the
 * service's generic wrapper (`Ec2.Ec2Exception`: EC2 models no error shapes, the code is in the
 * Cause). Transient and generic errors are retried a bounded number of times, then caught.
 */
export const SDK_ERRORS = {
  ec2: ['Ec2.RequestLimitExceededException', 'Ec2.Ec2Exception', 'Ec2.SdkClientException'],
  rds: ['Rds.ThrottlingException', 'Rds.RdsException', 'Rds.SdkClientException'],
  kms: ['Kms.KmsInternalException', 'Kms.KmsException', 'Kms.SdkClientException'],
  s3: ['S3.S3Exception', 'S3.SdkClientException'],
  events: [
    'EventBridge.InternalException',
    'EventBridge.EventBridgeException',
    'EventBridge.SdkClientException',
  ],
} as const;

/** The DB instance states after which a restore will never become available. */
const RDS_DEAD_STATES = [
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'storage-full',
];

/** What the run needs to know, from stage config (infra maps config → these; nothing here reads config). */
export interface VerifyBackupsSettings {
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly drRegion?: string;
  /** The KMS alias every backup must be encrypted with; resolved to the key ARN at the start of each run. */
  readonly expectedKeyAlias: string;
  readonly clockSkewMinutes: number;
  readonly classes: Record<BackupClass, ClassPolicy>;
  /** Volumes with this tag must be backed up (config allowLists.volumes.protectedTag). */
  readonly protectedTag: { readonly key: string; readonly value: string };
  /** Volumes the EBS CSI driver made for PVCs in these namespaces must be backed up. */
  readonly pvcNamespaces: readonly string[];
  /** The platform database's instance identifier; omitted: no RDS checks. */
  readonly databaseInstance?: string;
  readonly velero: {
    readonly bucket?: string;
    readonly prefix: string;
    readonly schedules: readonly string[];
    /** The Velero bucket's replica in drRegion (the platform's DR vault), when known. */
    readonly drBucket?: string;
  };
  readonly restore: {
    /** EBS content check through the EBS direct APIs: how many blocks to read per snapshot. */
    readonly ebs: { readonly enabled: boolean; readonly sampleBlocks: number };
    readonly rds: {
      readonly enabled: boolean;
      readonly weekday: string;
      readonly instanceClass: string;
      readonly subnetGroupName?: string;
      readonly securityGroupIds?: readonly string[];
      /** Time budget: the restore is available and checked within this, or the backup fails. */
      readonly maxMinutes: number;
      /** The checks run against the restored database (config rdsRestoreTest.checks). */
      readonly checks: readonly RestoreCheck[];
      readonly database?: string;
    };
    /** The Velero restore test through the kube function; off when absent. */
    readonly velero?: {
      readonly enabled: boolean;
      /** Budget per namespace: restore, readiness and the scratch namespace's deletion. */
      readonly maxMinutes: number;
      readonly namespaces: readonly {
        readonly namespace: string;
        /** The fixed scratch namespace (`restore-check-<namespace>`), the only one the kube function may touch. */
        readonly scratch: string;
        /** `{ <namespace>: <scratch> }`: Velero's namespaceMapping for this namespace. */
        readonly mapping: Readonly<Record<string, string>>;
        readonly minReadyPods: number;
        readonly minBoundPvcs: number;
        /** After readiness: GET `path` on `service:port` through the API server's proxy must answer `expectStatus`. */
        readonly probe?: {
          readonly service: string;
          readonly port: number;
          readonly path: string;
          readonly expectStatus: number;
          readonly timeoutSeconds: number;
        };
      }[];
    };
  };
}

export interface VerifyBackupsFunctions {
  /** Inventory of protected resources and their recovery points (home and DR region, Velero bucket). */
  readonly collect: lambda.IFunction;
  /** The verdict rules for one backup. */
  readonly evaluate: lambda.IFunction;
  /** The table, its renderings, the failure signals. */
  readonly buildReport: lambda.IFunction;
  /** Slack summary + failures, Datadog metrics and events. */
  readonly publish: lambda.IFunction;
  /** Deletes scratch resources earlier runs left behind (older than a run can last). */
  readonly sweep: lambda.IFunction;
  /** Reads the newest EBS snapshot through the EBS direct APIs. Required when EBS restore tests are on. */
  readonly checkVolumeContent?: lambda.IFunction;
  /** Runs the check query against the restored database (in the VPC). Required when RDS restore tests are on. */
  readonly checkDatabase?: lambda.IFunction;
  /** The in-VPC Kubernetes access function (functions/kube). Required when the Velero restore test is on. */
  readonly kube?: lambda.IFunction;
}

export interface VerifyBackupsWorkflowProps {
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly functions: VerifyBackupsFunctions;
  readonly settings: VerifyBackupsSettings;
  /**
   * Where each run's report (JSON + Markdown) is kept, under `verify-backups/`: a bucket name (a
   * plain string or a CloudFormation dynamic reference) and the KMS key its default encryption uses.
   */
  readonly reportBucket: { readonly name: string; readonly arn: string; readonly kmsKeyArn?: string };
  /** Backups checked (and restore-tested) at once. */
  readonly maxConcurrency: number;
  readonly approvalTimeout: Duration;
  /** Polling of the scratch database restore; default: as many polls as fit the config's maxMinutes. */
  readonly poll?: { readonly database?: PollSettings };
}

export interface PollSettings {
  readonly firstWait: Duration;
  readonly backoff: number;
  readonly maxWait: Duration;
  readonly maxPolls: number;
}

/**
 * verify-backups: resolve the expected KMS key, take the inventory, then (Map, bounded
 * concurrency) restore-test and judge every backup, build the report, keep it in S3, raise a
 * signal into the intake per failure, publish to Slack and Datadog, and fail the run when any
 * backup failed. Scratch restores are tagged for a sweeper and deleted on every path.
 */
export class VerifyBackupsWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly frame: RunbookFrame;

  constructor(scope: Construct, id: string, props: VerifyBackupsWorkflowProps) {
    super(scope, id);
    const { settings } = props;
    if (settings.restore.ebs.enabled && !props.functions.checkVolumeContent)
      throw new Error('verify-backups: EBS restore tests need the checkVolumeContent function');
    if (settings.restore.rds.enabled && !props.functions.checkDatabase)
      throw new Error('verify-backups: RDS restore tests need the checkDatabase function');
    if (settings.restore.velero?.enabled && !props.functions.kube)
      throw new Error('verify-backups: the Velero restore test needs the kube function');
    if (settings.restore.rds.enabled && !settings.databaseInstance)
      throw new Error('verify-backups: RDS restore tests need the database instance identifier');
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, region = stack.region, account = stack.account) =>
      `arn:${stack.partition}:${service}:${region}:${account}:${resource}`;
    const scratchDbPrefix = `${props.namePrefix}-vb-`;
    const scratchTag = { [`aws:RequestTag/${SCRATCH_TAG.key}`]: SCRATCH_TAG.value };
    const dbPoll = props.poll?.database ?? pollWithin(settings.restore.rds.maxMinutes);

    const retry = (task: sfn.TaskStateBase, errors: readonly string[]) =>
      retryOn(task, errors, { maxAttempts: 3 });
    const lambdaStep = (
      s: Construct,
      name: string,
      fn: lambda.IFunction,
      payload: sfn.TaskInput,
      extra: Partial<tasks.LambdaInvokeProps> = {},
    ) => {
      const task = new tasks.LambdaInvoke(s, name, {
        lambdaFunction: fn,
        payload,
        retryOnServiceExceptions: false,
        ...extra,
      });
      addLambdaRetry(task);
      return task;
    };

    const body = (s: Construct, tools: BodyTools): sfn.IChainable => {
      // The stage configuration this state machine was deployed with, written into the payloads that
      // read it (no Pass state to load it).
      const settingsJson = JSON.parse(JSON.stringify(settings)) as Record<string, unknown>;

      const resolveKey = new ScopedAwsCall(s, 'Resolve expected KMS key', {
        service: 'kms',
        action: 'describeKey',
        parameters: { KeyId: settings.expectedKeyAlias },
        resultSelector: { 'arn.$': '$.KeyMetadata.Arn' },
        resultPath: '$.key',
        policy: [
          new iam.PolicyStatement({
            actions: ['kms:DescribeKey'],
            resources: [arn('kms', 'key/*')],
            conditions: { StringEquals: { 'kms:RequestAlias': settings.expectedKeyAlias } },
          }),
        ],
      });
      retry(resolveKey, SDK_ERRORS.kms);
      tools.guard(resolveKey, 'Key lookup failed');

      // Leftovers of crashed runs go first; a failing sweep is recorded and never blocks verification.
      const sweep = lambdaStep(
        s,
        'Sweep leftover scratch resources',
        props.functions.sweep,
        sfn.TaskInput.fromObject({
          // Longer than a run may last (the state machine times out after 4 hours).
          olderThanMinutes: 360,
          ...(settings.restore.rds.enabled ? { databasePrefix: scratchDbPrefix } : {}),
        }),
        {
          resultSelector: { 'changes.$': '$.Payload.changes', 'failed.$': '$.Payload.failed' },
          resultPath: '$.sweep',
        },
      );
      const sweepFailed = new sfn.Pass(s, 'Sweep failed', {
        parameters: {
          changes: [],
          'failed.$': "States.Array(States.Format('sweep failed: {}', $.sweepError.Cause))",
        },
        resultPath: '$.sweep',
      });
      sweep.addCatch(sweepFailed, { resultPath: '$.sweepError' });
      const noSweep = new sfn.Pass(s, 'No sweep in a dry run', {
        parameters: { changes: [], failed: [] },
        resultPath: '$.sweep',
      });
      sweep.next(resolveKey);
      sweepFailed.next(resolveKey);
      noSweep.next(resolveKey);
      // The frame's approval gate first, then: a dry run sweeps nothing.
      const sweepOrNot = tools.route('Dry run?').when(isDryRun, noSweep).otherwise(sweep);

      // ---- each backup: its restore test, if any, then the verdict ----------------------------------------
      // One Map per restore test (collect splits the items by the test each gets), so no iteration
      // spends a Choice and a Pass on finding out; every other item is checked by one more Map. A test
      // without its Map here (not enabled, no function) is not passed to collect: its items go to that last Map.
      const evaluation = (name: string, errorName: string) => {
        const evaluate = lambdaStep(s, name, props.functions.evaluate, sfn.TaskInput.fromJsonPathAt('$'), {
          outputPath: '$.Payload',
        });
        evaluate.addCatch(
          new sfn.Pass(s, errorName, {
            comment: 'A backup that could not be judged is a failed backup, never a silent pass.',
            parameters: {
              'class.$': '$.item.class',
              'resource.$': '$.item.resource',
              verdict: 'fail',
              rpoHours: 0,
              'reason.$': "States.Format('could not evaluate: {}: {}', $.evalError.Error, $.evalError.Cause)",
              checks: [],
            },
          }),
          { resultPath: '$.evalError' },
        );
        return evaluate;
      };
      type Kind = 'ebs-content' | 'rds-instance' | 'velero-restore';
      const kinds: { kind: Kind; key: string; map: string; processor: sfn.IChainable }[] = [];
      if (settings.restore.ebs.enabled && props.functions.checkVolumeContent) {
        const evaluate = evaluation(
          'Evaluate content-checked backup',
          'Record content-check evaluation error',
        );
        kinds.push({
          kind: 'ebs-content',
          key: 'ebsContent',
          map: 'Check each EBS backup with its content',
          processor: this.contentCheck(s, settings, props.functions.checkVolumeContent, evaluate, lambdaStep),
        });
      }
      if (settings.restore.rds.enabled && props.functions.checkDatabase) {
        const evaluate = evaluation('Evaluate restored database', 'Record database evaluation error');
        kinds.push({
          kind: 'rds-instance',
          key: 'rdsInstance',
          map: 'Check each database with a restore',
          processor: this.databaseRestore(s, settings, props.functions.checkDatabase, evaluate, dbPoll, {
            retry,
            lambdaStep,
            arn,
            scratchDbPrefix,
            scratchTag,
          }),
        });
      }
      if (settings.restore.velero?.enabled && props.functions.kube) {
        const evaluate = evaluation('Evaluate Velero restore', 'Record Velero evaluation error');
        kinds.push({
          kind: 'velero-restore',
          key: 'veleroRestore',
          map: 'Check each Velero backup with a restore',
          processor: this.veleroRestore(
            s,
            settings.restore.velero,
            props.functions.kube,
            evaluate,
            lambdaStep,
          ),
        });
      }
      const collect = lambdaStep(
        s,
        'Collect backups',
        props.functions.collect,
        sfn.TaskInput.fromObject({
          settings: settingsJson,
          'parameters.$': '$.input.parameters',
          'dryRun.$': '$.input.dryRun',
          // The restore tests that have a Map below: collect splits the items by them.
          restoreMaps: kinds.map((k) => k.kind),
        }),
        {
          resultSelector: {
            'items.$': '$.Payload.items',
            'plan.$': '$.Payload.plan',
            'groups.$': '$.Payload.groups',
          },
          resultPath: '$.inventory',
        },
      );
      retryOn(collect, ['InventoryUnavailableError'], { interval: Duration.seconds(10), maxAttempts: 3 });
      tools.guard(collect, 'Inventory failed');
      resolveKey.next(collect);
      const checkMap = (name: string, group: string, processor: sfn.IChainable, kind?: Kind) => {
        const map = new sfn.Map(s, name, {
          comment: 'One iteration per protected resource, a bounded number at once.',
          itemsPath: `$.inventory.groups.${group}`,
          itemSelector: {
            'item.$': '$$.Map.Item.Value',
            settings: settingsJson,
            'keyArn.$': '$.key.arn',
            'plan.$': '$.inventory.plan',
            // Set for every item of a restore test's Map, before the test runs (its catch keeps it).
            ...(kind ? { restoreTest: { kind } } : {}),
          },
          maxConcurrency: props.maxConcurrency,
          resultPath: `$.evaluated.${group}`,
        });
        map.itemProcessor(processor);
        tools.guard(map, kind ? `${name} failed` : 'Checks failed');
        return map;
      };
      const maps = [
        checkMap('Check each backup', 'others', evaluation('Evaluate backup', 'Record evaluation error')),
        ...kinds.map((k) => checkMap(k.map, k.key, k.processor, k.kind)),
      ];
      const evaluations = `States.Array(${['others', ...kinds.map((k) => k.key)].map((g) => `$.evaluated.${g}`).join(', ')})`;

      // ---- the report --------------------------------------------------------------------------------
      const build = lambdaStep(
        s,
        'Build report',
        props.functions.buildReport,
        sfn.TaskInput.fromObject({
          // One array per Map, concatenated by the step.
          'evaluations.$': evaluations,
          stage: settings.stage,
          region: settings.region,
          account: settings.account,
          bucket: props.reportBucket.name,
          'executionName.$': '$$.Execution.Name',
        }),
        { resultSelector: { 'value.$': '$.Payload' }, resultPath: '$.built' },
      );
      tools.guard(build, 'Report failed');

      const store = (name: string, key: string, bodyPath: string, contentType: string) => {
        const task = new ScopedAwsCall(s, name, {
          service: 's3',
          action: 'putObject',
          parameters: {
            Bucket: props.reportBucket.name,
            'Key.$': key,
            'Body.$': bodyPath,
            ContentType: contentType,
          },
          resultPath: sfn.JsonPath.DISCARD,
          policy: [
            new iam.PolicyStatement({
              actions: ['s3:PutObject'],
              resources: [`${props.reportBucket.arn}/verify-backups/*`],
            }),
            ...(props.reportBucket.kmsKeyArn
              ? [
                  new iam.PolicyStatement({
                    actions: ['kms:GenerateDataKey'],
                    resources: [props.reportBucket.kmsKeyArn],
                  }),
                ]
              : []),
          ],
        });
        retry(task, SDK_ERRORS.s3);
        tools.guard(task, `${name} failed`);
        return task;
      };
      const storeJson = store(
        'Keep report (JSON)',
        '$.built.value.keys.json',
        '$.built.value.json',
        'application/json',
      );
      const storeMarkdown = store(
        'Keep report (Markdown)',
        '$.built.value.keys.markdown',
        '$.built.value.markdown',
        'text/markdown; charset=utf-8',
      );

      const putSignals = new ScopedAwsCall(s, 'Send failure signals', {
        service: 'eventbridge',
        action: 'putEvents',
        parameters: { 'Entries.$': '$.entries' },
        resultSelector: { 'failed.$': '$.FailedEntryCount' },
        policy: [
          new iam.PolicyStatement({
            actions: ['events:PutEvents'],
            resources: [arn('events', 'event-bus/default')],
            // events:source is multivalued (one value per entry of the batch): every entry must be
            // ours (ForAllValues), and the key must be there (Null false), or one forged entry could ride along.
            conditions: {
              'ForAllValues:StringEquals': { 'events:source': [BACKUP_SIGNAL_EVENT.source] },
              Null: { 'events:source': 'false' },
            },
          }),
        ],
      });
      retry(putSignals, SDK_ERRORS.events);
      const raiseSignals = new sfn.Map(s, 'Raise failure signals', {
        comment: 'One intake signal per failed backup, in PutEvents batches of ten.',
        itemsPath: '$.built.value.signalBatches',
        itemSelector: { 'entries.$': '$$.Map.Item.Value' },
        maxConcurrency: 1,
        resultPath: '$.signals',
      });
      putSignals.next(
        new sfn.Choice(s, 'Batch accepted?')
          .when(
            sfn.Condition.numberGreaterThan('$.failed', 0),
            new sfn.Pass(s, 'Batch refused', { result: sfn.Result.fromString('refused') }),
          )
          .otherwise(new sfn.Pass(s, 'Batch accepted', { result: sfn.Result.fromString('accepted') })),
      );
      raiseSignals.itemProcessor(putSignals);
      const signalsFailed = new sfn.Pass(s, 'Signals failed', {
        comment: 'The run fails anyway (a backup failed); the report says signals could not be raised.',
        resultPath: sfn.JsonPath.DISCARD,
      });
      raiseSignals.addCatch(signalsFailed, { resultPath: '$.signalError' });

      const publish = lambdaStep(
        s,
        'Publish report',
        props.functions.publish,
        sfn.TaskInput.fromObject({
          'report.$': '$.built.value.report',
          'slack.$': '$.built.value.slack',
          'reportUrl.$': '$.built.value.reportUrl',
          'trigger.$': '$.input.trigger',
        }),
        { resultSelector: { 'value.$': '$.Payload' }, resultPath: '$.published' },
      );
      tools.guard(publish, 'Publishing failed');
      // EventBridge answers 200 with FailedEntryCount > 0 for entries it refused: each batch says
      // `accepted` or `refused`, and one `refused` anywhere is recorded.
      const countRejected = new sfn.Pass(s, 'Check signals', {
        parameters: { 'anyRefused.$': "States.ArrayContains($.signals, 'refused')" },
        resultPath: '$.signalCheck',
      });
      const notAccepted = new sfn.Pass(s, 'Signals not accepted', {
        comment:
          'The run fails anyway (a backup failed); this records that the intake did not get every signal.',
        parameters: { Error: 'SignalsRejected', Cause: 'EventBridge did not accept every failure signal' },
        resultPath: '$.signalError',
      });
      raiseSignals.next(countRejected);
      countRejected.next(
        new sfn.Choice(s, 'Every signal accepted?')
          .when(sfn.Condition.booleanEquals('$.signalCheck.anyRefused', true), notAccepted)
          .otherwise(publish),
      );
      notAccepted.next(publish);
      signalsFailed.next(publish);

      const anyFailed = sfn.Condition.numberGreaterThan('$.built.value.totals.failed', 0);
      const signalsNeeded = new sfn.Choice(s, 'Any backup failed?')
        .when(anyFailed, raiseSignals)
        .otherwise(publish);

      const verificationFailed = new sfn.Pass(s, 'Record verification failure', {
        parameters: { Error: 'BackupVerificationFailed', 'Cause.$': '$.built.value.summary' },
        resultPath: '$.error',
      }).next(tools.fail('Backups failed verification'));
      const result = new sfn.Pass(s, 'Build result', {
        parameters: {
          outcome: 'succeeded',
          'summary.$': '$.built.value.summary',
          'changes.$': '$.sweep.changes',
          links: [{ title: 'Backup verification report', 'url.$': '$.built.value.reportUrl' }],
        },
        resultPath: '$.result',
      }).next(tools.done);
      publish.next(new sfn.Choice(s, 'All verified?').when(anyFailed, verificationFailed).otherwise(result));

      let chain = sfn.Chain.start(collect);
      for (const map of maps) chain = chain.next(map);
      chain.next(build).next(storeJson).next(storeMarkdown).next(signalsNeeded);
      return sweepOrNot;
    };

    this.frame = new RunbookFrame(this, 'Frame', {
      runbook: 'verify-backups',
      namePrefix: props.namePrefix,
      // Under the automation prefix, so loop protection recognises its scratch restores as ours.
      roleName: `${props.namePrefix}-verify-backups`,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: Duration.hours(4),
      body,
    });
    this.stateMachine = this.frame.stateMachine;

    // cdk-nag: every wildcard below is a resource whose id AWS generates at run time, fenced by a condition.
    for (const fn of Object.values(props.functions)) if (fn) acknowledgeInvoke(this, fn);
    const nag = Validations.of(this);
    const region = stack.region;
    const account = stack.account;
    nag.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*]`,
      reason:
        'The expected key is found by alias at run time (kms:DescribeKey only with kms:RequestAlias = that alias); the ' +
        'database restore uses the snapshot key (kms:CreateGrant, kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey) only ' +
        'through RDS in this region (kms:ViaService).',
    });
    // A bucket given by token (another stack's) is acknowledged by whoever knows how cdk-nag renders it.
    if (!Token.isUnresolved(props.reportBucket.arn)) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::${props.reportBucket.arn}/verify-backups/*]`,
        reason:
          'Each run writes its own report objects (keyed by day and execution): s3:PutObject only, under verify-backups/.',
      });
    }
    if (settings.restore.rds.enabled) {
      const rdsArn = (r: string) =>
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${region}:${account}:${r}]`;
      nag.acknowledge({
        id: rdsArn(`db:${scratchDbPrefix}*`),
        reason: `The temporary instance is named per run under ${scratchDbPrefix}: rds:RestoreDBInstanceFromDBSnapshot and rds:AddTagsToResource only with the scratch request tag, rds:DescribeDBInstances (read-only), rds:DeleteDBInstance only with that resource tag.`,
      });
      for (const r of ['snapshot:*', 'subgrp:*', 'og:*', 'pg:*']) {
        nag.acknowledge({
          id: rdsArn(r),
          reason:
            'rds:RestoreDBInstanceFromDBSnapshot reads the snapshot, subnet, option and parameter groups it restores with.',
        });
      }
    }
  }

  /**
   * EBS: read the newest snapshot through the EBS direct APIs (a Lambda step: partition table,
   * superblocks, sampled blocks with their checksums). It creates nothing, so there is nothing to
   * clean up; the step answers with a verdict for every problem it meets, and a step that fails
   * anyway (timeout, crash) is caught into the evaluation as the restore error.
   */
  private contentCheck(
    s: Construct,
    settings: VerifyBackupsSettings,
    fn: lambda.IFunction,
    evaluate: sfn.IChainable,
    lambdaStep: (
      s: Construct,
      name: string,
      fn: lambda.IFunction,
      payload: sfn.TaskInput,
      extra?: Partial<tasks.LambdaInvokeProps>,
    ) => tasks.LambdaInvoke,
  ): sfn.IChainable {
    const check = lambdaStep(
      s,
      'Check volume content',
      fn,
      sfn.TaskInput.fromObject({
        'snapshot.$': '$.item.latestCompleted',
        sampleBlocks: settings.restore.ebs.sampleBlocks,
      }),
      { resultSelector: { 'observation.$': '$.Payload' }, resultPath: '$.content' },
    );
    check.addCatch(evaluate, { resultPath: '$.restoreError' });
    check.next(evaluate);
    return check;
  }

  /**
   * Velero: for each configured namespace, restore the latest backup into its fixed scratch
   * namespace through the kube function (a leftover of a crashed run is deleted first), wait bounded
   * for the Restore's phase and for the restored pods to be Ready and PVCs Bound (the readiness
   * probe: at least minReadyPods / minBoundPvcs), then, when configured, GET the restored Service's
   * probe path through the API server's proxy (its status must be the expected one), then delete the
   * scratch namespace and wait until it is gone, on every path. Each namespace ends with its own verdict; the others still run.
   */
  private veleroRestore(
    s: Construct,
    velero: NonNullable<VerifyBackupsSettings['restore']['velero']>,
    kube: lambda.IFunction,
    evaluate: sfn.IChainable,
    lambdaStep: (
      s: Construct,
      name: string,
      fn: lambda.IFunction,
      payload: sfn.TaskInput,
      extra?: Partial<tasks.LambdaInvokeProps>,
    ) => tasks.LambdaInvoke,
  ): sfn.IChainable {
    const kubeStep = (name: string, step: string, payload: Record<string, unknown>, resultPath: string) => {
      const task = lambdaStep(
        s,
        name,
        kube,
        sfn.TaskInput.fromObject({ step, 'executionName.$': '$$.Execution.Name', ...payload }),
        { resultSelector: { 'value.$': '$.Payload' }, resultPath },
      );
      // Throttling, 5xx and no connection are worth another try; a refusal (403, 404, allow-list) is not.
      retryOn(task, ['KubeApiUnavailable', 'States.Timeout'], {
        interval: Duration.seconds(5),
        maxAttempts: 3,
      });
      return task;
    };
    const scratch = { 'namespace.$': '$.ns.scratch' };
    const budget = velero.maxMinutes * 60;
    const polls = (share: number, first: number, max: number) => fitPolls(budget * share, first, 1.5, max);

    const begin = new sfn.Pass(s, 'Start Velero namespace', {
      parameters: {
        'startedAt.$': '$$.State.EnteredTime',
        // DNS-1123 and unique per run and namespace: a re-run of the same execution finds the same Restore.
        'name.$':
          "States.Format('vb-{}', States.Hash(States.Format('{}/{}', $$.Execution.Name, $.ns.namespace), 'MD5'))",
        // The four poll loops' counters start here (no Pass state per loop).
        polls: { leftover: POLL_START, restore: POLL_START, ready: POLL_START, gone: POLL_START },
      },
      resultPath: '$.run',
    });

    // ---- cleanup, on every path: delete the scratch namespace, wait until it is gone ------------------
    const passed = new sfn.Pass(s, 'Velero namespace restored', {
      parameters: {
        'namespace.$': '$.ns.namespace',
        'scratch.$': '$.ns.scratch',
        verdict: 'pass',
        'restore.$': '$.restore.value',
        'inspection.$': '$.inspection.value',
        // Set on every path here: the probe's answer, or `{ configured: false }`.
        'probe.$': '$.probe.value',
        'cleanup.$': '$.cleanup',
        'startedAt.$': '$.run.startedAt',
        'finishedAt.$': '$$.State.EnteredTime',
      },
    });
    const failed = new sfn.Pass(s, 'Velero namespace failed', {
      parameters: {
        'namespace.$': '$.ns.namespace',
        'scratch.$': '$.ns.scratch',
        verdict: 'fail',
        'failure.$': '$.failure',
        'cleanup.$': '$.cleanup',
        'startedAt.$': '$.run.startedAt',
        'finishedAt.$': '$$.State.EnteredTime',
      },
    });
    const verdict = new sfn.Choice(s, 'Velero namespace failed?')
      .when(sfn.Condition.isPresent('$.failure'), failed)
      .otherwise(passed);
    const remove = kubeStep('Delete scratch namespace', 'delete-scratch-namespace', scratch, '$.cleanup');
    const removeFailed = new sfn.Pass(s, 'Scratch namespace not deleted', {
      parameters: {
        Error: 'NamespaceNotDeleted',
        'Cause.$': "States.Format('{} still exists after the delete was requested', $.ns.scratch)",
      },
      resultPath: '$.cleanup',
    }).next(verdict);
    remove.addCatch(verdict, { resultPath: '$.cleanup' });
    const checkGone = kubeStep(
      'Check scratch namespace deleted',
      'inspect-scratch-namespace',
      scratch,
      '$.gone',
    );
    checkGone.addCatch(removeFailed, { resultPath: '$.goneError' });
    const gone = new PollLoop(s, 'Scratch namespace deletion', {
      check: checkGone,
      done: sfn.Condition.booleanEquals('$.gone.value.exists', false),
      ...polls(0.2, 5, 30),
      counterAt: '$.run.polls.gone',
      // The verdict Choice merged into the loop's own.
      doneRoutes: [{ when: sfn.Condition.isPresent('$.failure'), next: failed }],
      onDone: passed,
      onTimeout: removeFailed,
    });
    remove.next(gone.start);
    const cleanupPath = remove;

    // ---- a leftover of a crashed run goes first (same fixed name) --------------------------------------
    const sweep = kubeStep(
      'Delete leftover scratch namespace',
      'delete-scratch-namespace',
      scratch,
      sfn.JsonPath.DISCARD,
    );
    sweep.addCatch(cleanupPath, { resultPath: '$.failure' });
    const checkLeftover = kubeStep(
      'Check leftover namespace deleted',
      'inspect-scratch-namespace',
      scratch,
      '$.leftover',
    );
    checkLeftover.addCatch(cleanupPath, { resultPath: '$.failure' });
    const leftoverStuck = new sfn.Pass(s, 'Leftover namespace not deleted', {
      parameters: {
        Error: 'ScratchNamespaceBusy',
        'Cause.$': "States.Format('{} (left by an earlier run) is still terminating', $.ns.scratch)",
      },
      resultPath: '$.failure',
    }).next(cleanupPath);

    // ---- the restore and its phase ----------------------------------------------------------------------
    const create = kubeStep(
      'Create Velero restore',
      'create-velero-restore',
      { 'name.$': '$.run.name', 'backupName.$': '$.backup', 'namespaceMapping.$': '$.ns.mapping' },
      '$.restore',
    );
    create.addCatch(cleanupPath, { resultPath: '$.failure' });
    const read = kubeStep(
      'Read Velero restore',
      'get-velero-restore',
      { 'name.$': '$.run.name' },
      '$.restore',
    );
    read.addCatch(cleanupPath, { resultPath: '$.failure' });
    const phaseIs = (phases: readonly string[]) =>
      sfn.Condition.or(...phases.map((p) => sfn.Condition.stringEquals('$.restore.value.phase', p)));
    const restoreFailed = new sfn.Pass(s, 'Velero restore failed', {
      parameters: {
        Error: 'RestoreFailed',
        'Cause.$':
          "States.Format('Velero restore {} ended {}: {}', $.run.name, $.restore.value.phase, States.JsonToString($.restore.value.restore.status))",
      },
      resultPath: '$.failure',
    }).next(cleanupPath);
    const restoreSlow = new sfn.Pass(s, 'Velero restore too slow', {
      parameters: {
        Error: 'RestoreTimedOut',
        'Cause.$': `States.Format('Velero restore {} still {} after its time budget (${velero.maxMinutes} min per namespace)', $.run.name, $.restore.value.phase)`,
      },
      resultPath: '$.failure',
    }).next(cleanupPath);

    // ---- readiness: restored pods Ready, PVCs Bound --------------------------------------------------------
    const inspect = kubeStep(
      'Inspect restored namespace',
      'inspect-scratch-namespace',
      scratch,
      '$.inspection',
    );
    inspect.addCatch(cleanupPath, { resultPath: '$.failure' });
    const notReady = new sfn.Pass(s, 'Restored workloads not ready', {
      parameters: {
        Error: 'NotReady',
        'Cause.$':
          "States.Format('{}: {} pods Ready (wanted {}), {} PVCs Bound (wanted {}) within the time budget; pods {}, PVCs {}', $.ns.scratch, $.inspection.value.readyPods, $.ns.minReadyPods, $.inspection.value.boundPvcs, $.ns.minBoundPvcs, States.JsonToString($.inspection.value.pods), States.JsonToString($.inspection.value.pvcs))",
      },
      resultPath: '$.failure',
    }).next(cleanupPath);
    // ---- the configured readiness probe: one GET through the service proxy, bounded by its timeout ------
    const probe = kubeStep(
      'Probe restored service',
      'probe-scratch-service',
      { ...scratch, 'probe.$': '$.ns.probe' },
      '$.probe',
    );
    probe.addCatch(cleanupPath, { resultPath: '$.failure' });
    const probeFailed = new sfn.Pass(s, 'Restored service probe failed', {
      parameters: {
        Error: 'ProbeFailed',
        'Cause.$':
          "States.Format('{}: GET {} on {} answered {} (wanted {}) from {}, {} bytes', $.ns.scratch, $.probe.value.path, $.probe.value.target, $.probe.value.status, $.probe.value.expectStatus, $.probe.value.answeredBy, $.probe.value.bytes)",
      },
      resultPath: '$.failure',
    }).next(cleanupPath);
    probe.next(
      new sfn.Choice(s, 'Probe answered as expected?')
        .when(sfn.Condition.booleanEquals('$.probe.value.ok', true), cleanupPath)
        .otherwise(probeFailed),
    );
    const noProbe = new sfn.Pass(s, 'No readiness probe', {
      parameters: { value: { configured: false } },
      resultPath: '$.probe',
    }).next(cleanupPath);
    const ready = new PollLoop(s, 'Restored workloads', {
      check: inspect,
      done: sfn.Condition.and(
        sfn.Condition.numberGreaterThanEqualsJsonPath('$.inspection.value.readyPods', '$.ns.minReadyPods'),
        sfn.Condition.numberGreaterThanEqualsJsonPath('$.inspection.value.boundPvcs', '$.ns.minBoundPvcs'),
      ),
      ...polls(0.4, 15, 60),
      counterAt: '$.run.polls.ready',
      // "Readiness probe configured?" merged into the loop's own Choice.
      doneRoutes: [{ when: sfn.Condition.isPresent('$.ns.probe'), next: probe }],
      onDone: noProbe,
      onTimeout: notReady,
    });
    const restorePoll = new PollLoop(s, 'Velero restore', {
      check: read,
      done: phaseIs(['Completed']),
      failed: phaseIs(['Failed', 'PartiallyFailed', 'FailedValidation']),
      ...polls(0.4, 15, 60),
      counterAt: '$.run.polls.restore',
      onDone: ready.start,
      onFailed: restoreFailed,
      onTimeout: restoreSlow,
    });
    create.next(restorePoll.start);
    const leftover = new PollLoop(s, 'Leftover namespace', {
      check: checkLeftover,
      done: sfn.Condition.booleanEquals('$.leftover.value.exists', false),
      ...polls(0.2, 5, 30),
      counterAt: '$.run.polls.leftover',
      onDone: create,
      onTimeout: leftoverStuck,
    });
    sweep.next(leftover.start);

    const each = new sfn.Map(s, 'Restore each Velero namespace', {
      comment: 'One namespace at a time: each restore test gets the cluster to itself.',
      itemsPath: '$.settings.restore.velero.namespaces',
      itemSelector: { 'ns.$': '$$.Map.Item.Value', 'backup.$': '$.item.latestCompleted.id' },
      maxConcurrency: 1,
      resultPath: '$.veleroRestore',
    });
    each.itemProcessor(begin.next(sweep));
    each.addCatch(evaluate, { resultPath: '$.restoreError' });
    each.next(evaluate);
    return each;
  }

  /** RDS: restore the latest snapshot to a small temporary instance, query it, delete it whatever happened. */
  private databaseRestore(
    s: Construct,
    settings: VerifyBackupsSettings,
    checkFunction: lambda.IFunction,
    evaluate: sfn.IChainable,
    poll: PollSettings,
    h: {
      retry: (t: sfn.TaskStateBase, e: readonly string[]) => sfn.TaskStateBase;
      lambdaStep: (
        s: Construct,
        name: string,
        fn: lambda.IFunction,
        payload: sfn.TaskInput,
        extra?: Partial<tasks.LambdaInvokeProps>,
      ) => tasks.LambdaInvoke;
      arn: (service: string, resource: string, region?: string, account?: string) => string;
      scratchDbPrefix: string;
      scratchTag: Record<string, string>;
    },
  ): sfn.IChainable {
    const rds = settings.restore.rds;
    const estimate = estimateRestoreCostUsd(rds.instanceClass, rds.maxMinutes);
    const dbArn = h.arn('rds', `db:${h.scratchDbPrefix}*`);
    const name = new sfn.Pass(s, 'Name test database', {
      comment:
        'One temporary instance per run and database: a re-run of the same execution finds the same name, and two databases restored in one run never share one.',
      parameters: {
        'id.$': `States.Format('${h.scratchDbPrefix}{}', States.Hash(States.Format('{}/{}', $$.Execution.Name, $.item.resource), 'MD5'))`,
        // The status poll's counter (the restore call's result is not kept: a re-run catches AlreadyExists).
        poll: POLL_START,
      },
      resultPath: '$.scratch',
    });
    const restore = new ScopedAwsCall(s, 'Restore test database', {
      service: 'rds',
      action: 'restoreDBInstanceFromDBSnapshot',
      parameters: {
        // Step Functions names members as the Java v2 SDK does: DbInstanceIdentifier, not DBInstanceIdentifier.
        'DbInstanceIdentifier.$': '$.scratch.id',
        'DbSnapshotIdentifier.$': '$.item.latestCompleted.id',
        DbInstanceClass: rds.instanceClass,
        ...(rds.subnetGroupName ? { DbSubnetGroupName: rds.subnetGroupName } : {}),
        ...(rds.securityGroupIds ? { VpcSecurityGroupIds: [...rds.securityGroupIds] } : {}),
        MultiAZ: false,
        PubliclyAccessible: false,
        DeletionProtection: false,
        AutoMinorVersionUpgrade: false,
        Tags: [
          { Key: SCRATCH_TAG.key, Value: SCRATCH_TAG.value },
          { Key: EXECUTION_TAG_KEY, 'Value.$': '$$.Execution.Name' },
        ],
      },
      resultPath: sfn.JsonPath.DISCARD,
      policy: [
        new iam.PolicyStatement({
          actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
          resources: [dbArn],
          conditions: { StringEquals: h.scratchTag },
        }),
        new iam.PolicyStatement({
          actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
          resources: [
            h.arn('rds', `snapshot:*`),
            h.arn('rds', 'subgrp:*'),
            h.arn('rds', 'og:*'),
            h.arn('rds', 'pg:*'),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['rds:AddTagsToResource'],
          resources: [dbArn],
          conditions: { StringEquals: h.scratchTag },
        }),
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [h.arn('kms', 'key/*')],
          conditions: { StringEquals: { 'kms:ViaService': `rds.${settings.region}.amazonaws.com` } },
        }),
      ],
    });
    h.retry(restore, ['Rds.ThrottlingException', 'Rds.SdkClientException']);

    const read = new ScopedAwsCall(s, 'Read test database', {
      service: 'rds',
      action: 'describeDBInstances',
      parameters: { 'DbInstanceIdentifier.$': '$.scratch.id' },
      resultPath: '$.observed',
      policy: [new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [dbArn] })],
    });
    h.retry(read, SDK_ERRORS.rds);

    const remove = new ScopedAwsCall(s, 'Delete test database', {
      service: 'rds',
      action: 'deleteDBInstance',
      parameters: {
        'DbInstanceIdentifier.$': '$.scratch.id',
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      },
      resultSelector: { deleted: true },
      resultPath: '$.cleanup',
      policy: [
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBInstance'],
          resources: [dbArn],
          conditions: { StringEquals: { [`aws:ResourceTag/${SCRATCH_TAG.key}`]: SCRATCH_TAG.value } },
        }),
      ],
    });
    h.retry(remove, [
      'Rds.ThrottlingException',
      'Rds.SdkClientException',
      'Rds.InvalidDbInstanceStateException',
    ]);
    const gone = new sfn.Pass(s, 'Test database already gone', {
      parameters: { deleted: true },
      resultPath: '$.cleanup',
    }).next(evaluate);
    remove.addCatch(gone, { errors: ['Rds.DbInstanceNotFoundException'], resultPath: '$.cleanupNote' });
    remove.addCatch(evaluate, { resultPath: '$.cleanupError' });
    remove.next(evaluate);
    read.addCatch(remove, { resultPath: '$.restoreError' });

    const check = h.lambdaStep(
      s,
      'Run check query',
      checkFunction,
      sfn.TaskInput.fromObject({
        'observed.$': '$.observed',
        checks: JSON.parse(JSON.stringify(rds.checks)) as unknown[],
        defaultMaxAgeHours: settings.classes.rds.rpoHours,
        ...(rds.database ? { database: rds.database } : {}),
        budget: {
          instanceClass: rds.instanceClass,
          maxMinutes: rds.maxMinutes,
          ...(estimate === undefined ? {} : { estimatedUsd: estimate }),
          priceSource: PRICE_SOURCE,
        },
      }),
      {
        resultSelector: { 'results.$': '$.Payload.results', 'budget.$': '$.Payload.budget' },
        resultPath: '$.check',
      },
    );
    check.addCatch(remove, { resultPath: '$.restoreError' });
    check.next(remove);

    // Step Functions returns RDS fields in the Java v2 SDK's casing (DbInstances, DbInstanceStatus).
    const status = (values: readonly string[]) =>
      sfn.Condition.or(
        ...values.map((v) =>
          sfn.Condition.and(
            sfn.Condition.isPresent('$.observed.DbInstances[0].DbInstanceStatus'),
            sfn.Condition.stringEquals('$.observed.DbInstances[0].DbInstanceStatus', v),
          ),
        ),
      );
    const broke = new sfn.Pass(s, 'Test database broke', {
      parameters: {
        Error: 'RestoreFailed',
        'Cause.$': "States.Format('test database {} cannot become available', $.scratch.id)",
      },
      resultPath: '$.restoreError',
    }).next(remove);
    const slow = new sfn.Pass(s, 'Test database too slow', {
      parameters: {
        Error: 'RestoreTimedOut',
        'Cause.$': `States.Format('test database {} not available after ${poll.maxPolls} polls (time budget ${rds.maxMinutes} min)', $.scratch.id)`,
      },
      resultPath: '$.restoreError',
    }).next(remove);
    const loop = new PollLoop(s, 'Test database', {
      check: read,
      done: status(['available']),
      failed: status(RDS_DEAD_STATES),
      ...poll,
      counterAt: '$.scratch.poll',
      onDone: check,
      onFailed: broke,
      onTimeout: slow,
    });
    // A re-run of the same execution finds its instance already restoring: wait for it.
    restore.addCatch(loop.start, {
      errors: ['Rds.DbInstanceAlreadyExistsException'],
      resultPath: '$.restoreNote',
    });
    restore.addCatch(remove, { resultPath: '$.restoreError' });
    restore.next(loop.start);
    return name.next(restore);
  }
}

/** Poll settings whose waits (first, growing by backoff, capped) fit in `budgetSeconds` (at least 3 polls). */
export function fitPolls(budgetSeconds: number, first: number, backoff: number, max: number): PollSettings {
  let total = 0;
  let polls = 0;
  for (let w = first; ; w *= backoff) {
    const next = Math.min(Math.round(w), max);
    if (total + next > budgetSeconds) break;
    total += next;
    polls++;
  }
  return {
    firstWait: Duration.seconds(first),
    backoff,
    maxWait: Duration.seconds(max),
    maxPolls: Math.max(3, polls),
  };
}

/**
 * The database poll for a time budget: waits of 2, 3, 4.5 then 5 minutes, as many as fit in
 * `maxMinutes` less 5 minutes kept for the checks and the delete call (at least 3 polls).
 */
export function pollWithin(maxMinutes: number): PollSettings {
  return fitPolls(Math.max(0, maxMinutes - 5) * 60, 120, 1.5, 300);
}
