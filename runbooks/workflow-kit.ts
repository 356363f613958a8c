import { CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * What every runbook workflow shares, so a runbook's `workflow.ts` only describes its own
 * steps. The frame is:
 *
 *   Announce start → [approval mode: Request approval (waitForTaskToken) → Approved?] →
 *   <the runbook's body> → Report result → Succeeded
 *   any failure → Report failure → Failed (one failure state, with the reason)
 *
 * Payload contracts (JSONPath; the runbook body reads `$.input` and writes `$.result`):
 * - execution input: `RunbookInput` (runbooks/types.ts)
 * - state after "Announce start": `{ input: RunbookInput, execution: { name, startTime }, approval }`
 *   where `approval` is `{ status: 'not-requested' }` until "Request approval" replaces it with
 *   the approver's answer `{ approved, approver, at }`
 * - `hooks.report` is invoked with `{ phase, execution, startTime, input, approval, result?, error? }`
 *   where phase ∈ started | awaiting-approval | succeeded | failed | rejected; it must
 *   never throw for a Slack/Datadog outage (it records and returns).
 * - `hooks.approval` is invoked with `{ taskToken, execution, input, plan }` and must
 *   return at once; the task completes when someone presses Approve / Reject
 *   (SendTaskSuccess `{ approved, approver, at }` / SendTaskFailure `ApprovalRejected`),
 *   or times out (`States.Timeout` → rejected).
 * - the body must leave `$.result` as a `RunResult` (runbooks/types.ts).
 */

export interface WorkflowHooks {
  /** Posts / updates the run's Slack message, sends the Datadog event, writes the audit record. */
  readonly report: lambda.IFunction;
  /** Posts Approve / Reject buttons holding a reference to the task token (never the token itself). */
  readonly approval: lambda.IFunction;
}

export interface RunbookFrameProps {
  /** Runbook name: the state machine is named `<prefix>-<runbook>`. */
  readonly runbook: string;
  /** Resource-name prefix, e.g. `ops-dev`. */
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  /** How long an approval waits before it expires and the run is rejected. */
  readonly approvalTimeout: Duration;
  /** Upper bound for a whole run. */
  readonly timeout: Duration;
  /**
   * Name of the state machine's execution role, e.g. `ops-dev-<runbook>`: the intake's loop
   * protection recognises the automation's own CloudTrail events by the role-name prefix.
   * @default a generated name
   */
  readonly roleName?: string;
  /**
   * Builds the runbook's own steps and returns the first one. `tools.fail(id)` returns a
   * new chainable that ends the run through the shared failure path (report, then the one
   * Fail state): use it as a `Catch` target or `Choice` branch, with `$.error` holding
   * `{ Error, Cause }`. Every successful path must end with `.next(tools.done)`, with
   * `$.result` set to a `RunResult`.
   */
  readonly body: (scope: Construct, tools: BodyTools) => sfn.IChainable;
  /**
   * Where the body leaves its `RunResult` for "Report result" and the run's output. A body whose
   * last step computes the result (e.g. a planning Lambda step) names that path here and goes to
   * `tools.done` with no Pass state to copy it.
   * @default '$.result'
   */
  readonly resultPath?: string;
}

/**
 * cdk-nag: a LambdaInvoke task grants `lambda:InvokeFunction` on the function and on `<arn>:*`
 * (its versions and aliases), which AwsSolutions-IAM5 reports as a wildcard. Acknowledges exactly
 * that finding for one function, on `scope` (the construct holding the state machine's role).
 */
export function acknowledgeInvoke(scope: Construct, fn: lambda.IFunction): void {
  const cfn = fn.node.defaultChild;
  // An imported function has a literal ARN (tests): nothing to name, and no nag runs there.
  if (!(cfn instanceof CfnElement)) return;
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(cfn).getLogicalId(cfn)}.Arn>:*]`,
    reason: `lambda:InvokeFunction on ${fn.node.path} and its versions (<arn>:*) only: the grant LambdaInvoke makes for one function.`,
  });
}

/** Retries every Lambda task shares: transient Lambda service errors, with back-off. */
export function addLambdaRetry(task: sfn.TaskStateBase): sfn.TaskStateBase {
  task.addRetry({
    errors: [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ],
    interval: Duration.seconds(2),
    maxAttempts: 3,
    backoffRate: 2,
  });
  return task;
}

/**
 * The retry every AWS call shares: `errors` retried with exponential back-off (rate 2) from
 * `interval` (default 2 s), `maxAttempts` times (default 4), each wait capped at `maxDelay` when given.
 * Returns the task, so a call reads `retryOn(new CallAwsService(…), SERVICE_ERRORS.retryable)`.
 */
export function retryOn<T extends { addRetry(props: sfn.RetryProps): unknown }>(
  task: T,
  errors: readonly string[],
  options: { readonly interval?: Duration; readonly maxAttempts?: number; readonly maxDelay?: Duration } = {},
): T {
  task.addRetry({
    errors: [...errors],
    interval: options.interval ?? Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: options.maxAttempts ?? 4,
    ...(options.maxDelay ? { maxDelay: options.maxDelay } : {}),
  });
  return task;
}

/** A state that can catch errors: a task, a Map, a Parallel. */
export type Catchable = { addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown };

export interface BodyTools {
  readonly fail: (id: string) => sfn.IChainable;
  /** Where every successful path goes: reports the result and ends the run. */
  readonly done: sfn.IChainable;
  /**
   * The catch every step shares: any error of `task` ends the run through the failure path at
   * a state named `failId`, with `$.error` holding `{ Error, Cause }`. Returns the task.
   */
  readonly guard: <T extends Catchable>(task: T, failId: string) => T;
  /** A state `id` that takes the run's `RunResult` from `path` to the frame's `resultPath`, then reports it and ends. */
  readonly record: (id: string, path: string) => sfn.IChainable;
  /**
   * The body's routing Choice, with the approval gate as its first rule: in approval mode, before
   * approval, it leads to "Request approval", which comes back to this Choice; otherwise the
   * body's own rules route (add them with `.when` / `.otherwise`). A body that uses it saves the
   * frame's separate "Needs approval?" Choice; it must place it before any AWS call that reads or
   * changes a resource (a pure checking step before it is fine). At most one per body.
   */
  readonly route: (id: string) => sfn.Choice;
}

/**
 * A runbook's Lambda step: invoked with `{ step, executionName, ...payload }` (the execution name
 * is the correlation id of its log lines), its return value kept at `resultPath` as `{ value }`,
 * with the shared Lambda retries. The caller adds its Catch.
 */
export function lambdaStep(
  scope: Construct,
  name: string,
  props: {
    readonly fn: lambda.IFunction;
    readonly step: string;
    readonly payload: Record<string, unknown>;
    readonly resultPath: string;
  },
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: props.fn,
    payload: sfn.TaskInput.fromObject({
      step: props.step,
      'executionName.$': '$$.Execution.Name',
      ...props.payload,
    }),
    resultSelector: { 'value.$': '$.Payload' },
    resultPath: props.resultPath,
    retryOnServiceExceptions: false,
  });
  addLambdaRetry(task);
  return task;
}

export class RunbookFrame extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RunbookFrameProps) {
    super(scope, id);

    const report = (name: string, phase: string, extra: Record<string, string> = {}) => {
      const fields: Record<string, unknown> = {
        phase,
        'execution.$': '$$.Execution.Name',
        'startTime.$': '$$.Execution.StartTime',
        'input.$': '$.input',
        // Who approved and when, for the audit record (set by "Announce start", replaced on approval).
        'approval.$': '$.approval',
      };
      for (const [k, v] of Object.entries(extra)) fields[`${k}.$`] = v;
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.hooks.report,
        payload: sfn.TaskInput.fromObject(fields),
        resultPath: sfn.JsonPath.DISCARD,
        retryOnServiceExceptions: false,
      });
      addLambdaRetry(task);
      return task;
    };

    const failed = new sfn.Fail(this, 'Failed', {
      comment: 'The run failed; the report above says which step and why.',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const reportFailure = report('Report failure', 'failed', { error: '$.error' });
    // A broken reporter must not hide the failure: fall through to Failed either way.
    reportFailure.addCatch(failed, { resultPath: '$.reportError' });
    reportFailure.next(failed);

    const fail = (failId: string): sfn.IChainable => {
      return new sfn.Pass(this, failId, { comment: 'Route to the shared failure path.' }).next(reportFailure);
    };

    // The run's state, `{ input, execution, approval }`, is built by "Announce start" itself (its
    // ResultSelector reads the execution input from the context object): no Pass state of its own.
    const runState = {
      'input.$': '$$.Execution.Input',
      execution: { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
      approval: { status: 'not-requested' },
    };
    const announce = new tasks.LambdaInvoke(this, 'Announce start', {
      lambdaFunction: props.hooks.report,
      payload: sfn.TaskInput.fromObject({
        phase: 'started',
        'execution.$': '$$.Execution.Name',
        'startTime.$': '$$.Execution.StartTime',
        'input.$': '$',
        approval: { status: 'not-requested' },
      }),
      // No ResultPath: the default (`$`) makes the selected result the whole state.
      resultSelector: runState,
      retryOnServiceExceptions: false,
    });
    addLambdaRetry(announce);
    // Caught before the run state exists: the failure path builds it beside the error.
    announce.addCatch(
      new sfn.Pass(this, 'Announce failed', {
        comment: 'Route to the shared failure path.',
        parameters: { ...runState, 'error.$': '$.error' },
      }).next(reportFailure),
      { resultPath: '$.error' },
    );

    const resultPath = props.resultPath ?? '$.result';
    const reportResult = report('Report result', 'succeeded', { result: resultPath });
    reportResult.addCatch(new sfn.Succeed(this, 'Succeeded without report', { outputPath: resultPath }), {
      resultPath: '$.reportError',
    });
    reportResult.next(new sfn.Succeed(this, 'Succeeded', { outputPath: resultPath }));
    const guard = <T extends Catchable>(task: T, failId: string): T => {
      task.addCatch(fail(failId), { resultPath: '$.error' });
      return task;
    };
    const record = (recordId: string, path: string): sfn.IChainable =>
      new sfn.Pass(this, recordId, { inputPath: path, resultPath }).next(reportResult);
    const requestApproval = new tasks.LambdaInvoke(this, 'Request approval', {
      lambdaFunction: props.hooks.approval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        'execution.$': '$$.Execution.Name',
        'input.$': '$.input',
      }),
      resultPath: '$.approval',
      taskTimeout: sfn.Timeout.duration(props.approvalTimeout),
    });
    const rejected = report('Report rejection', 'rejected', { error: '$.error' });
    rejected.addCatch(new sfn.Fail(this, 'Rejected without report', { error: 'ApprovalRejected' }), {
      resultPath: '$.reportError',
    });
    rejected.next(
      new sfn.Fail(this, 'Rejected', {
        error: 'ApprovalRejected',
        cause: 'The run was rejected or its approval expired.',
      }),
    );
    requestApproval.addCatch(rejected, {
      errors: ['ApprovalRejected', 'States.Timeout', 'States.HeartbeatTimeout'],
      resultPath: '$.error',
    });
    requestApproval.addCatch(fail('Approval failed'), { resultPath: '$.error' });
    let routed: sfn.Choice | undefined;
    // Before approval in approval mode (the approver's answer has no `status`).
    const awaitingApproval = sfn.Condition.and(
      sfn.Condition.stringEquals('$.input.mode', 'approval'),
      sfn.Condition.isPresent('$.approval.status'),
    );
    const route = (routeId: string): sfn.Choice => {
      if (routed) throw new Error(`${props.runbook}: tools.route() is called once per body`);
      routed = new sfn.Choice(this, routeId).when(awaitingApproval, requestApproval);
      return routed;
    };
    const bodyThenReport = props.body(this, { fail, done: reportResult, guard, record, route });

    let definition: sfn.IChainable;
    if (routed) {
      requestApproval.next(routed);
      definition = sfn.Chain.start(announce).next(bodyThenReport);
    } else {
      requestApproval.next(bodyThenReport);
      const needsApproval = new sfn.Choice(this, 'Needs approval?')
        .when(sfn.Condition.stringEquals('$.input.mode', 'approval'), requestApproval)
        .otherwise(bodyThenReport);
      definition = sfn.Chain.start(announce).next(needsApproval);
    }

    acknowledgeInvoke(this, props.hooks.report);
    acknowledgeInvoke(this, props.hooks.approval);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Tracing and logging of the state machine, actions that support no resource-level permissions: xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets (X-Ray tracing); logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups (vended log delivery to the run log group). A runbook adding another action on `*` names it in its own acknowledgement (test/infra/stage-audit.test.ts fails otherwise).',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.namePrefix}-${props.runbook}`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout,
      ...(props.roleName
        ? {
            role: new iam.Role(this, 'Role', {
              roleName: props.roleName,
              assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
              description: `Execution role of the ${props.runbook} runbook`,
            }),
          }
        : {}),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}

/**
 * A bounded poll loop: `check` reads the state into `$.<resultKey>`, `isDone` / `isFailed`
 * decide, otherwise wait (growing by `backoff` each round) and try again, at most
 * `maxPolls` times; then `onTimeout`. Counters live in `$.poll.<id>`.
 */
export interface PollLoopProps {
  readonly check: sfn.TaskStateBase;
  readonly done: sfn.Condition;
  readonly failed?: sfn.Condition;
  readonly maxPolls: number;
  readonly firstWait: Duration;
  /** Each wait is the previous one times this, capped at `maxWait`. */
  readonly backoff: number;
  readonly maxWait: Duration;
  readonly onDone: sfn.IChainable;
  /**
   * When done, these rules route first, in order (`onDone` when none matches): the Choice that
   * would follow the loop is merged into the loop's own.
   */
  readonly doneRoutes?: readonly { readonly when: sfn.Condition; readonly next: sfn.IChainable }[];
  readonly onFailed?: sfn.IChainable;
  readonly onTimeout: sfn.IChainable;
  /**
   * Where the poll counter lives when the task that starts the loop sets it: that task's
   * ResultSelector holds `poll: POLL_START` and this is `<its ResultPath>.poll`. The loop then
   * starts at `check`, with no Pass state of its own. Default: `$.poll.<id>`, set by a
   * "start polling" Pass.
   */
  readonly counterAt?: string;
}

/** The poll counter a loop starts with (see `PollLoopProps.counterAt`): one read about to be made. */
export const POLL_START = { count: 1 } as const;

export class PollLoop extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: PollLoopProps) {
    super(scope, id);
    // One iteration is four states: back off → wait → check → done?. The count and the next wait
    // are set by one Pass (JSONPath has no variables and a Wait or Choice cannot change the state).
    const counter = props.counterAt ?? `$.poll.${id.replace(/[^A-Za-z0-9]/g, '')}`;
    const wait = new sfn.Wait(this, `${id}: wait`, {
      time: sfn.WaitTime.secondsPath(`${counter}.waitSeconds`),
    });
    // Back-off: grow the wait, capped. JSONPath has no multiply, so the growth sequence is precomputed;
    // the wait before read n + 1 is waits[n - 1].
    const waits: number[] = [];
    let w = props.firstWait.toSeconds();
    for (let i = 0; i < props.maxPolls; i++) {
      waits.push(Math.min(Math.round(w), props.maxWait.toSeconds()));
      w *= props.backoff;
    }
    const nextWait = new sfn.Pass(this, `${id}: back off`, {
      parameters: {
        'count.$': `States.MathAdd(${counter}.count, 1)`,
        'waitSeconds.$': `States.ArrayGetItem(States.Array(0, ${waits.join(', ')}), ${counter}.count)`,
      },
      resultPath: counter,
    });
    const decide = new sfn.Choice(this, `${id}: done?`);
    for (const r of props.doneRoutes ?? []) decide.when(sfn.Condition.and(props.done, r.when), r.next);
    decide.when(props.done, props.onDone);
    if (props.failed && props.onFailed) decide.when(props.failed, props.onFailed);
    decide.when(sfn.Condition.numberGreaterThanEquals(`${counter}.count`, props.maxPolls), props.onTimeout);
    decide.otherwise(nextWait);
    nextWait.next(wait);
    wait.next(props.check);
    props.check.next(decide);
    if (props.counterAt) {
      this.start = props.check;
    } else {
      const init = new sfn.Pass(this, `${id}: start polling`, {
        parameters: POLL_START,
        resultPath: counter,
      });
      this.start = init.next(props.check);
    }
  }
}

/**
 * An AWS SDK-integration task whose IAM statements are given explicitly, conditions included.
 * `tasks.CallAwsService` always grants `service:action` on `iamResources` without conditions;
 * a mutating call scoped by tag (`aws:RequestTag`, `ec2:ResourceTag`, ...) or by record name
 * needs its own statements instead, and this task grants exactly `policy` and nothing else.
 */
export interface ScopedAwsCallProps
  extends Omit<tasks.CallAwsServiceProps, 'iamResources' | 'iamAction' | 'additionalIamStatements'> {
  /** Every statement the call needs, with resource ARNs and conditions. */
  readonly policy: iam.PolicyStatement[];
}

export class ScopedAwsCall extends tasks.CallAwsService {
  protected override readonly taskPolicies: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: ScopedAwsCallProps) {
    const { policy, ...rest } = props;
    if (policy.length === 0) throw new Error(`${id}: a scoped AWS call needs at least one policy statement`);
    // The resources given here are never granted: `taskPolicies` below replaces the statement built from them.
    super(scope, id, { ...rest, iamResources: ['arn:aws:iam::000000000000:root'] });
    this.taskPolicies = policy;
  }
}

/** The condition every dry-run branch tests: the intake's (or the operator's) dry-run flag. */
export const isDryRun = sfn.Condition.booleanEquals('$.input.dryRun', true);
