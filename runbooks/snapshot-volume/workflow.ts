import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { type RunbookWorkflowPlugin, stepFunction } from '../build.js';
import {
  acknowledgeInvoke,
  type BodyTools,
  isDryRun,
  lambdaStep,
  POLL_START,
  PollLoop,
  RunbookFrame,
  retryOn,
  ScopedAwsCall,
  type WorkflowHooks,
} from '../workflow-kit.js';
import { CSI_TAGS, RECLAIM_TAG, SNAPSHOT_TAGS, type SnapshotSettings } from './logic.js';

/**
 * EC2 errors as the Step Functions SDK integration reports them: `Ec2.<Code>Exception` (the
 * documented naming, service and error in PascalCase with the `Exception` suffix always added),
 * and `Ec2.Ec2Exception`, the generic wrapper under which EC2 (an API without modelled error
 * shapes) reports most codes, with the code only in the Cause.
 */
export const EC2_ERRORS = {
  throttled: ['Ec2.RequestLimitExceededException'],
  /** CreateSnapshot: "wait at least 15 seconds between concurrent volume snapshots", and the concurrent-snapshot cap. */
  snapshotRate: [
    'Ec2.SnapshotCreationPerVolumeRateExceededException',
    'Ec2.ConcurrentSnapshotLimitExceededException',
    'Ec2.RequestLimitExceededException',
  ],
  generic: ['Ec2.Ec2Exception'],
} as const;

export interface SnapshotVolumeWorkflowProps {
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  /** The Lambda behind the `plan`, `copy`, `retention` and `revert` steps (runbooks/snapshot-volume/steps). */
  readonly stepFunction: lambda.IFunction;
  /** Allow-list and retention (from config `automation.allowLists.volumes` and `optInTag`). */
  readonly settings: Omit<SnapshotSettings, 'drRegion'>;
  /**
   * Copy completed snapshots to this region, encrypted with the key of this alias there (e.g.
   * `alias/dr-snapshots`), or with the region's default EBS key when no alias is given. Omitted: no DR copy.
   */
  readonly dr?: { readonly region: string; readonly kmsKeyAlias?: string };
  /**
   * KMS keys that encrypt the volumes (their snapshots inherit the key): the DR copy must decrypt
   * with them. Omitted: any key of this account, used only through EC2 in this region.
   */
  readonly sourceKmsKeyArns?: readonly string[];
  readonly approvalTimeout: Duration;
  /** Snapshot polling: first wait, growth, cap and count. Defaults cover ~4 hours. */
  readonly poll?: {
    readonly firstWait: Duration;
    readonly backoff: number;
    readonly maxWait: Duration;
    readonly maxPolls: number;
  };
}

/**
 * snapshot-volume: find the volume (by id, or the PVC's through the EBS CSI driver's tags),
 * guard it, snapshot it with our tags set in the same call, wait for `completed`, copy to the DR
 * region, then prune older snapshots this product made. Revert deletes what a run created.
 */
export class SnapshotVolumeWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly frame: RunbookFrame;

  constructor(scope: Construct, id: string, props: SnapshotVolumeWorkflowProps) {
    super(scope, id);
    const { region, account } = Stack.of(this);
    const settings: SnapshotSettings = {
      ...props.settings,
      ...(props.dr ? { drRegion: props.dr.region } : {}),
    };
    const poll = props.poll ?? {
      firstWait: Duration.seconds(15),
      backoff: 1.5,
      maxWait: Duration.minutes(10),
      maxPolls: 30,
    };
    const volumeArn = `arn:${Stack.of(this).partition}:ec2:${region}:${account}:volume/*`;
    const snapshotArn = (r: string) => `arn:${Stack.of(this).partition}:ec2:${r}::snapshot/*`;
    const ours = { [`aws:ResourceTag/${SNAPSHOT_TAGS.createdBy}`]: settings.createdBy };

    const step = (name: string, stepName: string, payload: Record<string, unknown>, resultPath: string) =>
      lambdaStep(this, name, { fn: props.stepFunction, step: stepName, payload, resultPath });
    const retry = (task: sfn.TaskStateBase, errors: readonly string[], maxAttempts = 4) => {
      retryOn(task, errors, { maxAttempts, maxDelay: Duration.seconds(60) });
      retryOn(task, EC2_ERRORS.generic, { maxAttempts: 2 });
      return task;
    };
    const failWith = (tools: BodyTools, failId: string, error: string, cause: string) =>
      new sfn.Pass(this, `${failId}: reason`, {
        parameters: { Error: error, 'Cause.$': cause },
        resultPath: '$.error',
      }).next(tools.fail(failId));

    const body = (_scope: Construct, tools: BodyTools): sfn.IChainable => {
      // Revert: delete what the reverted run created (a Lambda step: it acts in two regions and checks tags first).
      const revert = step(
        'Delete the reverted run’s snapshots',
        'revert',
        { 'parameters.$': '$.input.parameters', 'dryRun.$': '$.input.dryRun', settings },
        '$.revert',
      );
      tools.guard(revert, 'Revert failed');
      revert.next(tools.record('Record revert result', '$.revert.value'));

      const byId = retry(
        new tasks.CallAwsService(this, 'Describe volume', {
          service: 'ec2',
          action: 'describeVolumes',
          parameters: { 'VolumeIds.$': 'States.Array($.input.parameters.volumeId)' },
          iamResources: ['*'],
          resultSelector: { 'Volumes.$': '$.Volumes' },
          resultPath: '$.volumes',
        }),
        EC2_ERRORS.throttled,
      );
      tools.guard(byId, 'Describe volume failed');
      const byPvc = retry(
        new tasks.CallAwsService(this, 'Find the PVC’s volume', {
          service: 'ec2',
          action: 'describeVolumes',
          parameters: {
            Filters: [
              { Name: `tag:${CSI_TAGS.pvcName}`, 'Values.$': 'States.Array($.input.parameters.pvc)' },
              {
                Name: `tag:${CSI_TAGS.pvcNamespace}`,
                'Values.$': 'States.Array($.input.parameters.namespace)',
              },
            ],
          },
          iamResources: ['*'],
          resultSelector: { 'Volumes.$': '$.Volumes' },
          resultPath: '$.volumes',
        }),
        EC2_ERRORS.throttled,
      );
      tools.guard(byPvc, 'Find volume failed');

      const plan = step(
        'Plan snapshot',
        'plan',
        {
          'parameters.$': '$.input.parameters',
          'volumes.$': '$.volumes.Volumes',
          settings,
        },
        '$.plan',
      );
      tools.guard(plan, 'Snapshot refused');
      byId.next(plan);
      byPvc.next(plan);

      const dryRun = tools.record('Report planned snapshot', '$.plan.value.dryRunResult');

      const create = new ScopedAwsCall(this, 'Create snapshot', {
        service: 'ec2',
        action: 'createSnapshot',
        parameters: {
          'VolumeId.$': '$.plan.value.volumeId',
          'Description.$': '$.plan.value.description',
          'TagSpecifications.$': '$.plan.value.tagSpecifications',
        },
        resultSelector: {
          'SnapshotId.$': '$.SnapshotId',
          poll: POLL_START,
          copy: { value: { skipped: true } },
        },
        resultPath: '$.snapshot',
        policy: createSnapshotPolicy(volumeArn, snapshotArn(region), settings),
      });
      retryOn(create, EC2_ERRORS.snapshotRate, {
        interval: Duration.seconds(15),
        maxAttempts: 6,
        maxDelay: Duration.minutes(2),
      });
      // EC2 rejects before creating anything, so retrying the generic wrapper cannot create a second snapshot.
      retryOn(create, EC2_ERRORS.generic, { interval: Duration.seconds(15), maxAttempts: 3 });
      tools.guard(create, 'Create snapshot failed');

      const read = retry(
        new tasks.CallAwsService(this, 'Read snapshot state', {
          service: 'ec2',
          action: 'describeSnapshots',
          parameters: { 'SnapshotIds.$': 'States.Array($.snapshot.SnapshotId)' },
          iamResources: ['*'],
          resultSelector: { 'state.$': '$.Snapshots[0].State', 'progress.$': '$.Snapshots[0].Progress' },
          resultPath: '$.snapshotState',
        }),
        // Right after CreateSnapshot, EC2 may not list the snapshot yet (eventual consistency).
        [...EC2_ERRORS.throttled, 'Ec2.InvalidSnapshot.NotFoundException'],
      );
      tools.guard(read, 'Read snapshot failed');

      // After completion: DR copy (when configured and asked for), then retention.
      const list = retry(
        new tasks.CallAwsService(this, 'List our snapshots of the volume', {
          service: 'ec2',
          action: 'describeSnapshots',
          parameters: {
            OwnerIds: ['self'],
            Filters: [
              { Name: `tag:${SNAPSHOT_TAGS.createdBy}`, Values: [settings.createdBy] },
              {
                Name: `tag:${SNAPSHOT_TAGS.sourceVolume}`,
                'Values.$': 'States.Array($.plan.value.volumeId)',
              },
            ],
          },
          iamResources: ['*'],
          resultSelector: { 'Snapshots.$': '$.Snapshots' },
          resultPath: '$.listing',
        }),
        EC2_ERRORS.throttled,
      );
      tools.guard(list, 'List snapshots failed');

      // `$.snapshot.copy.value`: `{ skipped: true }` as Create snapshot sets it, or the copy step's answer.
      const copyRoutes: { when: sfn.Condition; next: sfn.IChainable }[] = [];
      if (props.dr) {
        const copy = step(
          'Copy snapshot to the DR region',
          'copy',
          {
            'snapshotId.$': '$.snapshot.SnapshotId',
            'description.$': '$.plan.value.description',
            'tags.$': '$.plan.value.tags',
            settings: {
              ...settings,
              drRegion: props.dr.region,
              ...(props.dr.kmsKeyAlias
                ? {
                    drKmsKeyId: `arn:${Stack.of(this).partition}:kms:${props.dr.region}:${account}:${props.dr.kmsKeyAlias}`,
                  }
                : {}),
            },
          },
          '$.snapshot.copy',
        );
        tools.guard(copy, 'DR copy failed');
        copy.next(list);
        copyRoutes.push({ when: sfn.Condition.booleanEquals('$.plan.value.copyToDr', true), next: copy });
      }

      const loop = new PollLoop(this, 'Snapshot', {
        check: read,
        done: sfn.Condition.stringEquals('$.snapshotState.state', 'completed'),
        failed: sfn.Condition.stringEquals('$.snapshotState.state', 'error'),
        maxPolls: poll.maxPolls,
        firstWait: poll.firstWait,
        backoff: poll.backoff,
        maxWait: poll.maxWait,
        counterAt: '$.snapshot.poll',
        doneRoutes: copyRoutes,
        onDone: list,
        onFailed: failWith(
          tools,
          'Snapshot failed',
          'SnapshotFailed',
          "States.Format('snapshot {} of {} ended in state error', $.snapshot.SnapshotId, $.plan.value.volumeId)",
        ),
        onTimeout: failWith(
          tools,
          'Snapshot timed out',
          'PollTimeout',
          `States.Format('snapshot {} of {} was not completed after ${poll.maxPolls} polls (last progress {})', $.snapshot.SnapshotId, $.plan.value.volumeId, $.snapshotState.progress)`,
        ),
      });
      create.next(loop.start);

      const retention = step(
        'Decide retention',
        'retention',
        {
          'volumeId.$': '$.plan.value.volumeId',
          'pvc.$': '$.plan.value.pvc',
          'snapshotId.$': '$.snapshot.SnapshotId',
          'copy.$': '$.snapshot.copy.value',
          'snapshots.$': '$.listing.Snapshots',
          settings,
        },
        '$.retention',
      );
      tools.guard(retention, 'Retention failed');
      list.next(retention);

      const remove = new ScopedAwsCall(this, 'Delete old snapshot', {
        service: 'ec2',
        action: 'deleteSnapshot',
        parameters: { 'SnapshotId.$': '$.SnapshotId' },
        resultPath: sfn.JsonPath.DISCARD,
        policy: [
          new iam.PolicyStatement({
            actions: ['ec2:DeleteSnapshot'],
            resources: [snapshotArn(region)],
            conditions: { StringEquals: ours },
          }),
        ],
      });
      retry(remove, EC2_ERRORS.throttled);
      // Inside a Map a task cannot reach the frame's failure path directly: re-raise, and the Map's catch routes it there.
      remove.addCatch(
        new sfn.Fail(this, 'Prune failed', {
          comment:
            'Re-raises the delete error to the Map, whose catch ends the run through the shared failure path.',
          errorPath: '$.Error',
          causePath: '$.Cause',
        }),
      );
      const prune = new sfn.Map(this, 'Prune old snapshots', {
        itemsPath: '$.retention.value.prune',
        maxConcurrency: 2,
        resultPath: sfn.JsonPath.DISCARD,
      });
      prune.itemProcessor(remove);
      tools.guard(prune, 'Pruning failed');
      retention.next(prune);
      const recordResult = tools.record('Record result', '$.retention.value.result');

      // Reclaim (asked for with `reclaim: true`, never by the detach trigger): only after the snapshot
      // completed, re-read the volume and let the pure guard decide; DeleteVolume is tag-scoped in IAM.
      const reread = retry(
        new tasks.CallAwsService(this, 'Re-read the volume', {
          service: 'ec2',
          action: 'describeVolumes',
          parameters: { 'VolumeIds.$': 'States.Array($.plan.value.volumeId)' },
          iamResources: ['*'],
          resultSelector: { 'Volumes.$': '$.Volumes' },
          resultPath: '$.reclaimVolume',
        }),
        EC2_ERRORS.throttled,
      );
      const gone = new sfn.Pass(this, 'Volume already gone', {
        parameters: { Volumes: [] },
        resultPath: '$.reclaimVolume',
      });
      reread.addCatch(gone, { errors: ['Ec2.InvalidVolume.NotFoundException'], resultPath: '$.error' });
      tools.guard(reread, 'Re-read volume failed');
      const decide = step(
        'Decide reclaim',
        'reclaim',
        {
          'volumeId.$': '$.plan.value.volumeId',
          'snapshotId.$': '$.snapshot.SnapshotId',
          'snapshotState.$': '$.snapshotState.state',
          'volumes.$': '$.reclaimVolume.Volumes',
          'result.$': '$.retention.value.result',
          settings,
        },
        '$.reclaim',
      );
      tools.guard(decide, 'Reclaim refused');
      reread.next(decide);
      gone.next(decide);
      const recordReclaim = tools.record('Record reclaim result', '$.reclaim.value.result');
      const deleteVolume = new ScopedAwsCall(this, 'Delete the released volume', {
        service: 'ec2',
        action: 'deleteVolume',
        parameters: { 'VolumeId.$': '$.plan.value.volumeId' },
        resultPath: sfn.JsonPath.DISCARD,
        policy: [
          new iam.PolicyStatement({
            actions: ['ec2:DeleteVolume'],
            resources: [volumeArn],
            conditions: {
              StringEquals: {
                [`aws:ResourceTag/${RECLAIM_TAG.key}`]: RECLAIM_TAG.value,
                [`aws:ResourceTag/${settings.protectedTag.key}`]: settings.protectedTag.value,
              },
            },
          }),
        ],
      });
      retry(deleteVolume, EC2_ERRORS.throttled);
      // A retried delete that already succeeded finds the volume gone: that is the wanted end state.
      deleteVolume.addCatch(recordReclaim, {
        errors: ['Ec2.InvalidVolume.NotFoundException'],
        resultPath: '$.error',
      });
      tools.guard(deleteVolume, 'Delete volume failed');
      deleteVolume.next(recordReclaim);
      decide.next(
        new sfn.Choice(this, 'Delete the volume?')
          .when(sfn.Condition.booleanEquals('$.reclaim.value.delete', true), deleteVolume)
          .otherwise(recordReclaim),
      );
      prune.next(
        new sfn.Choice(this, 'Reclaim the released volume?')
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.input.parameters.reclaim'),
              sfn.Condition.booleanEquals('$.input.parameters.reclaim', true),
            ),
            reread,
          )
          .otherwise(recordResult),
      );

      const declined = tools.record('Report declined snapshot', '$.plan.value.declined');
      // `IsNull: true` first: aws-local-stepfunctions 3 evaluates `IsNull: false` as always false.
      // One Choice for both guards: allow-listed (not declined), then dry run.
      plan.next(
        new sfn.Choice(this, 'Allow-listed, and live?')
          .when(sfn.Condition.and(sfn.Condition.isNull('$.plan.value.declined'), isDryRun), dryRun)
          .when(sfn.Condition.isNull('$.plan.value.declined'), create)
          .otherwise(declined),
      );

      return tools
        .route('Revert, volume id or PVC?')
        .when(sfn.Condition.isPresent('$.input.parameters.revertOf'), revert)
        .when(sfn.Condition.isPresent('$.input.parameters.volumeId'), byId)
        .otherwise(byPvc);
    };

    this.frame = new RunbookFrame(this, 'Frame', {
      runbook: 'snapshot-volume',
      namePrefix: props.namePrefix,
      roleName: `${props.namePrefix}-snapshot-volume`,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: Duration.hours(6),
      body,
    });
    this.stateMachine = this.frame.stateMachine;
    acknowledgeInvoke(this, props.stepFunction);

    grantStepFunction(props.stepFunction, {
      region,
      account,
      partition: Stack.of(this).partition,
      settings,
      dr: props.dr,
      sourceKmsKeyArns: props.sourceKmsKeyArns,
    });
    if (props.stepFunction.role) {
      const nag = Validations.of(props.stepFunction.role);
      nag.acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ec2:DescribeSnapshots supports no resource-level permissions (read-only).',
      });
      for (const r of [region, ...(props.dr ? [props.dr.region] : [])]) {
        nag.acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${r}::snapshot/*]`,
          reason: `Snapshot ids are not known at deploy time: ec2:CopySnapshot and ec2:DeleteSnapshot require the resource tag ${SNAPSHOT_TAGS.createdBy}=${settings.createdBy}, a copy (ec2:CreateTags at creation) the same request tag.`,
        });
      }
      if (props.dr) {
        nag.acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${props.dr.region}:${account}:key/*]`,
          reason:
            'The DR key lives in another region outside this app: kms:CreateGrant, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom and kms:ReEncryptTo for the snapshot copy, scoped by kms:ResourceAliases and kms:ViaService EC2.',
        });
        if (!props.sourceKmsKeyArns?.length) {
          nag.acknowledge({
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*]`,
            reason:
              'Volumes may be encrypted with any key of the account: kms:Decrypt, kms:CreateGrant and kms:DescribeKey for the copy, only through EC2 (kms:ViaService).',
          });
        }
      }
    }

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeVolumes and ec2:DescribeSnapshots support no resource-level permissions; every mutating call is scoped by ARN and tag.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${account}:volume/*]`,
      reason:
        'Volume ids are not known at deploy time: ec2:CreateSnapshot is allowed only on volumes carrying the protected / opt-in tag or the CSI driver’s allow-listed namespace tag; ' +
        `ec2:DeleteVolume only on volumes carrying both ${RECLAIM_TAG.key}=${RECLAIM_TAG.value} (set by the protected StorageClass) and the protected tag.`,
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}::snapshot/*]`,
      reason: `Snapshot ids are not known at deploy time: ec2:CreateSnapshot and ec2:CreateTags (at creation) require the request tag ${SNAPSHOT_TAGS.createdBy}=${settings.createdBy}, ec2:DeleteSnapshot requires that resource tag.`,
    });
  }
}

/** CreateSnapshot needs the volume (tag-scoped: protected / opt-in / allowed PVC namespace) and the new snapshot (request-tag scoped). */
function createSnapshotPolicy(
  volumeArn: string,
  snapshotArn: string,
  settings: SnapshotSettings,
): iam.PolicyStatement[] {
  const onVolume = (conditions: Record<string, unknown>) =>
    new iam.PolicyStatement({ actions: ['ec2:CreateSnapshot'], resources: [volumeArn], conditions });
  return [
    onVolume({
      StringEquals: { [`aws:ResourceTag/${settings.protectedTag.key}`]: settings.protectedTag.value },
    }),
    onVolume({ StringEquals: { [`aws:ResourceTag/${settings.optInTag.key}`]: settings.optInTag.value } }),
    ...(settings.pvcNamespaces.length > 0
      ? [
          onVolume({
            StringEquals: {
              [`aws:ResourceTag/${CSI_TAGS.pvcNamespace}`]: settings.pvcNamespaces,
              [`aws:ResourceTag/${CSI_TAGS.driver}`]: 'true',
            },
          }),
        ]
      : []),
    new iam.PolicyStatement({
      actions: ['ec2:CreateSnapshot'],
      resources: [snapshotArn],
      conditions: { StringEquals: { [`aws:RequestTag/${SNAPSHOT_TAGS.createdBy}`]: settings.createdBy } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [snapshotArn],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
    }),
  ];
}

/** What the step function does itself: the DR copy (and its KMS use) and the revert's look-up and delete. */
function grantStepFunction(
  fn: lambda.IFunction,
  ctx: {
    region: string;
    account: string;
    partition: string;
    settings: SnapshotSettings;
    dr?: { region: string; kmsKeyAlias?: string } | undefined;
    sourceKmsKeyArns?: readonly string[] | undefined;
  },
): void {
  const { region, account, partition, settings, dr } = ctx;
  const regions = [region, ...(dr ? [dr.region] : [])];
  const snapshotArns = regions.map((r) => `arn:${partition}:ec2:${r}::snapshot/*`);
  const ours = { [`aws:ResourceTag/${SNAPSHOT_TAGS.createdBy}`]: settings.createdBy };
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadSnapshots',
      actions: ['ec2:DescribeSnapshots'],
      resources: ['*'],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'RevertDeletesOnlyOurSnapshots',
      actions: ['ec2:DeleteSnapshot'],
      resources: snapshotArns,
      conditions: { StringEquals: ours },
    }),
  );
  if (!dr) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'CopyOnlyOurSnapshots',
      actions: ['ec2:CopySnapshot'],
      resources: [`arn:${partition}:ec2:${region}::snapshot/*`],
      conditions: { StringEquals: ours },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'CopyCreatesTaggedSnapshots',
      actions: ['ec2:CopySnapshot'],
      resources: [`arn:${partition}:ec2:${dr.region}::snapshot/*`],
      conditions: { StringEquals: { [`aws:RequestTag/${SNAPSHOT_TAGS.createdBy}`]: settings.createdBy } },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'TagOnCopy',
      actions: ['ec2:CreateTags'],
      resources: [`arn:${partition}:ec2:${dr.region}::snapshot/*`],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'EncryptCopyWithDrKey',
      actions: [
        'kms:Encrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:DescribeKey',
        'kms:CreateGrant',
      ],
      // The DR key lives in another region, outside this app, and is known by its alias: scope by alias.
      resources: [`arn:${partition}:kms:${dr.region}:${account}:key/*`],
      conditions: {
        StringEquals: { 'kms:ViaService': `ec2.${dr.region}.amazonaws.com` },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [dr.kmsKeyAlias ?? 'alias/aws/ebs'] },
      },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'DecryptSourceSnapshot',
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant'],
      resources: ctx.sourceKmsKeyArns?.length
        ? [...ctx.sourceKmsKeyArns]
        : [`arn:${partition}:kms:${region}:${account}:key/*`],
      conditions: {
        StringEquals: { 'kms:ViaService': [`ec2.${region}.amazonaws.com`, `ec2.${dr.region}.amazonaws.com`] },
      },
    }),
  );
}

/**
 * snapshot-volume's infra: its step function and workflow, from the stage's volume settings
 * (volumes carrying the protected / opt-in tag, or PVCs of allowed namespaces).
 */
export const snapshotVolumeWorkflow: RunbookWorkflowPlugin = {
  name: 'snapshot-volume',
  build(scope, ctx) {
    const { stage, namePrefix } = ctx;
    const volumes = stage.automation.allowLists.volumes;
    const steps = stepFunction(scope, ctx, 'SnapshotVolumeSteps', {
      name: `${namePrefix}-snapshot-volume-steps`,
      entry: 'runbooks/snapshot-volume/steps/handler.ts',
      service: 'snapshot-volume',
    });
    return new SnapshotVolumeWorkflow(scope, 'SnapshotVolume', {
      namePrefix,
      hooks: ctx.hooks,
      stepFunction: steps,
      settings: {
        region: stage.region,
        createdBy: namePrefix,
        protectedTag: volumes.protectedTag,
        optInTag: stage.automation.optInTag,
        pvcNamespaces: volumes.pvcNamespaces,
        keepLast: volumes.keepLast,
        maxAgeDays: volumes.maxAgeDays,
      },
      ...(stage.drRegion
        ? {
            dr: {
              region: stage.drRegion,
              ...(volumes.drKmsKeyAlias ? { kmsKeyAlias: volumes.drKmsKeyAlias } : {}),
            },
          }
        : {}),
      approvalTimeout: ctx.approvalTimeout,
    }).stateMachine;
  },
};
