import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep } from '../../functions/kube/core.js';
import { captureLogger } from '../support/capture-logger.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';

/**
 * The Velero restore test's readiness probe (`probe-scratch-service`): a GET through the API server's
 * service proxy, against the Kubernetes API stand-in, which serves the proxy path only as the official
 * OpenAPI spec defines it (connectCoreV1GetNamespacedServiceProxyWithPath, test/fixtures/kubernetes) and
 * enforces the RBAC infra synthesises for these settings (`get` on `services/proxy`, by name).
 */

const NS = 'restore-check-app';
const SETTINGS: KubeSettings = {
  restartWorkloads: [],
  veleroNamespace: 'velero',
  restoreNamespacePrefix: 'restore-check-',
  scratchNamespaces: [NS, 'restore-check-data'],
  scratchProbes: [`${NS}/web:8080`],
  autoscalerNamespace: 'kube-system',
};
const USER = { username: 'ops-test-kube', groups: ['ops-automation'] };
/** What the restored workload answers: a body the probe must never return or log. */
const SECRET_BODY = 'status: ok; session=do-not-log-me-7f3a';

let api: KubeApiServer;
let client: KubeClient;
const capture = captureLogger('kube');
let backendCalls: string[] = [];
let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: SECRET_BODY };

beforeAll(async () => {
  api = await startKubeApiServer({
    authenticate: (t) => (t === 'ok' ? USER : undefined),
    rbac: synthesisedKubeRbac(SETTINGS),
  });
  client = new KubeClient({ endpoint: api.url, ca: api.ca, token: async () => 'ok' });
});
afterAll(async () => {
  capture.restore();
  await api?.close();
});
beforeEach(() => {
  backendCalls = [];
  answer = { status: 200, body: SECRET_BODY };
  api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const backend = (path: string) => {
    backendCalls.push(path);
    return answer;
  };
  api.serviceBackend(NS, 'web', 8080, backend);
  // The same Service name and port in the live namespace: the function must never reach it.
  api.serviceBackend('app', 'web', 8080, backend);
  // A Service of the scratch namespace that is not a configured probe.
  api.serviceBackend(NS, 'admin', 9000, backend);
  api.requests.length = 0;
  capture.lines.length = 0;
});

const PROBE = { service: 'web', port: 8080, path: '/healthz', expectStatus: 200, timeoutSeconds: 2 };
const run = (event: Record<string, unknown>, settings: KubeSettings = SETTINGS) =>
  runKubeStep(
    { executionName: 'verify-backups-test-1', step: 'probe-scratch-service', ...event },
    { client, settings, logger: capture.logger },
  );

describe('kube: the restore test’s readiness probe through the service proxy', () => {
  it('GETs the configured path on the restored Service and returns its status and length, never the body', async () => {
    const out = await run({ namespace: NS, probe: PROBE });
    expect(out).toEqual({
      step: 'probe-scratch-service',
      namespace: NS,
      target: 'web:8080',
      path: '/healthz',
      expectStatus: 200,
      ok: true,
      status: 200,
      bytes: Buffer.byteLength(SECRET_BODY),
      truncated: false,
      timedOut: false,
      answeredBy: 'service',
      ms: expect.any(Number),
    });
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /api/v1/namespaces/${NS}/services/web:8080/proxy/healthz 200`,
    ]);
    expect(backendCalls).toEqual(['/healthz']);
    expect(JSON.stringify(out)).not.toContain('do-not-log-me');
    expect(capture.lines.join('\n')).not.toContain('do-not-log-me');
    expect(capture.lines.join('\n')).toContain('readiness probe answered');
  });

  it('refuses any namespace but the scratch ones, an unconfigured Service, and a bad path, before any call', async () => {
    for (const namespace of ['app', 'kube-system', 'restore-check-billing']) {
      await expect(run({ namespace, probe: PROBE })).rejects.toThrow(
        /is not one of this stage's scratch namespaces/,
      );
    }
    await expect(run({ namespace: NS, probe: { ...PROBE, service: 'admin', port: 9000 } })).rejects.toThrow(
      /restore-check-app\/admin:9000 is not one of this stage's restore-test probes \(restore-check-app\/web:8080\)/,
    );
    for (const path of ['healthz', '/../../api/v1/secrets', '/a/../b', '/x?y=1', '/%2e%2e/x']) {
      await expect(run({ namespace: NS, probe: { ...PROBE, path } })).rejects.toThrow(/probe path/);
    }
    for (const service of ['Web', '1web', 'web_x']) {
      await expect(run({ namespace: NS, probe: { ...PROBE, service } })).rejects.toThrow(/DNS-1035/);
    }
    await expect(run({ namespace: NS, probe: { ...PROBE, timeoutSeconds: 60 } })).rejects.toThrow();
    expect(api.requests).toEqual([]);
    expect(backendCalls).toEqual([]);
  });

  it('RBAC as synthesised: a Service the role does not name is 403 even if the function allowed it', async () => {
    // Prepare: the function's own allow-list widened (a function bug); the RBAC still names web:8080 only.
    const loose: KubeSettings = {
      ...SETTINGS,
      scratchProbes: [...(SETTINGS.scratchProbes ?? []), `${NS}/admin:9000`],
    };
    // Act
    const err = await run({ namespace: NS, probe: { ...PROBE, service: 'admin', port: 9000 } }, loose).catch(
      (e) => e,
    );
    // Assess
    expect((err as Error).name).toBe('KubeApiRefused');
    expect((err as Error).message).toMatch(
      /403 Forbidden: services "admin:9000" is forbidden: User "ops-test-kube" cannot get resource "services\/proxy"/,
    );
    expect(backendCalls).toEqual([]);
  });

  it('RBAC: without a configured probe the role grants no services/proxy at all', async () => {
    const bare = await startKubeApiServer({
      authenticate: (t) => (t === 'ok' ? USER : undefined),
      rbac: synthesisedKubeRbac({ ...SETTINGS, scratchProbes: [] }),
    });
    try {
      bare.serviceBackend(NS, 'web', 8080, () => ({ status: 200, body: 'ok' }));
      const bareClient = new KubeClient({ endpoint: bare.url, ca: bare.ca, token: async () => 'ok' });
      const err = await runKubeStep(
        { executionName: 'x', step: 'probe-scratch-service', namespace: NS, probe: PROBE },
        { client: bareClient, settings: SETTINGS, logger: capture.logger },
      ).catch((e) => e);
      expect((err as Error).name).toBe('KubeApiRefused');
      expect((err as Error).message).toMatch(/403 Forbidden/);
    } finally {
      await bare.close();
    }
  });

  it('a non-2xx answer, a missing Service and no answer in time are failed probes with their reason, not errors', async () => {
    answer = { status: 503, body: 'database not reachable' };
    expect(await run({ namespace: NS, probe: PROBE })).toMatchObject({
      ok: false,
      status: 503,
      bytes: 'database not reachable'.length,
      answeredBy: 'service',
    });
    // A different expected status is honoured.
    answer = { status: 204, body: '' };
    expect(await run({ namespace: NS, probe: { ...PROBE, expectStatus: 204 } })).toMatchObject({
      ok: true,
      status: 204,
      bytes: 0,
    });
    // The Service was not restored: the API server answers itself.
    const ns2 = 'restore-check-data';
    const missing = await run(
      { namespace: ns2, probe: PROBE },
      { ...SETTINGS, scratchProbes: [`${ns2}/web:8080`] },
    ).catch((e) => e);
    // (the RBAC names web:8080 in any namespace; the stand-in has no such Service there)
    expect(missing).toMatchObject({ ok: false, status: 404, answeredBy: 'api-server (NotFound)' });
    // Too slow: bounded by the probe's timeout.
    answer = { status: 200, body: 'late', delayMs: 1_500 };
    const slow = await run({ namespace: NS, probe: { ...PROBE, timeoutSeconds: 1 } });
    expect(slow).toMatchObject({ ok: false, status: 0, timedOut: true, answeredBy: 'nobody (timeout)' });
    expect((slow as { ms: number }).ms).toBeLessThan(1_400);
  });
});
