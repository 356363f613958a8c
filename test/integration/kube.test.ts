import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep } from '../../functions/kube/core.js';
import { eksToken, presignedCallerIdentityUrl } from '../../functions/kube/token.js';
import { captureLogger } from '../support/capture-logger.js';
import { eksTokenAuthenticator } from '../support/eks-authenticator.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';

/**
 * The in-VPC Kubernetes access function (functions/kube) against a Kubernetes API stand-in that
 * checks paths, verbs, content types and bodies against the official OpenAPI spec and the Velero
 * CRD (test/fixtures/kubernetes), and enforces the RBAC that infra synthesises.
 */

const CLUSTER = 'dev-platform';
const REGION = 'eu-west-1';
// AWS's documentation example credentials (never valid).
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE+/session=token',
};
const SETTINGS: KubeSettings = {
  restartWorkloads: ['app/deployment/api', 'app/statefulset/worker'],
  veleroNamespace: 'velero',
  restoreNamespacePrefix: 'restore-check-',
  autoscalerNamespace: 'kube-system',
};

/** The EKS side of authentication: only tokens presigned with the function's own credentials. */
const authenticateEksToken = eksTokenAuthenticator({ region: REGION, accessKeyId: CREDENTIALS.accessKeyId });

const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'app', generation: 3 },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'api' } },
    template: {
      metadata: { labels: { app: 'api' } },
      spec: { containers: [{ name: 'api', image: 'registry.example/api:1.0.0' }] },
    },
  },
};
const STATEFULSET = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'worker', namespace: 'app', generation: 1 },
  spec: {
    serviceName: 'worker',
    selector: { matchLabels: { app: 'worker' } },
    template: {
      metadata: { labels: { app: 'worker' } },
      spec: { containers: [{ name: 'worker', image: 'registry.example/worker:1.0.0' }] },
    },
  },
};

let api: KubeApiServer;
let client: KubeClient;
const capture = captureLogger('kube');

beforeAll(async () => {
  api = await startKubeApiServer({ authenticate: authenticateEksToken, rbac: synthesisedKubeRbac(SETTINGS) });
  client = new KubeClient({
    endpoint: api.url,
    ca: api.ca,
    token: () => eksToken({ clusterName: CLUSTER, region: REGION, credentials: CREDENTIALS }),
  });
});
afterAll(async () => {
  capture.restore();
  await api?.close();
});
beforeEach(() => {
  api.put(structuredClone(DEPLOYMENT));
  api.put(structuredClone(STATEFULSET));
  // An unrelated workload in the same namespace: not allow-listed, RBAC names only the allowed ones.
  api.put({ ...structuredClone(DEPLOYMENT), metadata: { name: 'billing', namespace: 'app', generation: 1 } });
  api.requests.length = 0;
});

const deps = () => ({ client, settings: SETTINGS, logger: capture.logger });
const run = (event: Record<string, unknown>) =>
  runKubeStep({ executionName: 'rotate-secret-test-1', ...event }, deps());

describe('kube: EKS token', () => {
  it('is k8s-aws-v1. + unpadded base64url of the presigned GetCallerIdentity URL botocore computes for the same inputs', async () => {
    // Prepare: fixed clock and credentials → one deterministic signature.
    const now = new Date('2026-12-07T05:00:00Z');
    const script = `
import datetime, sys
from unittest import mock
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
req = AWSRequest(method='GET', url='https://sts.${REGION}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15', headers={'x-k8s-aws-id': '${CLUSTER}'})
auth = SigV4QueryAuth(Credentials('${CREDENTIALS.accessKeyId}', '${CREDENTIALS.secretAccessKey}', '${CREDENTIALS.sessionToken}'), 'sts', '${REGION}', expires=60)
with mock.patch('botocore.auth.get_current_datetime', return_value=datetime.datetime(2026, 12, 7, 5, 0, 0)):
    auth.add_auth(req)
sys.stdout.write(req.url)
`;
    const oracle = new URL(execFileSync('python3', ['-c', script], { encoding: 'utf8' }));

    // Act
    const token = await eksToken({ clusterName: CLUSTER, region: REGION, credentials: CREDENTIALS, now });
    const url = await presignedCallerIdentityUrl({
      clusterName: CLUSTER,
      region: REGION,
      credentials: CREDENTIALS,
      now,
    });

    // Assess
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const body = token.slice('k8s-aws-v1.'.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    expect(Buffer.from(body, 'base64url').toString('utf8')).toBe(url);
    const ours = new URL(url);
    expect(ours.origin + ours.pathname).toBe(oracle.origin + oracle.pathname);
    const params = (u: URL) => Object.fromEntries([...u.searchParams.entries()].sort());
    expect(params(ours)).toEqual(params(oracle));
    expect(params(ours)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${CREDENTIALS.accessKeyId}/20261207/${REGION}/sts/aws4_request`,
      'X-Amz-Date': '20261207T050000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': CREDENTIALS.sessionToken,
    });
  });
});

describe('kube: restart a workload (what kubectl rollout restart sends)', () => {
  it('patches the pod template restartedAt annotation of an allow-listed deployment and statefulset', async () => {
    // Act
    const d = await run({
      step: 'restart-workload',
      workload: 'app/deployment/api',
      restartedAt: '2026-12-07T05:01:02.345Z',
    });
    const s = await run({
      step: 'restart-workload',
      workload: 'app/statefulset/worker',
      restartedAt: '2026-12-07T05:01:02.345Z',
    });

    // Assess: the stand-in's store holds the change; GET and PATCH were the only calls
    expect(d).toEqual({
      step: 'restart-workload',
      workload: 'app/deployment/api',
      restartedAt: '2026-12-07T05:01:02Z',
      generation: 4,
    });
    expect(s).toMatchObject({ workload: 'app/statefulset/worker', generation: 2 });
    const stored = api.get('/apis/apps/v1/namespaces/app/deployments/api') as typeof DEPLOYMENT & {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    expect(stored.spec.template.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2026-12-07T05:01:02Z',
    });
    expect(stored.spec.template.metadata).toMatchObject({ labels: { app: 'api' } });
    expect(api.requests.map((r) => [r.method, r.path, r.contentType ?? '', r.status])).toEqual([
      ['GET', '/apis/apps/v1/namespaces/app/deployments/api', '', 200],
      [
        'PATCH',
        '/apis/apps/v1/namespaces/app/deployments/api?fieldValidation=Strict',
        'application/strategic-merge-patch+json',
        200,
      ],
      ['GET', '/apis/apps/v1/namespaces/app/statefulsets/worker', '', 200],
      [
        'PATCH',
        '/apis/apps/v1/namespaces/app/statefulsets/worker?fieldValidation=Strict',
        'application/strategic-merge-patch+json',
        200,
      ],
    ]);
    expect(api.requests[1]?.body).toEqual({
      spec: {
        template: {
          metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T05:01:02Z' } },
        },
      },
    });
  });

  it('is idempotent: the same run restarting again sends no second patch', async () => {
    await run({
      step: 'restart-workload',
      workload: 'app/deployment/api',
      restartedAt: '2026-12-07T05:01:02Z',
    });
    const again = await run({
      step: 'restart-workload',
      workload: 'app/deployment/api',
      restartedAt: '2026-12-07T05:01:02Z',
    });

    expect(again).toMatchObject({ generation: 4 });
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('refuses a workload outside the allow-list before any API call', async () => {
    await expect(
      run({
        step: 'restart-workload',
        workload: 'app/deployment/billing',
        restartedAt: '2026-12-07T05:01:02Z',
      }),
    ).rejects.toMatchObject({
      name: 'NotAllowListedError',
      message: "app/deployment/billing is not in this stage's restart allow-list",
    });
    await expect(
      run({
        step: 'restart-workload',
        workload: 'kube-system/daemonset/aws-node',
        restartedAt: '2026-12-07T05:01:02Z',
      }),
    ).rejects.toMatchObject({
      name: 'NotAllowListedError',
    });
    expect(api.requests).toEqual([]);
  });

  it('RBAC names only the allow-listed workloads: even reading another one is forbidden (not retried)', async () => {
    const err = await client.getWorkload('app', 'deployment', 'billing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ name: 'KubeApiRefused', status: 403 });
  });
});

describe('kube: Velero restores', () => {
  it('creates a Restore that maps every namespace into a scratch namespace, then reads its phase', async () => {
    // Act
    const created = await run({
      step: 'create-velero-restore',
      name: 'verify-app-20261207',
      backupName: 'daily-20261207',
      namespaceMapping: { app: 'restore-check-app' },
    });
    const read = await run({ step: 'get-velero-restore', name: 'verify-app-20261207' });

    // Assess
    expect(created).toMatchObject({
      step: 'create-velero-restore',
      name: 'verify-app-20261207',
      phase: 'New',
    });
    expect(read).toMatchObject({
      phase: 'New',
      restore: {
        spec: {
          backupName: 'daily-20261207',
          includedNamespaces: ['app'],
          namespaceMapping: { app: 'restore-check-app' },
        },
      },
    });
    expect(api.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/apis/velero.io/v1/namespaces/velero/restores?fieldValidation=Strict', 201],
      ['GET', '/apis/velero.io/v1/namespaces/velero/restores/verify-app-20261207', 200],
    ]);
  });

  it('is idempotent: creating the same restore twice returns the existing one', async () => {
    const event = {
      step: 'create-velero-restore',
      name: 'verify-twice',
      backupName: 'daily-1',
      namespaceMapping: { app: 'restore-check-app' },
    };
    await run(event);
    const again = await run(event);
    expect(again).toMatchObject({ name: 'verify-twice', phase: 'New' });
    expect(api.requests.map((r) => r.status)).toEqual([201, 409, 200]);
  });

  it('refuses a restore into a live namespace before any API call', async () => {
    await expect(
      run({
        step: 'create-velero-restore',
        name: 'bad',
        backupName: 'daily-1',
        namespaceMapping: { app: 'app' },
      }),
    ).rejects.toMatchObject({
      name: 'NotAllowListedError',
      message: expect.stringContaining('refused: app'),
    });
    expect(api.requests).toEqual([]);
  });
});

describe('kube: cluster-autoscaler status', () => {
  it('reads the status ConfigMap cluster-autoscaler writes in its namespace, and nothing else there', async () => {
    // Prepare: the shape cluster-autoscaler writes (data.status, last-updated annotation)
    api.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cluster-autoscaler-status',
        namespace: 'kube-system',
        annotations: { 'cluster-autoscaler.kubernetes.io/last-updated': '2026-12-07 05:00:00.123 +0000 UTC' },
      },
      data: { status: 'Cluster-autoscaler status at 2026-12-07 05:00:00: Health: Healthy' },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-auth', namespace: 'kube-system' },
      data: { mapRoles: '[]' },
    });

    // Act
    const out = await run({ step: 'get-autoscaler-status' });
    const other = await client.getConfigMap('kube-system', 'aws-auth').catch((e: unknown) => e);

    // Assess
    expect(out).toEqual({
      step: 'get-autoscaler-status',
      status: 'Cluster-autoscaler status at 2026-12-07 05:00:00: Health: Healthy',
      lastUpdated: '2026-12-07 05:00:00.123 +0000 UTC',
    });
    expect(api.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status',
      status: 200,
    });
    expect(other).toMatchObject({ status: 403 });
  });
});

describe('kube API stand-in: refuses what the API server refuses', () => {
  const raw = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType?: string,
  ) =>
    client
      .request({
        method,
        path,
        ...(body === undefined ? {} : { body }),
        ...(contentType ? { contentType } : {}),
      })
      .catch((e: KubeApiError) => e);
  const restart = {
    spec: {
      template: {
        metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T05:01:02Z' } },
      },
    },
  };

  it('a wrong path is 404', async () => {
    expect(
      await raw(
        'PATCH',
        '/apis/apps/v1/namespaces/app/deployment/api',
        restart,
        'application/strategic-merge-patch+json',
      ),
    ).toMatchObject({ status: 404 });
    expect(await raw('GET', '/apis/apps/v1beta1/namespaces/app/deployments/api')).toMatchObject({
      status: 404,
    });
  });

  it('a verb the spec has no operation for is 405', async () => {
    expect(await raw('POST', '/apis/apps/v1/namespaces/app/deployments/api', restart)).toMatchObject({
      status: 405,
      reason: 'MethodNotAllowed',
    });
  });

  it('a patch content type the operation does not accept is 415 (custom resources take no strategic merge patch)', async () => {
    expect(
      await raw('PATCH', '/apis/apps/v1/namespaces/app/deployments/api', restart, 'application/json'),
    ).toMatchObject({ status: 415 });
    api.put({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r1', namespace: 'velero' },
      spec: { backupName: 'b' },
    });
    // RBAC does not grant patch on restores: 403 comes first, as on the real server.
    expect(
      await raw(
        'PATCH',
        '/apis/velero.io/v1/namespaces/velero/restores/r1',
        {},
        'application/strategic-merge-patch+json',
      ),
    ).toMatchObject({ status: 403 });
  });

  it('a body that makes the object invalid is 422 with the failing path', async () => {
    const bad = {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 20261207 } } } },
    };
    const err = await raw(
      'PATCH',
      '/apis/apps/v1/namespaces/app/deployments/api',
      bad,
      'application/strategic-merge-patch+json',
    );
    expect(err).toMatchObject({ status: 422, reason: 'Invalid' });
    expect((err as Error).message).toContain('annotations');
    const restore = (spec: Record<string, unknown>) => ({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r2', namespace: 'velero' },
      spec,
    });
    expect(
      await raw(
        'POST',
        '/apis/velero.io/v1/namespaces/velero/restores',
        restore({ backupName: 'b', namespaceMapping: { app: 7 } }),
      ),
    ).toMatchObject({ status: 422 });
    // A misspelt field is refused under fieldValidation=Strict (the client always sends it).
    const typo = await raw(
      'POST',
      '/apis/velero.io/v1/namespaces/velero/restores?fieldValidation=Strict',
      restore({ backupName: 'b', namespaceMaping: { app: 'restore-check-app' } }),
    );
    expect(typo).toMatchObject({ status: 422 });
    expect((typo as Error).message).toContain('namespaceMaping');
  });

  it('RBAC: a verb, namespace or resource the Roles do not grant is 403', async () => {
    api.put({ ...structuredClone(DEPLOYMENT), metadata: { name: 'api', namespace: 'other' } });
    expect(
      await raw(
        'PATCH',
        '/apis/apps/v1/namespaces/other/deployments/api',
        restart,
        'application/strategic-merge-patch+json',
      ),
    ).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect(await raw('DELETE', '/apis/apps/v1/namespaces/app/deployments/api')).toMatchObject({
      status: 405,
    });
    expect(
      await raw('POST', '/apis/velero.io/v1/namespaces/app/restores', {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'x', namespace: 'app' },
        spec: { backupName: 'b' },
      }),
    ).toMatchObject({ status: 403 });
  });

  it('a request without a valid EKS token is 401', async () => {
    const anonymous = new KubeClient({
      endpoint: api.url,
      ca: api.ca,
      token: async () => 'k8s-aws-v1.bm90LWEtdXJs',
    });
    await expect(anonymous.getWorkload('app', 'deployment', 'api')).rejects.toMatchObject({ status: 401 });
  });

  it('the client refuses a server whose certificate the cluster CA did not sign', async () => {
    const other = new KubeClient({ endpoint: api.url, ca: '', token: async () => 'x' });
    await expect(other.getWorkload('app', 'deployment', 'api')).rejects.toMatchObject({
      name: 'KubeApiUnavailable',
      status: 0,
    });
  });
});
