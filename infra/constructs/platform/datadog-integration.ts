import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface DatadogIntegrationProps {
  readonly stageName: string;
  /** Datadog's AWS account (the principal that assumes the role). */
  readonly datadogAccountId: string;
  /** External id Datadog issued for this account's integration. */
  readonly externalId: string;
}

/**
 * The role Datadog's AWS integration assumes to read metrics, tags and resource metadata:
 * trusted only by Datadog's account with the configured external id, read-only actions only.
 */
export class DatadogIntegration extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DatadogIntegrationProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: `${props.stageName}-datadog-integration`,
      description: 'Datadog AWS integration (read-only)',
      assumedBy: new iam.AccountPrincipal(props.datadogAccountId),
      externalIds: [props.externalId],
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('SecurityAudit')],
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DatadogIntegrationRead',
        // SecurityAudit covers Describe/List of configuration; these are the metric, log and tag reads it lacks.
        actions: [
          'budgets:ViewBudget',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricData',
          'cloudwatch:GetMetricStatistics',
          'cloudwatch:ListMetrics',
          'logs:DescribeLogGroups',
          'logs:DescribeLogStreams',
          'logs:FilterLogEvents',
          'tag:GetResources',
          'tag:GetTagKeys',
          'tag:GetTagValues',
          'xray:BatchGetTraces',
          'xray:GetTraceSummaries',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/SecurityAudit]',
      reason:
        'SecurityAudit is the AWS-maintained read-only policy Datadog documents for its integration role.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Datadog reads metrics, logs and tags of every resource in the account, with read-only actions that take no resource ARN here: budgets:ViewBudget, cloudwatch:DescribeAlarms, cloudwatch:GetMetricData, cloudwatch:GetMetricStatistics, cloudwatch:ListMetrics, logs:DescribeLogGroups, logs:DescribeLogStreams, logs:FilterLogEvents, tag:GetResources, tag:GetTagKeys, tag:GetTagValues, xray:BatchGetTraces, xray:GetTraceSummaries.',
    });
  }
}
