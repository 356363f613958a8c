import { type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import type { PlatformConfig } from '../../../config/index.js';
import { CLUSTER_AUTOSCALER_REASONS } from '../../../events/sources/cluster-autoscaler/messages.js';
import {
  KUBERNETES_EVENT_DETAIL_TYPE,
  KUBERNETES_EVENT_SOURCE,
} from '../../../events/sources/cluster-autoscaler/schema.js';
import { acknowledgeFindings } from './acknowledge.js';
import { PLATFORM_CRITICAL_PRIORITY_CLASS } from './cluster.js';
import { disruptionValues, mergeValues } from './disruption.js';
import { IrsaRole } from './irsa.js';

/** The charts this construct installs: each must be pinned in config `platform.eks.charts`. */
export const REQUIRED_CHARTS = [
  'awsLoadBalancerController',
  'ingressNginx',
  'clusterAutoscaler',
  'externalDns',
  'certManager',
  'trustManager',
  'velero',
  'linkerdCrds',
  'linkerdControlPlane',
  'datadog',
  'eventExporter',
] as const;
export type ChartKey = (typeof REQUIRED_CHARTS)[number];

/**
 * What the event exporter forwards: cluster-autoscaler's events, with the source and detail-type the
 * intake's rule matches (events/patterns.ts CLUSTER_AUTOSCALER_RULE; shape in
 * events/samples/cluster-autoscaler/FORMATS.md). No `details:` template: `detail` is the whole event.
 */
export const EVENT_EXPORTER_ROUTE = {
  component: '^cluster-autoscaler$',
  reason: `^(${CLUSTER_AUTOSCALER_REASONS.join('|')})$`,
};

/**
 * TLS policy of the ingress NLBs' TLS listeners: TLS 1.3 and 1.2 only (Elastic Load Balancing
 * "Security policies for your Network Load Balancer": ELBSecurityPolicy-TLS13-1-2-2021-06, the
 * console's recommended policy).
 */
export const INGRESS_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * Name of the internal ingress NLB. It must NOT start with `ingressLoadBalancerPrefix`: the intake's
 * ingress-replaced rule re-points the public ingress records at any new NLB with that prefix.
 */
export function internalIngressLoadBalancerName(prefix: string, stageName: string): string {
  return `private-${prefix}-${stageName}`.slice(0, 32);
}

/** The velero-plugin-for-aws image matching the pinned Velero chart (Velero 1.16). */
export const VELERO_AWS_PLUGIN_IMAGE = 'velero/velero-plugin-for-aws:v1.12.1';

export interface ClusterAddonsProps {
  readonly stageName: string;
  readonly cluster: eks.Cluster;
  /** The cluster's name as a plain string (IAM condition keys cannot hold tokens). */
  readonly clusterName: string;
  readonly vpc: ec2.IVpc;
  readonly charts: PlatformConfig['eks']['charts'];
  /** Zones external-dns may write (its IAM policy names exactly these zone ARNs). */
  readonly zones: readonly route53.IHostedZone[];
  /** cert-manager solves DNS-01 challenges only in this zone. */
  readonly publicZone: route53.IHostedZone;
  readonly veleroBucket: s3.IBucket;
  readonly dataKey: kms.IKey;
  /** Load balancer access logs (the ingress NLB). */
  readonly logsBucket: s3.IBucket;
  /** Name prefix of the ingress NLB (config `automation.ingressLoadBalancerPrefix`): the DNS runbook watches it. */
  readonly ingressLoadBalancerPrefix: string;
  /** ACM certificate (public zone apex + wildcard) the ingress NLBs' TLS listeners present. */
  readonly certificateArn: string;
  /** The internal NLB's DNS name is published here by external-dns as `ingress.<private zone>`. */
  readonly privateZone: route53.IHostedZone;
  /** Datadog site, e.g. `datadoghq.eu`. */
  readonly datadogSite: string;
  /** Production runs more replicas of the critical add-ons. */
  readonly highlyAvailable: boolean;
  /** Charts install after these (the node groups and core add-ons: nothing schedules without them). */
  readonly installAfter?: readonly IDependable[];
}

const zoneSpread = (labels: Record<string, string>) => [
  {
    maxSkew: 1,
    topologyKey: 'topology.kubernetes.io/zone',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: labels },
  },
];

/**
 * The cluster's Helm-installed add-ons, versions pinned in config, each AWS-calling one with an
 * IRSA role of least privilege: AWS Load Balancer Controller; ingress-nginx behind ONE Network
 * Load Balancer for every Ingress; cluster-autoscaler; external-dns limited to the platform's
 * zones; cert-manager (+ trust-manager for the Linkerd trust bundle); Velero (S3 + KMS);
 * Linkerd (CRDs + control plane, certificates issued in-cluster by cert-manager); the Datadog
 * agent; and a Kubernetes event exporter that forwards cluster-autoscaler events to the default
 * EventBridge bus in the shape the intake expects.
 */
export class ClusterAddons extends Construct {
  readonly charts: Record<ChartKey, eks.HelmChart>;
  readonly roles: Record<
    | 'loadBalancerController'
    | 'clusterAutoscaler'
    | 'externalDns'
    | 'certManager'
    | 'velero'
    | 'eventExporter',
    iam.Role
  >;

  constructor(scope: Construct, id: string, props: ClusterAddonsProps) {
    super(scope, id);
    const missing = REQUIRED_CHARTS.filter((k) => !props.charts[k]);
    if (missing.length > 0) {
      throw new Error(
        `platform.eks.charts must pin ${missing.join(', ')} (chart, repository, version, namespace)`,
      );
    }
    const stack = Stack.of(this);
    const { cluster, stageName } = props;
    const { clusterName } = props;
    const arn = (service: string, resource: string) =>
      `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
    // EBS snapshot ARNs carry no account id.
    const snapshots = `arn:${stack.partition}:ec2:${stack.region}::snapshot/*`;
    const replicas = props.highlyAvailable ? 3 : 2;
    const cfg = (k: ChartKey) => props.charts[k] as NonNullable<PlatformConfig['eks']['charts'][string]>;
    const irsa = (roleId: string, k: ChartKey, serviceAccount: string, description: string) =>
      new IrsaRole(this, roleId, { cluster, namespace: cfg(k).namespace, serviceAccount, description });
    const created: Partial<Record<ChartKey, eks.HelmChart>> = {};
    const helm = (k: ChartKey, values: Record<string, unknown>, wait = false): eks.HelmChart => {
      const c = cfg(k);
      const chart = cluster.addHelmChart(k, {
        chart: c.chart,
        repository: c.repository,
        version: c.version,
        namespace: c.namespace,
        release: c.chart,
        createNamespace: true,
        // PodDisruptionBudgets through the chart's own keys (disruption.ts): drains evict one replica at a time.
        values: mergeValues(values, disruptionValues(k)),
        // Charts whose CRDs and webhooks later manifests use are waited for, within the provider's limit.
        ...(wait ? { wait: true, timeout: Duration.minutes(10) } : {}),
      });
      for (const d of props.installAfter ?? []) chart.node.addDependency(d);
      created[k] = chart;
      return chart;
    };

    // --- AWS Load Balancer Controller: provisions the ingress NLB. Mutations only on its own tagged resources.
    const lbcSa = 'aws-load-balancer-controller';
    const lbc = irsa(
      'LoadBalancerControllerRole',
      'awsLoadBalancerController',
      lbcSa,
      'AWS Load Balancer Controller',
    );
    const clusterTag = 'elbv2.k8s.aws/cluster';
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Read',
        actions: [
          'ec2:DescribeAccountAttributes',
          'ec2:DescribeAddresses',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeInternetGateways',
          'ec2:DescribeVpcs',
          'ec2:DescribeVpcPeeringConnections',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeTags',
          'ec2:DescribeCoipPools',
          'ec2:GetCoipPoolUsage',
          'ec2:GetSecurityGroupsForVpc',
          'ec2:DescribeIpamPools',
          'ec2:DescribeRouteTables',
          'elasticloadbalancing:Describe*',
          'acm:ListCertificates',
          'acm:DescribeCertificate',
          'shield:GetSubscriptionState',
        ],
        resources: ['*'],
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ServiceLinkedRole',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
      }),
    );
    const securityGroups = arn('ec2', 'security-group/*');
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateOwnSecurityGroups',
        actions: ['ec2:CreateSecurityGroup'],
        resources: [securityGroups],
        conditions: { StringEquals: { [`aws:RequestTag/${clusterTag}`]: clusterName } },
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateSecurityGroupsInVpc',
        actions: ['ec2:CreateSecurityGroup'],
        resources: [arn('ec2', `vpc/${props.vpc.vpcId}`)],
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagOnCreate',
        actions: ['ec2:CreateTags'],
        resources: [securityGroups],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnSecurityGroups',
        actions: [
          'ec2:CreateTags',
          'ec2:DeleteTags',
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:DeleteSecurityGroup',
        ],
        resources: [securityGroups],
        conditions: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: clusterName } },
      }),
    );
    // Opening node security groups to the NLB: those groups are the cluster's, tagged by EKS.
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OpenClusterSecurityGroupsToLoadBalancer',
        actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
        resources: [securityGroups],
        conditions: { StringEquals: { 'aws:ResourceTag/aws:eks:cluster-name': clusterName } },
      }),
    );
    const lbResources = [
      arn('elasticloadbalancing', 'loadbalancer/net/*/*'),
      arn('elasticloadbalancing', 'loadbalancer/app/*/*'),
      arn('elasticloadbalancing', 'targetgroup/*/*'),
    ];
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateOwnLoadBalancers',
        actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'],
        resources: lbResources,
        conditions: { StringEquals: { [`aws:RequestTag/${clusterTag}`]: clusterName } },
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagOwnLoadBalancersOnCreate',
        actions: ['elasticloadbalancing:AddTags'],
        resources: lbResources,
        conditions: {
          StringEquals: {
            [`aws:RequestTag/${clusterTag}`]: clusterName,
            'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'],
          },
        },
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnLoadBalancers',
        actions: [
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetIpAddressType',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:RegisterTargets',
          'elasticloadbalancing:DeregisterTargets',
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:CreateRule',
        ],
        resources: lbResources,
        conditions: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: clusterName } },
      }),
    );
    // Listeners and rules carry the cluster tag too (the controller tags them on create).
    const listenerResources = [
      arn('elasticloadbalancing', 'listener/net/*/*/*'),
      arn('elasticloadbalancing', 'listener/app/*/*/*'),
      arn('elasticloadbalancing', 'listener-rule/net/*/*/*'),
      arn('elasticloadbalancing', 'listener-rule/app/*/*/*'),
    ];
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagOwnListenersOnCreate',
        actions: ['elasticloadbalancing:AddTags'],
        resources: listenerResources,
        conditions: {
          StringEquals: {
            [`aws:RequestTag/${clusterTag}`]: clusterName,
            'elasticloadbalancing:CreateAction': ['CreateListener', 'CreateRule'],
          },
        },
      }),
    );
    lbc.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnListeners',
        actions: [
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:ModifyRule',
          'elasticloadbalancing:DeleteRule',
          'elasticloadbalancing:AddListenerCertificates',
          'elasticloadbalancing:RemoveListenerCertificates',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        resources: listenerResources,
        conditions: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: clusterName } },
      }),
    );

    // --- cluster-autoscaler: changes only this cluster's node-group ASGs (tagged by EKS for auto-discovery).
    const caSa = 'cluster-autoscaler';
    const ca = irsa('ClusterAutoscalerRole', 'clusterAutoscaler', caSa, 'cluster-autoscaler');
    ca.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Read',
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
        ],
        resources: ['*'],
      }),
    );
    ca.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeOwnNodegroups',
        actions: ['eks:DescribeNodegroup'],
        resources: [arn('eks', `nodegroup/${clusterName}/*/*`)],
      }),
    );
    ca.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ScaleOwnNodeGroups',
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')],
        conditions: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' },
        },
      }),
    );

    // --- external-dns: only the configured zones.
    const dnsSa = 'external-dns';
    const dns = irsa('ExternalDnsRole', 'externalDns', dnsSa, 'external-dns (platform zones only)');
    dns.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeConfiguredZones',
        actions: [
          'route53:ChangeResourceRecordSets',
          'route53:ListResourceRecordSets',
          'route53:ListTagsForResource',
        ],
        resources: props.zones.map((z) => z.hostedZoneArn),
      }),
    );
    dns.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListZones',
        actions: ['route53:ListHostedZones', 'route53:ListTagsForResources'],
        resources: ['*'],
      }),
    );

    // --- cert-manager: DNS-01 challenges in the public zone only, TXT records only.
    const cmSa = 'cert-manager';
    const cm = irsa('CertManagerRole', 'certManager', cmSa, 'cert-manager DNS-01 solver (public zone)');
    cm.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AcmeChallengeRecords',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [props.publicZone.hostedZoneArn],
        conditions: {
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
          'ForAllValues:StringLike': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'],
          },
        },
      }),
    );
    // cert-manager's Route 53 guide (cert-manager.io/docs/configuration/acme/dns01/route53) grants
    // route53:ListResourceRecordSets on the zone beside the change; read-only, this zone only.
    cm.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadChallengeZone',
        actions: ['route53:ListResourceRecordSets'],
        resources: [props.publicZone.hostedZoneArn],
      }),
    );
    cm.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadChanges',
        actions: ['route53:GetChange'],
        resources: [`arn:${stack.partition}:route53:::change/*`],
      }),
    );
    cm.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FindZone',
        actions: ['route53:ListHostedZonesByName'],
        resources: ['*'],
      }),
    );

    // --- Velero: its bucket and key, EBS snapshots of volumes it tags.
    const veleroSa = 'velero-server';
    const velero = irsa('VeleroRole', 'velero', veleroSa, 'Velero backups');
    velero.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'BackupObjects',
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [props.veleroBucket.arnForObjects('*')],
      }),
    );
    velero.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'BackupBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [props.veleroBucket.bucketArn],
      }),
    );
    velero.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'BackupKey',
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.dataKey.keyArn],
      }),
    );
    velero.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadVolumes',
        actions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
        resources: ['*'],
      }),
    );
    const veleroTagged = (kind: 'Request' | 'Resource') => ({
      Null: { [`aws:${kind}Tag/velero.io/backup`]: 'false' },
    });
    const volumes = arn('ec2', 'volume/*');
    const statement = (
      sid: string,
      actions: string[],
      resources: string[],
      conditions: Record<string, unknown>,
    ) => velero.role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    // Back up: only volumes the EBS CSI driver created (it tags them), into snapshots tagged with the backup.
    statement('SnapshotCsiVolumes', ['ec2:CreateSnapshot'], [volumes], {
      StringEquals: { 'aws:ResourceTag/ebs.csi.aws.com/cluster': 'true' },
    });
    statement('CreateBackupSnapshots', ['ec2:CreateSnapshot'], [snapshots], veleroTagged('Request'));
    // Restore: only from Velero's snapshots, into volumes carrying the backup's tags (the plugin copies them).
    statement('RestoreFromBackupSnapshots', ['ec2:CreateVolume'], [snapshots], veleroTagged('Resource'));
    statement('RestoreTaggedVolumes', ['ec2:CreateVolume'], [volumes], veleroTagged('Request'));
    statement('TagOnCreate', ['ec2:CreateTags'], [volumes, snapshots], {
      StringEquals: { 'ec2:CreateAction': ['CreateSnapshot', 'CreateVolume'] },
    });
    velero.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeleteOwnSnapshots',
        actions: ['ec2:DeleteSnapshot'],
        resources: [snapshots],
        conditions: { Null: { 'aws:ResourceTag/velero.io/backup': 'false' } },
      }),
    );

    // --- Event exporter: PutEvents on the default bus only.
    const exporterSa = 'kubernetes-event-exporter';
    const exporter = irsa(
      'EventExporterRole',
      'eventExporter',
      exporterSa,
      'Kubernetes event exporter to EventBridge',
    );
    exporter.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutEventsDefaultBus',
        actions: ['events:PutEvents'],
        resources: [arn('events', 'event-bus/default')],
      }),
    );

    const IAM5 = 'AwsSolutions-IAM5';
    const anyResource = 'Resource::*';
    const nagArn = (service: string, resource: string) =>
      `Resource::arn:<AWS::Partition>:${service}:${stack.region}:${stack.account}:${resource}`;
    acknowledgeFindings(
      lbc,
      IAM5,
      [anyResource, 'Action::elasticloadbalancing:Describe*'],
      'Read-only calls that support no resource-level permissions: elasticloadbalancing:Describe*, acm:DescribeCertificate, acm:ListCertificates, ec2:DescribeAccountAttributes, ec2:DescribeAddresses, ec2:DescribeAvailabilityZones, ec2:DescribeCoipPools, ec2:DescribeInstances, ec2:DescribeInternetGateways, ec2:DescribeIpamPools, ec2:DescribeNetworkInterfaces, ec2:DescribeRouteTables, ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeTags, ec2:DescribeVpcPeeringConnections, ec2:DescribeVpcs, ec2:GetCoipPoolUsage, ec2:GetSecurityGroupsForVpc, shield:GetSubscriptionState.',
    );
    acknowledgeFindings(
      lbc,
      IAM5,
      [nagArn('ec2', 'security-group/*')],
      `Load-balancer security groups are created at runtime with generated ids: ec2:CreateSecurityGroup and ec2:CreateTags require the request tag ${clusterTag}=${clusterName}; ec2:DeleteSecurityGroup, ec2:DeleteTags, ec2:AuthorizeSecurityGroupIngress and ec2:RevokeSecurityGroupIngress require that resource tag (or the EKS cluster tag for node security groups).`,
    );
    acknowledgeFindings(
      lbc,
      IAM5,
      [
        nagArn('elasticloadbalancing', 'loadbalancer/net/*/*'),
        nagArn('elasticloadbalancing', 'loadbalancer/app/*/*'),
        nagArn('elasticloadbalancing', 'targetgroup/*/*'),
      ],
      `Load balancers and target groups are created at runtime with generated names: elasticloadbalancing:CreateLoadBalancer, elasticloadbalancing:CreateTargetGroup and elasticloadbalancing:AddTags (on create) require the request tag ${clusterTag}=${clusterName}; elasticloadbalancing:CreateListener, elasticloadbalancing:CreateRule, elasticloadbalancing:DeleteLoadBalancer, elasticloadbalancing:DeleteTargetGroup, elasticloadbalancing:RegisterTargets, elasticloadbalancing:DeregisterTargets, elasticloadbalancing:ModifyLoadBalancerAttributes, elasticloadbalancing:ModifyTargetGroup, elasticloadbalancing:ModifyTargetGroupAttributes, elasticloadbalancing:RemoveTags, elasticloadbalancing:SetIpAddressType, elasticloadbalancing:SetSecurityGroups and elasticloadbalancing:SetSubnets require that resource tag.`,
    );
    acknowledgeFindings(
      lbc,
      IAM5,
      [
        nagArn('elasticloadbalancing', 'listener/net/*/*/*'),
        nagArn('elasticloadbalancing', 'listener/app/*/*/*'),
        nagArn('elasticloadbalancing', 'listener-rule/net/*/*/*'),
        nagArn('elasticloadbalancing', 'listener-rule/app/*/*/*'),
      ],
      `Listener and rule ARNs live under the controller’s own load balancers and are generated: elasticloadbalancing:AddTags (on create) requires the request tag ${clusterTag}=${clusterName}; elasticloadbalancing:ModifyListener, elasticloadbalancing:DeleteListener, elasticloadbalancing:ModifyRule, elasticloadbalancing:DeleteRule, elasticloadbalancing:AddListenerCertificates, elasticloadbalancing:RemoveListenerCertificates and elasticloadbalancing:RemoveTags require that resource tag.`,
    );
    acknowledgeFindings(
      ca,
      IAM5,
      [anyResource],
      'Read-only calls that support no resource-level permissions: autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeAutoScalingInstances, autoscaling:DescribeLaunchConfigurations, autoscaling:DescribeScalingActivities, autoscaling:DescribeTags, ec2:DescribeImages, ec2:DescribeInstanceTypes, ec2:DescribeLaunchTemplateVersions, ec2:GetInstanceTypesFromInstanceRequirements.',
    );
    acknowledgeFindings(
      ca,
      IAM5,
      [
        nagArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
        nagArn('eks', `nodegroup/${clusterName}/*/*`),
      ],
      `Node-group ASG names are generated by EKS: autoscaling:SetDesiredCapacity and autoscaling:TerminateInstanceInAutoScalingGroup require the tag k8s.io/cluster-autoscaler/${clusterName}=owned; eks:DescribeNodegroup reads node groups of this cluster only.`,
    );
    acknowledgeFindings(
      dns,
      IAM5,
      [anyResource],
      'route53:ListHostedZones and route53:ListTagsForResources (read-only) support no resource-level permissions; record changes are limited to the configured zone ARNs.',
    );
    acknowledgeFindings(
      cm,
      IAM5,
      [anyResource],
      'route53:ListHostedZonesByName supports no resource-level permissions; it reads only.',
    );
    acknowledgeFindings(
      cm,
      IAM5,
      ['Resource::arn:<AWS::Partition>:route53:::change/*'],
      'Change ids are generated per request; route53:GetChange only reads their status.',
    );
    acknowledgeFindings(
      velero,
      IAM5,
      [anyResource],
      'ec2:DescribeVolumes and ec2:DescribeSnapshots support no resource-level permissions; they read only.',
    );
    acknowledgeFindings(
      velero,
      IAM5,
      [nagArn('ec2', 'volume/*'), `Resource::arn:<AWS::Partition>:ec2:${stack.region}::snapshot/*`],
      'Volume and snapshot ids are unknown at deploy: ec2:CreateSnapshot only of volumes the EBS CSI driver tagged (ebs.csi.aws.com/cluster=true) into snapshots carrying the backup’s velero.io tags; ec2:CreateVolume only from such snapshots into volumes with those tags; ec2:CreateTags only on create; ec2:DeleteSnapshot only with the velero.io/backup tag.',
    );
    acknowledgeFindings(
      velero,
      IAM5,
      [`Resource::<${stack.getLogicalId(props.veleroBucket.node.defaultChild as CfnResource)}.Arn>/*`],
      'Backup objects are named by Velero per backup, inside the Velero bucket only: s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts.',
    );

    this.roles = {
      loadBalancerController: lbc.role,
      clusterAutoscaler: ca.role,
      externalDns: dns.role,
      certManager: cm.role,
      velero: velero.role,
      eventExporter: exporter.role,
    };

    const critical = PLATFORM_CRITICAL_PRIORITY_CLASS;
    const lbcChart = helm('awsLoadBalancerController', {
      clusterName,
      region: stack.region,
      vpcId: props.vpc.vpcId,
      replicaCount: 2,
      priorityClassName: critical,
      serviceAccount: { create: true, name: lbcSa, annotations: lbc.annotations },
      topologySpreadConstraints: zoneSpread({ 'app.kubernetes.io/name': 'aws-load-balancer-controller' }),
      // A Service becomes an NLB only when it asks for the NLB class (the ingress controller's does);
      // the mutator webhook would otherwise turn every LoadBalancer Service into another NLB.
      enableServiceMutatorWebhook: false,
    });

    const nlbName = `${props.ingressLoadBalancerPrefix}-${stageName}`.slice(0, 32);
    const internalNlbName = internalIngressLoadBalancerName(props.ingressLoadBalancerPrefix, stageName);
    if (internalNlbName.startsWith(props.ingressLoadBalancerPrefix)) {
      throw new Error(
        `internal ingress NLB ${internalNlbName} starts with ingressLoadBalancerPrefix ${props.ingressLoadBalancerPrefix}: ingress-replaced would point public records at it`,
      );
    }
    // Both NLBs: the AWS Load Balancer Controller's NLB, IP targets, proxy protocol v2 (nginx reads
    // the client address from it), cross-zone, access logs; a TLS listener on 443 presenting the ACM
    // certificate with a TLS 1.2+ policy, forwarding the decrypted stream to nginx's plain-HTTP port
    // (annotations from kubernetes-sigs/aws-load-balancer-controller docs/guide/service/annotations.md).
    const nlbAnnotations = (name: string, scheme: 'internet-facing' | 'internal', logPrefix: string) => ({
      'service.beta.kubernetes.io/aws-load-balancer-name': name,
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': scheme,
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
      'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': props.certificateArn,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': INGRESS_TLS_POLICY,
      'service.beta.kubernetes.io/aws-load-balancer-attributes': [
        'access_logs.s3.enabled=true',
        `access_logs.s3.bucket=${props.logsBucket.bucketName}`,
        `access_logs.s3.prefix=${logPrefix}`,
      ].join(','),
    });
    const ingress = helm('ingressNginx', {
      controller: {
        replicaCount: replicas,
        priorityClassName: critical,
        ingressClassResource: { name: 'nginx', default: true },
        topologySpreadConstraints: zoneSpread({
          'app.kubernetes.io/name': 'ingress-nginx',
          'app.kubernetes.io/component': 'controller',
        }),
        config: { 'use-proxy-protocol': 'true' },
        service: {
          type: 'LoadBalancer',
          // One public NLB for every Ingress, provisioned by the AWS Load Balancer Controller.
          loadBalancerClass: 'service.k8s.aws/nlb',
          annotations: nlbAnnotations(nlbName, 'internet-facing', 'elb'),
          // TLS ends at the NLB (ACM certificate): port 443 forwards to nginx's HTTP port.
          targetPorts: { http: 'http', https: 'http' },
          // A second Service of the same controller pods (chart value controller.service.internal,
          // templates/controller-service-internal.yaml in kubernetes/ingress-nginx at 094b903): an
          // internal NLB in the private subnets, so in-VPC functions reach every Ingress without
          // leaving the VPC. Same controller, not a second class: one fleet to run and scale, and every
          // host is reachable on both paths. Its ports and target ports default to the ones above.
          internal: {
            enabled: true,
            loadBalancerClass: 'service.k8s.aws/nlb',
            annotations: {
              ...nlbAnnotations(internalNlbName, 'internal', 'elb-internal'),
              'external-dns.alpha.kubernetes.io/hostname': `ingress.${props.privateZone.zoneName}`,
            },
          },
        },
      },
    });
    ingress.node.addDependency(lbcChart);

    helm('clusterAutoscaler', {
      cloudProvider: 'aws',
      awsRegion: stack.region,
      autoDiscovery: { clusterName },
      priorityClassName: critical,
      rbac: { serviceAccount: { create: true, name: caSa, annotations: ca.annotations } },
      extraArgs: {
        'balance-similar-node-groups': true,
        'skip-nodes-with-system-pods': false,
        expander: 'least-waste',
        // The status ConfigMap is where ScaledUpGroup/ScaleUpFailed events are recorded (the intake reads them).
        'write-status-configmap': true,
      },
    });

    helm('externalDns', {
      provider: { name: 'aws' },
      env: [{ name: 'AWS_DEFAULT_REGION', value: stack.region }],
      domainFilters: props.zones.map((z) => z.zoneName),
      extraArgs: props.zones.map((z) => `--zone-id-filter=${z.hostedZoneId}`),
      txtOwnerId: clusterName,
      policy: 'upsert-only',
      registry: 'txt',
      priorityClassName: critical,
      serviceAccount: { create: true, name: dnsSa, annotations: dns.annotations },
    });

    const certManager = helm(
      'certManager',
      {
        crds: { enabled: true, keep: true },
        global: { priorityClassName: critical },
        replicaCount: props.highlyAvailable ? 2 : 1,
        serviceAccount: { create: true, name: cmSa, annotations: cm.annotations },
        // IRSA needs the service account token mounted with the right audience; fsGroup makes it readable.
        securityContext: { fsGroup: 1001 },
        topologySpreadConstraints: zoneSpread({ 'app.kubernetes.io/name': 'cert-manager' }),
      },
      true,
    );
    const trustManager = helm(
      'trustManager',
      {
        crds: { enabled: true },
        app: { trust: { namespace: cfg('certManager').namespace } },
      },
      true,
    );
    trustManager.node.addDependency(certManager);

    helm('velero', {
      initContainers: [
        {
          name: 'velero-plugin-for-aws',
          image: VELERO_AWS_PLUGIN_IMAGE,
          volumeMounts: [{ mountPath: '/target', name: 'plugins' }],
        },
      ],
      priorityClassName: critical,
      credentials: { useSecret: false },
      serviceAccount: { server: { create: true, name: veleroSa, annotations: velero.annotations } },
      configuration: {
        backupStorageLocation: [
          {
            name: 'default',
            provider: 'aws',
            bucket: props.veleroBucket.bucketName,
            default: true,
            config: { region: stack.region, kmsKeyId: props.dataKey.keyArn, serverSideEncryption: 'aws:kms' },
          },
        ],
        volumeSnapshotLocation: [{ name: 'default', provider: 'aws', config: { region: stack.region } }],
      },
      schedules: {
        daily: {
          schedule: '0 3 * * *',
          template: { ttl: '720h', includedNamespaces: ['*'], snapshotVolumes: true },
        },
      },
    });

    // --- Linkerd: trust anchor and identity issuer are issued in-cluster by cert-manager (no private
    // key ever in a template); trust-manager publishes the anchor's public cert to the
    // `linkerd-identity-trust-roots` ConfigMap the control plane reads (identity.externalCA).
    const linkerdNs = cfg('linkerdControlPlane').namespace;
    const certManagerNs = cfg('certManager').namespace;
    const linkerdNamespace = cluster.addManifest('LinkerdNamespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: linkerdNs,
        labels: { 'linkerd.io/is-control-plane': 'true', 'config.linkerd.io/admission-webhooks': 'disabled' },
      },
    });
    const linkerdCrds = helm('linkerdCrds', {});
    linkerdCrds.node.addDependency(linkerdNamespace);
    const linkerdCerts = cluster.addManifest(
      'LinkerdCertificates',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: 'linkerd-trust-root-selfsigned' },
        spec: { selfSigned: {} },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'linkerd-trust-anchor', namespace: certManagerNs },
        spec: {
          isCA: true,
          commonName: 'root.linkerd.cluster.local',
          secretName: 'linkerd-trust-anchor',
          duration: '87600h',
          renewBefore: '8760h',
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          issuerRef: {
            name: 'linkerd-trust-root-selfsigned',
            kind: 'ClusterIssuer',
            group: 'cert-manager.io',
          },
        },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: 'linkerd-trust-anchor' },
        spec: { ca: { secretName: 'linkerd-trust-anchor' } },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'linkerd-identity-issuer', namespace: linkerdNs },
        spec: {
          isCA: true,
          commonName: 'identity.linkerd.cluster.local',
          secretName: 'linkerd-identity-issuer',
          duration: '48h',
          renewBefore: '25h',
          privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
          usages: ['cert sign', 'crl sign', 'server auth', 'client auth'],
          issuerRef: { name: 'linkerd-trust-anchor', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        },
      },
    );
    linkerdCerts.node.addDependency(certManager, linkerdNamespace);
    const trustBundle = cluster.addManifest('LinkerdTrustBundle', {
      apiVersion: 'trust.cert-manager.io/v1alpha1',
      kind: 'Bundle',
      metadata: { name: 'linkerd-identity-trust-roots' },
      spec: {
        sources: [{ secret: { name: 'linkerd-trust-anchor', key: 'tls.crt' } }],
        target: {
          configMap: { key: 'ca-bundle.crt' },
          namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } },
        },
      },
    });
    trustBundle.node.addDependency(trustManager, linkerdCerts);
    const linkerd = helm('linkerdControlPlane', {
      identity: { externalCA: true, issuer: { scheme: 'kubernetes.io/tls' } },
      controllerReplicas: replicas,
      enablePodAntiAffinity: props.highlyAvailable,
      priorityClassName: critical,
    });
    linkerd.node.addDependency(linkerdCrds, trustBundle);

    // --- Datadog agent: API key from a Kubernetes secret synced from Secrets Manager (see README).
    helm('datadog', {
      datadog: {
        site: props.datadogSite,
        clusterName,
        apiKeyExistingSecret: 'datadog-secret',
        kubelet: { tlsVerify: false },
        // Bottlerocket nodes: containerd behind the dockershim-compatible socket path.
        criSocketPath: '/run/dockershim.sock',
        env: [{ name: 'DD_AUTOCONFIG_INCLUDE_FEATURES', value: 'containerd' }],
        logs: { enabled: true, containerCollectAll: true },
        apm: { instrumentation: { enabled: false } },
        tags: [`stage:${stageName}`, `cluster:${clusterName}`],
      },
      clusterAgent: {
        enabled: true,
        replicas: 2,
        priorityClassName: critical,
        topologySpreadConstraints: zoneSpread({ app: 'datadog-cluster-agent' }),
      },
      agents: { priorityClassCreate: true },
    });

    // --- Kubernetes event exporter: cluster-autoscaler events → default bus, EnhancedEvent JSON as `detail`.
    helm('eventExporter', {
      priorityClassName: critical,
      serviceAccount: { create: true, name: exporterSa, annotations: exporter.annotations },
      config: {
        logLevel: 'info',
        logFormat: 'json',
        maxEventAgeSeconds: 60,
        clusterName,
        route: { routes: [{ match: [{ ...EVENT_EXPORTER_ROUTE, receiver: 'eventbridge' }] }] },
        receivers: [
          {
            name: 'eventbridge',
            eventbridge: {
              detailType: KUBERNETES_EVENT_DETAIL_TYPE,
              source: KUBERNETES_EVENT_SOURCE,
              eventBusName: 'default',
              region: stack.region,
            },
          },
        ],
      },
    });

    this.charts = created as Record<ChartKey, eks.HelmChart>;
  }
}
