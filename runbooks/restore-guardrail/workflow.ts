import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  acknowledgeInvoke,
  type BodyTools,
  isDryRun,
  lambdaStep,
  RunbookFrame,
  ScopedAwsCall,
  type WorkflowHooks,
} from '../workflow-kit.js';
import type { GuardrailSettings, ReadBranch } from './logic.js';
import type { WriteBranch } from './plan.js';

/**
 * Errors as the Step Functions SDK integration names them (`<Service>.<Code>Exception`; EC2 models no
 * error shapes, so its throttling is `Ec2.RequestLimitExceededException`): retried with back-off.
 */
export const GUARDRAIL_RETRYABLE = {
  cloudtrail: ['CloudTrail.ThrottlingException', 'CloudTrail.SdkClientException'],
  ec2: ['Ec2.RequestLimitExceededException', 'Ec2.SdkClientException'],
  rds: ['Rds.ThrottlingException', 'Rds.SdkClientException'],
  s3: ['S3.SlowDownException', 'S3.SdkClientException'],
} as const;

/** GetPublicAccessBlock of a bucket that has none: nothing is blocked (read as all four `false`). */
export const NO_PUBLIC_ACCESS_BLOCK = [
  'S3.NoSuchPublicAccessBlockConfigurationException',
  'S3.NoSuchPublicAccessBlockConfiguration',
];

export interface RestoreGuardrailWorkflowProps {
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  /** The Lambda behind "Check request" and "Plan restore" (runbooks/restore-guardrail/steps/handler.ts). */
  readonly stepFunction: lambda.IFunction;
  /** The stage's allow-lists and the platform flow log's settings, baked into the definition. */
  readonly settings: GuardrailSettings;
  /** The flow log delivery role CreateFlowLogs passes (the platform's), when flow logs are restored. */
  readonly flowLogRoleArn?: string;
  readonly approvalTimeout: Duration;
}

type Service = keyof typeof GUARDRAIL_RETRYABLE;

/** Whether the settings name anything the workflow can restore (otherwise no state machine is built). */
export function hasGuardrails(s: GuardrailSettings, flowLogRoleArn?: string): boolean {
  return (
    s.trails.length > 0 ||
    (s.flowLogs && s.flowLog !== undefined && flowLogRoleArn !== undefined) ||
    s.snapshotOwners.length > 0 ||
    s.securityGroups.length > 0 ||
    s.buckets.length > 0
  );
}

/**
 * restore-guardrail: check the request and the allow-list, read the guardrail's current state with one
 * SDK call, plan the one write that puts it back (nothing when it already is), and make it. Every call
 * is an SDK integration; the two Lambda steps only decide. See README.md beside this file.
 */
export class RestoreGuardrailWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RestoreGuardrailWorkflowProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    const s = props.settings;
    const owners = s.snapshotOwners;
    const ec2Arn = (resource: string, acct = account) => `arn:${partition}:ec2:${region}:${acct}:${resource}`;
    const trailArns = s.trails.map((t) => `arn:${partition}:cloudtrail:${region}:${account}:trail/${t}`);
    const sgArns = s.securityGroups.map((g) => ec2Arn(`security-group/${g}`));
    const bucketArns = s.buckets.map((b) => `arn:${partition}:s3:::${b}`);
    const ownerCondition = { StringEquals: { 'ec2:Owner': owners } };
    const statement = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });

    if (!hasGuardrails(s, props.flowLogRoleArn)) {
      throw new Error(
        'restore-guardrail needs at least one guardrail configured (trails, flow log, owners, groups or buckets)',
      );
    }

    const body = (_scope: Construct, tools: BodyTools): sfn.IChainable => {
      const call = (
        name: string,
        service: Service,
        action: string,
        parameters: Record<string, unknown>,
        policy: iam.PolicyStatement[],
        resultPath: string,
      ) => {
        const task = new ScopedAwsCall(this, name, {
          service: service === 'cloudtrail' ? 'cloudtrail' : service,
          action,
          parameters,
          policy,
          resultPath,
        });
        task.addRetry({
          errors: [...GUARDRAIL_RETRYABLE[service]],
          interval: Duration.seconds(2),
          backoffRate: 2,
          maxAttempts: 4,
          maxDelay: Duration.seconds(30),
        });
        return task;
      };

      const check = lambdaStep(this, 'Check request', {
        fn: props.stepFunction,
        step: 'check',
        payload: { 'parameters.$': '$.input.parameters', settings: s },
        resultPath: '$.check',
      });
      check.addCatch(tools.fail('Request refused'), { resultPath: '$.error' });

      const plan = lambdaStep(this, 'Plan restore', {
        fn: props.stepFunction,
        step: 'plan',
        payload: {
          'parameters.$': '$.input.parameters',
          settings: s,
          'check.$': '$.check.value',
          'read.$': '$.read',
        },
        resultPath: '$.plan',
      });
      plan.addCatch(tools.fail('Restore refused'), { resultPath: '$.error' });

      // ---------------------------------------------------------------- reads: one per guardrail
      const reads: [ReadBranch, sfn.IChainable][] = [];
      const read = (branch: ReadBranch, task: ScopedAwsCall) => {
        task.addCatch(tools.fail(`${task.id} failed`), { resultPath: '$.error' });
        task.next(plan);
        reads.push([branch, task]);
      };
      const target = '$.check.value.target';
      if (trailArns.length > 0) {
        read(
          'trail',
          call(
            'Read trail status',
            'cloudtrail',
            'getTrailStatus',
            { 'Name.$': target },
            [statement(['cloudtrail:GetTrailStatus'], trailArns)],
            '$.read',
          ),
        );
      }
      if (s.flowLogs && s.flowLog && props.flowLogRoleArn) {
        read(
          'flow-logs',
          call(
            'Read flow logs',
            'ec2',
            'describeFlowLogs',
            { 'Filter.$': '$.check.value.flowLogFilters' },
            // DescribeFlowLogs supports no resource-level permissions (Service Authorization Reference).
            [statement(['ec2:DescribeFlowLogs'], ['*'])],
            '$.read',
          ),
        );
      }
      if (owners.length > 0) {
        read(
          'ebs-snapshot',
          call(
            'Read snapshot sharing',
            'ec2',
            'describeSnapshotAttribute',
            { 'SnapshotId.$': target, Attribute: 'createVolumePermission' },
            [statement(['ec2:DescribeSnapshotAttribute'], [ec2Arn('snapshot/*', '')], ownerCondition)],
            '$.read',
          ),
        );
        read(
          'ami',
          call(
            'Read image sharing',
            'ec2',
            'describeImageAttribute',
            { 'ImageId.$': target, Attribute: 'launchPermission' },
            [statement(['ec2:DescribeImageAttribute'], [ec2Arn('image/*', '')], ownerCondition)],
            '$.read',
          ),
        );
        read(
          'db-snapshot',
          call(
            'Read DB snapshot sharing',
            'rds',
            'describeDBSnapshotAttributes',
            { 'DbSnapshotIdentifier.$': target },
            [
              statement(
                ['rds:DescribeDBSnapshotAttributes'],
                owners.map((o) => `arn:${partition}:rds:${region}:${o}:snapshot:*`),
              ),
            ],
            '$.read',
          ),
        );
        read(
          'db-cluster-snapshot',
          call(
            'Read DB cluster snapshot sharing',
            'rds',
            'describeDBClusterSnapshotAttributes',
            { 'DbClusterSnapshotIdentifier.$': target },
            [
              statement(
                ['rds:DescribeDBClusterSnapshotAttributes'],
                owners.map((o) => `arn:${partition}:rds:${region}:${o}:cluster-snapshot:*`),
              ),
            ],
            '$.read',
          ),
        );
      }
      if (sgArns.length > 0) {
        read(
          'security-group',
          call(
            'Read security group rules',
            'ec2',
            'describeSecurityGroupRules',
            {
              Filters: [{ Name: 'group-id', 'Values.$': 'States.Array($.check.value.target)' }],
              MaxResults: 1000,
            },
            // DescribeSecurityGroupRules supports no resource-level permissions (Service Authorization Reference).
            [statement(['ec2:DescribeSecurityGroupRules'], ['*'])],
            '$.read',
          ),
        );
      }
      if (bucketArns.length > 0) {
        const getPab = call(
          'Read public access block',
          's3',
          'getPublicAccessBlock',
          { 'Bucket.$': target },
          [statement(['s3:GetBucketPublicAccessBlock'], bucketArns)],
          '$.read',
        );
        getPab.addCatch(
          new sfn.Pass(this, 'No public access block', {
            parameters: { PublicAccessBlockConfiguration: {} },
            resultPath: '$.read',
          }).next(plan),
          { errors: NO_PUBLIC_ACCESS_BLOCK, resultPath: '$.readError' },
        );
        read('bucket', getPab);
      }
      const whichRead = new sfn.Choice(this, 'Which guardrail?');
      for (const [branch, task] of reads)
        whichRead.when(sfn.Condition.stringEquals('$.check.value.read', branch), task);
      whichRead.otherwise(
        new sfn.Pass(this, 'Guardrail not configured', {
          parameters: {
            Error: 'RefusedError',
            'Cause.$':
              "States.Format('restore-guardrail has no {} guardrail configured in this stage', $.check.value.read)",
          },
          resultPath: '$.error',
        }).next(tools.fail('Not configured')),
      );
      check.next(whichRead);

      // ---------------------------------------------------------------- writes: the one call that puts it back
      // The plan's result is the run's (the frame's resultPath): a write goes straight to the report.
      const record = tools.done;
      const req = (key: string) => ({ [`${key}.$`]: `$.plan.value.request.${key}` });
      const writes: [WriteBranch, sfn.IChainable][] = [];
      const write = (branch: WriteBranch, task: ScopedAwsCall) => {
        task.addCatch(tools.fail(`${task.id} failed`), { resultPath: '$.error' });
        task.next(record);
        writes.push([branch, task]);
      };
      if (trailArns.length > 0) {
        write(
          'start-logging',
          call(
            'Start trail logging',
            'cloudtrail',
            'startLogging',
            req('Name'),
            [statement(['cloudtrail:StartLogging'], trailArns)],
            sfn.JsonPath.DISCARD,
          ),
        );
      }
      if (s.flowLogs && s.flowLog && props.flowLogRoleArn) {
        const tag = s.optInTag;
        write(
          'create-flow-log',
          call(
            'Create flow log',
            'ec2',
            'createFlowLogs',
            {
              ...req('ResourceIds'),
              ...req('ResourceType'),
              ...req('TrafficType'),
              ...req('LogDestinationType'),
              ...req('LogGroupName'),
              ...req('DeliverLogsPermissionArn'),
              ...req('ClientToken'),
              ...req('TagSpecifications'),
            },
            [
              statement(['ec2:CreateFlowLogs'], [ec2Arn(`vpc/${s.flowLog.vpcId}`)]),
              // The new flow log must carry the opt-in tag (tag-on-create), and only CreateFlowLogs may tag it.
              statement(['ec2:CreateFlowLogs'], [ec2Arn('vpc-flow-log/*')], {
                StringEquals: { [`aws:RequestTag/${tag.key}`]: tag.value },
              }),
              statement(['ec2:CreateTags'], [ec2Arn('vpc-flow-log/*')], {
                StringEquals: { 'ec2:CreateAction': 'CreateFlowLogs' },
              }),
              statement(['iam:PassRole'], [props.flowLogRoleArn], {
                StringEquals: { 'iam:PassedToService': 'vpc-flow-logs.amazonaws.com' },
              }),
            ],
            '$.written',
          ),
        );
      }
      if (owners.length > 0) {
        write(
          'ebs-snapshot',
          call(
            'Modify snapshot sharing',
            'ec2',
            'modifySnapshotAttribute',
            { ...req('SnapshotId'), ...req('Attribute'), ...req('CreateVolumePermission') },
            [statement(['ec2:ModifySnapshotAttribute'], [ec2Arn('snapshot/*', '')], ownerCondition)],
            sfn.JsonPath.DISCARD,
          ),
        );
        write(
          'ami',
          call(
            'Modify image sharing',
            'ec2',
            'modifyImageAttribute',
            { ...req('ImageId'), ...req('Attribute'), ...req('LaunchPermission') },
            [statement(['ec2:ModifyImageAttribute'], [ec2Arn('image/*', '')], ownerCondition)],
            sfn.JsonPath.DISCARD,
          ),
        );
        const dbSnapshots = owners.map((o) => `arn:${partition}:rds:${region}:${o}:snapshot:*`);
        const dbClusterSnapshots = owners.map(
          (o) => `arn:${partition}:rds:${region}:${o}:cluster-snapshot:*`,
        );
        for (const [branch, name, values] of [
          ['db-snapshot-remove', 'Unshare DB snapshot', 'ValuesToRemove'],
          ['db-snapshot-add', 'Re-share DB snapshot', 'ValuesToAdd'],
        ] as const) {
          write(
            branch,
            call(
              name,
              'rds',
              'modifyDBSnapshotAttribute',
              { ...req('DbSnapshotIdentifier'), ...req('AttributeName'), ...req(values) },
              [statement(['rds:ModifyDBSnapshotAttribute'], dbSnapshots)],
              sfn.JsonPath.DISCARD,
            ),
          );
        }
        for (const [branch, name, values] of [
          ['db-cluster-snapshot-remove', 'Unshare DB cluster snapshot', 'ValuesToRemove'],
          ['db-cluster-snapshot-add', 'Re-share DB cluster snapshot', 'ValuesToAdd'],
        ] as const) {
          write(
            branch,
            call(
              name,
              'rds',
              'modifyDBClusterSnapshotAttribute',
              { ...req('DbClusterSnapshotIdentifier'), ...req('AttributeName'), ...req(values) },
              [statement(['rds:ModifyDBClusterSnapshotAttribute'], dbClusterSnapshots)],
              sfn.JsonPath.DISCARD,
            ),
          );
        }
      }
      if (sgArns.length > 0) {
        write(
          'revoke-ingress',
          call(
            'Revoke world-open ingress',
            'ec2',
            'revokeSecurityGroupIngress',
            { ...req('GroupId'), ...req('SecurityGroupRuleIds') },
            [statement(['ec2:RevokeSecurityGroupIngress'], sgArns)],
            sfn.JsonPath.DISCARD,
          ),
        );
        write(
          'authorize-ingress',
          call(
            'Re-add revoked ingress',
            'ec2',
            'authorizeSecurityGroupIngress',
            { ...req('GroupId'), ...req('IpPermissions') },
            [statement(['ec2:AuthorizeSecurityGroupIngress'], sgArns)],
            sfn.JsonPath.DISCARD,
          ),
        );
      }
      if (bucketArns.length > 0) {
        write(
          'public-access-block',
          call(
            'Put public access block',
            's3',
            'putPublicAccessBlock',
            { ...req('Bucket'), ...req('PublicAccessBlockConfiguration') },
            [statement(['s3:PutBucketPublicAccessBlock'], bucketArns)],
            sfn.JsonPath.DISCARD,
          ),
        );
      }
      const dryRun = tools.record('Report planned change', '$.plan.value.dryRunResult');
      const nothing = tools.done;
      // One Choice: dry run, nothing to do, else the one write the plan names.
      const whichWrite = new sfn.Choice(this, 'Dry run, nothing to do, or which change?')
        .when(isDryRun, dryRun)
        .when(sfn.Condition.booleanEquals('$.plan.value.noop', true), nothing);
      for (const [branch, task] of writes)
        whichWrite.when(sfn.Condition.stringEquals('$.plan.value.write', branch), task);
      whichWrite.otherwise(
        new sfn.Pass(this, 'Change not configured', {
          parameters: {
            Error: 'RefusedError',
            'Cause.$': "States.Format('no {} step in this stage', $.plan.value.write)",
          },
          resultPath: '$.error',
        }).next(tools.fail('Change refused')),
      );
      plan.next(whichWrite);
      return check;
    };

    const frame = new RunbookFrame(this, 'Frame', {
      runbook: 'restore-guardrail',
      namePrefix: props.namePrefix,
      roleName: `${props.namePrefix}-restore-guardrail`,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      timeout: Duration.minutes(30),
      resultPath: '$.plan.value.result',
      body,
    });
    this.stateMachine = frame.stateMachine;
    acknowledgeInvoke(this, props.stepFunction);

    const ack = (resource: string, reason: string) =>
      Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    if (owners.length > 0) {
      ack(
        `arn:<AWS::Partition>:ec2:${region}::snapshot/*`,
        `ec2:DescribeSnapshotAttribute and ec2:ModifySnapshotAttribute on EBS snapshots whose ids arrive at run time (from the CloudTrail record), only where ec2:Owner is an allow-listed snapshot owner (${owners.join(', ')}).`,
      );
      ack(
        `arn:<AWS::Partition>:ec2:${region}::image/*`,
        `ec2:DescribeImageAttribute and ec2:ModifyImageAttribute on AMIs whose ids arrive at run time, only where ec2:Owner is an allow-listed owner (${owners.join(', ')}).`,
      );
      for (const o of owners) {
        ack(
          `arn:<AWS::Partition>:rds:${region}:${o}:snapshot:*`,
          `rds:DescribeDBSnapshotAttributes and rds:ModifyDBSnapshotAttribute on the DB snapshots of allow-listed owner ${o}, named at run time by the CloudTrail record.`,
        );
        ack(
          `arn:<AWS::Partition>:rds:${region}:${o}:cluster-snapshot:*`,
          `rds:DescribeDBClusterSnapshotAttributes and rds:ModifyDBClusterSnapshotAttribute on the DB cluster snapshots of allow-listed owner ${o}, named at run time.`,
        );
      }
    }
    if (s.flowLogs && s.flowLog && props.flowLogRoleArn) {
      ack(
        `arn:<AWS::Partition>:ec2:${region}:${account}:vpc-flow-log/*`,
        'ec2:CreateFlowLogs and ec2:CreateTags on the flow log being created (its id does not exist yet): only with the opt-in tag in the request, and tagging only by CreateFlowLogs (ec2:CreateAction).',
      );
    }
    const starReads = [
      ...(s.flowLogs && s.flowLog && props.flowLogRoleArn ? ['ec2:DescribeFlowLogs'] : []),
      ...(sgArns.length > 0 ? ['ec2:DescribeSecurityGroupRules'] : []),
    ];
    if (starReads.length > 0) {
      ack(
        '*',
        `${starReads.join(' and ')}: read-only, and the Service Authorization Reference lists no resource type for ${starReads.length > 1 ? 'them' : 'it'}. Also the frame's tracing and logging: xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets, logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups.`,
      );
    }
    for (const b of s.buckets.filter((x) => x.includes('*'))) {
      ack(
        `arn:<AWS::Partition>:s3:::${b}`,
        `s3:GetBucketPublicAccessBlock and s3:PutBucketPublicAccessBlock on the platform's buckets, named by the allow-list pattern ${b} (CloudFormation generates the names under the stack name).`,
      );
    }
  }
}
