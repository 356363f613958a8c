import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
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
import { type AllowedZone, type DnsSettings, normaliseName } from './logic.js';

/**
 * Route 53 errors as the Step Functions SDK integration names them: the service's error code
 * with the `Exception` suffix always added (`Throttling` → `Route53.ThrottlingException`,
 * `PriorRequestNotComplete` → `Route53.PriorRequestNotCompleteException`).
 */
export const ROUTE53_ERRORS = {
  retryable: ['Route53.ThrottlingException', 'Route53.PriorRequestNotCompleteException'],
} as const;

export interface UpdateDnsWorkflowProps {
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  /** The Lambda behind "Check request" and "Plan DNS change" (runbooks/update-dns/steps). */
  readonly stepFunction: lambda.IFunction;
  /** Allow-listed zones (with their ids) and record names. */
  readonly zones: readonly AllowedZone[];
  /** Name prefix of the ingress load balancer an `alias` change points at when none is given. */
  readonly loadBalancerPrefix: string;
  readonly externalDnsTxtPrefix?: string;
  readonly approvalTimeout: Duration;
  readonly poll?: {
    readonly firstWait: Duration;
    readonly backoff: number;
    readonly maxWait: Duration;
    readonly maxPolls: number;
  };
}

/**
 * update-dns: check the allow-list, read the record's sets and external-dns's registry record,
 * find the load balancer (alias), plan one batched change and its inverse (refusing records that
 * external-dns owns), apply it with ChangeResourceRecordSets, and wait for INSYNC.
 */
export class UpdateDnsWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: UpdateDnsWorkflowProps) {
    super(scope, id);
    if (props.zones.length === 0) throw new Error('update-dns needs at least one allow-listed hosted zone');
    const { partition } = Stack.of(this);
    const poll = props.poll ?? {
      firstWait: Duration.seconds(10),
      backoff: 1.5,
      maxWait: Duration.seconds(60),
      maxPolls: 20,
    };
    const settings: DnsSettings = {
      zones: props.zones.map((z) => ({ ...z, zoneName: normaliseName(z.zoneName) })),
      loadBalancerPrefix: props.loadBalancerPrefix,
      externalDnsTxtPrefix: props.externalDnsTxtPrefix ?? '',
    };
    const zoneArn = (zone: AllowedZone) => `arn:${partition}:route53:::hostedzone/${zone.hostedZoneId}`;
    const zoneArns = props.zones.map(zoneArn);

    const step = (name: string, stepName: string, payload: Record<string, unknown>, resultPath: string) =>
      lambdaStep(this, name, { fn: props.stepFunction, step: stepName, payload, resultPath });
    const r53Retry = (task: sfn.TaskStateBase, maxAttempts = 5) => {
      retryOn(task, ROUTE53_ERRORS.retryable, { maxAttempts, maxDelay: Duration.seconds(30) });
      return task;
    };

    const body = (_scope: Construct, tools: BodyTools): sfn.IChainable => {
      const check = step(
        'Check request',
        'check',
        { 'parameters.$': '$.input.parameters', settings },
        '$.check',
      );
      tools.guard(check, 'Request refused');

      const readRecords = r53Retry(
        new tasks.CallAwsService(this, 'Read record sets', {
          service: 'route53',
          action: 'listResourceRecordSets',
          parameters: {
            'HostedZoneId.$': '$.check.value.zoneId',
            'StartRecordName.$': '$.check.value.recordName',
            MaxItems: '50',
          },
          iamResources: zoneArns,
          resultSelector: { 'sets.$': '$.ResourceRecordSets' },
          resultPath: '$.records',
        }),
      );
      tools.guard(readRecords, 'Read record sets failed');
      const readRegistry = r53Retry(
        new tasks.CallAwsService(this, 'Read external-dns registry', {
          service: 'route53',
          action: 'listResourceRecordSets',
          parameters: {
            'HostedZoneId.$': '$.check.value.zoneId',
            'StartRecordName.$': '$.check.value.registryName',
            StartRecordType: 'TXT',
            MaxItems: '5',
          },
          iamResources: zoneArns,
          resultSelector: { 'sets.$': '$.ResourceRecordSets' },
          resultPath: '$.registry',
        }),
      );
      tools.guard(readRegistry, 'Read registry failed');
      check.next(readRecords);
      readRecords.next(readRegistry);

      const describeLbs = new tasks.CallAwsService(this, 'Describe load balancers', {
        service: 'elasticloadbalancingv2',
        action: 'describeLoadBalancers',
        parameters: { PageSize: 400 },
        iamAction: 'elasticloadbalancing:DescribeLoadBalancers',
        iamResources: ['*'],
        resultSelector: { 'LoadBalancers.$': '$.LoadBalancers' },
        resultPath: '$.loadBalancers',
      });
      retryOn(describeLbs, [
        'ElasticLoadBalancingV2.ThrottlingException',
        'ElasticLoadBalancingV2.ElasticLoadBalancingV2Exception',
      ]);
      tools.guard(describeLbs, 'Describe load balancers failed');
      const noLbs = new sfn.Pass(this, 'No load balancer needed', {
        parameters: { LoadBalancers: [] },
        resultPath: '$.loadBalancers',
      });

      const plan = step(
        'Plan DNS change',
        'plan',
        {
          'parameters.$': '$.input.parameters',
          settings,
          'check.$': '$.check.value',
          'records.$': '$.records.sets',
          'registry.$': '$.registry.sets',
          'loadBalancers.$': '$.loadBalancers.LoadBalancers',
        },
        '$.plan',
      );
      tools.guard(plan, 'DNS change refused');
      describeLbs.next(plan);
      noLbs.next(plan);
      readRegistry.next(
        new sfn.Choice(this, 'Find the load balancer?')
          .when(sfn.Condition.booleanEquals('$.check.value.needLoadBalancers', true), describeLbs)
          .otherwise(noLbs),
      );

      const change = new ScopedAwsCall(this, 'Change record sets', {
        service: 'route53',
        action: 'changeResourceRecordSets',
        parameters: { 'HostedZoneId.$': '$.check.value.zoneId', 'ChangeBatch.$': '$.plan.value.changeBatch' },
        resultSelector: { 'id.$': '$.ChangeInfo.Id', 'status.$': '$.ChangeInfo.Status', poll: POLL_START },
        resultPath: '$.change',
        policy: props.zones.map(
          (zone) =>
            new iam.PolicyStatement({
              actions: ['route53:ChangeResourceRecordSets'],
              resources: [zoneArn(zone)],
              conditions: {
                'ForAllValues:StringLike': {
                  'route53:ChangeResourceRecordSetsNormalizedRecordNames': zone.records.map(normaliseName),
                },
                'ForAllValues:StringEquals': {
                  'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME'],
                  'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
                },
              },
            }),
        ),
      });
      r53Retry(change, 6);
      tools.guard(change, 'Change record sets failed');

      const readChange = r53Retry(
        new tasks.CallAwsService(this, 'Read change status', {
          service: 'route53',
          action: 'getChange',
          parameters: { 'Id.$': '$.change.id' },
          iamResources: [`arn:${partition}:route53:::change/*`],
          resultSelector: { 'status.$': '$.ChangeInfo.Status' },
          resultPath: '$.changeStatus',
        }),
      );
      tools.guard(readChange, 'Read change failed');

      const record = tools.record('Record result', '$.plan.value.result');
      const loop = new PollLoop(this, 'Change', {
        check: readChange,
        done: sfn.Condition.stringEquals('$.changeStatus.status', 'INSYNC'),
        maxPolls: poll.maxPolls,
        firstWait: poll.firstWait,
        backoff: poll.backoff,
        maxWait: poll.maxWait,
        counterAt: '$.change.poll',
        onDone: record,
        onTimeout: new sfn.Pass(this, 'Change not in sync', {
          parameters: {
            Error: 'PollTimeout',
            'Cause.$': `States.Format('change {} was still {} after ${poll.maxPolls} polls: Route 53 accepted it, propagation is late', $.change.id, $.changeStatus.status)`,
          },
          resultPath: '$.error',
        }).next(tools.fail('Change timed out')),
      });
      change.next(loop.start);

      const dryRun = tools.record('Report planned change', '$.plan.value.dryRunResult');
      const nothing = tools.record('Nothing to change', '$.plan.value.result');
      plan.next(
        new sfn.Choice(this, 'Dry run or nothing to do?')
          .when(isDryRun, dryRun)
          .when(sfn.Condition.booleanEquals('$.plan.value.noop', true), nothing)
          .otherwise(change),
      );
      return check;
    };

    const frame = new RunbookFrame(this, 'Frame', {
      runbook: 'update-dns',
      namePrefix: props.namePrefix,
      roleName: `${props.namePrefix}-update-dns`,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: Duration.hours(1),
      body,
    });
    this.stateMachine = frame.stateMachine;
    acknowledgeInvoke(this, props.stepFunction);

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'elasticloadbalancing:DescribeLoadBalancers supports no resource-level permissions (read-only).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
      reason:
        'Route 53 change ids are returned by ChangeResourceRecordSets at run time; route53:GetChange (read-only) polls them.',
    });
  }
}

/**
 * update-dns's infra: allow-listed records of the platform's own zones (their ids resolved from the
 * platform); a zone the platform does not hold is skipped with a warning. No zone: no state machine.
 */
export const updateDnsWorkflow: RunbookWorkflowPlugin = {
  name: 'update-dns',
  build(scope, ctx) {
    const { stage, namePrefix, platform } = ctx;
    const platformZones =
      platform.zones ?? [platform.publicZone, platform.privateZone].flatMap((z) => (z ? [z] : []));
    const zones = stage.automation.allowLists.hostedZones.flatMap((allowed) => {
      const zone = platformZones.find((z) => z.zoneName === allowed.zoneName);
      if (!zone) {
        Annotations.of(scope).addWarningV2(
          'ops:update-dns-zone',
          `update-dns: allow-listed zone ${allowed.zoneName} is not one of the platform's zones; skipped (its id is unknown at synth).`,
        );
        return [];
      }
      return [{ ...allowed, hostedZoneId: zone.hostedZoneId }];
    });
    if (zones.length === 0) return undefined;
    const steps = stepFunction(scope, ctx, 'UpdateDnsSteps', {
      name: `${namePrefix}-update-dns-steps`,
      entry: 'runbooks/update-dns/steps/handler.ts',
      service: 'update-dns',
    });
    return new UpdateDnsWorkflow(scope, 'UpdateDns', {
      namePrefix,
      hooks: ctx.hooks,
      stepFunction: steps,
      zones,
      loadBalancerPrefix: stage.automation.ingressLoadBalancerPrefix,
      approvalTimeout: ctx.approvalTimeout,
    }).stateMachine;
  },
};
