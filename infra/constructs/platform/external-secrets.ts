import { Duration, Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IDependable } from 'constructs';
import type * as z from 'zod';
import type { ChartSchema } from '../../../config/index.js';
import { PLATFORM_CRITICAL_PRIORITY_CLASS } from './cluster.js';
import { IrsaRole } from './irsa.js';

/** The one store every ExternalSecret of the platform names. */
export const SECRETS_MANAGER_STORE = 'aws-secrets-manager';
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = 'external-secrets';

/** One Kubernetes Secret built from Secrets Manager. */
export interface SyncedSecret {
  /** Construct id suffix and a readable name. */
  readonly id: string;
  readonly namespace: string;
  /** The Kubernetes Secret's name. */
  readonly name: string;
  /** Secrets Manager secret name (plain-text value). */
  readonly secretName: string;
  /** The key the value lands under in the Kubernetes Secret. */
  readonly key: string;
  /** Extra literal keys (public data such as `known_hosts`), added by an ExternalSecret template. */
  readonly literals?: Readonly<Record<string, string>>;
  /** The ExternalSecret is applied after these (e.g. the chart that creates its namespace). */
  readonly after?: readonly IDependable[];
}

export interface ExternalSecretsProps {
  readonly cluster: eks.Cluster;
  readonly chart: z.infer<typeof ChartSchema>;
  /** The Kubernetes Secrets to build; the IAM policy names exactly their Secrets Manager secrets. */
  readonly secrets: readonly SyncedSecret[];
  /** Keys that may encrypt those secrets: decrypt only through Secrets Manager in this region. */
  readonly keys: readonly kms.IKey[];
  readonly highlyAvailable: boolean;
  readonly installAfter?: readonly IDependable[];
}

/**
 * External Secrets Operator (issue 19): the pinned chart with an IRSA role that may read exactly the
 * listed Secrets Manager secrets (and decrypt with the platform keys only via Secrets Manager), one
 * ClusterSecretStore for Secrets Manager usable only from the namespaces those secrets live in, and
 * one ExternalSecret per Kubernetes Secret the cluster once needed by hand. Values never pass through
 * a template or CloudFormation: the operator reads them in the cluster and refreshes them hourly.
 */
export class ExternalSecrets extends Construct {
  readonly chart: eks.HelmChart;
  readonly role: iam.Role;
  readonly store: eks.KubernetesManifest;
  readonly externalSecrets: Record<string, eks.KubernetesManifest> = {};

  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { cluster, chart: c } = props;
    if (props.secrets.length === 0) throw new Error('ExternalSecrets needs at least one secret to sync');

    const irsa = new IrsaRole(this, 'Role', {
      cluster,
      namespace: c.namespace,
      serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT,
      description: 'External Secrets Operator: reads the platform secrets it syncs into the cluster',
    });
    this.role = irsa.role;
    // Secrets Manager appends `-` and six random characters to every secret's ARN.
    const secretArns = [...new Set(props.secrets.map((s) => s.secretName))].map(
      (name) =>
        `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${name}-??????`,
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSyncedSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: secretArns,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptViaSecretsManager',
        actions: ['kms:Decrypt'],
        resources: props.keys.map((k) => k.keyArn),
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );
    // `-??????` is exact (six characters): cdk-nag's IAM5 flags only `*`, so there is nothing to acknowledge.

    this.chart = cluster.addHelmChart('Chart', {
      chart: c.chart,
      repository: c.repository,
      version: c.version,
      namespace: c.namespace,
      release: c.chart,
      createNamespace: true,
      values: {
        installCRDs: true,
        replicaCount: props.highlyAvailable ? 2 : 1,
        leaderElect: props.highlyAvailable,
        priorityClassName: PLATFORM_CRITICAL_PRIORITY_CLASS,
        serviceAccount: {
          create: true,
          name: EXTERNAL_SECRETS_SERVICE_ACCOUNT,
          annotations: irsa.annotations,
        },
      },
      // The store and ExternalSecrets below need its CRDs and webhook.
      wait: true,
      timeout: Duration.minutes(10),
    });
    for (const d of props.installAfter ?? []) this.chart.node.addDependency(d);

    const namespaces = [...new Set(props.secrets.map((s) => s.namespace))].sort();
    this.store = cluster.addManifest('Store', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: SECRETS_MANAGER_STORE },
      spec: {
        // Only ExternalSecrets in these namespaces may use the store (and so the operator's role).
        conditions: [{ namespaces }],
        provider: { aws: { service: 'SecretsManager', region: stack.region } },
      },
    });
    this.store.node.addDependency(this.chart);

    for (const s of props.secrets) {
      const template = s.literals
        ? {
            template: {
              engineVersion: 'v2',
              data: { [s.key]: `{{ .${templateKey(s.key)} }}`, ...s.literals },
            },
          }
        : {};
      const manifest = cluster.addManifest(`Secret${s.id}`, {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: s.name, namespace: s.namespace },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'ClusterSecretStore', name: SECRETS_MANAGER_STORE },
          target: { name: s.name, creationPolicy: 'Owner', ...template },
          data: [{ secretKey: s.literals ? templateKey(s.key) : s.key, remoteRef: { key: s.secretName } }],
        },
      });
      manifest.node.addDependency(this.store, ...(s.after ?? []));
      this.externalSecrets[s.id] = manifest;
    }
  }
}

/** Go template field names cannot hold `-` or `.`: the fetched value gets a plain name inside the template. */
function templateKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}
