import { Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct, type IDependable } from 'constructs';

/** Let's Encrypt's ACME directories (letsencrypt.org/docs/staging-environment and /docs/acme-protocol-updates). */
export const LETS_ENCRYPT = {
  staging: { name: 'letsencrypt-staging', server: 'https://acme-staging-v02.api.letsencrypt.org/directory' },
  production: { name: 'letsencrypt-production', server: 'https://acme-v02.api.letsencrypt.org/directory' },
} as const;

export interface LetsEncryptIssuersProps {
  readonly cluster: eks.Cluster;
  /** DNS-01 challenges are solved only in this zone (the cert-manager IRSA role may write only its `_acme-challenge.*` TXT records). */
  readonly publicZone: route53.IHostedZone;
  /** ACME account contact (optional at Let's Encrypt). */
  readonly email?: string;
  /** cert-manager's chart (its CRDs and the IRSA-annotated service account). */
  readonly after: readonly IDependable[];
}

/**
 * cert-manager ClusterIssuers for Let's Encrypt, staging and production, solving DNS-01 through
 * Route 53 in the public zone with cert-manager's own IRSA role (ambient credentials, which
 * ClusterIssuers may use by default). The zone id is given, so cert-manager never searches zones
 * (cert-manager.io/docs/configuration/acme/dns01/route53: "hostedZoneID"). Try a name on staging
 * first: production has tight rate limits.
 */
export class LetsEncryptIssuers extends Construct {
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: LetsEncryptIssuersProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const issuer = (i: (typeof LETS_ENCRYPT)[keyof typeof LETS_ENCRYPT]) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: i.name },
      spec: {
        acme: {
          server: i.server,
          ...(props.email ? { email: props.email } : {}),
          // The ACME account key cert-manager generates and keeps (in its namespace).
          privateKeySecretRef: { name: `${i.name}-account-key` },
          solvers: [
            {
              selector: { dnsZones: [props.publicZone.zoneName] },
              dns01: { route53: { region, hostedZoneID: props.publicZone.hostedZoneId } },
            },
          ],
        },
      },
    });
    this.manifest = props.cluster.addManifest(
      'Issuers',
      issuer(LETS_ENCRYPT.staging),
      issuer(LETS_ENCRYPT.production),
    );
    this.manifest.node.addDependency(...props.after);
  }
}
