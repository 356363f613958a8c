import { describe, expect, it } from 'vitest';
import { KubeEvent, KubeSettings } from '../../../functions/kube/core.js';

/**
 * The kube function's settings and events, case by case with answers written by hand. The same
 * cases pass on the schemas' classic-zod build and on their zod/mini build (issue 17).
 */
const run = { executionName: 'snapshot-volume-dev-1' };
const probe = { service: 'api', port: 8080, path: '/healthz' };

describe('KubeSettings', () => {
  const settings = {
    restartWorkloads: ['app/deployment/api'],
    veleroNamespace: 'velero',
    restoreNamespacePrefix: 'restore-check-',
    autoscalerNamespace: 'kube-system',
  };

  it('takes the required fields, the lists optional', () => {
    expect(KubeSettings.parse(settings)).toEqual(settings);
    expect(
      KubeSettings.parse({ ...settings, scratchNamespaces: ['restore-check-app'] }).scratchNamespaces,
    ).toEqual(['restore-check-app']);
  });

  it.each([
    ['veleroNamespace', ''],
    ['restoreNamespacePrefix', ''],
    ['autoscalerNamespace', ''],
    ['restartWorkloads', undefined],
    ['eventNamespaces', 'app'],
  ])('refuses %s = %j', (key, value) => {
    const result = KubeSettings.safeParse({ ...settings, [key]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([key]);
  });
});

describe('KubeEvent', () => {
  it('fills a probe’s expected status (200) and timeout (5 s)', () => {
    expect(
      KubeEvent.parse({ ...run, step: 'probe-scratch-service', namespace: 'restore-check-app', probe }),
    ).toEqual({
      ...run,
      step: 'probe-scratch-service',
      namespace: 'restore-check-app',
      probe: { ...probe, expectStatus: 200, timeoutSeconds: 5 },
    });
  });

  it('takes each step’s own fields', () => {
    expect(
      KubeEvent.parse({
        ...run,
        step: 'restart-workload',
        workload: 'app/deployment/api',
        restartedAt: '2026-12-08T01:00:00+01:00',
      }),
    ).toMatchObject({ step: 'restart-workload' });
    expect(
      KubeEvent.parse({
        ...run,
        step: 'create-velero-restore',
        name: 'r-1',
        backupName: 'daily-20261208',
        namespaceMapping: { app: 'restore-check-app' },
      }),
    ).toMatchObject({ step: 'create-velero-restore' });
    expect(KubeEvent.parse({ ...run, step: 'get-autoscaler-status' })).toEqual({
      ...run,
      step: 'get-autoscaler-status',
    });
  });

  it.each([
    [{ step: 'rollback-workload' }, ['step']],
    [{ step: 'restart-workload', workload: 'app/deployment/api', restartedAt: 'yesterday' }, ['restartedAt']],
    [{ step: 'delete-scratch-namespace', namespace: 'Restore-Check' }, ['namespace']],
    [{ step: 'delete-scratch-namespace', namespace: 'a'.repeat(64) }, ['namespace']],
    [{ step: 'create-velero-restore', name: 'r-1', backupName: '', namespaceMapping: {} }, ['backupName']],
    [
      { step: 'create-velero-restore', name: 'r-1', backupName: 'b', namespaceMapping: { app: 'Bad_NS' } },
      ['namespaceMapping', 'app'],
    ],
    [{ step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, port: 0 } }, ['probe', 'port']],
    [{ step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, port: 65536 } }, ['probe', 'port']],
    [{ step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, port: 80.5 } }, ['probe', 'port']],
    [
      { step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, service: '9api' } },
      ['probe', 'service'],
    ],
    [
      { step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, path: '/a/../b' } },
      ['probe', 'path'],
    ],
    [
      { step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, expectStatus: 99 } },
      ['probe', 'expectStatus'],
    ],
    [
      { step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, timeoutSeconds: 21 } },
      ['probe', 'timeoutSeconds'],
    ],
    [{ step: 'count-unschedulable-events', since: '2026-12-08' }, ['since']],
  ])('refuses %j at %j', (event, path) => {
    const result = KubeEvent.safeParse({ ...run, ...event });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('names what is wrong with a probe path and a service name', () => {
    const issues = (event: unknown) => KubeEvent.safeParse(event).error?.issues.map((i) => i.message) ?? [];
    expect(
      issues({ ...run, step: 'probe-scratch-service', namespace: 'ns', probe: { ...probe, service: 'Api' } }),
    ).toEqual(['not a DNS-1035 label']);
    expect(
      issues({
        ...run,
        step: 'probe-scratch-service',
        namespace: 'ns',
        probe: { ...probe, path: 'healthz' },
      })[0],
    ).toMatch(/probe path/);
    expect(issues({ ...run, step: 'delete-scratch-namespace', namespace: 'NS' })).toEqual([
      'not a DNS-1123 label',
    ]);
  });
});
