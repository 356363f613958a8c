import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DatadogIntegration } from '../../infra/constructs/platform/datadog-integration.js';
import { mergeValues } from '../../infra/constructs/platform/disruption.js';
import { clusterManifests, flatten, type K8sObject } from '../support/k8s-manifests.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string[] }>;

/**
 * Issue 19, "partial: finish them", asserted per stage on the synthesised platform templates.
 * Every expectation below is written by hand from config/stages/*.ts and from the charts' own
 * values files at the pinned versions (sources in infra/constructs/platform/disruption.ts), not
 * read back from the code that produces the templates.
 */
const STAGES = ['dev', 'stage', 'prod', 'prod-euc1'] as const;
type StageName = (typeof STAGES)[number];

// Hand-written: production runs three Kyverno admission controllers, other tiers one.
const KYVERNO_ADMISSION_REPLICAS: Record<StageName, number> = { dev: 1, stage: 1, prod: 3, 'prod-euc1': 3 };
// Hand-written: where each stage's account and region put its parameters (`${AWS::Partition}` as
// the template's Fn::Join renders through flatten()).
const PARTITION = '$' + '{AWS::Partition}';
const PARAMETER_ARN: Record<StageName, string> = {
  dev: `arn:${PARTITION}:ssm:eu-west-1:111111111111:parameter/app/dev/api`,
  stage: `arn:${PARTITION}:ssm:eu-west-1:222222222222:parameter/app/stage/api`,
  prod: `arn:${PARTITION}:ssm:eu-west-1:333333333333:parameter/app/prod/api`,
  'prod-euc1': `arn:${PARTITION}:ssm:eu-central-1:333333333333:parameter/app/prod-euc1/api`,
};

/**
 * What each chart must be given for its PodDisruptionBudget: the value path and value, read from
 * the chart's values.yaml and PDB template at the pinned version (see disruption.ts for commits).
 */
const PDB_VALUES: Record<string, [string, unknown][]> = {
  'aws-load-balancer-controller': [['podDisruptionBudget.maxUnavailable', 1]],
  'ingress-nginx': [['controller.maxUnavailable', 1]],
  'cluster-autoscaler': [['podDisruptionBudget.maxUnavailable', 1]],
  'cert-manager': [
    ['podDisruptionBudget.enabled', true],
    ['podDisruptionBudget.maxUnavailable', 1],
    ['webhook.podDisruptionBudget.enabled', true],
    ['cainjector.podDisruptionBudget.enabled', true],
  ],
  'trust-manager': [['podDisruptionBudget.enabled', true]],
  'linkerd-control-plane': [
    ['enablePodDisruptionBudget', true],
    ['controller.podDisruptionBudget.maxUnavailable', 1],
  ],
  datadog: [['clusterAgent.createPodDisruptionBudget', true]],
  kyverno: [
    ['admissionController.podDisruptionBudget.enabled', true],
    ['admissionController.podDisruptionBudget.maxUnavailable', 1],
    ['backgroundController.podDisruptionBudget.enabled', true],
    ['cleanupController.podDisruptionBudget.enabled', true],
    ['reportsController.podDisruptionBudget.enabled', true],
  ],
};

const at = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], obj);

function chartValues(t: Template, chart: string): Json {
  const hit = Object.values(t.findResources('Custom::AWSCDK-EKS-HelmChart') as Resources).find(
    (r) => r.Properties?.Chart === chart,
  );
  if (!hit) throw new Error(`no Helm chart ${chart}`);
  // Values with tokens are an Fn::Join; tokens sit inside JSON strings, so the joined text parses.
  return JSON.parse(flatten(hit.Properties?.Values)) as Json;
}

describe.each(STAGES)('platform resilience (%s): PDBs, surge, zone spread, parameters', (stageName) => {
  const { platformTemplate: t } = synthPlatform(stageName);

  it('gives every add-on that runs more than one replica a PodDisruptionBudget through its chart values', () => {
    for (const [chart, expected] of Object.entries(PDB_VALUES)) {
      const values = chartValues(t, chart);
      for (const [path, value] of expected) expect(at(values, path), `${chart} ${path}`).toBe(value);
    }
    // The values the add-ons had before stay: the PDB keys are merged in, not swapped in.
    expect(at(chartValues(t, 'ingress-nginx'), 'controller.ingressClassResource.name')).toBe('nginx');
    expect(at(chartValues(t, 'cert-manager'), 'crds.enabled')).toBe(true);
  });

  it('updates node groups one node at a time, launching the replacement first (surge)', () => {
    const groups = Object.values(t.findResources('AWS::EKS::Nodegroup') as Resources);
    expect(groups).toHaveLength(3);
    for (const g of groups)
      expect(g.Properties?.UpdateConfig).toEqual({ MaxUnavailable: 1, UpdateStrategy: 'DEFAULT' });
  });

  it('installs Kyverno pinned, highly available in production', () => {
    const chart = Object.values(t.findResources('Custom::AWSCDK-EKS-HelmChart') as Resources).find(
      (r) => r.Properties?.Chart === 'kyverno',
    );
    expect(chart?.Properties).toMatchObject({
      Repository: 'https://kyverno.github.io/kyverno/',
      Version: '3.9.0',
      Namespace: 'kyverno',
      Wait: true,
    });
    expect(at(chartValues(t, 'kyverno'), 'admissionController.replicas')).toBe(
      KYVERNO_ADMISSION_REPLICAS[stageName],
    );
  });

  it('enforces a DoNotSchedule zone spread on StatefulSets outside the add-ons’ namespaces', () => {
    const policies = clusterManifests(t).filter((m) => m.kind === 'ClusterPolicy');
    expect(policies).toHaveLength(1);
    const policy = policies[0] as K8sObject;
    expect(policy.apiVersion).toBe('kyverno.io/v1');
    const rules = (policy.spec as { rules: Json[] }).rules;
    const [mutate, validate] = rules as [Json, Json];
    // Both rules: StatefulSets, on create and update only (a DELETE is never refused).
    for (const r of rules) {
      expect(r.match).toEqual({
        any: [{ resources: { kinds: ['StatefulSet'], operations: ['CREATE', 'UPDATE'] } }],
      });
    }
    const spread = at(mutate, 'mutate.patchStrategicMerge.spec.template.spec.+(topologySpreadConstraints)');
    expect(spread).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: '{{ request.object.spec.selector.matchLabels }}' },
      },
    ]);
    expect(at(validate, 'validate.failureAction')).toBe('Enforce');
    const excluded = at(validate, 'exclude.any.0.resources.namespaces') as string[];
    expect(at(mutate, 'exclude.any.0.resources.namespaces')).toEqual(excluded);
    // The add-ons' namespaces (config/stages/shared.ts) and kube-system are left alone …
    expect(excluded).toEqual(
      expect.arrayContaining([
        'kube-system',
        'kyverno',
        'cert-manager',
        'ingress-nginx',
        'linkerd',
        'velero',
        'datadog',
        'monitoring',
        'external-dns',
        'flux-system',
        'brupop-bottlerocket-aws',
      ]),
    );
    // … and the teams' and data namespaces are not (config: teams, volumes.pvcNamespaces).
    for (const ns of ['app', 'data', 'payments', 'checkout', 'checkout-jobs'])
      expect(excluded, ns).not.toContain(ns);
  });

  it('applies the policy only once Kyverno (and its CRDs) are installed', () => {
    const resources = t.toJSON().Resources as Resources;
    const [policyId] = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'Custom::AWSCDK-EKS-KubernetesResource' &&
        flatten(r.Properties?.Manifest).includes('"kind":"ClusterPolicy"'),
    ) ?? [''];
    const [kyvernoId] = Object.entries(resources).find(
      ([, r]) => r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties?.Chart === 'kyverno',
    ) ?? [''];
    expect(resources[policyId]?.DependsOn).toContain(kyvernoId);
  });

  it('lets the api workload read /app/<stage>/api/* only, decrypting with the data key through SSM only', () => {
    const base = PARAMETER_ARN[stageName];
    const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy') as Resources).filter(
      (p) => p.Properties?.ManagedPolicyName === `${stageName}-app-api-parameters-read`,
    );
    expect(policies).toHaveLength(1);
    const statements = at(policies[0]?.Properties, 'PolicyDocument.Statement') as Json[];
    const resources = statements.map((s) => [s.Action, [s.Resource].flat().map(flatten)]);
    expect(resources).toEqual([
      [['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters'], [`${base}/*`]],
      ['ssm:GetParametersByPath', [base, `${base}/*`]],
      ['kms:Decrypt', [expect.stringMatching(/^\$\{KeysData[0-9A-F]+\.Arn\}$/)]],
    ]);
    const region = stageName === 'prod-euc1' ? 'eu-central-1' : 'eu-west-1';
    const conditions = (statements[2] as Json).Condition as Json;
    expect(conditions.StringEquals).toEqual({ 'kms:ViaService': `ssm.${region}.amazonaws.com` });
    expect(flatten(at(conditions, 'StringLike.kms:EncryptionContext:PARAMETER_ARN'))).toBe(`${base}/*`);
  });

  it('gives the api service account (app/api) its own IRSA role with that policy', () => {
    const roles = Object.values(t.findResources('AWS::IAM::Role') as Resources).filter(
      (r) => r.Properties?.RoleName === `${stageName}-app-api`,
    );
    expect(roles).toHaveLength(1);
    const statement = at(roles[0]?.Properties, 'AssumeRolePolicyDocument.Statement.0') as Json;
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    // The conditions name the OIDC issuer (a token), so CDK renders them through a CfnJson resource.
    const [conditionsId] = at(statement, 'Condition.StringEquals.Fn::GetAtt') as [string];
    const conditions = JSON.stringify(t.toJSON().Resources[conditionsId].Properties.Value);
    expect(conditions).toMatch(/:sub\\":\\"system:serviceaccount:app:api\\"/);
    expect(conditions).toMatch(/:aud\\":\\"sts\.amazonaws\.com\\"/);
    expect(roles[0]?.Properties?.ManagedPolicyArns).toHaveLength(1);
  });

  it('does not register the Datadog integration as code until the registry type is activated', () => {
    expect(Object.keys(t.findResources('Datadog::Integrations::AWS'))).toHaveLength(0);
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `${stageName}-datadog-integration`,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Condition: { StringEquals: { 'sts:ExternalId': `${stageName}-datadog-external-id` } },
            Principal: {
              AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::464622532012:root']] },
            },
          },
        ],
      },
    });
  });
});

describe('Datadog AWS integration as code (registerIntegration on)', () => {
  // Prepare: the construct in a stack of its own with registration on.
  const app = new App();
  const stack = new Stack(app, 'Probe', { env: { account: '111111111111', region: 'eu-west-1' } });
  new DatadogIntegration(stack, 'Datadog', {
    stageName: 'dev',
    datadogAccountId: '464622532012',
    externalId: 'unused-when-registered',
    register: { hostTags: ['stage:dev'] },
  });
  const t = Template.fromStack(stack);
  const resources = t.toJSON().Resources as Resources;

  it('declares Datadog::Integrations::AWS with only properties of its published schema (2.4.0)', () => {
    const [registration] = Object.values(t.findResources('Datadog::Integrations::AWS') as Resources);
    // Property names from DataDog/datadog-cloudformation-resources datadog-integrations-aws.json.
    expect(registration?.Properties).toEqual({
      AccountID: '111111111111',
      RoleName: 'dev-datadog-integration',
      HostTags: ['stage:dev'],
      ExternalIDSecretName: 'ops/dev/datadog/aws-integration-external-id',
      MetricsCollection: true,
      ResourceCollection: false,
      CSPMResourceCollection: false,
    });
    // The API and app keys belong in the type configuration, never in a template.
    expect(JSON.stringify(resources)).not.toMatch(/DatadogCredentials|ApiKey|ApplicationKey/);
  });

  it('trusts the external id Datadog issued (stored by the type in Secrets Manager), after registering', () => {
    const [roleId, role] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role') ?? [];
    expect(roleId).toBeDefined();
    expect(JSON.stringify(role?.Properties?.AssumeRolePolicyDocument)).toContain(
      '{{resolve:secretsmanager:ops/dev/datadog/aws-integration-external-id:SecretString:external_id}}',
    );
    const [registrationId] = Object.entries(resources).find(
      ([, r]) => r.Type === 'Datadog::Integrations::AWS',
    ) ?? [''];
    expect(role?.DependsOn).toContain(registrationId);
  });
});

describe('chart values merge (mergeValues)', () => {
  it('merges objects key by key and replaces arrays and scalars, leaving its inputs alone', () => {
    const base = { a: { b: 1, list: [1, 2] }, keep: 'x' };
    const extra = { a: { c: 2, list: [3] }, keep: 'y' };
    expect(mergeValues(base, extra)).toEqual({ a: { b: 1, c: 2, list: [3] }, keep: 'y' });
    expect(base).toEqual({ a: { b: 1, list: [1, 2] }, keep: 'x' });
  });
});
