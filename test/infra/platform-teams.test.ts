import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { clusterManifests, type K8sObject, validateK8s } from '../support/k8s-manifests.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;

// Hand-written from config/stages/*.ts: what each stage's teams must end up with.
const EXPECTED: Record<string, { group: string; principal: string; bindings: [string, string][] }[]> = {
  dev: [
    {
      group: 'team:payments',
      principal: 'arn:aws:iam::111111111111:role/AWSReservedSSO_TeamPayments',
      bindings: [['payments', 'admin']],
    },
    {
      group: 'team:checkout',
      principal: 'arn:aws:iam::111111111111:role/AWSReservedSSO_TeamCheckout',
      bindings: [
        ['checkout', 'edit'],
        ['checkout-jobs', 'edit'],
      ],
    },
  ],
  stage: [
    {
      group: 'team:payments',
      principal: 'arn:aws:iam::222222222222:role/AWSReservedSSO_TeamPayments',
      bindings: [['payments', 'admin']],
    },
    {
      group: 'team:checkout',
      principal: 'arn:aws:iam::222222222222:role/AWSReservedSSO_TeamCheckout',
      bindings: [
        ['checkout', 'edit'],
        ['checkout-jobs', 'edit'],
      ],
    },
  ],
  prod: [
    {
      group: 'team:payments',
      principal: 'arn:aws:iam::333333333333:role/AWSReservedSSO_TeamPayments',
      bindings: [['payments', 'edit']],
    },
    {
      group: 'team:checkout',
      principal: 'arn:aws:iam::333333333333:role/AWSReservedSSO_TeamCheckout',
      bindings: [
        ['checkout', 'edit'],
        ['checkout-jobs', 'edit'],
      ],
    },
  ],
};

function props(t: Template, type: string): Json[] {
  return Object.values(t.findResources(type) as Record<string, { Properties?: Json }>).map(
    (r) => r.Properties ?? {},
  );
}

describe.each(['dev', 'stage', 'prod'])(
  'platform team RBAC (%s): aggregated ClusterRoles, teams from config',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const manifests = clusterManifests(t);
    const expected = EXPECTED[stageName] ?? [];

    it('emits only manifests that validate against the Kubernetes schemas', () => {
      const rbac = manifests.filter((m) => ['ClusterRole', 'RoleBinding', 'Namespace'].includes(m.kind));
      expect(rbac.length).toBeGreaterThan(0);
      for (const m of rbac) validateK8s(m);
    });

    it('extends view, edit and admin through aggregation labels, never with a wildcard', () => {
      const roles = manifests.filter((m) => m.kind === 'ClusterRole');
      for (const level of ['view', 'edit', 'admin']) {
        const labelled = roles.filter(
          (r) =>
            (r.metadata as { labels?: Json }).labels?.[`rbac.authorization.k8s.io/aggregate-to-${level}`] ===
            'true',
        );
        expect(labelled, level).toHaveLength(1);
      }
      for (const r of roles) {
        for (const rule of r.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
          expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
          // No aggregated rule may reach core or RBAC objects: that would widen the built-in roles.
          for (const g of rule.apiGroups) expect(['', 'rbac.authorization.k8s.io']).not.toContain(g);
        }
      }
      // Only namespace admins may change who may call whom in the mesh.
      const writes = (level: string) =>
        roles
          .filter((r) => (r.metadata as { name: string }).name === `platform:aggregate-to-${level}`)
          .flatMap((r) => r.rules as { resources: string[]; verbs: string[] }[])
          .filter((rule) => rule.verbs.includes('create'))
          .flatMap((rule) => rule.resources);
      expect(writes('view')).toEqual([]);
      expect(writes('edit')).not.toContain('authorizationpolicies');
      expect(writes('admin')).toContain('authorizationpolicies');
    });

    it("maps each team's IAM role to its own group, with no EKS access policy", () => {
      const entries = props(t, 'AWS::EKS::AccessEntry').filter((e) =>
        ((e.KubernetesGroups as string[] | undefined) ?? []).some((g) => g.startsWith('team:')),
      );
      expect(entries.map((e) => [e.PrincipalArn, e.KubernetesGroups, e.AccessPolicies ?? []]).sort()).toEqual(
        expected.map((x) => [x.principal, [x.group], []]).sort(),
      );
    });

    it('binds each team group to its built-in role in its namespaces only, never cluster-wide', () => {
      const bindings = manifests
        .filter((m): m is K8sObject => m.kind === 'RoleBinding')
        .filter((b) => (b.subjects as { name: string }[]).some((s) => s.name.startsWith('team:')));
      const got = bindings
        .map((b) => [
          (b.subjects as { name: string }[])[0]?.name,
          b.metadata.namespace,
          (b.roleRef as { name: string }).name,
        ])
        .sort();
      const want = expected.flatMap((x) => x.bindings.map(([ns, role]) => [x.group, ns, role])).sort();
      expect(got).toEqual(want);
      expect(manifests.filter((m) => m.kind === 'ClusterRoleBinding')).toEqual([]);
    });
  },
);
