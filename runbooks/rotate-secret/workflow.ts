import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  acknowledgeInvoke,
  lambdaStep,
  POLL_START,
  PollLoop,
  RunbookFrame,
  retryOn,
  type WorkflowHooks,
} from '../workflow-kit.js';

/**
 * rotate-secret: RotateSecret for an allow-listed secret → bounded polling of DescribeSecret
 * until the rotation finished → the secret's own rotation function verifies that AWSCURRENT is
 * the new version and works → restart the configured Kubernetes workloads (through the in-VPC
 * kube function, functions/kube: the PATCH of the pod template's `kubectl.kubernetes.io/restartedAt`
 * annotation that `kubectl rollout restart` sends; the clusters' API endpoints are private, which
 * the Step Functions `eks:call` integration cannot reach) → report. Any failure after the rotation was requested checks
 * AWSCURRENT again and reports which step failed, whether AWSCURRENT still works, and the
 * recovery path. A rotation an earlier failure left unfinished (RotateSecret refuses with
 * InvalidRequestException) is finished or abandoned by the rotation function's `recover` action,
 * then the rotation is requested again.
 */

export type WorkloadKind = 'deployment' | 'statefulset';

export interface RotatableSecret {
  /** Secret name, as the runbook's `secretId` parameter and the allow-list spell it. */
  readonly name: string;
  /** The secret's ARN (or ARN pattern `…:secret:<name>-??????`): what IAM is scoped to. */
  readonly arn: string;
  readonly strategy: 'mysql-single-user' | 'mysql-alternating-users' | 'random';
  /** The secret's rotation function (runbooks/rotate-secret/steps/handler.ts): also runs `verify` and `recover`. */
  readonly rotationFunction: lambda.IFunction;
  /** Workloads that read the secret, `namespace/kind/name` (kind: deployment or statefulset). */
  readonly restartWorkloads: readonly string[];
}

export interface RotateSecretPolling {
  readonly maxPolls: number;
  readonly firstWait: Duration;
  readonly backoff: number;
  readonly maxWait: Duration;
}

export interface RotateSecretWorkflowProps {
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly approvalTimeout: Duration;
  readonly timeout?: Duration;
  readonly secrets: readonly RotatableSecret[];
  /**
   * The in-VPC Kubernetes access function (functions/kube/handler.ts, infra KubeAccess), invoked
   * with step `restart-workload`. Required when any secret lists workloads; its own allow-list and
   * RBAC must include them (infra builds both from the same config).
   */
  readonly kubeFunction?: lambda.IFunction;
  /** Defaults: 20 polls, 10 s first wait, ×1.5, at most 60 s (about 15 minutes in all). */
  readonly polling?: RotateSecretPolling;
  /** Name of the state machine's role (`ops-<stage>-rotate-secret`: loop protection matches the prefix). */
  readonly roleName?: string;
}

const PLURAL: Record<WorkloadKind, string> = {
  deployment: 'deployments',
  statefulset: 'statefulsets',
};

/** `namespace/kind/name` → the Kubernetes API path of that workload. */
export function workloadPath(ref: string): {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  path: string;
  ref: string;
} {
  const parts = ref.split('/');
  const [namespace, rawKind, name] = parts;
  const kind = rawKind?.toLowerCase() as WorkloadKind | undefined;
  if (parts.length !== 3 || !namespace || !name || !kind || !(kind in PLURAL)) {
    throw new Error(
      `restart workload "${ref}" must be namespace/kind/name with kind deployment or statefulset`,
    );
  }
  return {
    namespace,
    kind,
    name,
    path: `/apis/apps/v1/namespaces/${namespace}/${PLURAL[kind]}/${name}`,
    ref: `${namespace}/${kind}/${name}`,
  };
}

/** Failure-path labels the report shows: the step that failed, in the words of the state names. */
const STEPS = {
  describe: 'Read secret',
  rotate: 'Rotate secret',
  recover: 'Recover unfinished rotation',
  wait: 'Wait for rotation',
  verify: 'Verify new secret',
  restart: 'Restart consumers',
} as const;

export class RotateSecretWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RotateSecretWorkflowProps) {
    super(scope, id);
    if (props.secrets.length === 0) throw new Error('rotate-secret needs at least one allow-listed secret');
    const workloadsBySecret = new Map(
      props.secrets.map((s) => [s.name, s.restartWorkloads.map(workloadPath)]),
    );
    const anyWorkloads = [...workloadsBySecret.values()].some((w) => w.length > 0);
    if (anyWorkloads && !props.kubeFunction) {
      throw new Error('rotate-secret: restartWorkloads are configured but no kube function was given');
    }
    const polling = props.polling ?? {
      maxPolls: 20,
      firstWait: Duration.seconds(10),
      backoff: 1.5,
      maxWait: Duration.seconds(60),
    };
    const secretArns = props.secrets.map((s) => s.arn);

    const frame = new RunbookFrame(this, 'Frame', {
      runbook: 'rotate-secret',
      namePrefix: props.namePrefix,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: props.timeout ?? Duration.hours(1),
      ...(props.roleName ? { roleName: props.roleName } : {}),
      body: (s, { fail, done, route }) => {
        // ---- failure path: which step, does AWSCURRENT still work, what to do -------------------
        const checkCurrent = rotationFunctionCall(s, 'Check AWSCURRENT still works', {
          action: 'verify',
          'secretId.$': '$.secret.name',
        });
        const currentUnknown = new sfn.Pass(s, 'AWSCURRENT could not be checked', {
          parameters: { value: { works: 'unknown', 'reason.$': '$.checkError.Cause' } },
          resultPath: '$.current',
        });
        checkCurrent.addCatch(currentUnknown, { resultPath: '$.checkError' });
        const explain = (name: string, verdict: string, recovery: string) =>
          new sfn.Pass(s, name, {
            parameters: {
              'Error.$': '$.failure.Error',
              'Cause.$': `States.Format('Step {} failed ({}: {}). ${verdict} Recovery: ${recovery}', $.failedStep, $.failure.Error, $.failure.Cause)`,
            },
            resultPath: '$.error',
          });
        const works = explain(
          'Explain failure, AWSCURRENT works',
          'AWSCURRENT still works (checked just now), consumers are unaffected.',
          'fix the cause, then run rotate-secret again: it finishes or abandons the unfinished rotation itself (runbooks/rotate-secret/README.md).',
        );
        const broken = explain(
          'Explain failure, AWSCURRENT broken',
          'AWSCURRENT DOES NOT WORK or could not be checked: consumers may fail to connect.',
          'follow Recovery in runbooks/rotate-secret/README.md (AWSPENDING or AWSPREVIOUS may hold the working credential).',
        );
        const failRun = fail('Rotation failed');
        works.next(failRun);
        broken.next(failRun);
        const verdict = new sfn.Choice(s, 'Does AWSCURRENT still work?')
          .when(sfn.Condition.booleanEquals('$.current.value.works', true), works)
          .otherwise(broken);
        checkCurrent.next(verdict);
        currentUnknown.next(verdict);
        /** Records which step failed (with `$.failure` = { Error, Cause }) and goes to the check. */
        const failedAt = (step: string, id = `${step} failed`) =>
          new sfn.Pass(s, id, { result: sfn.Result.fromString(step), resultPath: '$.failedStep' }).next(
            checkCurrent,
          );

        // ---- which secret: only allow-listed ones, each with its own function and workloads ------
        const notAllowed = new sfn.Pass(s, 'Secret is not allow-listed', {
          parameters: {
            Error: 'SecretNotAllowListed',
            'Cause.$':
              "States.Format('{} is not in the rotate-secret allow-list of this stage', $.input.parameters.secretId)",
          },
          resultPath: '$.error',
        }).next(fail('Refused'));
        // One Choice: the approval gate (the frame's), then per secret a dry run (say what would
        // happen, call nothing) or the rotation.
        const whichSecret = route('Which secret?');
        const rotation: sfn.Pass[] = [];
        props.secrets.forEach((secret, index) => {
          const workloads = workloadsBySecret.get(secret.name) ?? [];
          const planned = [
            { action: 'rotate-secret', resource: secret.name },
            ...workloads.map((w) => ({
              action: 'restart-workload',
              resource: `${w.namespace}/${w.kind}/${w.name}`,
            })),
          ];
          // The whole run state, with this secret and the rotation's token (the frame's fields kept).
          const use = new sfn.Pass(s, `Use secret ${index + 1}`, {
            comment: secret.name,
            parameters: {
              'input.$': '$.input',
              'execution.$': '$.execution',
              'approval.$': '$.approval',
              secret: {
                name: secret.name,
                strategy: secret.strategy,
                functionArn: secret.rotationFunction.functionArn,
                workloads,
                workloadCount: workloads.length,
                planned,
              },
              rotation: { 'token.$': 'States.UUID()', 'requestedAt.$': '$$.Execution.StartTime' },
            },
          });
          rotation.push(use);
          const plan = new sfn.Pass(s, `Report what would rotate ${index + 1}`, {
            comment: secret.name,
            parameters: {
              outcome: 'dry-run',
              summary: `Dry run: would rotate ${secret.name} through its ${secret.strategy} rotation function, verify AWSCURRENT, then restart ${workloads.length} workload(s).`,
              changes: planned,
            },
            resultPath: '$.result',
          }).next(done);
          const isThis = sfn.Condition.and(
            sfn.Condition.isPresent('$.input.parameters.secretId'),
            sfn.Condition.stringEquals('$.input.parameters.secretId', secret.name),
          );
          whichSecret
            .when(sfn.Condition.and(isThis, sfn.Condition.booleanEquals('$.input.dryRun', true)), plan)
            .when(isThis, use);
        });
        whichSecret.otherwise(notAllowed);

        // ---- rotation enabled? -------------------------------------------------------------------
        const describe = new tasks.CallAwsService(s, STEPS.describe, {
          service: 'secretsmanager',
          action: 'describeSecret',
          parameters: { 'SecretId.$': '$.secret.name' },
          iamResources: secretArns,
          resultSelector: { 'stages.$': 'States.JsonToString($.VersionIdsToStages)', 'secret.$': '$' },
          resultPath: '$.before',
        });
        sdkRetry(describe);
        describe.addCatch(
          new sfn.Pass(s, 'Secret could not be read', {
            parameters: { 'Error.$': '$.failure.Error', 'Cause.$': '$.failure.Cause' },
            resultPath: '$.error',
          }).next(fail('Read failed')),
          { resultPath: '$.failure' },
        );
        const notEnabled = new sfn.Pass(s, 'Rotation is not turned on', {
          parameters: {
            Error: 'RotationNotEnabled',
            'Cause.$':
              "States.Format('{} has no rotation configured: nothing was changed. Turn rotation on (runbooks/rotate-secret/README.md), then run again.', $.secret.name)",
          },
          resultPath: '$.error',
        }).next(fail('Not enabled'));
        const enabled = new sfn.Choice(s, 'Rotation turned on?');

        // ---- request the rotation (once more after recovering an unfinished one) -----------------
        const rotate = (name: string) => {
          const t = new tasks.CallAwsService(s, name, {
            service: 'secretsmanager',
            action: 'rotateSecret',
            parameters: {
              'SecretId.$': '$.secret.name',
              'ClientRequestToken.$': '$.rotation.token',
              RotateImmediately: true,
            },
            iamResources: secretArns,
            resultSelector: { 'versionId.$': '$.VersionId', poll: POLL_START },
            resultPath: '$.rotation.started',
          });
          sdkRetry(t);
          return t;
        };
        const rotateFirst = rotate(STEPS.rotate);
        const rotateAgain = rotate('Rotate secret again');
        const recover = rotationFunctionCall(
          s,
          STEPS.recover,
          { action: 'recover', 'secretId.$': '$.secret.name' },
          '$.recovery',
        );
        const freshToken = new sfn.Pass(s, 'New rotation token', {
          parameters: { 'token.$': 'States.UUID()', 'requestedAt.$': '$$.Execution.StartTime' },
          resultPath: '$.rotation',
        });
        rotateFirst.addCatch(recover, {
          errors: ['SecretsManager.InvalidRequestException'],
          resultPath: '$.failure',
        });
        rotateFirst.addCatch(failedAt(STEPS.rotate), { resultPath: '$.failure' });
        recover.addCatch(failedAt(STEPS.recover), { resultPath: '$.failure' });
        rotateAgain.addCatch(failedAt(STEPS.rotate, 'Rotate secret again failed'), {
          resultPath: '$.failure',
        });
        recover.next(freshToken);
        freshToken.next(rotateAgain);

        // ---- wait for it: bounded polling of DescribeSecret ---------------------------------------
        const readState = new tasks.CallAwsService(s, 'Read rotation state', {
          service: 'secretsmanager',
          action: 'describeSecret',
          parameters: { 'SecretId.$': '$.secret.name' },
          iamResources: secretArns,
          resultSelector: { 'stages.$': 'States.JsonToString($.VersionIdsToStages)', 'secret.$': '$' },
          resultPath: '$.rotation.status',
        });
        sdkRetry(readState);
        readState.addCatch(failedAt(STEPS.wait, 'Reading rotation state failed'), {
          resultPath: '$.failure',
        });

        // ---- verify, restart, report ---------------------------------------------------------------
        const verify = rotationFunctionCall(
          s,
          STEPS.verify,
          { action: 'verify', 'secretId.$': '$.secret.name', 'expectVersionId.$': '$.rotation.token' },
          '$.verified',
        );
        verify.addCatch(failedAt(STEPS.verify), { resultPath: '$.failure' });
        const notVerified = new sfn.Pass(s, 'New secret does not work', {
          parameters: {
            Error: 'NewSecretNotVerified',
            'Cause.$':
              "States.Format('after rotation AWSCURRENT is version {} (requested {}); works: {}', $.verified.value.versionId, $.rotation.token, $.verified.value.works)",
          },
          resultPath: '$.failure',
        }).next(failedAt(STEPS.verify, 'Verification failed'));
        const verdictNew = new sfn.Choice(s, 'New secret works? Restart consumers?');
        verify.next(verdictNew);

        const timedOut = new sfn.Pass(s, 'Rotation did not finish in time', {
          parameters: {
            Error: 'RotationTimedOut',
            'Cause.$': `States.Format('the rotation of {} was still unfinished after ${polling.maxPolls} polls (labels: {}); the rotation function log says why', $.secret.name, $.rotation.status.stages)`,
          },
          resultPath: '$.failure',
        }).next(failedAt(STEPS.wait, 'Waiting for rotation failed'));

        const loop = new PollLoop(s, 'Rotation', {
          check: readState,
          // Finished = no version carries AWSPENDING alone (RotateSecret creates it, finishSecret
          // clears it) and Secrets Manager recorded a rotation at or after our request.
          done: sfn.Condition.and(
            sfn.Condition.not(sfn.Condition.stringMatches('$.rotation.status.stages', '*["AWSPENDING"]*')),
            sfn.Condition.isPresent('$.rotation.status.secret.LastRotatedDate'),
            sfn.Condition.timestampGreaterThanEqualsJsonPath(
              '$.rotation.status.secret.LastRotatedDate',
              '$.rotation.requestedAt',
            ),
          ),
          maxPolls: polling.maxPolls,
          firstWait: polling.firstWait,
          backoff: polling.backoff,
          maxWait: polling.maxWait,
          counterAt: '$.rotation.started.poll',
          onDone: verify,
          onTimeout: timedOut,
        });
        rotateFirst.next(loop.start);
        rotateAgain.next(loop.start);

        /** The run's result; how the consumers were restarted is known on each path that builds it. */
        const succeeded = (name: string, restarted: string) =>
          new sfn.Pass(s, name, {
            parameters: {
              outcome: 'succeeded',
              'summary.$': `States.Format('Rotated {}: version {} is AWSCURRENT and works; consumers restarted: ${restarted}.', $.secret.name, $.verified.value.versionId)`,
              'changes.$': '$.secret.planned',
            },
            resultPath: '$.result',
          }).next(done);
        const newWorks = sfn.Condition.and(
          sfn.Condition.booleanEquals('$.verified.value.works', true),
          sfn.Condition.booleanEquals('$.verified.value.isExpectedVersion', true),
        );

        // One Choice: the new secret works (else the failure path), and whether to restart.
        if (anyWorkloads && props.kubeFunction) {
          // The kube function checks its allow-list again and answers KubeApiUnavailable (429, 5xx,
          // no connection: retried here) or KubeApiRefused / NotAllowListedError (caught by the Map).
          const patch = lambdaStep(s, 'Restart workload', {
            fn: props.kubeFunction,
            step: 'restart-workload',
            payload: { 'workload.$': '$.workload', 'restartedAt.$': '$.restartedAt' },
            resultPath: '$.restart',
          });
          retryOn(patch, ['KubeApiUnavailable', 'States.Timeout'], { maxAttempts: 3 });
          const each = new sfn.Map(s, 'Restart each workload', {
            itemsPath: '$.secret.workloads',
            maxConcurrency: 5,
            itemSelector: {
              'workload.$': '$$.Map.Item.Value.ref',
              // The run's start time: a retried or repeated step sends the same value (no second rollout).
              'restartedAt.$': '$$.Execution.StartTime',
            },
            resultPath: sfn.JsonPath.DISCARD,
          });
          each.itemProcessor(patch);
          // The rotation itself succeeded and was verified: say so, and how to restart by hand.
          each.addCatch(
            new sfn.Pass(s, 'Explain failed restart', {
              parameters: {
                'Error.$': '$.failure.Error',
                'Cause.$':
                  "States.Format('Step Restart consumers failed ({}: {}). The rotation itself succeeded: AWSCURRENT is version {} and works (verified). Workloads still hold the old value until restarted (alternating users: the previous user keeps working; single user: their new connections fail). Recovery: kubectl -n <namespace> rollout restart <kind>/<name> for each of {}.', $.failure.Error, $.failure.Cause, $.verified.value.versionId, States.JsonToString($.secret.planned))",
              },
              resultPath: '$.error',
            }).next(fail('Restart failed')),
            { resultPath: '$.failure' },
          );
          each.next(succeeded('Build result', 'yes'));
          verdictNew
            .when(
              sfn.Condition.and(
                newWorks,
                sfn.Condition.isPresent('$.input.parameters.restartConsumers'),
                sfn.Condition.booleanEquals('$.input.parameters.restartConsumers', true),
                sfn.Condition.numberGreaterThan('$.secret.workloadCount', 0),
              ),
              each,
            )
            .when(
              newWorks,
              succeeded('Restart not requested', 'no (not requested, or no workloads configured)'),
            );
        } else {
          verdictNew.when(newWorks, succeeded('No consumers to restart', 'no (no workloads configured)'));
        }
        verdictNew.otherwise(notVerified);

        for (const use of rotation) use.next(describe);
        describe.next(enabled);
        enabled
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.before.secret.RotationEnabled'),
              sfn.Condition.booleanEquals('$.before.secret.RotationEnabled', true),
            ),
            rotateFirst,
          )
          .otherwise(notEnabled);
        return whichSecret;
      },
    });
    this.stateMachine = frame.stateMachine;
    // RotateSecret needs lambda:InvokeFunction on the rotation function too; verify / recover invoke it.
    // The unqualified ARNs only (grantInvoke would add `:*`, every version and alias).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: props.secrets.map((s) => s.rotationFunction.functionArn),
      }),
    );
    if (anyWorkloads && props.kubeFunction) acknowledgeInvoke(this, props.kubeFunction);
  }
}

/**
 * Invokes the secret's rotation function, chosen at run time from `$.secret.functionArn` (a
 * `lambda:invoke` task with a dynamic FunctionName, which LambdaInvoke cannot express). Its
 * answer lands in `<resultPath>.value`.
 */
function rotationFunctionCall(
  scope: Construct,
  name: string,
  payload: Record<string, unknown>,
  resultPath = '$.current',
): sfn.CustomState {
  const state = new sfn.CustomState(scope, name, {
    stateJson: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { 'FunctionName.$': '$.secret.functionArn', Payload: payload },
      ResultSelector: { 'value.$': '$.Payload' },
      ResultPath: resultPath,
    },
  });
  retryOn(
    state,
    [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ],
    { maxAttempts: 3 },
  );
  return state;
}

function sdkRetry(task: sfn.TaskStateBase): void {
  retryOn(
    task,
    [
      'SecretsManager.InternalServiceErrorException',
      'SecretsManager.ThrottlingException',
      'SecretsManager.SdkClientException',
    ],
    { maxAttempts: 3 },
  );
}
