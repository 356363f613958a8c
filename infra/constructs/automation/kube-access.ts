import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  AUTOSCALER_STATUS_CONFIGMAP,
  type KubeSettings,
  parseWorkloadRef,
} from '../../../functions/kube/core.js';
import { grantVpcNetworkInterfaces, OpsFunction, XRayWritePolicy } from '../ops-function.js';

/** The Kubernetes group the kube function's access entry maps to; every Role below binds it. */
export const KUBE_GROUP = 'ops-automation';
/** Scratch namespaces restore tests may restore into (functions/kube/core.ts refuses others). */
export const RESTORE_NAMESPACE_PREFIX = 'restore-check-';

const PLURAL = { deployment: 'deployments', statefulset: 'statefulsets' } as const;

type Manifest = Record<string, unknown>;

/**
 * The RBAC of the kube function, as code: exactly the calls functions/kube/core.ts makes.
 * - per namespace of an allow-listed workload: get + patch on those workloads only (resourceNames);
 * - in Velero's namespace: create + get on restores.velero.io (create cannot be limited by name);
 * - in cluster-autoscaler's namespace: get on its status ConfigMap only (resourceNames).
 * - in each workload namespace of the node-groups sweep (eventNamespaces): list on events only (the
 *   evidence of unschedulable pods; events carry reasons and messages, never pod specs or Secrets).
 * - with the Velero restore test on (scratchNamespaces): a ClusterRole, because a Role cannot live in
 *   a namespace that does not exist yet and the scratch namespaces are deleted after every test:
 *   get + delete on exactly those namespaces (resourceNames), and list on pods and PVCs. That list
 *   grant is cluster-wide (list cannot be narrowed by name): a wider read than the rest, documented;
 *   the function itself only ever lists the scratch namespaces (functions/kube/core.ts refuses others).
 *   With readiness probes configured (scratchProbes): get on `services/proxy` with exactly the probed
 *   `<service>:<port>` names (the resource name RBAC sees for a proxy request). A ClusterRole rule cannot
 *   name a namespace, so a Service of that name and port in another namespace is readable too (GET only);
 *   the function refuses any namespace but the scratch ones and any path with `..` before the call.
 * No Secrets, no other delete.
 */
export function kubeRbacManifests(
  settings: Pick<
    KubeSettings,
    | 'restartWorkloads'
    | 'veleroNamespace'
    | 'autoscalerNamespace'
    | 'scratchNamespaces'
    | 'eventNamespaces'
    | 'scratchProbes'
  >,
): Manifest[] {
  const byNamespace = new Map<string, Map<'deployment' | 'statefulset', Set<string>>>();
  for (const ref of settings.restartWorkloads) {
    const w = parseWorkloadRef(ref);
    const kinds = byNamespace.get(w.namespace) ?? new Map();
    kinds.set(w.kind, (kinds.get(w.kind) ?? new Set()).add(w.name));
    byNamespace.set(w.namespace, kinds);
  }
  const roleAndBinding = (name: string, namespace: string, rules: Manifest[]): Manifest[] => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ops-automation' } },
      rules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ops-automation' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: KUBE_GROUP }],
    },
  ];
  const manifests: Manifest[] = [];
  for (const [namespace, kinds] of [...byNamespace.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const rules = [...kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, names]) => ({
        apiGroups: ['apps'],
        resources: [PLURAL[kind]],
        resourceNames: [...names].sort(),
        verbs: ['get', 'patch'],
      }));
    manifests.push(...roleAndBinding(`${KUBE_GROUP}-restart`, namespace, rules));
  }
  manifests.push(
    ...roleAndBinding(`${KUBE_GROUP}-restores`, settings.veleroNamespace, [
      { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get'] },
    ]),
    ...roleAndBinding(`${KUBE_GROUP}-autoscaler-status`, settings.autoscalerNamespace, [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [AUTOSCALER_STATUS_CONFIGMAP],
        verbs: ['get'],
      },
    ]),
  );
  for (const namespace of [...new Set(settings.eventNamespaces ?? [])].sort()) {
    manifests.push(
      ...roleAndBinding(`${KUBE_GROUP}-events`, namespace, [
        { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      ]),
    );
  }
  const scratch = [...(settings.scratchNamespaces ?? [])].sort();
  // `<scratch namespace>/<service>:<port>` → `<service>:<port>`, only for this stage's scratch namespaces.
  const probeTargets = [
    ...new Set(
      (settings.scratchProbes ?? [])
        .filter((p) => scratch.includes(p.slice(0, p.indexOf('/'))))
        .map((p) => p.slice(p.indexOf('/') + 1)),
    ),
  ].sort();
  if (scratch.length > 0) {
    const name = `${KUBE_GROUP}-restore-scratch`;
    const labels = { 'app.kubernetes.io/managed-by': 'ops-automation' };
    manifests.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels },
        rules: [
          { apiGroups: [''], resources: ['namespaces'], resourceNames: scratch, verbs: ['get', 'delete'] },
          { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['list'] },
          ...(probeTargets.length > 0
            ? [
                {
                  apiGroups: [''],
                  resources: ['services/proxy'],
                  resourceNames: probeTargets,
                  verbs: ['get'],
                },
              ]
            : []),
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: KUBE_GROUP }],
      },
    );
  }
  return manifests;
}

export interface KubeAccessProps {
  /** Resource-name prefix, e.g. `ops-dev`: the function and its role are `<prefix>-kube`. */
  readonly namePrefix: string;
  /** The platform's cluster (aws-eks-v2): name, endpoint, CA, security group, kubectl provider. */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC: the function runs in its private subnets. */
  readonly vpc: ec2.IVpc;
  readonly settings: KubeSettings;
}

/**
 * The one in-VPC path to the Kubernetes API (functions/kube): a function in the cluster VPC's
 * private subnets with its own security group (HTTPS to the cluster security group only; the
 * cluster admits it on 443), an EKS access entry mapping its role to the `ops-automation`
 * Kubernetes group with NO EKS access policy, and that group's RBAC (kubeRbacManifests) applied
 * through the platform cluster's kubectl provider.
 *
 * Where it lives: in the automation stack, like every other automation function. Everything here
 * points at the platform stack (cluster name / endpoint / CA / security group, VPC subnets, the
 * kubectl provider) and nothing in the platform stack points back: the ingress rule on the
 * cluster security group and the access entry are resources of this stack (as the rotation
 * functions' database ingress is), so the platform can deploy without the automation and there
 * is no dependency cycle. Deleting the automation stack removes the access entry and the RBAC.
 */
export class KubeAccess extends Construct {
  readonly function: OpsFunction;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;
  readonly rbac: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: KubeAccessProps) {
    super(scope, id);
    const name = `${props.namePrefix}-kube`;
    const { cluster } = props;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${name}: HTTPS to the EKS cluster API only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.securityGroupId(cluster.clusterSecurityGroupId),
      ec2.Port.tcp(443),
      'Kubernetes API (cluster security group)',
    );
    // The rule lives in this stack: the platform stack must not depend on the automation stack.
    new ec2.CfnSecurityGroupIngress(this, 'ClusterIngress', {
      groupId: cluster.clusterSecurityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: `${name}: Kubernetes API`,
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: name,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${name} (Kubernetes group ${KUBE_GROUP} through an EKS access entry)`,
      managedPolicies: [XRayWritePolicy.of(this)],
    });
    grantVpcNetworkInterfaces(this.role, 'the kube function’s own group');
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeNetworkInterfaces supports no resource-level permissions (read only).',
    });

    this.function = new OpsFunction(this, 'Function', {
      entry: 'functions/kube/handler.ts',
      service: 'kube',
      functionName: name,
      description: 'In-VPC Kubernetes API access for the runbooks (restart workloads, Velero restores)',
      role: this.role,
      timeout: Duration.seconds(30),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      environment: {
        CLUSTER_NAME: cluster.clusterName,
        CLUSTER_ENDPOINT: cluster.clusterEndpoint,
        CLUSTER_CA: cluster.clusterCertificateAuthorityData,
        KUBE_SETTINGS: JSON.stringify(props.settings),
      },
    });

    // Authentication: the role → the Kubernetes group. No access policy (AmazonEKS*Policy would
    // grant far more, e.g. reading Secrets); authorisation is the RBAC below only.
    const entry = new eks.CfnAccessEntry(this, 'AccessEntry', {
      clusterName: cluster.clusterName,
      principalArn: this.role.roleArn,
      kubernetesGroups: [KUBE_GROUP],
      type: 'STANDARD',
    });
    this.rbac = new eks.KubernetesManifest(this, 'Rbac', {
      cluster,
      overwrite: true,
      manifest: kubeRbacManifests(props.settings),
    });
    this.function.node.addDependency(entry);
  }
}
