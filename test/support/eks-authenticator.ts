import { KUBE_GROUP } from '../../infra/constructs/automation/kube-access.js';
import type { UserInfo } from './kube-api-server.js';

/**
 * The EKS side of authentication, for the Kubernetes API stand-in (test/support/kube-api-server.ts):
 * a bearer token is `k8s-aws-v1.` + the unpadded base64url of a presigned STS GetCallerIdentity URL
 * of the cluster's region, signing the `x-k8s-aws-id` header (the cluster name), as EKS checks it
 * (https://docs.aws.amazon.com/eks/latest/userguide/cluster-auth.html). When `accessKeyId` is given,
 * the URL must be signed with it: only the function's own role gets in. The access entry maps that
 * role to the automation's Kubernetes group (infra/constructs/automation/kube-access.ts).
 */
export function eksTokenAuthenticator(options: {
  readonly region: string;
  readonly accessKeyId?: string;
  readonly username?: string;
}): (token: string) => UserInfo | undefined {
  return (token) => {
    if (!token.startsWith('k8s-aws-v1.')) return undefined;
    const decoded = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
    if (!URL.canParse(decoded)) return undefined;
    const url = new URL(decoded);
    const q = url.searchParams;
    const signed = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
    if (
      url.hostname !== `sts.${options.region}.amazonaws.com` ||
      q.get('Action') !== 'GetCallerIdentity' ||
      !signed.includes('x-k8s-aws-id') ||
      (options.accessKeyId !== undefined && !q.get('X-Amz-Credential')?.startsWith(`${options.accessKeyId}/`))
    ) {
      return undefined;
    }
    return {
      username: options.username ?? 'arn:aws:sts::111111111111:assumed-role/ops-dev-kube/ops-dev-kube',
      groups: [KUBE_GROUP, 'system:authenticated'],
    };
  };
}
