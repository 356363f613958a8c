import type { StageConfigInput } from '../schema.js';

/** Helm charts every stage runs, pinned. A stage may override one entry. */
export const CHARTS: StageConfigInput['platform']['eks']['charts'] = {
  ingressNginx: {
    chart: 'ingress-nginx',
    repository: 'https://kubernetes.github.io/ingress-nginx',
    version: '4.13.3',
    namespace: 'ingress-nginx',
  },
  awsLoadBalancerController: {
    chart: 'aws-load-balancer-controller',
    repository: 'https://aws.github.io/eks-charts',
    version: '1.14.0',
    namespace: 'kube-system',
  },
  clusterAutoscaler: {
    chart: 'cluster-autoscaler',
    repository: 'https://kubernetes.github.io/autoscaler',
    version: '9.50.1',
    namespace: 'kube-system',
  },
  externalDns: {
    chart: 'external-dns',
    repository: 'https://kubernetes-sigs.github.io/external-dns',
    version: '1.19.0',
    namespace: 'external-dns',
  },
  certManager: {
    chart: 'cert-manager',
    repository: 'https://charts.jetstack.io',
    version: 'v1.18.2',
    namespace: 'cert-manager',
  },
  trustManager: {
    // Publishes the Linkerd trust anchor (issued in-cluster by cert-manager) to the control plane.
    chart: 'trust-manager',
    repository: 'https://charts.jetstack.io',
    version: 'v0.19.0',
    namespace: 'cert-manager',
  },
  velero: {
    chart: 'velero',
    repository: 'https://vmware-tanzu.github.io/helm-charts',
    version: '10.1.0',
    namespace: 'velero',
  },
  linkerdCrds: {
    chart: 'linkerd-crds',
    repository: 'https://helm.linkerd.io/edge',
    version: '2025.9.1',
    namespace: 'linkerd',
  },
  linkerdControlPlane: {
    chart: 'linkerd-control-plane',
    repository: 'https://helm.linkerd.io/edge',
    version: '2025.9.1',
    namespace: 'linkerd',
  },
  datadog: {
    chart: 'datadog',
    repository: 'https://helm.datadoghq.com',
    version: '3.130.0',
    namespace: 'datadog',
  },
  flux: {
    // fluxcd-community/helm-charts charts/flux2/Chart.yaml at 82a385b (2026-04-15): version 2.18.3, appVersion 2.8.5.
    chart: 'flux2',
    repository: 'https://fluxcd-community.github.io/helm-charts',
    version: '2.18.3',
    namespace: 'flux-system',
  },
  // bottlerocket-os/bottlerocket-update-operator deploy/charts/*/Chart.yaml at 2fcbeb1 (2024-10-14):
  // bottlerocket-shadow 1.0.0 (the CRD) and bottlerocket-update-operator 1.4.0 (app 1.4.0).
  bottlerocketShadow: {
    chart: 'bottlerocket-shadow',
    repository: 'https://bottlerocket-os.github.io/bottlerocket-update-operator',
    version: '1.0.0',
    namespace: 'brupop-bottlerocket-aws',
  },
  bottlerocketUpdateOperator: {
    chart: 'bottlerocket-update-operator',
    repository: 'https://bottlerocket-os.github.io/bottlerocket-update-operator',
    version: '1.4.0',
    namespace: 'brupop-bottlerocket-aws',
  },
  externalSecrets: {
    // external-secrets/external-secrets deploy/charts/external-secrets/Chart.yaml at 0060da0 (version 2.0.0,
    // appVersion v2.0.0); values keys installCRDs, serviceAccount.{create,name,annotations} from its values.yaml.
    chart: 'external-secrets',
    repository: 'https://charts.external-secrets.io',
    version: '2.0.0',
    namespace: 'external-secrets',
  },
  rabbitmqClusterOperator: {
    // bitnami/charts bitnami/rabbitmq-cluster-operator/Chart.yaml at fac4cc4 (version 4.3.3, appVersion 2.9.0:
    // RabbitMQ's Cluster Operator 2.9.0, CRD rabbitmq.com/v1beta1 RabbitmqCluster). Installed only where
    // platform.rabbitmq.enabled.
    chart: 'rabbitmq-cluster-operator',
    repository: 'https://charts.bitnami.com/bitnami',
    version: '4.3.3',
    namespace: 'rabbitmq-system',
  },
  // kyverno/kyverno charts/kyverno/Chart.yaml at tag kyverno-chart-3.9.0 (ee97ce0, 2026-08-20): version 3.9.0,
  // appVersion v1.19.0; repository from the chart's README (`helm repo add kyverno …`). Enforces the
  // StatefulSet zone spread (infra/constructs/platform/zone-spread.ts).
  kyverno: {
    chart: 'kyverno',
    repository: 'https://kyverno.github.io/kyverno/',
    version: '3.9.0',
    namespace: 'kyverno',
  },
  eventExporter: {
    chart: 'kubernetes-event-exporter',
    repository: 'https://charts.bitnami.com/bitnami',
    version: '3.6.1',
    namespace: 'monitoring',
  },
};

/** The cluster's GitOps repository: one per organisation, one folder per stage. */
export function gitops(stage: string, publicZoneName: string) {
  return {
    repositoryUrl: 'ssh://git@github.com/example/platform-gitops.git',
    branch: 'main',
    path: `./clusters/${stage}`,
    deployKeySecretName: `ops/${stage}/gitops/deploy-key`,
    interval: '10m',
    receiverHost: `flux-webhook.${publicZoneName}`,
    // GitHub's published SSH host key (docs.github.com "GitHub's SSH key fingerprints"): External Secrets
    // builds the deploy-key Secret with it, so no one runs ssh-keyscan (trust on first use) by hand.
    knownHosts: [
      'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
    ],
  };
}

/** Slack and Datadog secret names follow one convention per stage. */
export function secretNames(stage: string) {
  return {
    slack: {
      signingSecretName: `ops/${stage}/slack/signing-secret`,
      botTokenSecretName: `ops/${stage}/slack/bot-token`,
    },
    datadog: {
      apiKeySecretName: `ops/${stage}/datadog/api-key`,
      appKeySecretName: `ops/${stage}/datadog/app-key`,
      webhookTokenSecretName: `ops/${stage}/datadog/webhook-token`,
    },
  };
}
