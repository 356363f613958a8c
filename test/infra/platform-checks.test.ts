import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { NagRuleCompliance } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  eksControlPlaneLoggingEnabled,
  eksPublicEndpointRestricted,
  PlatformChecks,
} from '../../infra/constructs/platform/checks.js';
import { ALL_CLUSTER_LOG_TYPES } from '../../infra/constructs/platform/cluster.js';

interface ClusterOptions {
  readonly endpointAccess?: eks.EndpointAccess;
  readonly clusterLogging?: eks.ClusterLoggingTypes[];
  readonly acknowledge?: { id: string; reason: string };
}

/** A small app with one aws-eks-v2 cluster and only the PlatformChecks pack (no kubectl provider). */
function appWithCluster(options: ClusterOptions): { app: App; cluster: eks.Cluster } {
  const app = new App({
    outdir: `/tmp/platform-checks-${process.pid}-${Math.random().toString(36).slice(2)}`,
  });
  const stack = new Stack(app, 'Checks', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 1,
  });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_33,
    vpc,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    ...(options.endpointAccess ? { endpointAccess: options.endpointAccess } : {}),
    ...(options.clusterLogging ? { clusterLogging: options.clusterLogging } : {}),
  });
  if (options.acknowledge) Validations.of(cluster).acknowledge(options.acknowledge);
  Validations.of(app).addPlugins(new PlatformChecks(app));
  return { app, cluster };
}

function synthError(app: App): string {
  try {
    app.synth();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

const cfnCluster = (cluster: eks.Cluster) => cluster.node.defaultChild as eks.CfnCluster;

describe('PlatformChecks: the checks cdk-nag misses on aws-eks-v2', () => {
  it('fails synth for a cluster with the default public endpoint and no control-plane logs, naming both rules', () => {
    // Prepare
    const { app } = appWithCluster({});

    // Act
    const message = synthError(app);

    // Assess
    expect(message).toContain('PlatformChecks-EKSPublicEndpoint');
    expect(message).toContain('open to 0.0.0.0/0');
    for (const type of ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']) {
      expect(message).toContain(`PlatformChecks-EKSControlPlaneLogging[missing:${type}]`);
    }
  });

  it('fails synth for a public endpoint explicitly open to 0.0.0.0/0 even with every log type on', () => {
    const { app } = appWithCluster({
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom('0.0.0.0/0'),
      clusterLogging: [...ALL_CLUSTER_LOG_TYPES],
    });

    const message = synthError(app);

    expect(message).toContain('PlatformChecks-EKSPublicEndpoint');
    expect(message).not.toContain('PlatformChecks-EKSControlPlaneLogging');
  });

  it('names only the missing log types when logging is partial', () => {
    const { cluster } = appWithCluster({
      endpointAccess: eks.EndpointAccess.PRIVATE,
      clusterLogging: [eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.AUDIT],
    });

    const result = eksControlPlaneLoggingEnabled(cfnCluster(cluster));

    expect(result).toEqual(['missing:authenticator', 'missing:controllerManager', 'missing:scheduler']);
  });

  it('stays quiet for a private cluster with every log type, as ours is built', () => {
    const { app, cluster } = appWithCluster({
      endpointAccess: eks.EndpointAccess.PRIVATE,
      clusterLogging: [...ALL_CLUSTER_LOG_TYPES],
    });

    const message = synthError(app);

    expect(message).toBe('');
    expect(eksPublicEndpointRestricted(cfnCluster(cluster))).toBe(NagRuleCompliance.COMPLIANT);
    expect(eksControlPlaneLoggingEnabled(cfnCluster(cluster))).toBe(NagRuleCompliance.COMPLIANT);
  });

  it('accepts a public endpoint limited to office CIDRs', () => {
    const { cluster } = appWithCluster({
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom('203.0.113.0/24'),
      clusterLogging: [...ALL_CLUSTER_LOG_TYPES],
    });

    expect(eksPublicEndpointRestricted(cfnCluster(cluster))).toBe(NagRuleCompliance.COMPLIANT);
  });

  it('lets a finding through only when it is acknowledged with a reason', () => {
    const { app } = appWithCluster({
      clusterLogging: [...ALL_CLUSTER_LOG_TYPES],
      acknowledge: {
        id: 'PlatformChecks-EKSPublicEndpoint',
        reason: 'Test fixture: a throw-away sandbox cluster reached from CI runners without fixed addresses.',
      },
    });

    expect(synthError(app)).toBe('');
  });

  it('ignores resources that are not EKS clusters', () => {
    const { cluster } = appWithCluster({ endpointAccess: eks.EndpointAccess.PRIVATE });
    const vpc = cluster.vpc.node.defaultChild as ec2.CfnVPC;

    expect(eksPublicEndpointRestricted(vpc)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(eksControlPlaneLoggingEnabled(vpc)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
