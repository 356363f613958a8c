import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { rules as nagRules } from 'cdk-nag';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../../config/index.js';
import { RECLAIM_TAG } from '../../../config/tags.js';
import { acknowledgeFindings, acknowledgeGenerated } from './acknowledge.js';
import { BRUPOP_NODE_LABEL } from './bottlerocket-updates.js';
import { IrsaRole } from './irsa.js';

export interface PlatformClusterProps {
  readonly stageName: string;
  readonly eks: PlatformConfig['eks'];
  readonly vpc: ec2.Vpc;
  /** The three availability zones, in config order: one node group per zone. */
  readonly availabilityZones: readonly string[];
  /** Envelope encryption of Kubernetes secrets. */
  readonly clusterKey: kms.IKey;
  /** Encrypts EBS volumes of the default storage class. */
  readonly dataKey: kms.IKey;
  /** Encrypts the control-plane log group. */
  readonly logsKey: kms.IKey;
  /** The opt-in tag automation requires on what it mutates (config `automation.optInTag`). */
  readonly optInTag: { readonly key: string; readonly value: string };
  /**
   * The protected tag (config `automation.allowLists.volumes.protectedTag`): every volume of the
   * `gp3-protected` StorageClass carries it, so detaching one snapshots it.
   */
  readonly protectedTag: { readonly key: string; readonly value: string };
}

/** kubectl/helm in the provider's layer (@aws-cdk/lambda-layer-kubectl-v35). */
export const KUBECTL_MINOR = 35;

/** kubectl supports servers one minor version either side of its own. */
export function checkKubectlSkew(version: string): void {
  const minor = Number(version.split('.')[1]);
  if (!Number.isInteger(minor) || Math.abs(minor - KUBECTL_MINOR) > 1) {
    throw new Error(
      `platform.eks.version ${version} is outside kubectl 1.${KUBECTL_MINOR}'s supported skew (1.${KUBECTL_MINOR - 1}–1.${KUBECTL_MINOR + 1}); change the version or the kubectl layer package together`,
    );
  }
}

/** EKS access policy per configured role. */
const ACCESS_POLICIES: Record<PlatformConfig['eks']['accessEntries'][number]['policy'], string> = {
  'cluster-admin': 'AmazonEKSClusterAdminPolicy',
  admin: 'AmazonEKSAdminPolicy',
  edit: 'AmazonEKSEditPolicy',
  view: 'AmazonEKSViewPolicy',
};

/** Every control-plane log type. */
export const ALL_CLUSTER_LOG_TYPES: readonly eks.ClusterLoggingTypes[] = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
  eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  eks.ClusterLoggingTypes.SCHEDULER,
];

/** The PriorityClass the platform's own critical workloads (ingress, DNS, autoscaler, mesh) use. */
export const PLATFORM_CRITICAL_PRIORITY_CLASS = 'platform-critical';

/** Graviton families carry a `g` after the generation digit (m7g, c7gn, r8g): Bottlerocket ARM. */
/** The StorageClass protected workloads must use (reclaim policy Retain; see README "Protected volumes"). */
export const PROTECTED_STORAGE_CLASS = 'gp3-protected';

export function bottlerocketAmiFor(instanceTypes: readonly string[]): eks.NodegroupAmiType {
  const arm = instanceTypes.map((t) => /^[a-z]+\d+g[a-z]*\./.test(t));
  if (arm.some((a) => a !== arm[0])) {
    throw new Error(
      `node group instance types mix ARM and x86 (${instanceTypes.join(', ')}); pick one architecture`,
    );
  }
  return arm[0] ? eks.NodegroupAmiType.BOTTLEROCKET_ARM_64 : eks.NodegroupAmiType.BOTTLEROCKET_X86_64;
}

/** SSM parameter names that own a node group's max and desired sizes (contract with scale-node-group). */
export function nodegroupSizeParameterNames(stageName: string, nodegroupName: string) {
  const base = `/ops/${stageName}/nodegroups/${nodegroupName}`;
  return { maxSize: `${base}/max-size`, desiredSize: `${base}/desired-size` };
}

/**
 * The stage's EKS cluster (`aws-eks-v2`, named `<stage>-platform`): private API endpoint unless
 * config lists public CIDRs, every control-plane log type, secrets encrypted with a KMS key,
 * access entries from config, one Bottlerocket managed node group per AZ (`<stage>-platform-a|b|c`,
 * spot outside production) whose max and desired sizes are CloudFormation dynamic references to
 * SSM parameters (so a deploy re-applies what automation recorded instead of resetting it), the
 * EKS add-ons (VPC CNI with network policies, CoreDNS, kube-proxy, EBS CSI driver with its own
 * IRSA role), an encrypted gp3 default StorageClass and the platform's PriorityClass.
 */
export class PlatformCluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly clusterName: string;
  readonly nodegroups: eks.Nodegroup[];
  readonly nodegroupNames: string[];
  /** The worker nodes' role (shared by every node group). */
  readonly nodeRole: iam.Role;
  /** `/ops/<stage>/nodegroups/<ng>/{max-size,desired-size}` parameters, per node group name. */
  readonly sizeParameters: Record<string, { maxSize: ssm.StringParameter; desiredSize: ssm.StringParameter }>;
  readonly addons: Record<'vpcCni' | 'coreDns' | 'kubeProxy' | 'ebsCsi', eks.Addon>;
  readonly ebsCsiRole: iam.Role;
  readonly storageClass: eks.KubernetesManifest;
  /** `gp3-protected`: reclaim policy Retain, for data that must be snapshotted before it is deleted. */
  readonly protectedStorageClass: eks.KubernetesManifest;
  readonly priorityClass: eks.KubernetesManifest;
  readonly controlPlaneLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PlatformClusterProps) {
    super(scope, id);
    const { stageName, eks: cfg } = props;
    this.clusterName = `${stageName}-platform`;
    checkKubectlSkew(cfg.version);
    const endpointAccess =
      cfg.publicAccessCidrs.length > 0
        ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...cfg.publicAccessCidrs)
        : eks.EndpointAccess.PRIVATE;

    // Created ahead of the cluster so control-plane logs get retention and the logs key (EKS would create it bare).
    this.controlPlaneLogGroup = new logs.LogGroup(this, 'ControlPlaneLogs', {
      logGroupName: `/aws/eks/${this.clusterName}/cluster`,
      encryptionKey: props.logsKey,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: this.clusterName,
      version: eks.KubernetesVersion.of(cfg.version),
      vpc: props.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess,
      secretsEncryptionKey: props.clusterKey,
      clusterLogging: [...ALL_CLUSTER_LOG_TYPES],
      // Managed node groups below, one per AZ: no Auto Mode, no default capacity.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer') },
    });
    this.cluster.node.addDependency(this.controlPlaneLogGroup);
    // With @aws-cdk/aws-lambda:useCdkManagedLogGroup the kubectl provider's functions get log groups
    // made by CDK (before, Lambda made them on first run: unencrypted, kept forever). Give them the
    // logs key and the retention of the cluster's own logs.
    for (const c of this.cluster.node.findAll()) {
      if (c instanceof logs.CfnLogGroup && c !== this.controlPlaneLogGroup.node.defaultChild) {
        c.kmsKeyId = props.logsKey.keyArn;
        c.retentionInDays = logs.RetentionDays.THREE_MONTHS;
      }
    }
    Validations.of(this.cluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        'aws-eks-v2 renders EncryptionConfig.Resources ["secrets"]; it is still the documented way to request secrets envelope encryption.',
    });
    this.acknowledgeGeneratedResources();

    for (const [i, entry] of cfg.accessEntries.entries()) {
      this.cluster.grantAccess(`Access${i}`, entry.principalArn, [
        eks.AccessPolicy.fromAccessPolicyName(ACCESS_POLICIES[entry.policy], {
          accessScopeType: eks.AccessScopeType.CLUSTER,
        }),
      ]);
    }

    // Node groups: one per AZ so EBS-backed pods always find a node in their volume's zone.
    const amiType = bottlerocketAmiFor(cfg.nodeGroup.instanceTypes);
    const nodeRole = new iam.Role(this, 'NodeRole', {
      description: `${this.clusterName} worker nodes`,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSWorkerNodePolicy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryPullOnly'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKS_CNI_Policy'),
      ],
    });
    this.nodeRole = nodeRole;
    acknowledgeFindings(
      nodeRole,
      'AwsSolutions-IAM4',
      ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'].map(
        (p) => `Policy::arn:<AWS::Partition>:iam::aws:policy/${p}`,
      ),
      'EKS worker nodes need the AWS-maintained node, ECR pull and VPC CNI policies; AWS updates them as EKS adds APIs.',
    );
    this.nodegroups = [];
    this.nodegroupNames = [];
    this.sizeParameters = {};
    const privateSubnets = props.vpc.selectSubnets({
      subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
    }).subnets;
    for (const az of props.availabilityZones) {
      const suffix = az.slice(-1);
      const nodegroupName = `${this.clusterName}-${suffix}`;
      const subnet = privateSubnets.find((s) => s.availabilityZone === az);
      if (!subnet) throw new Error(`no private subnet in ${az} for node group ${nodegroupName}`);
      const names = nodegroupSizeParameterNames(stageName, nodegroupName);
      const maxSize = new ssm.StringParameter(this, `MaxSize-${suffix}`, {
        parameterName: names.maxSize,
        description: `${nodegroupName} max size: read by the node group at deploy, written by scale-node-group`,
        stringValue: String(cfg.nodeGroup.maxSize),
      });
      const desiredSize = new ssm.StringParameter(this, `DesiredSize-${suffix}`, {
        parameterName: names.desiredSize,
        description: `${nodegroupName} desired size: read by the node group at deploy, written by scale-node-group`,
        stringValue: String(cfg.nodeGroup.desiredSize),
      });
      const ng = this.cluster.addNodegroupCapacity(`Nodes-${suffix}`, {
        nodegroupName,
        nodeRole,
        subnets: { subnets: [subnet] },
        amiType,
        capacityType:
          cfg.nodeGroup.capacityType === 'SPOT' ? eks.CapacityType.SPOT : eks.CapacityType.ON_DEMAND,
        instanceTypes: cfg.nodeGroup.instanceTypes.map((t) => new ec2.InstanceType(t)),
        diskSize: cfg.nodeGroup.diskSizeGiB,
        minSize: cfg.nodeGroup.minSize,
        desiredSize: cfg.nodeGroup.desiredSize,
        maxSize: cfg.nodeGroup.maxSize,
        // Version updates replace at most this many nodes at a time (EKS NodegroupUpdateConfig).
        maxUnavailable: cfg.nodeGroup.update.maxUnavailable,
        labels: {
          'platform/zone': az,
          'platform/nodegroup': nodegroupName,
          // Opts the nodes into the Bottlerocket update operator (bottlerocket-updates.ts).
          ...(cfg.bottlerocketUpdates?.enabled ? { [BRUPOP_NODE_LABEL.key]: BRUPOP_NODE_LABEL.value } : {}),
        },
        tags: { [props.optInTag.key]: props.optInTag.value, Name: nodegroupName },
      });
      const cfn = ng.node.defaultChild as eks.CfnNodegroup;
      cfn.addPropertyOverride('ScalingConfig.MaxSize', `{{resolve:ssm:${names.maxSize}}}`);
      cfn.addPropertyOverride('ScalingConfig.DesiredSize', `{{resolve:ssm:${names.desiredSize}}}`);
      // DEFAULT launches the replacement nodes before draining the old ones (surge); MINIMAL does not.
      cfn.addPropertyOverride('UpdateConfig.UpdateStrategy', cfg.nodeGroup.update.strategy);
      ng.node.addDependency(maxSize, desiredSize);
      this.nodegroups.push(ng);
      this.nodegroupNames.push(nodegroupName);
      this.sizeParameters[nodegroupName] = { maxSize, desiredSize };
    }

    // EKS add-ons. The CNI enforces Kubernetes NetworkPolicy; the EBS CSI driver has its own role.
    this.ebsCsiRole = new IrsaRole(this, 'EbsCsiRole', {
      cluster: this.cluster,
      namespace: 'kube-system',
      serviceAccount: 'ebs-csi-controller-sa',
      description: `${this.clusterName}: EBS CSI driver controller`,
    }).role;
    this.ebsCsiRole.addManagedPolicy(
      iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy'),
    );
    props.dataKey.grant(
      this.ebsCsiRole,
      'kms:CreateGrant',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:DescribeKey',
    );
    acknowledgeFindings(
      this.ebsCsiRole,
      'AwsSolutions-IAM4',
      ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy'],
      'AmazonEBSCSIDriverPolicy is the AWS-maintained driver policy; its mutating actions are conditioned on the driver’s own ebs.csi.aws.com tags.',
    );

    const addon = (addonId: string, addonName: string, configurationValues?: Record<string, unknown>) => {
      const a = new eks.Addon(this, addonId, {
        cluster: this.cluster,
        addonName,
        ...(configurationValues ? { configurationValues } : {}),
      });
      // EKS bootstraps self-managed copies of the core add-ons; the managed ones take them over.
      (a.node.defaultChild as eks.CfnAddon).resolveConflicts = 'OVERWRITE';
      return a;
    };
    const ebsCsi = addon('EbsCsiDriver', 'aws-ebs-csi-driver', {
      controller: {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { app: 'ebs-csi-controller' } },
          },
        ],
      },
    });
    (ebsCsi.node.defaultChild as eks.CfnAddon).serviceAccountRoleArn = this.ebsCsiRole.roleArn;
    this.addons = {
      vpcCni: addon('VpcCni', 'vpc-cni', { enableNetworkPolicy: 'true' }),
      coreDns: addon('CoreDns', 'coredns', {
        replicaCount: 2,
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
      }),
      kubeProxy: addon('KubeProxy', 'kube-proxy'),
      ebsCsi,
    };
    for (const a of Object.values(this.addons)) for (const ng of this.nodegroups) a.node.addDependency(ng);

    this.storageClass = this.cluster.addManifest('Gp3StorageClass', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'gp3-encrypted',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'ebs.csi.aws.com',
      parameters: {
        type: 'gp3',
        encrypted: 'true',
        kmsKeyId: props.dataKey.keyArn,
        'csi.storage.k8s.io/fstype': 'ext4',
      },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });
    this.storageClass.node.addDependency(this.addons.ebsCsi);

    // Protected data (README "Protected volumes"): with reclaim policy
    // Delete, deleting a PVC makes the CSI driver detach and delete the volume within seconds, before
    // a snapshot triggered by the detach can start. Retain keeps the EBS volume when the PVC goes
    // (the PV turns Released); the snapshot runbook snapshots it and, asked to reclaim, deletes it only
    // after the snapshot completed. The driver copies `tagSpecification_<n>: "key=value"` parameters
    // onto every volume it creates (kubernetes-sigs/aws-ebs-csi-driver docs/tagging.md): the
    // protected tag (snapshot on detach, allow-list) and the reclaim tag (the only volumes a
    // reclaim may delete; IAM conditions DeleteVolume on it).
    this.protectedStorageClass = this.cluster.addManifest('Gp3ProtectedStorageClass', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: PROTECTED_STORAGE_CLASS },
      provisioner: 'ebs.csi.aws.com',
      parameters: {
        type: 'gp3',
        encrypted: 'true',
        kmsKeyId: props.dataKey.keyArn,
        'csi.storage.k8s.io/fstype': 'ext4',
        tagSpecification_1: `${props.protectedTag.key}=${props.protectedTag.value}`,
        tagSpecification_2: `${RECLAIM_TAG.key}=${RECLAIM_TAG.value}`,
      },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
    });
    this.protectedStorageClass.node.addDependency(this.addons.ebsCsi);

    this.priorityClass = this.cluster.addManifest('PlatformPriorityClass', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: PLATFORM_CRITICAL_PRIORITY_CLASS },
      value: 1_000_000,
      globalDefault: false,
      preemptionPolicy: 'PreemptLowerPriority',
      description:
        'Platform add-ons (ingress, DNS, autoscaling, mesh, backups, monitoring): scheduled before apps.',
    });
  }

  /** Roles and the Lambda handler aws-eks-v2 generates for the cluster and its kubectl provider. */
  private acknowledgeGeneratedResources(): void {
    const generated = [this.cluster.role, this.cluster.node.tryFindChild('KubectlProvider')].filter(
      (c): c is NonNullable<typeof c> => c !== undefined,
    );
    for (const scope of generated) {
      acknowledgeGenerated(
        scope,
        'AwsSolutions-IAM4',
        nagRules.iam.IAMNoManagedPolicies,
        'Generated by aws-eks-v2: the cluster service role needs AmazonEKSClusterPolicy, and the kubectl provider functions need the AWS-maintained Lambda basic, VPC access and ECR read policies to run kubectl/helm inside the VPC.',
      );
      acknowledgeGenerated(
        scope,
        'AwsSolutions-IAM5',
        nagRules.iam.IAMNoWildcardPermissions,
        'Generated by aws-eks-v2: the custom-resource framework has lambda:InvokeFunction on its own kubectl handler function and that function’s versions (`<handler ARN>:*`).',
      );
      acknowledgeGenerated(
        scope,
        'AwsSolutions-L1',
        nagRules.lambda.LambdaLatestVersion,
        'Generated by aws-eks-v2: the kubectl handler’s runtime is pinned by the construct to match its kubectl/helm layer.',
      );
    }
  }
}
