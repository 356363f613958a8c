import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadStage } from '../../config/index.js';
import { clusterManifests, type K8sObject, validateK8s } from '../support/k8s-manifests.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;

const GITOPS = path.resolve(__dirname, '../../gitops');
const STAGES = ['dev', 'stage', 'prod'] as const;
// Flux's post-build variable names (kustomize-controller docs, "Post build variable substitution").
const FLUX_VARIABLE = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const SEMVER = /^\d+\.\d+\.\d+$/;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

function documents(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    return d.toJS() as K8sObject;
  });
}

function props(t: Template, type: string): Json[] {
  return Object.values(t.findResources(type) as Record<string, { Properties?: Json }>).map(
    (r) => r.Properties ?? {},
  );
}

describe('gitops/ starter repository', () => {
  const files = yamlFiles(GITOPS);

  it('has one folder per cluster, shared infrastructure and apps', () => {
    for (const stage of STAGES) expect(existsSync(path.join(GITOPS, 'clusters', stage))).toBe(true);
    expect(existsSync(path.join(GITOPS, 'infrastructure'))).toBe(true);
    expect(existsSync(path.join(GITOPS, 'apps'))).toBe(true);
    expect(existsSync(path.join(GITOPS, 'README.md'))).toBe(true);
  });

  it('parses every YAML document and validates it against the Kubernetes and Flux schemas', () => {
    let validated = 0;
    for (const file of files) {
      for (const doc of documents(file)) {
        if (doc.apiVersion === 'kustomize.config.k8s.io/v1beta1') {
          // kustomize's own file: every resource it lists must exist beside it.
          expect(doc.kind, file).toBe('Kustomization');
          for (const r of doc.resources as string[])
            expect(existsSync(path.join(path.dirname(file), r)), `${file}: ${r}`).toBe(true);
          continue;
        }
        validateK8s(doc);
        validated++;
      }
    }
    expect(validated).toBeGreaterThanOrEqual(11);
  });

  it.each(STAGES)(
    'clusters/%s: Kustomizations reconcile from Git, prune drift and substitute the platform outputs',
    (stage) => {
      const docs = yamlFiles(path.join(GITOPS, 'clusters', stage)).flatMap(documents);
      const kustomizations = docs.filter((d) => d.kind === 'Kustomization');
      expect(kustomizations.map((k) => k.metadata.name).sort()).toEqual([
        'apps',
        'infrastructure-controllers',
      ]);
      for (const k of kustomizations) {
        const spec = k.spec as Json;
        expect(spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'flux-system' });
        expect(spec.prune).toBe(true);
        expect(spec.interval).toMatch(/^\d+[smh]$/);
        expect((spec.postBuild as Json).substituteFrom).toEqual([
          { kind: 'ConfigMap', name: 'platform-outputs' },
        ]);
        expect(existsSync(path.join(GITOPS, spec.path as string)), spec.path as string).toBe(true);
      }
    },
  );

  it('pins every HelmRelease chart to an exact version', () => {
    const releases = files.flatMap(documents).filter((d) => d.kind === 'HelmRelease');
    expect(releases.length).toBeGreaterThanOrEqual(2);
    for (const r of releases) {
      const chart = ((r.spec as Json).chart as { spec: { version: string } }).spec;
      expect(chart.version, r.metadata.name).toMatch(SEMVER);
    }
  });

  it("uses only variables the platform's ConfigMap or the cluster's Kustomization defines", () => {
    const { platformTemplate } = synthPlatform('dev');
    const outputs = clusterManifests(platformTemplate).find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === 'platform-outputs',
    );
    const defined = new Set(Object.keys((outputs?.data as Json) ?? {}));
    for (const stage of STAGES) {
      const local = yamlFiles(path.join(GITOPS, 'clusters', stage))
        .flatMap(documents)
        .flatMap((k) => Object.keys(((k.spec as Json).postBuild as { substitute?: Json }).substitute ?? {}));
      for (const file of [
        ...yamlFiles(path.join(GITOPS, 'apps')),
        ...yamlFiles(path.join(GITOPS, 'infrastructure')),
      ]) {
        for (const [, name] of readFileSync(file, 'utf8').matchAll(/\$\{([^}:=]+)[^}]*\}/g)) {
          expect(
            defined.has(name as string) || local.includes(name as string),
            `${file}: \${${name}} in ${stage}`,
          ).toBe(true);
        }
      }
    }
  });
});

describe.each(STAGES)(
  'platform Flux (%s): pinned chart, bootstrap from config, CI notifies only',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const config = loadStage(stageName);
    const gitops = config.platform.gitops;
    // ExternalSecrets building Flux's secrets live there too: test/infra/platform-data-services.test.ts checks them.
    const manifests = clusterManifests(t).filter(
      (m) => m.metadata.namespace === 'flux-system' && m.kind !== 'ExternalSecret',
    );
    const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

    it('installs the flux2 chart at an exact version, without image automation', () => {
      const flux = props(t, 'Custom::AWSCDK-EKS-HelmChart').find((c) => c.Chart === 'flux2');
      expect(flux?.Version).toMatch(SEMVER);
      expect(flux?.Repository).toBe('https://fluxcd-community.github.io/helm-charts');
      expect(flux?.Namespace).toBe('flux-system');
      const values = JSON.parse(flux?.Values as string) as Json;
      expect(values).toMatchObject({
        imageAutomationController: { create: false },
        imageReflectionController: { create: false },
      });
    });

    it('emits bootstrap manifests that validate against the Kubernetes and Flux schemas', () => {
      expect(manifests.map((m) => m.kind).sort()).toEqual([
        'ConfigMap',
        'GitRepository',
        'Ingress',
        'Kustomization',
        'Receiver',
      ]);
      for (const m of manifests) validateK8s(m);
    });

    it("syncs this stage's folder of the configured repository with the deploy key, pruning drift", () => {
      const [repo] = byKind('GitRepository');
      expect(repo?.spec).toMatchObject({ url: gitops?.repositoryUrl, secretRef: { name: 'flux-system' } });
      const [k] = byKind('Kustomization');
      expect(k?.spec).toMatchObject({ path: `./clusters/${stageName}`, prune: true, interval: '10m' });
      expect(existsSync(path.join(GITOPS, 'clusters', stageName))).toBe(true);
    });

    it('publishes infra outputs as Flux variables', () => {
      const [cm] = byKind('ConfigMap');
      const data = cm?.data as Record<string, string>;
      for (const k of Object.keys(data)) expect(k).toMatch(FLUX_VARIABLE);
      expect(data.stage).toBe(stageName);
      expect(data.vpc_cidr).toBe(config.platform.vpc.cidr);
      expect(data.ecr_registry).toBe(`${config.account}.dkr.ecr.${config.region}.amazonaws.com`);
      for (const k of [
        'cluster_endpoint',
        'vpc_id',
        'public_zone_name',
        'velero_role_arn',
        'certificate_arn',
      ]) {
        expect(data[k], k).toMatch(/\S/);
      }
    });

    it('lets CI only notify: an HMAC-checked Receiver for the Git source, reachable on /hook/ only', () => {
      const [receiver] = byKind('Receiver');
      expect(receiver?.spec).toEqual({
        type: 'generic-hmac',
        secretRef: { name: 'receiver-token' },
        resources: [
          { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'flux-system' },
        ],
      });
      const ingress = byKind('Ingress')[0] as K8sObject;
      const rules = (ingress.spec as { rules: { host: string; http: { paths: Json[] } }[] }).rules;
      expect(rules.map((r) => r.host)).toEqual([gitops?.receiverHost]);
      expect(rules[0]?.http.paths).toEqual([
        {
          path: '/hook/',
          pathType: 'Prefix',
          backend: { service: { name: 'webhook-receiver', port: { number: 80 } } },
        },
      ]);
      const token = props(t, 'AWS::SecretsManager::Secret').find(
        (s) => s.Name === `ops/${stageName}/gitops/receiver-token`,
      );
      expect(token?.KmsKeyId).toBeDefined();
      expect(token?.GenerateSecretString).toMatchObject({ PasswordLength: 48 });
    });
  },
);
