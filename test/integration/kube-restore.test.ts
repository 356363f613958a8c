import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep } from '../../functions/kube/core.js';
import { eksToken } from '../../functions/kube/token.js';
import { captureLogger } from '../support/capture-logger.js';
import { eksTokenAuthenticator } from '../support/eks-authenticator.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';

/**
 * The Velero restore test's Kubernetes steps (restore into a fixed scratch namespace, inspect its
 * pods and PVCs, delete it) through the in-VPC kube function, against the Kubernetes API stand-in
 * (paths and verbs from the official OpenAPI spec and the Velero CRD, objects validated with
 * kubernetes-models) enforcing the RBAC infra synthesises for these settings.
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
  scratchNamespaces: ['restore-check-app', 'restore-check-data'],
  autoscalerNamespace: 'kube-system',
};

/** The EKS side of authentication: only tokens presigned with the function's own credentials. */
const authenticateEksToken = eksTokenAuthenticator({ region: REGION, accessKeyId: CREDENTIALS.accessKeyId });

const NS = 'restore-check-app';
const pod = (name: string, namespace: string, ready: boolean) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0.0' }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  },
});
const pvc = (name: string, namespace: string, phase: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase },
});
const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

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
  // What a Velero restore with namespaceMapping app → restore-check-app leaves behind.
  api.put(namespace(NS));
  api.put(pod('api-7d9f-abcde', NS, true));
  api.put(pod('worker-0', NS, false));
  api.put(pvc('data-worker-0', NS, 'Bound'));
  api.put(pvc('cache', NS, 'Pending'));
  // The real namespace: never touched.
  api.put(namespace('app'));
  api.put(pod('api-7d9f-live', 'app', true));
  api.requests.length = 0;
});

const run = (event: Record<string, unknown>, settings: KubeSettings = SETTINGS) =>
  runKubeStep(
    { executionName: 'verify-backups-test-1', ...event },
    { client, settings, logger: capture.logger },
  );

describe('kube: the Velero restore test’s scratch namespace', () => {
  it('inspects the restored pods and PVCs: which are ready and bound', async () => {
    // Act
    const out = await run({ step: 'inspect-scratch-namespace', namespace: NS });
    // Assess: the oracle is the fixture above (two pods, one Ready; two PVCs, one Bound).
    expect(out).toEqual({
      step: 'inspect-scratch-namespace',
      namespace: NS,
      exists: true,
      phase: 'Active',
      pods: [
        { name: 'api-7d9f-abcde', phase: 'Running', ready: true },
        { name: 'worker-0', phase: 'Running', ready: false },
      ],
      pvcs: [
        { name: 'data-worker-0', phase: 'Bound' },
        { name: 'cache', phase: 'Pending' },
      ],
      readyPods: 1,
      boundPvcs: 1,
    });
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /api/v1/namespaces/${NS} 200`,
      `GET /api/v1/namespaces/${NS}/pods 200`,
      `GET /api/v1/namespaces/${NS}/persistentvolumeclaims 200`,
    ]);
  });

  it('deletes the scratch namespace and what is in it; it reads Terminating, then does not exist', async () => {
    const del = await run({ step: 'delete-scratch-namespace', namespace: NS });
    expect(del).toEqual({
      step: 'delete-scratch-namespace',
      namespace: NS,
      deleted: true,
      alreadyGone: false,
    });
    const terminating = await run({ step: 'inspect-scratch-namespace', namespace: NS });
    expect(terminating).toMatchObject({ exists: true, phase: 'Terminating', pods: [], pvcs: [] });
    const gone = await run({ step: 'inspect-scratch-namespace', namespace: NS });
    expect(gone).toMatchObject({ exists: false, pods: [], pvcs: [] });
    // Deleting again (a retried step, a crashed run's cleanup) is not an error.
    expect(await run({ step: 'delete-scratch-namespace', namespace: NS })).toMatchObject({
      alreadyGone: true,
    });
    // The real namespace and its pod are untouched. (The client can list pods anywhere: the RBAC's
    // list grant is cluster-wide, see kube-access.ts; the function only lists scratch namespaces.)
    expect((await client.listPods('app')).items?.map((p) => p.metadata?.name)).toEqual(['api-7d9f-live']);
    expect(api.get('/api/v1/namespaces/app')).toMatchObject({ metadata: { name: 'app' } });
  });

  it('refuses any namespace that is not one of the configured scratch namespaces, before any call', async () => {
    for (const ns of ['app', 'restore-check-billing', 'kube-system']) {
      await expect(run({ step: 'delete-scratch-namespace', namespace: ns })).rejects.toThrow(
        /is not one of this stage's scratch namespaces \(restore-check-app, restore-check-data\)/,
      );
      await expect(run({ step: 'inspect-scratch-namespace', namespace: ns })).rejects.toThrow(
        /NotAllowListed|is not one of/,
      );
    }
    expect(api.requests).toEqual([]);
    // And a restore may only map into those exact namespaces.
    await expect(
      run({
        step: 'create-velero-restore',
        name: 'vb-1',
        backupName: 'daily-20261207',
        namespaceMapping: { app: 'restore-check-other' },
      }),
    ).rejects.toThrow(/only write into this stage's scratch namespaces .*refused: restore-check-other/);
  });

  it('RBAC as synthesised: deleting any other namespace is 403 even if the function were wrong', async () => {
    // Prepare: the function's own guard switched off (a function bug), the RBAC still stands.
    const loose: KubeSettings = {
      ...SETTINGS,
      scratchNamespaces: [...(SETTINGS.scratchNamespaces ?? []), 'restore-check-x'],
    };
    api.put(namespace('restore-check-x'));
    // Act
    const err = await run({ step: 'delete-scratch-namespace', namespace: 'restore-check-x' }, loose).catch(
      (e) => e,
    );
    // Assess
    expect((err as Error).name).toBe('KubeApiRefused');
    expect((err as Error).message).toMatch(/403 Forbidden: namespaces "restore-check-x" is forbidden/);
    expect(api.get('/api/v1/namespaces/restore-check-x')).toMatchObject({
      metadata: { name: 'restore-check-x' },
    });
  });

  it('a restore into the scratch namespace is created through the Velero CRD schema, mapping only that namespace', async () => {
    const out = await run({
      step: 'create-velero-restore',
      name: 'vb-app-1',
      backupName: 'daily-20261207',
      namespaceMapping: { app: NS },
    });
    expect(out).toMatchObject({ name: 'vb-app-1', phase: 'New' });
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', status: 201 });
    expect(api.get('/apis/velero.io/v1/namespaces/velero/restores/vb-app-1')).toMatchObject({
      spec: { includedNamespaces: ['app'], namespaceMapping: { app: NS }, restorePVs: true },
    });
  });

  it('a throttled API (429) is a retryable error the workflow can retry; a missing namespace is "does not exist"', async () => {
    api.failNext(1, 429);
    const err = await run({ step: 'inspect-scratch-namespace', namespace: NS }).catch((e) => e);
    expect((err as Error).name).toBe('KubeApiUnavailable');
    api.remove(`/api/v1/namespaces/${NS}`);
    expect(await run({ step: 'inspect-scratch-namespace', namespace: NS })).toMatchObject({ exists: false });
  });
});
