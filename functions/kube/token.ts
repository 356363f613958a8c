import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * An EKS bearer token, made the way aws-iam-authenticator and `aws eks get-token` make it: a
 * SigV4 *query-signed* (presigned) STS GetCallerIdentity URL whose signed headers include
 * `x-k8s-aws-id: <cluster name>`, valid 60 s, written as `k8s-aws-v1.` + base64url(url) without
 * padding. EKS replays the URL against STS to learn who is calling; nothing is sent to STS here
 * (signing is local), so the function needs no route to STS, only to the cluster endpoint.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface EksTokenOptions {
  readonly clusterName: string;
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Signing time; defaults to now. Tests pin it. */
  readonly now?: Date;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Seconds the presigned URL is valid: what aws-iam-authenticator uses (EKS accepts up to 15 min). */
export const EKS_TOKEN_EXPIRES_SECONDS = 60;
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** RFC 3986 percent-encoding, as SigV4 canonicalises query values. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The presigned STS URL the token wraps. */
export async function presignedCallerIdentityUrl(options: EksTokenOptions): Promise<string> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, [CLUSTER_ID_HEADER]: options.clusterName },
  });
  const signed = await signer.presign(request, {
    expiresIn: EKS_TOKEN_EXPIRES_SECONDS,
    ...(options.now ? { signingDate: options.now } : {}),
  });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .sort()
    .join('&');
  return `https://${hostname}/?${query}`;
}

export async function eksToken(options: EksTokenOptions): Promise<string> {
  const url = await presignedCallerIdentityUrl(options);
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}
