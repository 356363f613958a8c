import { describe, expect, it, vi } from 'vitest';
import { synthStage } from '../../support/synth.js';

/**
 * The restore test's readiness probe from the stage config to what is deployed: prod with a probe on
 * its `app` namespace (prod's own config sets none; this test adds one) grants `get` on exactly that
 * `services/proxy` name, passes it to the kube function's allow-list, and the state machine probes it.
 * cdk-nag runs during synth, as for every stage.
 */
vi.mock('../../../config/stages/prod.js', async (importOriginal) => {
  const original = (await importOriginal()) as { prod: Record<string, unknown> };
  const prod = structuredClone(original.prod) as {
    automation: {
      backupVerification: { velero: { restoreTest: { namespaces: Record<string, unknown>[] } } };
    };
  };
  const ns = prod.automation.backupVerification.velero.restoreTest.namespaces;
  ns[0] = { ...ns[0], probe: { service: 'web', port: 8080, path: '/healthz' } };
  return { ...original, prod };
});

describe('verify-backups infra: the configured readiness probe of the Velero restore test', () => {
  const { automationTemplate: t } = synthStage('prod');

  it('RBAC: get on services/proxy with exactly the probed <service>:<port>, nothing else added', () => {
    const manifests = Object.values(t.findResources('Custom::AWSCDK-EKS-KubernetesResource')).flatMap((r) => {
      const m = (r as { Properties: { Manifest: unknown } }).Properties.Manifest;
      return typeof m === 'string' ? (JSON.parse(m) as { kind: string; rules?: unknown[] }[]) : [];
    });
    expect(manifests.find((m) => m.kind === 'ClusterRole')?.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['namespaces'],
        resourceNames: ['restore-check-app', 'restore-check-data'],
        verbs: ['get', 'delete'],
      },
      { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['list'] },
      { apiGroups: [''], resources: ['services/proxy'], resourceNames: ['web:8080'], verbs: ['get'] },
    ]);
  });

  it('the kube function may probe only that Service in that scratch namespace', () => {
    const fns = Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'ops-prod-kube' } }),
    ) as { Properties: { Environment: { Variables: { KUBE_SETTINGS: string } } } }[];
    expect(fns).toHaveLength(1);
    const settings = JSON.parse(fns[0]?.Properties.Environment.Variables.KUBE_SETTINGS ?? '{}') as {
      scratchProbes?: string[];
    };
    expect(settings.scratchProbes).toEqual(['restore-check-app/web:8080']);
  });

  it('the state machine probes the restored Service after readiness, with the configured defaults', () => {
    const [sm] = Object.values(
      t.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineName: 'ops-prod-verify-backups' },
      }),
    ) as { Properties: { DefinitionString: unknown } }[];
    const definition = JSON.stringify(sm?.Properties.DefinitionString);
    expect(definition).toContain('Probe restored service');
    expect(definition).toContain('probe-scratch-service');
    // The per-namespace settings the Map iterates carry the probe with its defaults filled in.
    expect(definition).toMatch(
      /\\"probe\\":\{\\"service\\":\\"web\\",\\"port\\":8080,\\"path\\":\\"\/healthz\\",\\"expectStatus\\":200,\\"timeoutSeconds\\":5\}/,
    );
  });
});
