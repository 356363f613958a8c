/**
 * PodDisruptionBudgets of the cluster add-ons, set through each pinned chart's own values
 * (issue 19, zero-downtime upgrades). One rule everywhere: `maxUnavailable: 1`. A node drain
 * (node group update, Bottlerocket update, scale-in) then evicts at most one replica of an add-on
 * at a time and keeps the rest serving, and never blocks on a single-replica add-on, as a
 * `minAvailable: 1` budget on one replica would (the drain would wait until EKS gives up).
 *
 * The keys were read from each chart's values.yaml and PDB template at the pinned version:
 * - aws-load-balancer-controller 1.14.0 (aws/eks-charts 049a6f7): `podDisruptionBudget` (rendered
 *   only when replicaCount > 1);
 * - ingress-nginx 4.13.3 (kubernetes/ingress-nginx e0d8134): `controller.maxUnavailable` (wins over the
 *   default `controller.minAvailable: 1` once the key is present; rendered when replicas > 1);
 * - cluster-autoscaler 9.50.1 (kubernetes/autoscaler cb0c862): `podDisruptionBudget` (its default,
 *   pinned here so a chart bump cannot change it silently);
 * - cert-manager v1.18.2 (cert-manager/cert-manager tag v1.18.2): `podDisruptionBudget`,
 *   `webhook.podDisruptionBudget`, `cainjector.podDisruptionBudget` (`enabled` + `maxUnavailable`);
 * - trust-manager v0.19.0 (cert-manager/trust-manager tag v0.19.0): `podDisruptionBudget`;
 * - linkerd-control-plane 2025.9.1 (linkerd/linkerd2 tag edge-25.9.1): `enablePodDisruptionBudget`
 *   and `controller.podDisruptionBudget.maxUnavailable`;
 * - datadog 3.130.0 (DataDog/helm-charts 6528fd7): `clusterAgent.createPodDisruptionBudget` (its
 *   template fixes `minAvailable: 1`; the cluster agent runs two replicas, so one may go);
 * - kyverno 3.9.0 (kyverno/kyverno tag kyverno-chart-3.9.0): `<controller>.podDisruptionBudget`
 *   (`enabled` + `maxUnavailable`) for its four controllers.
 * Not here, because the chart has no PDB key and runs one replica by design: external-dns 1.19.0,
 * velero 10.1.0, kubernetes-event-exporter 3.6.1 (a budget on one replica protects nothing).
 */
const ONE = { maxUnavailable: 1 } as const;
const ENABLED_ONE = { enabled: true, maxUnavailable: 1 } as const;

const DISRUPTION_VALUES: Readonly<Record<string, Record<string, unknown>>> = {
  awsLoadBalancerController: { podDisruptionBudget: ONE },
  ingressNginx: { controller: ONE },
  clusterAutoscaler: { podDisruptionBudget: ONE },
  certManager: {
    podDisruptionBudget: ENABLED_ONE,
    webhook: { podDisruptionBudget: ENABLED_ONE },
    cainjector: { podDisruptionBudget: ENABLED_ONE },
  },
  trustManager: { podDisruptionBudget: ENABLED_ONE },
  linkerdControlPlane: { enablePodDisruptionBudget: true, controller: { podDisruptionBudget: ONE } },
  datadog: { clusterAgent: { createPodDisruptionBudget: true } },
  kyverno: {
    admissionController: { podDisruptionBudget: ENABLED_ONE },
    backgroundController: { podDisruptionBudget: ENABLED_ONE },
    cleanupController: { podDisruptionBudget: ENABLED_ONE },
    reportsController: { podDisruptionBudget: ENABLED_ONE },
  },
};

/** The PDB values of one chart (by its config key), or none. */
export function disruptionValues(chartKey: string): Record<string, unknown> {
  return structuredClone(DISRUPTION_VALUES[chartKey] ?? {});
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm-style merge: objects merge key by key, anything else (arrays included) is replaced by `extra`. */
export function mergeValues(
  base: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const current = out[k];
    out[k] = isPlainObject(current) && isPlainObject(v) ? mergeValues(current, v) : v;
  }
  return out;
}
