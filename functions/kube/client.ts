import * as https from 'node:https';
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type {
  ConfigMap,
  EventList,
  Namespace,
  PersistentVolumeClaimList,
  PodList,
} from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/**
 * A thin, typed Kubernetes API client over `node:https`: TLS verified against the cluster's own
 * CA, a bearer token from `token()` (an EKS token, see token.ts), JSON in and out. It knows the
 * few calls the ops runbooks make and nothing else, so a Lambda cold start loads no Kubernetes
 * SDK. Types come from `kubernetes-types` (types only); Velero's Restore is typed here.
 */

export type WorkloadKind = 'deployment' | 'statefulset';
export type Workload = Deployment | StatefulSet;

/** `kubectl rollout restart` annotation on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** What `kubectl rollout restart` sends: a strategic merge patch. */
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/**
 * Unknown or duplicate fields fail the request instead of being dropped with a warning (the
 * default since 1.23): a misspelt `namespaceMapping` must not turn into a restore in place.
 */
const STRICT = 'fieldValidation=Strict';

/** A probe reads at most this much of a Service's answer (it only counts it). */
export const PROBE_MAX_BYTES = 1024 * 1024;

const PLURAL: Record<WorkloadKind, string> = { deployment: 'deployments', statefulset: 'statefulsets' };

/** Velero 1.16 `velero.io/v1` Restore: the fields the runbooks set and read. */
export interface VeleroRestore {
  apiVersion: 'velero.io/v1';
  kind: 'Restore';
  metadata: ObjectMeta;
  spec: {
    backupName: string;
    includedNamespaces?: string[];
    namespaceMapping?: Record<string, string>;
    restorePVs?: boolean;
  };
  status?: {
    phase?: string;
    errors?: number;
    warnings?: number;
    failureReason?: string;
    progress?: { itemsRestored?: number; totalItems?: number };
    startTimestamp?: string;
    completionTimestamp?: string;
  };
}

/** A refusal or failure from the Kubernetes API (or the way to it). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(message);
    // Step Functions sees the error name: transient (retry) vs refused (catch, report).
    this.name = KubeApiError.retryable(status) ? 'KubeApiUnavailable' : 'KubeApiRefused';
  }

  /** 429 and 5xx may succeed later; 0 = no HTTP answer (connection refused, timeout). */
  static retryable(status: number): boolean {
    return status === 0 || status === 429 || status >= 500;
  }
}

export interface KubeClientOptions {
  /** The cluster endpoint, `https://…` (the private endpoint resolves inside the VPC). */
  readonly endpoint: string;
  /** PEM of the cluster CA (EKS gives it base64-encoded: decode first). */
  readonly ca: string;
  readonly token: () => Promise<string>;
  readonly timeoutMs?: number;
}

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Defaults to application/json when there is a body. */
  readonly contentType?: string;
}

export class KubeClient {
  private readonly url: URL;

  constructor(private readonly options: KubeClientOptions) {
    this.url = new URL(options.endpoint);
    if (this.url.protocol !== 'https:')
      throw new Error(`cluster endpoint must be https: ${options.endpoint}`);
  }

  /** One API call; a non-2xx answer throws `KubeApiError` with the API's own message. */
  async request<T>(req: KubeRequest): Promise<T> {
    const token = await this.options.token();
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': 'ops-automation-kube/1',
    };
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = https.request(
        {
          protocol: 'https:',
          hostname: this.url.hostname,
          port: this.url.port || 443,
          path: req.path,
          method: req.method,
          headers,
          ca: this.options.ca,
          timeout: this.options.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      r.on('timeout', () =>
        r.destroy(new Error(`Kubernetes API timed out after ${this.options.timeoutMs ?? 10_000} ms`)),
      );
      r.on('error', reject);
      r.end(payload);
    }).catch((err: Error) => {
      throw new KubeApiError(`${req.method} ${req.path}: ${err.message}`, 0, 'ConnectionFailed');
    });
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    let message = text.slice(0, 500);
    let reason = `HTTP${status}`;
    try {
      const s = JSON.parse(text) as { message?: string; reason?: string };
      if (s.message) message = s.message;
      if (s.reason) reason = s.reason;
    } catch {
      // not a Status object: keep the (truncated) body
    }
    throw new KubeApiError(`${req.method} ${req.path} → ${status} ${reason}: ${message}`, status, reason);
  }

  // ---- workloads (apps/v1) -------------------------------------------------------------------

  static workloadPath(namespace: string, kind: WorkloadKind, name: string): string {
    return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${PLURAL[kind]}/${encodeURIComponent(name)}`;
  }

  getWorkload(namespace: string, kind: WorkloadKind, name: string): Promise<Workload> {
    return this.request({ method: 'GET', path: KubeClient.workloadPath(namespace, kind, name) });
  }

  /** Exactly what `kubectl rollout restart` sends: the pod template's restartedAt annotation. */
  restartWorkload(
    namespace: string,
    kind: WorkloadKind,
    name: string,
    restartedAt: string,
  ): Promise<Workload> {
    return this.request({
      method: 'PATCH',
      path: `${KubeClient.workloadPath(namespace, kind, name)}?${STRICT}`,
      contentType: STRATEGIC_MERGE_PATCH,
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } },
    });
  }

  // ---- config maps (v1) ------------------------------------------------------------------------

  getConfigMap(namespace: string, name: string): Promise<ConfigMap> {
    return this.request({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
    });
  }

  // ---- events (v1): the evidence of unschedulable pods ---------------------------------------------

  /**
   * One page of a namespace's core/v1 Events with one `reason` (field selector: the API server filters,
   * so only those events cross the wire). `limit` bounds the page; `continue` fetches the next one.
   */
  listEvents(
    namespace: string,
    reason: string,
    page: { limit: number; continue?: string },
  ): Promise<EventList> {
    const query = new URLSearchParams({ fieldSelector: `reason=${reason}`, limit: String(page.limit) });
    if (page.continue) query.set('continue', page.continue);
    return this.request({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?${query.toString()}`,
    });
  }

  // ---- a restore test's scratch namespace (v1) ----------------------------------------------------

  listPods(namespace: string): Promise<PodList> {
    return this.request({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` });
  }

  listPersistentVolumeClaims(namespace: string): Promise<PersistentVolumeClaimList> {
    return this.request({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims`,
    });
  }

  getNamespace(name: string): Promise<Namespace> {
    return this.request({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(name)}` });
  }

  /** Deletes a namespace and everything in it (the API answers at once; finalisation follows). */
  deleteNamespace(name: string): Promise<unknown> {
    return this.request({ method: 'DELETE', path: `/api/v1/namespaces/${encodeURIComponent(name)}` });
  }

  // ---- a restored Service, through the API server's service proxy (v1) ----------------------------

  /**
   * GET `path` on a Service's port through the API server's proxy
   * (`connectCoreV1GetNamespacedServiceProxyWithPath`). The answer is the Service's, passed through:
   * only its status and length are returned, never the body (only a Kubernetes `Status` the API server
   * wrote itself is read, for its reason). Bounded: `timeoutMs` for the whole exchange, at most
   * `PROBE_MAX_BYTES` read. An API refusal (401/403 Status) throws `KubeApiError`; so does a timeout
   * (reason `Timeout`) or no connection.
   */
  async probeService(
    namespace: string,
    service: string,
    port: number,
    path: string,
    timeoutMs: number,
  ): Promise<{ status: number; bytes: number; truncated: boolean; apiReason?: string }> {
    const token = await this.options.token();
    const apiPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy${path}`;
    const answer = await new Promise<{ status: number; bytes: number; truncated: boolean; head: string }>(
      (resolve, reject) => {
        const r = https.request(
          {
            protocol: 'https:',
            hostname: this.url.hostname,
            port: this.url.port || 443,
            path: apiPath,
            method: 'GET',
            headers: { authorization: `Bearer ${token}`, 'user-agent': 'ops-automation-kube/1' },
            ca: this.options.ca,
          },
          (res) => {
            let bytes = 0;
            let head = '';
            res.on('data', (c: Buffer) => {
              bytes += c.length;
              if (head.length < 4096) head += c.toString('utf8', 0, Math.min(c.length, 4096));
              if (bytes > PROBE_MAX_BYTES) {
                res.destroy();
                resolve({ status: res.statusCode ?? 0, bytes, truncated: true, head });
              }
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, truncated: false, head }));
            res.on('error', reject);
          },
        );
        const timer = setTimeout(
          () =>
            r.destroy(
              Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'PROBE_TIMEOUT' }),
            ),
          timeoutMs,
        );
        r.on('close', () => clearTimeout(timer));
        r.on('error', reject);
        r.end();
      },
    ).catch((err: Error & { code?: string }) => {
      const timedOut = err.code === 'PROBE_TIMEOUT';
      throw new KubeApiError(`GET ${apiPath}: ${err.message}`, 0, timedOut ? 'Timeout' : 'ConnectionFailed');
    });
    // The API server's own answer (not the Service's) is a Kubernetes Status object.
    let apiReason: string | undefined;
    if (answer.status >= 400) {
      try {
        const s = JSON.parse(answer.head) as {
          kind?: string;
          apiVersion?: string;
          reason?: string;
          message?: string;
        };
        if (s.kind === 'Status' && s.apiVersion === 'v1') {
          apiReason = s.reason ?? `HTTP${answer.status}`;
          if (answer.status === 401 || answer.status === 403)
            throw new KubeApiError(
              `GET ${apiPath} → ${answer.status} ${apiReason}: ${s.message ?? ''}`,
              answer.status,
              apiReason,
            );
        }
      } catch (err) {
        if (err instanceof KubeApiError) throw err;
        // not a Status: the Service's own answer, unread
      }
    }
    return {
      status: answer.status,
      bytes: answer.bytes,
      truncated: answer.truncated,
      ...(apiReason ? { apiReason } : {}),
    };
  }

  // ---- Velero restores (velero.io/v1) --------------------------------------------------------

  static restoresPath(namespace: string, name?: string): string {
    const base = `/apis/velero.io/v1/namespaces/${encodeURIComponent(namespace)}/restores`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  createRestore(restore: VeleroRestore): Promise<VeleroRestore> {
    const namespace = restore.metadata.namespace;
    if (!namespace) throw new Error('a Restore needs metadata.namespace (the Velero namespace)');
    return this.request({
      method: 'POST',
      path: `${KubeClient.restoresPath(namespace)}?${STRICT}`,
      body: restore,
    });
  }

  getRestore(namespace: string, name: string): Promise<VeleroRestore> {
    return this.request({ method: 'GET', path: KubeClient.restoresPath(namespace, name) });
  }
}
