import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface DatadogIntegrationProps {
  readonly stageName: string;
  /** Datadog's AWS account (the principal that assumes the role). */
  readonly datadogAccountId: string;
  /** External id Datadog issued for this account's integration (used when it is not registered as code). */
  readonly externalId: string;
  /**
   * Register the account with Datadog as code (`Datadog::Integrations::AWS`, a third-party registry
   * type that must be activated first: README "Datadog AWS integration as code"). Datadog then
   * issues the external id, which the type stores in Secrets Manager and the role reads from there.
   */
  readonly register?: { readonly hostTags: readonly string[] };
}

/** The CloudFormation registry type Datadog publishes (DataDog/datadog-cloudformation-resources, 2.4.0). */
export const DATADOG_INTEGRATION_TYPE = 'Datadog::Integrations::AWS';
/** Where the registered integration's handler stores the external id Datadog issued (per stage). */
export const externalIdSecretName = (stageName: string) =>
  `ops/${stageName}/datadog/aws-integration-external-id`;

/**
 * The role Datadog's AWS integration assumes to read metrics, tags and resource metadata:
 * trusted only by Datadog's account with the configured external id, read-only actions only.
 */
export class DatadogIntegration extends Construct {
  readonly role: iam.Role;
  /** The `Datadog::Integrations::AWS` resource, when registered as code. */
  readonly registration?: CfnResource;

  constructor(scope: Construct, id: string, props: DatadogIntegrationProps) {
    super(scope, id);
    const roleName = `${props.stageName}-datadog-integration`;
    if (props.register) {
      // Properties from the type's schema (datadog-integrations-aws.json, "Datadog AWS Integration 2.4.0"):
      // AccountID + RoleName are create-only; the Datadog API/app keys live in the type configuration,
      // never in this template. MetricsCollection defaults to true; resource collection stays off.
      const secretName = externalIdSecretName(props.stageName);
      this.registration = new CfnResource(this, 'Registration', {
        type: DATADOG_INTEGRATION_TYPE,
        properties: {
          AccountID: Stack.of(this).account,
          RoleName: roleName,
          HostTags: [...props.register.hostTags],
          ExternalIDSecretName: secretName,
          MetricsCollection: true,
          ResourceCollection: false,
          CSPMResourceCollection: false,
        },
      });
    }
    const externalId = props.register
      ? `{{resolve:secretsmanager:${externalIdSecretName(props.stageName)}:SecretString:external_id}}`
      : props.externalId;
    this.role = new iam.Role(this, 'Role', {
      roleName,
      description: 'Datadog AWS integration (read-only)',
      assumedBy: new iam.AccountPrincipal(props.datadogAccountId),
      externalIds: [externalId],
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
    // The role's trust reads the external id the registration stored: it is created after it.
    if (this.registration) this.role.node.addDependency(this.registration);
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
