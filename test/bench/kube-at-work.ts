import { type KubeSettings, parseWorkloadRef } from '../../functions/kube/core.js';
import type { Deployed } from '../bundles/app-functions.js';
import { eksTokenAuthenticator } from '../support/eks-authenticator.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';

/**
 * The kube function at its work, for the cold-load bench: the smoke test's sample asks it to restart
 * a workload outside the stage's allow-list, which it refuses before any call (its token is presigned
 * locally), so a cold load measured the refusal. Here it restarts the first workload of its own
 * allow-list (its deployed `KUBE_SETTINGS`) on the Kubernetes API stand-in over HTTPS
 * (test/support/kube-api-server.ts: the OpenAPI spec's routes and bodies, the RBAC infra synthesises
 * for those settings), reached through its `CLUSTER_ENDPOINT` and trusted through its `CLUSTER_CA`
 * as in the cluster's VPC: a read of the workload, then the restart patch, as `kubectl rollout
 * restart` does. Before each load the workload is put back as it was, so every load patches it.
 */
export interface KubeAtWork {
  /** The function's environment with the stand-in as its cluster. */
  environment(env: Record<string, string>): Record<string, string>;
  /** The sample's event for an allow-listed workload, restarted now; resets the workload first. */
  event(sample: unknown): unknown;
  /** Requests the stand-in has answered, as `METHOD path`. */
  readonly requests: () => readonly string[];
  close(): Promise<void>;
}

export async function kubeAtWork(d: Deployed): Promise<KubeAtWork> {
  const settings = JSON.parse(d.environment.KUBE_SETTINGS ?? 'null') as KubeSettings | null;
  const allowed = settings?.restartWorkloads[0];
  if (!settings || !allowed) {
    throw new Error(`${d.id}: no KUBE_SETTINGS with a restart allow-list in its environment`);
  }
  const ref = parseWorkloadRef(allowed);
  const api: KubeApiServer = await startKubeApiServer({
    authenticate: eksTokenAuthenticator({ region: d.region }),
    rbac: synthesisedKubeRbac(settings),
  });
  const labels = { app: ref.name };
  const workload = () => ({
    apiVersion: 'apps/v1',
    kind: ref.kind === 'deployment' ? 'Deployment' : 'StatefulSet',
    metadata: { name: ref.name, namespace: ref.namespace, generation: 1 },
    spec: {
      ...(ref.kind === 'statefulset' ? { serviceName: ref.name } : { replicas: 2 }),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: ref.name, image: 'registry.example/app:1.0.0' }] },
      },
    },
  });
  return {
    environment: (env) => ({
      ...env,
      CLUSTER_ENDPOINT: api.url,
      CLUSTER_CA: Buffer.from(api.ca, 'utf8').toString('base64'),
    }),
    event: (sample) => {
      api.put(workload());
      return { ...(sample as object), workload: allowed, restartedAt: new Date().toISOString() };
    },
    requests: () => api.requests.map((r) => `kube ${r.method} ${r.path} ${r.status}`),
    close: () => api.close(),
  };
}
