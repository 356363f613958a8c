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
import type { AllowedNodeGroup, ScaleSettings } from './logic.js';

/** EKS errors as the Step Functions SDK integration names them (`Eks.<Name>Exception`). */
export const EKS_ERRORS = {
  /** Transient: the service, throttling, or another update of the same node group still running. */
  retryable: [
    'Eks.ServerException',
    'Eks.ServiceUnavailableException',
    'Eks.ThrottlingException',
    'Eks.ResourceInUseException',
  ],
} as const;

export interface ScaleNodeGroupWorkflowProps {
  readonly namePrefix: string;
  readonly stage: string;
  readonly hooks: WorkflowHooks;
  /** The Lambda behind "Plan scaling" (runbooks/scale-node-group/steps). */
  readonly stepFunction: lambda.IFunction;
  /** Allow-list: clusters, node-group name patterns, ceilings, steps, scale-back delays. */
  readonly nodeGroups: readonly AllowedNodeGroup[];
  /** SSM prefix of the IaC-aware size parameters, e.g. `/ops/dev/nodegroups`. */
  readonly sizeParameterPrefix: string;
  /**
   * The intake function (`ops-<stage>-intake`) a scale-back schedule invokes, so the revert run
   * passes the intake's guards like any scheduled run. Required when a node group has
   * `scaleBackAfterMinutes > 0`.
   */
  readonly intakeFunctionArn?: string;
  readonly approvalTimeout: Duration;
  readonly poll?: {
    readonly firstWait: Duration;
    readonly backoff: number;
    readonly maxWait: Duration;
    readonly maxPolls: number;
  };
}

/**
 * scale-node-group: read the node group(s) (the named one, or every one of the cluster when the
 * signal names none), plan new sizes within the allow-list, UpdateNodegroupConfig with a token
 * derived from the execution name, wait for the update, record the sizes in the SSM parameters
 * the platform stack reads, and optionally schedule a scale-back (a revert run of this machine).
 */
export class ScaleNodeGroupWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The role EventBridge Scheduler uses to start the scale-back run (only when a scale-back is configured). */
  readonly schedulerRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ScaleNodeGroupWorkflowProps) {
    super(scope, id);
    if (props.nodeGroups.length === 0)
      throw new Error('scale-node-group needs at least one allow-listed node group');
    const stack = Stack.of(this);
    const { region, account, partition } = stack;
    const poll = props.poll ?? {
      firstWait: Duration.seconds(20),
      backoff: 1.5,
      maxWait: Duration.minutes(2),
      maxPolls: 25,
    };
    const schedulePrefix = `${props.namePrefix}-scale-back`;

    const clusters = [...new Set(props.nodeGroups.map((n) => n.cluster))];
    const clusterArns = clusters.map((c) => `arn:${partition}:eks:${region}:${account}:cluster/${c}`);
    const clusterNodegroupArns = clusters.map(
      (c) => `arn:${partition}:eks:${region}:${account}:nodegroup/${c}/*/*`,
    );
    const nodegroupArns = props.nodeGroups.map(
      (n) => `arn:${partition}:eks:${region}:${account}:nodegroup/${n.cluster}/${n.nodegroup}/*`,
    );
    const parameterArns = props.nodeGroups.map(
      (n) =>
        `arn:${partition}:ssm:${region}:${account}:parameter${props.sizeParameterPrefix}/${n.nodegroup}/*`,
    );

    const intakeFunctionArn = props.intakeFunctionArn;
    if (props.nodeGroups.some((n) => n.scaleBackAfterMinutes > 0)) {
      if (!intakeFunctionArn)
        throw new Error('scale-node-group: scaleBackAfterMinutes is set, so intakeFunctionArn is required');
      this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
        roleName: `${props.namePrefix}-scale-back-scheduler`,
        description:
          'EventBridge Scheduler: invokes the intake for the scale-back (revert) run of scale-node-group',
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      });
      this.schedulerRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [intakeFunctionArn] }),
      );
    }
    const settings: ScaleSettings = {
      region,
      stage: props.stage,
      nodeGroups: [...props.nodeGroups],
      sizeParameterPrefix: props.sizeParameterPrefix,
      ...(this.schedulerRole
        ? {
            scaleBack: {
              intakeFunctionArn: intakeFunctionArn as string,
              roleArn: this.schedulerRole.roleArn,
              schedulePrefix,
            },
          }
        : {}),
    };

    const eksRetry = (task: sfn.TaskStateBase) => {
      retryOn(task, EKS_ERRORS.retryable, { interval: Duration.seconds(5), maxDelay: Duration.minutes(1) });
      return task;
    };
    /** Inside a Map a failure can only re-raise to the Map, whose catch reaches the frame's failure path. */
    const raise = (failId: string) =>
      new sfn.Fail(this, failId, {
        comment: 'Re-raises to the Map; its catch ends the run through the shared failure path.',
        errorPath: '$.error.Error',
        causePath: '$.error.Cause',
      });

    const body = (_scope: Construct, tools: BodyTools): sfn.IChainable => {
      // 1. Which node groups to read: the named one, the captured ones (revert), or all of the cluster.
      const named = new sfn.Pass(this, 'Use the named node group', {
        parameters: { 'names.$': 'States.Array($.input.parameters.nodegroup)' },
        resultPath: '$.nodegroups',
      });
      const captured = new sfn.Pass(this, 'Use the captured node groups', {
        parameters: { 'names.$': '$.input.parameters.restore.nodegroups[*].nodegroup' },
        resultPath: '$.nodegroups',
      });
      const list = eksRetry(
        new tasks.CallAwsService(this, 'List node groups', {
          service: 'eks',
          action: 'listNodegroups',
          parameters: { 'ClusterName.$': '$.input.parameters.cluster' },
          iamResources: clusterArns,
          resultSelector: { 'names.$': '$.Nodegroups' },
          resultPath: '$.nodegroups',
        }),
      );
      tools.guard(list, 'List node groups failed');

      const describe = eksRetry(
        new tasks.CallAwsService(this, 'Describe node group', {
          service: 'eks',
          action: 'describeNodegroup',
          parameters: { 'ClusterName.$': '$.cluster', 'NodegroupName.$': '$.name' },
          // Read-only: every node group of the allow-listed clusters (an unnamed run describes them all to find those at max).
          iamResources: clusterNodegroupArns,
          outputPath: '$.Nodegroup',
        }),
      );
      describe.addCatch(raise('Describe node group failed'), { resultPath: '$.error' });
      const describeAll = new sfn.Map(this, 'Describe node groups', {
        itemsPath: '$.nodegroups.names',
        itemSelector: { 'cluster.$': '$.input.parameters.cluster', 'name.$': '$$.Map.Item.Value' },
        maxConcurrency: 5,
        resultPath: '$.described',
      });
      describeAll.itemProcessor(describe);
      tools.guard(describeAll, 'Reading node groups failed');
      named.next(describeAll);
      captured.next(describeAll);
      list.next(describeAll);

      // 2. Plan (a Lambda step: ceilings, steps, tokens, schedule).
      const plan = lambdaStep(this, 'Plan scaling', {
        fn: props.stepFunction,
        step: 'plan',
        payload: { 'parameters.$': '$.input.parameters', 'nodegroups.$': '$.described', settings },
        resultPath: '$.plan',
      });
      tools.guard(plan, 'Scaling refused');
      describeAll.next(plan);

      const dryRun = tools.record('Report planned scaling', '$.plan.value.dryRunResult');

      // 3. Per node group: update, wait, record the sizes for the next CDK deploy.
      const update = new ScopedAwsCall(this, 'Update node group size', {
        service: 'eks',
        action: 'updateNodegroupConfig',
        parameters: {
          'ClusterName.$': '$.clusterName',
          'NodegroupName.$': '$.nodegroup',
          ScalingConfig: {
            'MinSize.$': '$.after.minSize',
            'MaxSize.$': '$.after.maxSize',
            'DesiredSize.$': '$.after.desiredSize',
          },
          'ClientRequestToken.$': '$.clientRequestToken',
        },
        resultSelector: { 'id.$': '$.Update.Id', poll: POLL_START },
        resultPath: '$.update',
        policy: [
          new iam.PolicyStatement({ actions: ['eks:UpdateNodegroupConfig'], resources: nodegroupArns }),
        ],
      });
      eksRetry(update);
      update.addCatch(raise('Update node group failed'), { resultPath: '$.error' });

      const read = eksRetry(
        new tasks.CallAwsService(this, 'Read update status', {
          service: 'eks',
          action: 'describeUpdate',
          parameters: {
            'Name.$': '$.clusterName',
            'NodegroupName.$': '$.nodegroup',
            'UpdateId.$': '$.update.id',
          },
          iamResources: nodegroupArns,
          resultSelector: { 'status.$': '$.Update.Status', 'errors.$': '$.Update.Errors' },
          resultPath: '$.updateStatus',
        }),
      );
      read.addCatch(raise('Read update failed'), { resultPath: '$.error' });

      const ssmRetry = (task: sfn.TaskStateBase) => {
        retryOn(task, [
          'Ssm.ThrottlingException',
          'Ssm.TooManyUpdatesException',
          'Ssm.InternalServerErrorException',
        ]);
        return task;
      };
      const putParameter = (name: string, nameField: string, valueField: string) => {
        const task = new ScopedAwsCall(this, name, {
          service: 'ssm',
          action: 'putParameter',
          parameters: { 'Name.$': nameField, 'Value.$': valueField, Type: 'String', Overwrite: true },
          resultPath: sfn.JsonPath.DISCARD,
          policy: [new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: parameterArns })],
        });
        ssmRetry(task);
        task.addCatch(raise(`${name} failed`), { resultPath: '$.error' });
        return task;
      };
      const recordMax = putParameter('Record max size', '$.maxSizeParameter', '$.maxSizeValue');
      const recordDesired = putParameter(
        'Record desired size',
        '$.desiredSizeParameter',
        '$.desiredSizeValue',
      );
      recordMax.next(recordDesired);

      const reason = (passId: string, error: string, cause: string) =>
        new sfn.Pass(this, passId, { parameters: { Error: error, 'Cause.$': cause }, resultPath: '$.error' });
      const loop = new PollLoop(this, 'Node group update', {
        check: read,
        done: sfn.Condition.stringEquals('$.updateStatus.status', 'Successful'),
        failed: sfn.Condition.or(
          sfn.Condition.stringEquals('$.updateStatus.status', 'Failed'),
          sfn.Condition.stringEquals('$.updateStatus.status', 'Cancelled'),
        ),
        maxPolls: poll.maxPolls,
        firstWait: poll.firstWait,
        backoff: poll.backoff,
        maxWait: poll.maxWait,
        counterAt: '$.update.poll',
        onDone: recordMax,
        onFailed: reason(
          'Update did not succeed',
          'NodegroupUpdateFailed',
          "States.Format('update {} of {} ended {}: {}', $.update.id, $.nodegroup, $.updateStatus.status, States.JsonToString($.updateStatus.errors))",
        ).next(raise('Node group update failed')),
        onTimeout: reason(
          'Update still running',
          'PollTimeout',
          `States.Format('update {} of {} was still {} after ${poll.maxPolls} polls', $.update.id, $.nodegroup, $.updateStatus.status)`,
        ).next(raise('Node group update timed out')),
      });
      update.next(loop.start);

      const scale = new sfn.Map(this, 'Scale node groups', {
        itemsPath: '$.plan.value.targets',
        maxConcurrency: 3,
        resultPath: sfn.JsonPath.DISCARD,
      });
      scale.itemProcessor(update);
      tools.guard(scale, 'Scaling failed');

      const record = tools.record('Record result', '$.plan.value.result');

      // 4. Optional scale-back: a one-time schedule that starts a revert run of this state machine.
      let afterScaling: sfn.IChainable = record;
      if (this.schedulerRole) {
        const schedule = new ScopedAwsCall(this, 'Schedule scale-back', {
          service: 'scheduler',
          action: 'createSchedule',
          parameters: {
            'Name.$': '$.plan.value.scaleBack.Name',
            GroupName: 'default',
            'ScheduleExpression.$': '$.plan.value.scaleBack.ScheduleExpression',
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Target: {
              'Arn.$': '$.plan.value.scaleBack.Target.Arn',
              'RoleArn.$': '$.plan.value.scaleBack.Target.RoleArn',
              'Input.$': '$.plan.value.scaleBack.Target.Input',
              RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
            },
          },
          resultPath: sfn.JsonPath.DISCARD,
          policy: [
            new iam.PolicyStatement({
              actions: ['scheduler:CreateSchedule'],
              resources: [
                `arn:${partition}:scheduler:${region}:${account}:schedule/default/${schedulePrefix}-*`,
              ],
            }),
            new iam.PolicyStatement({
              actions: ['iam:PassRole'],
              resources: [this.schedulerRole.roleArn],
              conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
            }),
          ],
        });
        retryOn(schedule, ['Scheduler.ThrottlingException', 'Scheduler.InternalServerException']);
        // The schedule's name derives from the execution name: it existing already means a retry made it.
        schedule.addCatch(new sfn.Pass(this, 'Scale-back already scheduled').next(record), {
          errors: ['Scheduler.ConflictException'],
          resultPath: '$.scheduleConflict',
        });
        tools.guard(schedule, 'Scheduling scale-back failed');
        schedule.next(record);
        // Written as `IsNull: true` (not `isNotNull`): aws-local-stepfunctions 3 evaluates `IsNull: false` as always false.
        afterScaling = new sfn.Choice(this, 'Scale back later?')
          .when(sfn.Condition.isNull('$.plan.value.scaleBack'), record)
          .otherwise(schedule);
      }
      scale.next(afterScaling);
      plan.next(new sfn.Choice(this, 'Dry run?').when(isDryRun, dryRun).otherwise(scale));

      return tools
        .route('Which node groups?')
        .when(sfn.Condition.isPresent('$.input.parameters.revertOf'), captured)
        .when(sfn.Condition.isPresent('$.input.parameters.nodegroup'), named)
        .otherwise(list);
    };

    const frame = new RunbookFrame(this, 'Frame', {
      runbook: 'scale-node-group',
      namePrefix: props.namePrefix,
      roleName: `${props.namePrefix}-scale-node-group`,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: Duration.hours(2),
      body,
    });
    this.stateMachine = frame.stateMachine;
    acknowledgeInvoke(this, props.stepFunction);

    for (const n of props.nodeGroups) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${region}:${account}:nodegroup/${n.cluster}/${n.nodegroup}/*]`,
        reason:
          'eks:UpdateNodegroupConfig and eks:DescribeUpdate on allow-listed node groups only: node group ARNs end in a random id; the allow-list names the cluster and the node-group name pattern.',
      });
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:parameter${props.sizeParameterPrefix}/${n.nodegroup}/*]`,
        reason:
          'ssm:PutParameter on the max-size / desired-size parameters of allow-listed node groups only, under this stage’s prefix.',
      });
    }
    for (const c of clusters) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${region}:${account}:nodegroup/${c}/*/*]`,
        reason:
          'eks:DescribeNodegroup (read-only) on the node groups of an allow-listed cluster, to find those at their maximum.',
      });
    }
    // Only a stage with scale-back configured grants CreateSchedule (and so has this finding).
    if (this.schedulerRole) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:${region}:${account}:schedule/default/${schedulePrefix}-*]`,
        reason:
          'scheduler:CreateSchedule for the scale-back schedules, named per run (hash of the execution name) under this prefix.',
      });
    }
  }
}

/**
 * scale-node-group's infra: allow-listed node groups only (none: no state machine), their sizes
 * recorded in the platform's SSM parameters.
 */
export const scaleNodeGroupWorkflow: RunbookWorkflowPlugin = {
  name: 'scale-node-group',
  build(scope, ctx) {
    const { stage, namePrefix } = ctx;
    if (stage.automation.allowLists.nodeGroups.length === 0) return undefined;
    const steps = stepFunction(scope, ctx, 'ScaleNodeGroupSteps', {
      name: `${namePrefix}-scale-node-group-steps`,
      entry: 'runbooks/scale-node-group/steps/handler.ts',
      service: 'scale-node-group',
    });
    return new ScaleNodeGroupWorkflow(scope, 'ScaleNodeGroup', {
      namePrefix,
      stage: stage.name,
      hooks: ctx.hooks,
      stepFunction: steps,
      nodeGroups: stage.automation.allowLists.nodeGroups,
      sizeParameterPrefix: `/ops/${stage.name}/nodegroups`,
      intakeFunctionArn: ctx.intakeFunctionArn,
      approvalTimeout: ctx.approvalTimeout,
    }).stateMachine;
  },
};
