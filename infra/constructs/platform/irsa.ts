import { CfnJson } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface IrsaRoleProps {
  readonly cluster: eks.ICluster;
  readonly namespace: string;
  /** The Kubernetes service account (created by the chart, annotated with this role's ARN). */
  readonly serviceAccount: string;
  readonly roleName?: string;
  readonly description: string;
}

/**
 * An IAM role for one Kubernetes service account (IRSA): trusted only by the cluster's OIDC
 * provider for `system:serviceaccount:<namespace>:<name>` with audience `sts.amazonaws.com`.
 * Unlike the eks-v2 `ServiceAccount` construct this creates no Kubernetes object, so the Helm
 * chart that owns the namespace can create the service account itself (no ordering cycle).
 */
export class IrsaRole extends Construct {
  readonly role: iam.Role;
  /** `eks.amazonaws.com/role-arn` annotation for the chart's service account. */
  readonly annotations: Record<string, string>;

  constructor(scope: Construct, id: string, props: IrsaRoleProps) {
    super(scope, id);
    const issuer = props.cluster.openIdConnectProvider.openIdConnectProviderIssuer;
    const conditions = new CfnJson(this, 'Conditions', {
      value: {
        [`${issuer}:aud`]: 'sts.amazonaws.com',
        [`${issuer}:sub`]: `system:serviceaccount:${props.namespace}:${props.serviceAccount}`,
      },
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: props.description,
      assumedBy: new iam.OpenIdConnectPrincipal(props.cluster.openIdConnectProvider).withConditions({
        StringEquals: conditions,
      }),
    });
    this.annotations = { 'eks.amazonaws.com/role-arn': this.role.roleArn };
  }
}
