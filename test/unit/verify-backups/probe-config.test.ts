import { describe, expect, it } from 'vitest';
import { BackupVerificationConfigSchema } from '../../../config/schema.js';

/**
 * The Velero restore test's readiness probe in the stage config (issue 15): what a namespace may
 * configure. The expected answers come from the rules the brief and Kubernetes set: a Service name is
 * a DNS-1035 label (starts with a letter; Kubernetes validates Service names that way), a port is
 * 1–65535, a path starts with "/" and never climbs out with "..".
 */
const parse = (probe: unknown) =>
  BackupVerificationConfigSchema.safeParse({
    velero: { restoreTest: { enabled: true, namespaces: [{ namespace: 'app', probe }] } },
  });

describe('config: backupVerification.velero.restoreTest.namespaces[].probe', () => {
  it('is optional, and fills expectStatus 200 and timeoutSeconds 5 when given', () => {
    const none = BackupVerificationConfigSchema.parse({
      velero: { restoreTest: { enabled: true, namespaces: [{ namespace: 'app' }] } },
    });
    expect(none.velero.restoreTest.namespaces[0]?.probe).toBeUndefined();
    const r = parse({ service: 'web', port: 8080, path: '/healthz' });
    expect(r.success && r.data.velero.restoreTest.namespaces[0]?.probe).toEqual({
      service: 'web',
      port: 8080,
      path: '/healthz',
      expectStatus: 200,
      timeoutSeconds: 5,
    });
  });

  it('accepts plain absolute paths and DNS-1035 service names', () => {
    for (const path of ['/', '/healthz', '/api/v1/ready', '/.well-known/ready', '/a-b_c~d.e']) {
      expect(parse({ service: 'web', port: 80, path }).success, path).toBe(true);
    }
    for (const service of ['a', 'web', 'api-v2', 'x'.repeat(63)]) {
      expect(parse({ service, port: 80, path: '/' }).success, service).toBe(true);
    }
  });

  it('refuses a relative path, a ".." segment, a query or encoded characters', () => {
    for (const path of ['healthz', '', '/..', '/../secret', '/a/../b', '/x?y=1', '/%2e%2e/x', '/a b']) {
      expect(parse({ service: 'web', port: 80, path }).success, path).toBe(false);
    }
  });

  it('refuses a service name that is not a DNS-1035 label, a bad port, status or timeout', () => {
    for (const service of ['Web', '1web', '-web', 'web-', 'web_x', 'web.x', 'x'.repeat(64)]) {
      expect(parse({ service, port: 80, path: '/' }).success, service).toBe(false);
    }
    for (const bad of [
      { port: 0 },
      { port: 65536 },
      { port: 80.5 },
      { expectStatus: 99 },
      { expectStatus: 600 },
      { timeoutSeconds: 0 },
      { timeoutSeconds: 21 },
    ]) {
      expect(parse({ service: 'web', port: 80, path: '/', ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
