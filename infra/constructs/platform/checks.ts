import { type CfnResource, Stack } from 'aws-cdk-lib';
import { CfnCluster } from 'aws-cdk-lib/aws-eks';
import { NagMessageLevel, NagPack, type NagPackProps, NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Control-plane log types an EKS cluster must send to CloudWatch Logs. */
export const REQUIRED_EKS_LOG_TYPES = [
  'api',
  'audit',
  'authenticator',
  'controllerManager',
  'scheduler',
] as const;

const OPEN_TO_WORLD = new Set(['0.0.0.0/0', '::/0']);

interface ResolvedVpcConfig {
  endpointPublicAccess?: unknown;
  publicAccessCidrs?: unknown;
}
interface ResolvedLogging {
  clusterLogging?: { enabledTypes?: { type?: unknown }[] };
}

/** aws-eks and aws-eks-v2 each ship their own `CfnCluster` class: match on the resource type. */
function asEksCluster(node: CfnResource): CfnCluster | undefined {
  return node.cfnResourceType === CfnCluster.CFN_RESOURCE_TYPE_NAME ? (node as CfnCluster) : undefined;
}

/**
 * `AWS::EKS::Cluster`: the public API endpoint must be off, or limited to explicit CIDRs that
 * are not the whole internet. CloudFormation's defaults are public and `0.0.0.0/0`, so an
 * absent setting is open.
 */
export function eksPublicEndpointRestricted(node: CfnResource): NagRuleResult {
  const cluster = asEksCluster(node);
  if (!cluster) return NagRuleCompliance.NOT_APPLICABLE;
  const vpc = (Stack.of(node).resolve(cluster.resourcesVpcConfig) ?? {}) as ResolvedVpcConfig;
  const publicAccess = vpc.endpointPublicAccess ?? true;
  if (publicAccess === false || publicAccess === 'false') return NagRuleCompliance.COMPLIANT;
  const cidrs = vpc.publicAccessCidrs;
  if (!Array.isArray(cidrs) || cidrs.length === 0) return NagRuleCompliance.NON_COMPLIANT;
  return cidrs.every((c) => typeof c === 'string' && !OPEN_TO_WORLD.has(c))
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}

/** `AWS::EKS::Cluster`: every control-plane log type is enabled; findings name the missing ones. */
export function eksControlPlaneLoggingEnabled(node: CfnResource): NagRuleResult {
  const cluster = asEksCluster(node);
  if (!cluster) return NagRuleCompliance.NOT_APPLICABLE;
  const logging = (Stack.of(node).resolve(cluster.logging) ?? {}) as ResolvedLogging;
  const enabled = new Set((logging.clusterLogging?.enabledTypes ?? []).map((t) => t.type));
  const missing = REQUIRED_EKS_LOG_TYPES.filter((t) => !enabled.has(t));
  return missing.length === 0 ? NagRuleCompliance.COMPLIANT : missing.map((t) => `missing:${t}`);
}

/**
 * The project's own checks for what cdk-nag's AwsSolutions pack misses on `aws-eks-v2`
 * clusters (its EKS rules only inspect the older `aws-eks` construct): a public API endpoint
 * open to the internet, and control-plane logging off. Findings are errors: synth fails, and
 * `Validations.of(x).acknowledge({ id: 'PlatformChecks-…', reason })` is the only way past.
 */
export class PlatformChecks extends NagPack {
  readonly name = 'PlatformChecks';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'PlatformChecks';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'EKSPublicEndpoint',
      info: 'The EKS cluster API endpoint is public and open to 0.0.0.0/0 (or to any address, as CloudFormation defaults to).',
      explanation:
        'Make the endpoint private (EndpointAccess.PRIVATE) or list the office/VPN CIDRs in config platform.eks.publicAccessCidrs (EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...)).',
      level: NagMessageLevel.ERROR,
      rule: eksPublicEndpointRestricted,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'EKSControlPlaneLogging',
      info: `The EKS cluster does not send every control-plane log type (${REQUIRED_EKS_LOG_TYPES.join(', ')}) to CloudWatch Logs.`,
      explanation:
        'Set clusterLogging to all ClusterLoggingTypes: audit and authenticator logs are the only record of who did what to the cluster.',
      level: NagMessageLevel.ERROR,
      rule: eksControlPlaneLoggingEnabled,
      node,
    });
  }
}
