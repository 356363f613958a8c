import { Duration, Validations } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type * as z from 'zod';
import type { ChartSchema, GitopsConfig } from '../../../config/index.js';

export const FLUX_NAMESPACE = 'flux-system';
/** The ConfigMap Flux Kustomizations use for `postBuild.substituteFrom` (see gitops/README.md). */
export const PLATFORM_OUTPUTS_CONFIGMAP = 'platform-outputs';
/** Kubernetes Secrets External Secrets builds from Secrets Manager (external-secrets.ts; README "Platform"). */
export const DEPLOY_KEY_K8S_SECRET = 'flux-system';
export const RECEIVER_TOKEN_K8S_SECRET = 'receiver-token';
export const RECEIVER_NAME = 'ci';
/** Secrets Manager name of the receiver token the stack generates (External Secrets copies it into the cluster). */
export const receiverTokenSecretName = (stageName: string) => `ops/${stageName}/gitops/receiver-token`;

/** Flux's post-build variable names: `^[_[:alpha:]][_[:alpha:][:digit:]]*$` (kustomize-controller docs). */
const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export interface FluxGitopsProps {
  readonly stageName: string;
  readonly cluster: eks.Cluster;
  readonly gitops: GitopsConfig;
  /** Config `platform.eks.charts.flux` (pinned). */
  readonly chart: z.infer<typeof ChartSchema>;
  /** Infra outputs for post-build substitution: variable name → value (tokens resolve at deploy). */
  readonly outputs: Record<string, string>;
  /** Encrypts the receiver token secret. */
  readonly dataKey: kms.IKey;
  /** Flux installs after these (the node groups and core add-ons). */
  readonly installAfter?: readonly IDependable[];
}

/**
 * GitOps with Flux: the pinned flux2 chart (image automation off: CI builds images, Git says which
 * run), the `platform-outputs` ConfigMap of infra outputs for post-build substitution, the
 * `flux-system` GitRepository (the configured repository over SSH, deploy key from the Kubernetes
 * Secret `flux-system`) and Kustomization (the stage's folder, pruned, re-applied every `interval`,
 * so drift is reverted), and a `generic-hmac` Receiver behind the ingress that CI calls after a push:
 * CI holds only the Receiver URL and token, never Kubernetes or AWS deploy credentials.
 * The receiver token is generated in Secrets Manager; the deploy key is stored there by an operator.
 */
export class FluxGitops extends Construct {
  readonly chart: eks.HelmChart;
  readonly bootstrap: eks.KubernetesManifest;
  readonly receiverToken: secretsmanager.Secret;
  readonly deployKeySecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: FluxGitopsProps) {
    super(scope, id);
    const { cluster, gitops, chart: c, stageName } = props;
    const bad = Object.keys(props.outputs).filter((k) => !VARIABLE_NAME.test(k));
    if (bad.length > 0) throw new Error(`platform outputs are not Flux variable names: ${bad.join(', ')}`);
    if (c.namespace !== FLUX_NAMESPACE) {
      throw new Error(
        `platform.eks.charts.flux.namespace must be ${FLUX_NAMESPACE} (Flux's bootstrap objects live there)`,
      );
    }

    this.chart = cluster.addHelmChart('Flux', {
      chart: c.chart,
      repository: c.repository,
      version: c.version,
      namespace: c.namespace,
      release: c.chart,
      createNamespace: true,
      values: {
        imageAutomationController: { create: false },
        imageReflectionController: { create: false },
      },
      // The bootstrap objects below need Flux's CRDs.
      wait: true,
      timeout: Duration.minutes(10),
    });
    for (const d of props.installAfter ?? []) this.chart.node.addDependency(d);

    this.receiverToken = new secretsmanager.Secret(this, 'ReceiverToken', {
      secretName: receiverTokenSecretName(stageName),
      description: `${stageName}: HMAC key CI signs Flux Receiver notifications with`,
      encryptionKey: props.dataKey,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this.receiverToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The Flux receiver token is copied into CI by hand (gitops/README.md); External Secrets refreshes the cluster copy hourly, but a scheduled rotation would break CI notifications until CI changes too, so it is rotated by that documented procedure.',
    });
    this.deployKeySecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'DeployKey',
      gitops.deployKeySecretName,
    );

    const meta = (name: string) => ({ name, namespace: FLUX_NAMESPACE });
    this.bootstrap = cluster.addManifest(
      'FluxBootstrap',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...meta(PLATFORM_OUTPUTS_CONFIGMAP), labels: { 'platform/managed-by': 'cdk' } },
        data: props.outputs,
      },
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: meta('flux-system'),
        spec: {
          url: gitops.repositoryUrl,
          ref: { branch: gitops.branch },
          interval: '5m',
          secretRef: { name: DEPLOY_KEY_K8S_SECRET },
        },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: meta('flux-system'),
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'flux-system' },
          path: gitops.path,
          interval: gitops.interval,
          prune: true,
          wait: false,
        },
      },
      {
        apiVersion: 'notification.toolkit.fluxcd.io/v1',
        kind: 'Receiver',
        metadata: meta(RECEIVER_NAME),
        spec: {
          type: 'generic-hmac',
          secretRef: { name: RECEIVER_TOKEN_K8S_SECRET },
          resources: [
            { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'flux-system' },
          ],
        },
      },
      {
        // Only the Receiver's path prefix is routed; the controller's other ports stay in the cluster.
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta('flux-webhook'),
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: gitops.receiverHost,
              http: {
                paths: [
                  {
                    path: '/hook/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'webhook-receiver', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    );
    this.bootstrap.node.addDependency(this.chart);
  }
}
