import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, type IDependable } from 'constructs';
import type { TeamConfig } from '../../../config/index.js';

/** The Kubernetes group a team's IAM role is mapped to by its EKS access entry. */
export function teamGroup(team: string): string {
  return `team:${team}`;
}

type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * Rights on the platform's CRDs that the built-in `view` / `edit` / `admin` ClusterRoles lack. The
 * Flux and cert-manager charts aggregate their own CRDs into these roles already; Linkerd's do not,
 * so the platform adds them: everyone may read the mesh's routing and policy objects, editors may
 * shape traffic (ServiceProfiles, routes), and only namespace admins may change who may call whom
 * (Server, authorization and authentication policies).
 */
export const AGGREGATED_RULES: Record<'view' | 'edit' | 'admin', PolicyRule[]> = {
  view: [
    { apiGroups: ['linkerd.io'], resources: ['serviceprofiles'], verbs: READ },
    {
      apiGroups: ['policy.linkerd.io'],
      resources: [
        'servers',
        'serverauthorizations',
        'authorizationpolicies',
        'httproutes',
        'grpcroutes',
        'meshtlsauthentications',
        'networkauthentications',
        'egressnetworks',
      ],
      verbs: READ,
    },
  ],
  edit: [
    { apiGroups: ['linkerd.io'], resources: ['serviceprofiles'], verbs: WRITE },
    { apiGroups: ['policy.linkerd.io'], resources: ['httproutes', 'grpcroutes'], verbs: WRITE },
  ],
  admin: [
    {
      apiGroups: ['policy.linkerd.io'],
      resources: [
        'servers',
        'serverauthorizations',
        'authorizationpolicies',
        'meshtlsauthentications',
        'networkauthentications',
        'egressnetworks',
      ],
      verbs: WRITE,
    },
  ],
};

export interface TeamRbacProps {
  readonly cluster: eks.Cluster;
  readonly teams: readonly TeamConfig[];
  /** Principals that already have an access entry (config `accessEntries`): EKS allows one per principal. */
  readonly otherPrincipals: readonly string[];
  /** Namespaces the platform's own charts use: no team may be given one. */
  readonly reservedNamespaces: readonly string[];
  /** The manifest is applied after these (the node groups and core add-ons). */
  readonly installAfter?: readonly IDependable[];
}

/**
 * Team access without role sprawl: three ClusterRoles labelled `aggregate-to-view|edit|admin`
 * extend the built-in roles with the platform's CRDs, and each team from config gets an EKS access
 * entry mapping its IAM role to the group `team:<name>`, its namespaces, and in each a RoleBinding
 * of that group to the built-in ClusterRole its `access` names. Nothing is cluster-wide for a team.
 */
export class TeamRbac extends Construct {
  readonly manifest?: eks.KubernetesManifest;
  readonly accessEntries: eks.CfnAccessEntry[] = [];

  constructor(scope: Construct, id: string, props: TeamRbacProps) {
    super(scope, id);
    const { cluster, teams } = props;
    const seen = new Map<string, string>();
    for (const team of teams) {
      if (props.otherPrincipals.includes(team.principalArn)) {
        throw new Error(
          `team ${team.name}: ${team.principalArn} already has an access entry in platform.eks.accessEntries (EKS allows one per principal)`,
        );
      }
      for (const ns of team.namespaces) {
        if (/^kube-/.test(ns) || ns === 'default' || props.reservedNamespaces.includes(ns)) {
          throw new Error(`team ${team.name}: namespace ${ns} belongs to the platform`);
        }
        const owner = seen.get(ns);
        if (owner) throw new Error(`namespace ${ns} is given to both team ${owner} and team ${team.name}`);
        seen.set(ns, team.name);
      }
    }
    if (new Set(teams.map((t) => t.name)).size !== teams.length) throw new Error('team names must be unique');
    if (new Set(teams.map((t) => t.principalArn)).size !== teams.length) {
      throw new Error('each team needs its own IAM role (EKS allows one access entry per principal)');
    }

    const aggregated = (['view', 'edit', 'admin'] as const).map((level) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: `platform:aggregate-to-${level}`,
        labels: { [`rbac.authorization.k8s.io/aggregate-to-${level}`]: 'true' },
      },
      rules: AGGREGATED_RULES[level],
    }));
    const perTeam = teams.flatMap((team) =>
      team.namespaces.flatMap((namespace) => [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { 'platform/team': team.name } },
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: `team-${team.name}-${team.access}`, namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: team.access },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: teamGroup(team.name) }],
        },
      ]),
    );
    this.manifest = cluster.addManifest('TeamRbac', ...aggregated, ...perTeam);
    for (const d of props.installAfter ?? []) this.manifest.node.addDependency(d);

    for (const team of teams) {
      // The L2 AccessEntry has no Kubernetes groups; a STANDARD entry with groups and no access policy
      // gives the role exactly what RBAC binds to the group.
      this.accessEntries.push(
        new eks.CfnAccessEntry(this, `Access-${team.name}`, {
          clusterName: cluster.clusterName,
          principalArn: team.principalArn,
          type: 'STANDARD',
          kubernetesGroups: [teamGroup(team.name)],
        }),
      );
    }
  }
}
