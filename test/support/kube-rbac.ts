import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { KubeSettings } from '../../functions/kube/core.js';
import { KubeAccess } from '../../infra/constructs/automation/kube-access.js';
import type { RbacObject } from './kube-api-server.js';

/**
 * The RBAC objects the KubeAccess construct deploys, read back from its synthesised template
 * (the `Manifest` of its `Custom::AWSCDK-EKS-KubernetesResource`), so the Kubernetes stand-in
 * enforces what would really be applied, not a copy of it.
 */
export function synthesisedKubeRbac(settings: KubeSettings): RbacObject[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'KubeRbacTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a'],
    privateSubnetIds: ['subnet-0123456789abcdef0'],
  });
  const kubectlProvider = eks.KubectlProvider.fromKubectlProviderAttributes(stack, 'Kubectl', {
    serviceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:kubectl',
  });
  const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'dev-platform',
    clusterEndpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
    clusterCertificateAuthorityData: 'Q0EtREFUQQ==',
    clusterSecurityGroupId: 'sg-0123456789abcdef0',
    kubectlProvider,
  });
  new KubeAccess(stack, 'Kube', { namePrefix: 'ops-test', cluster, vpc, settings });
  const resources = Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.values(resources).flatMap((r) => {
    const manifest = (r as { Properties: { Manifest: unknown } }).Properties.Manifest;
    if (typeof manifest !== 'string') throw new Error('RBAC manifest is not a literal JSON string');
    return JSON.parse(manifest) as RbacObject[];
  });
}
