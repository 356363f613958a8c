import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadStage, parseStage, STAGE_INPUTS } from '../../config/index.js';
import { FEATURE_FLAGS } from '../../infra/feature-flags.js';
import { PlatformStack } from '../../infra/stacks/platform-stack.js';
import {
  findResource,
  type PolicyDocument,
  type Template as PolicyTemplate,
  resolveCfn,
  rolePolicies,
} from '../support/iam-policies.js';
import { type RoleTable, tableFailures } from '../support/iam-simulation.js';
import { clusterManifests, flatten, type K8sObject, validateK8s } from '../support/k8s-manifests.js';
import { synthPlatform } from '../support/synth.js';

/**
 * Issue 19, platform-a: External Secrets, Let's Encrypt issuers, the internal ingress NLB and ACM TLS
 * on both NLBs, the optional OpenSearch domain and RabbitMQ. Every expectation is written here by hand
 * from the issue and config/stages/*.ts, per stage, and checked against the synthesised templates
 * (synthPlatform runs cdk-nag AwsSolutions and PlatformChecks: an unacknowledged finding fails synth).
 */
type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string[] }>;

const STAGES = ['dev', 'stage', 'prod'] as const;
type StageName = (typeof STAGES)[number];
const ACCOUNTS: Record<StageName, string> = {
  dev: '111111111111',
  stage: '222222222222',
  prod: '333333333333',
};
const PUBLIC_ZONES: Record<StageName, string> = {
  dev: 'dev.example.com',
  stage: 'stage.example.com',
  prod: 'example.com',
};
const PRIVATE_ZONES: Record<StageName, string> = {
  dev: 'dev.internal.example.com',
  stage: 'stage.internal.example.com',
  prod: 'internal.example.com',
};
const REGION = 'eu-west-1';
const GITHUB_KNOWN_HOST =
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function resources(t: Template, type: string): Resources {
  return t.findResources(type) as Resources;
}
function chart(t: Template, name: string): Json | undefined {
  return Object.values(resources(t, 'Custom::AWSCDK-EKS-HelmChart'))
    .map((r) => r.Properties ?? {})
    .find((p) => p.Chart === name);
}
function values(c: Json | undefined): Json {
  return JSON.parse(flatten(c?.Values)) as Json;
}
function manifests(t: Template, kind: string): K8sObject[] {
  return clusterManifests(t).filter((m) => m.kind === kind);
}
/** The logical id of the single resource of `type` whose properties contain `text`. */
function idOf(t: Template, type: string, text: string): string {
  const found = Object.entries(resources(t, type)).filter(([, r]) => JSON.stringify(r).includes(text));
  if (found.length !== 1) throw new Error(`expected one ${type} with ${text}, found ${found.length}`);
  return (found[0] as [string, unknown])[0];
}

describe.each(STAGES)('External Secrets Operator (%s)', (stageName) => {
  const { platformTemplate: t } = synthPlatform(stageName);

  it('installs external-secrets 2.0.0 with CRDs and an IRSA service account', () => {
    const c = chart(t, 'external-secrets');
    expect(c).toMatchObject({
      Repository: 'https://charts.external-secrets.io',
      Version: '2.0.0',
      Namespace: 'external-secrets',
    });
    const v = values(c) as { installCRDs: boolean; serviceAccount: { name: string; annotations: Json } };
    expect(v.installCRDs).toBe(true);
    expect(v.serviceAccount.name).toBe('external-secrets');
    expect(Object.keys(v.serviceAccount.annotations)).toEqual(['eks.amazonaws.com/role-arn']);
    // The IRSA trust condition (a CfnJson: the OIDC issuer is a token) names exactly this service account.
    const raw = t.toJSON().Resources as Resources;
    const trusting = Object.values(raw).filter((r) =>
      JSON.stringify(r.Properties ?? {}).includes('system:serviceaccount:external-secrets:external-secrets'),
    );
    expect(trusting.map((r) => r.Type)).toEqual(['Custom::AWSCDKCfnJson']);
  });

  it('has one ClusterSecretStore for Secrets Manager, usable only from datadog and flux-system', () => {
    const [store, ...more] = manifests(t, 'ClusterSecretStore');
    expect(more).toEqual([]);
    expect(store?.apiVersion).toBe('external-secrets.io/v1');
    expect(store?.spec).toEqual({
      conditions: [{ namespaces: ['datadog', 'flux-system'] }],
      provider: { aws: { service: 'SecretsManager', region: REGION } },
    });
  });

  it('replaces the by-hand secrets: Datadog API key, Flux receiver token and deploy key', () => {
    const byName = new Map(
      manifests(t, 'ExternalSecret').map((m) => [`${m.metadata.namespace}/${m.metadata.name}`, m]),
    );
    expect([...byName.keys()].sort()).toEqual([
      'datadog/datadog-secret',
      'flux-system/flux-system',
      'flux-system/receiver-token',
    ]);
    const store = { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' };
    expect(byName.get('datadog/datadog-secret')?.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: store,
      target: { name: 'datadog-secret', creationPolicy: 'Owner' },
      data: [{ secretKey: 'api-key', remoteRef: { key: `ops/${stageName}/datadog/api-key` } }],
    });
    expect(byName.get('flux-system/receiver-token')?.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: store,
      target: { name: 'receiver-token', creationPolicy: 'Owner' },
      data: [{ secretKey: 'token', remoteRef: { key: `ops/${stageName}/gitops/receiver-token` } }],
    });
    // Flux's SSH secret: `identity` (the private key) and `known_hosts` (GitHub's published host key).
    expect(byName.get('flux-system/flux-system')?.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: store,
      target: {
        name: 'flux-system',
        creationPolicy: 'Owner',
        template: {
          engineVersion: 'v2',
          data: { identity: '{{ .identity }}', known_hosts: GITHUB_KNOWN_HOST },
        },
      },
      data: [{ secretKey: 'identity', remoteRef: { key: `ops/${stageName}/gitops/deploy-key` } }],
    });
  });

  it('applies each ExternalSecret after the store and the chart that creates its namespace', () => {
    const raw = t.toJSON().Resources as Resources;
    const store = idOf(
      t,
      'Custom::AWSCDK-EKS-KubernetesResource',
      '\\"kind\\":\\"ClusterSecretStore\\",\\"metadata',
    );
    const datadog = idOf(t, 'Custom::AWSCDK-EKS-HelmChart', '"Chart":"datadog"');
    const flux = idOf(t, 'Custom::AWSCDK-EKS-HelmChart', '"Chart":"flux2"');
    const eso = idOf(t, 'Custom::AWSCDK-EKS-HelmChart', '"Chart":"external-secrets"');
    expect(raw[store]?.DependsOn).toContain(eso);
    expect(
      raw[
        idOf(
          t,
          'Custom::AWSCDK-EKS-KubernetesResource',
          '\\"kind\\":\\"ExternalSecret\\",\\"metadata\\":{\\"name\\":\\"datadog-secret',
        )
      ]?.DependsOn,
    ).toEqual(expect.arrayContaining([store, datadog]));
    expect(
      raw[
        idOf(
          t,
          'Custom::AWSCDK-EKS-KubernetesResource',
          '\\"kind\\":\\"ExternalSecret\\",\\"metadata\\":{\\"name\\":\\"receiver-token',
        )
      ]?.DependsOn,
    ).toEqual(expect.arrayContaining([store, flux]));
  });
});

describe('External Secrets IRSA role (dev), by IAM simulation', () => {
  const { platformTemplate } = synthPlatform('dev');
  const t = platformTemplate.toJSON() as PolicyTemplate;
  const env = { account: ACCOUNTS.dev, region: REGION };
  const roleId = findResource(t, 'AWS::IAM::Role', {
    Description: 'External Secrets Operator: reads the platform secrets it syncs into the cluster',
  });
  const dataKeyId = findResource(t, 'AWS::KMS::Key', {
    Description: 'dev: platform data at rest (S3, RDS, secrets, EBS, Velero)',
  });
  const dataKeyArn = String(resolveCfn({ 'Fn::GetAtt': [dataKeyId, 'Arn'] }, t, env));
  const keyPolicy = resolveCfn(t.Resources[dataKeyId]?.Properties?.KeyPolicy, t, env) as PolicyDocument;
  const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNTS.dev}:secret:${name}`;
  const viaSm = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
  const table: RoleTable = {
    allow: [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/datadog/api-key-AbC123'),
        why: 'Datadog API key',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/gitops/receiver-token-Xy9Z01'),
        why: 'receiver token',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/gitops/deploy-key-Qw3rTy'),
        why: 'deploy key',
      },
      {
        action: 'secretsmanager:DescribeSecret',
        resource: secret('ops/dev/datadog/api-key-AbC123'),
        why: 'ESO describes before reading',
      },
      {
        action: 'kms:Decrypt',
        resource: dataKeyArn,
        context: viaSm,
        resourcePolicy: keyPolicy,
        why: 'secrets encrypted with the data key, through Secrets Manager',
      },
    ],
    deny: [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/datadog/app-key-AbC123'),
        why: 'the app key is not synced',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/slack/bot-token-AbC123'),
        why: 'Slack secrets are not synced',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('dev/rds/master-AbC123'),
        why: 'the database master secret',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/stage/datadog/api-key-AbC123'),
        why: "another stage's key",
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: secret('ops/dev/datadog/api-key-extra-AbC123'),
        why: 'a longer name with the same start',
      },
      {
        action: 'secretsmanager:PutSecretValue',
        resource: secret('ops/dev/datadog/api-key-AbC123'),
        why: 'never writes',
      },
      {
        action: 'kms:Decrypt',
        resource: dataKeyArn,
        resourcePolicy: keyPolicy,
        why: 'direct decrypt, not through Secrets Manager',
      },
      {
        action: 'kms:Decrypt',
        resource: dataKeyArn,
        context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
        resourcePolicy: keyPolicy,
        why: 'through another service',
      },
    ],
  };

  it('reads exactly the synced secrets and decrypts only through Secrets Manager', async () => {
    const policies = rolePolicies(t, roleId, env);
    const principal = `arn:aws:iam::${ACCOUNTS.dev}:role/external-secrets`;
    expect(await tableFailures(policies, principal, ACCOUNTS.dev, table)).toEqual([]);
  });
});

describe.each(STAGES)("cert-manager Let's Encrypt ClusterIssuers (%s)", (stageName) => {
  const { platformTemplate: t } = synthPlatform(stageName);
  const issuers = manifests(t, 'ClusterIssuer').filter((m) => m.metadata.name.startsWith('letsencrypt-'));
  // CDK's prune label aside, the objects as written.
  const asWritten = issuers.map((m) => ({ ...m, metadata: { name: m.metadata.name } }));

  it('has staging and production issuers solving DNS-01 in the public zone through Route 53', () => {
    const zoneId = idOf(t, 'AWS::Route53::HostedZone', `"Name":"${PUBLIC_ZONES[stageName]}."`);
    const expected = (name: string, server: string) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name },
      spec: {
        acme: {
          server,
          privateKeySecretRef: { name: `${name}-account-key` },
          solvers: [
            {
              selector: { dnsZones: [PUBLIC_ZONES[stageName]] },
              dns01: { route53: { region: REGION, hostedZoneID: `\${${zoneId}}` } },
            },
          ],
        },
      },
    });
    expect(asWritten).toEqual([
      expected('letsencrypt-staging', 'https://acme-staging-v02.api.letsencrypt.org/directory'),
      expected('letsencrypt-production', 'https://acme-v02.api.letsencrypt.org/directory'),
    ]);
  });

  it("validates against cert-manager's ClusterIssuer schema", () => {
    for (const i of issuers) new ClusterIssuer(i as never).validate();
  });
});

describe.each(STAGES)(
  'ingress NLBs (%s): ACM TLS on the public one, a private one for the VPC',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const controller = (values(chart(t, 'ingress-nginx')) as { controller: { service: Json } }).controller;
    const service = controller.service as {
      annotations: Record<string, string>;
      targetPorts: Json;
      internal: { enabled: boolean; loadBalancerClass: string; annotations: Record<string, string> };
    };
    const certificate = `\${${idOf(t, 'AWS::CertificateManager::Certificate', PUBLIC_ZONES[stageName])}}`;
    const tls = {
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': certificate,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy':
        'ELBSecurityPolicy-TLS13-1-2-2021-06',
    };

    it('terminates TLS at the public NLB with the ACM certificate and a TLS 1.2+ policy', () => {
      expect(service.annotations).toMatchObject({
        ...tls,
        'service.beta.kubernetes.io/aws-load-balancer-name': `ingress-${stageName}`,
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      });
      // Decrypted at the NLB: both listeners reach nginx's plain-HTTP port.
      expect(service.targetPorts).toEqual({ http: 'http', https: 'http' });
    });

    it('adds an internal NLB (private subnets) with the same TLS, published in the private zone', () => {
      expect(service.internal.enabled).toBe(true);
      expect(service.internal.loadBalancerClass).toBe('service.k8s.aws/nlb');
      expect(service.internal.annotations).toMatchObject({
        ...tls,
        'service.beta.kubernetes.io/aws-load-balancer-name': `private-ingress-${stageName}`,
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
        'external-dns.alpha.kubernetes.io/hostname': `ingress.${PRIVATE_ZONES[stageName]}`,
      });
    });

    it('publishes the private host name for in-VPC callers under /platform/<stage>/ingress/internal-host', () => {
      const param = Object.values(resources(t, 'AWS::SSM::Parameter'))
        .map((r) => r.Properties ?? {})
        .find((p) => p.Name === `/platform/${stageName}/ingress/internal-host`);
      expect(param?.Value).toBe(`ingress.${PRIVATE_ZONES[stageName]}`);
    });

    it('names the internal NLB outside the ingress prefix, so ingress-replaced never points public DNS at it', () => {
      const prefix = loadStage(stageName).automation.ingressLoadBalancerPrefix;
      expect(prefix).toBe('ingress');
      const name = service.internal.annotations[
        'service.beta.kubernetes.io/aws-load-balancer-name'
      ] as string;
      expect(name.startsWith(prefix)).toBe(false);
      expect(name.length).toBeLessThanOrEqual(32);
    });
  },
);

/** Per stage, by hand from config/stages/*.ts: undefined = no domain. */
const SEARCH: Record<
  StageName,
  { dataNodes: number; type: string; masters?: number; azs: number; gib: number } | undefined
> = {
  dev: undefined,
  stage: { dataNodes: 1, type: 'm7g.large.search', azs: 1, gib: 50 },
  prod: { dataNodes: 3, type: 'r7g.large.search', masters: 3, azs: 3, gib: 100 },
};

describe.each(STAGES)('Amazon OpenSearch (%s)', (stageName) => {
  const { platformTemplate: t } = synthPlatform(stageName);
  const want = SEARCH[stageName];
  const domains = Object.values(resources(t, 'AWS::OpenSearchService::Domain')).map(
    (r) => r.Properties ?? {},
  );

  if (!want) {
    it('has no domain (off by default)', () => {
      expect(domains).toEqual([]);
      expect(Object.keys(resources(t, 'Custom::OpenSearchAccessPolicy'))).toEqual([]);
    });
    return;
  }
  const [domain] = domains as [Json];

  it('sizes the domain per stage and spreads it over the AZs where configured', () => {
    expect(domains).toHaveLength(1);
    expect(domain.DomainName).toBe(`${stageName}-search`);
    expect(domain.EngineVersion).toBe('OpenSearch_2.19');
    expect(domain.ClusterConfig).toMatchObject({
      InstanceCount: want.dataNodes,
      InstanceType: want.type,
      DedicatedMasterEnabled: want.masters !== undefined,
      ZoneAwarenessEnabled: want.azs === 3,
      ...(want.masters
        ? { DedicatedMasterCount: want.masters, DedicatedMasterType: 'm7g.large.search' }
        : {}),
      ...(want.azs === 3 ? { ZoneAwarenessConfig: { AvailabilityZoneCount: 3 } } : {}),
    });
    expect(domain.EBSOptions).toMatchObject({ EBSEnabled: true, VolumeSize: want.gib, VolumeType: 'gp3' });
    const subnets = (domain.VPCOptions as { SubnetIds: { Ref: string }[] }).SubnetIds.map((s) => s.Ref);
    expect(subnets).toHaveLength(want.azs);
    for (const s of subnets) expect(s).toMatch(/private/i);
  });

  it('encrypts at rest with the data key, node to node, and enforces HTTPS with TLS 1.2+', () => {
    const dataKey = idOf(t, 'AWS::KMS::Key', `${stageName}: platform data at rest`);
    expect(domain.EncryptionAtRestOptions).toEqual({ Enabled: true, KmsKeyId: { Ref: dataKey } });
    expect(domain.NodeToNodeEncryptionOptions).toEqual({ Enabled: true });
    expect(domain.DomainEndpointOptions).toMatchObject({
      EnforceHTTPS: true,
      TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
    });
  });

  it('uses fine-grained access control with the master user from Secrets Manager', () => {
    const opts = domain.AdvancedSecurityOptions as {
      Enabled: boolean;
      InternalUserDatabaseEnabled: boolean;
      MasterUserOptions: Json;
    };
    expect(opts.Enabled).toBe(true);
    expect(opts.InternalUserDatabaseEnabled).toBe(true);
    expect(opts.MasterUserOptions.MasterUserName).toBe('platform-admin');
    const secretId = idOf(t, 'AWS::SecretsManager::Secret', `ops/${stageName}/opensearch/master-user`);
    expect(flatten(opts.MasterUserOptions.MasterUserPassword)).toBe(
      `{{resolve:secretsmanager:\${${secretId}}:SecretString:password::}}`,
    );
    const secret = resources(t, 'AWS::SecretsManager::Secret')[secretId]?.Properties as Json;
    expect(secret.KmsKeyId).toBeDefined();
  });

  it('publishes audit, slow and error logs to KMS-encrypted log groups', () => {
    const pub = domain.LogPublishingOptions as Record<
      string,
      { Enabled: boolean; CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': string[] } }
    >;
    expect(Object.keys(pub).sort()).toEqual([
      'AUDIT_LOGS',
      'ES_APPLICATION_LOGS',
      'INDEX_SLOW_LOGS',
      'SEARCH_SLOW_LOGS',
    ]);
    const groups = resources(t, 'AWS::Logs::LogGroup');
    for (const [kind, p] of Object.entries(pub)) {
      expect(p.Enabled, kind).toBe(true);
      const group = groups[p.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0] as string]?.Properties as Json;
      expect(group.LogGroupName, kind).toMatch(new RegExp(`^/platform/${stageName}/opensearch/`));
      expect(group.KmsKeyId, kind).toBeDefined();
    }
    const [policy] = Object.values(resources(t, 'AWS::Logs::ResourcePolicy')).map((r) => r.Properties ?? {});
    expect(flatten(policy?.PolicyDocument)).toContain('"Service":"es.amazonaws.com"');
  });

  it('publishes its endpoint and master-user secret under /platform/<stage>/opensearch/', () => {
    const names = Object.values(resources(t, 'AWS::SSM::Parameter')).map((r) => r.Properties?.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        `/platform/${stageName}/opensearch/endpoint`,
        `/platform/${stageName}/opensearch/master-user-secret-arn`,
      ]),
    );
  });

  it('admits HTTPS from the cluster security group only, and nothing out', () => {
    const sgIds = (
      domain.VPCOptions as { SecurityGroupIds: { 'Fn::GetAtt': string[] }[] }
    ).SecurityGroupIds.map((s) => s['Fn::GetAtt'][0] as string);
    expect(sgIds).toHaveLength(1);
    const sg = resources(t, 'AWS::EC2::SecurityGroup')[sgIds[0] as string]?.Properties as Json;
    // CDK's "allowAllOutbound: false" marker rule: no real egress.
    expect(sg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    const ingress = Object.values(resources(t, 'AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties ?? {})
      .filter((p) => JSON.stringify(p.GroupId).includes(sgIds[0] as string));
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: expect.objectContaining({
          'Fn::GetAtt': [expect.stringMatching(/Cluster/), 'ClusterSecurityGroupId'],
        }),
      }),
    ]);
    expect(JSON.stringify(sg)).not.toContain('0.0.0.0/0');
  });
});

/** Per stage, by hand from config/stages/*.ts: undefined = not installed. */
const RABBIT: Record<StageName, { replicas: number; storage: string } | undefined> = {
  dev: undefined,
  stage: { replicas: 1, storage: '10Gi' },
  prod: { replicas: 3, storage: '50Gi' },
};

describe.each(STAGES)('RabbitMQ through its Cluster Operator (%s)', (stageName) => {
  const { platformTemplate: t } = synthPlatform(stageName);
  const want = RABBIT[stageName];
  const clusters = manifests(t, 'RabbitmqCluster');

  if (!want) {
    it('is not installed (off by default)', () => {
      expect(chart(t, 'rabbitmq-cluster-operator')).toBeUndefined();
      expect(clusters).toEqual([]);
    });
    return;
  }

  it('installs the operator chart 4.3.3 and one RabbitmqCluster in namespace rabbitmq', () => {
    expect(chart(t, 'rabbitmq-cluster-operator')).toMatchObject({
      Repository: 'https://charts.bitnami.com/bitnami',
      Version: '4.3.3',
      Namespace: 'rabbitmq-system',
      Wait: true,
    });
    expect(clusters.map((c) => `${c.metadata.namespace}/${c.metadata.name}`)).toEqual(['rabbitmq/rabbitmq']);
    const ns = manifests(t, 'Namespace').find((n) => n.metadata.name === 'rabbitmq') as K8sObject;
    validateK8s(ns);
  });

  it('runs the configured replicas on gp3-protected volumes, spread across AZs (DoNotSchedule)', () => {
    const spec = clusters[0]?.spec as {
      replicas: number;
      persistence: Json;
      override: { statefulSet: { spec: { template: { spec: { topologySpreadConstraints: Json[] } } } } };
    };
    expect(spec.replicas).toBe(want.replicas);
    // Not Bitnami's broker image (removed from docker.io/bitnami in 2025): RabbitMQ's official one.
    expect((spec as unknown as Json).image).toBe('rabbitmq:3.13.7-management');
    expect(
      (values(chart(t, 'rabbitmq-cluster-operator')) as { clusterOperator: Json }).clusterOperator,
    ).toEqual({
      image: { registry: 'docker.io', repository: 'rabbitmqoperator/cluster-operator', tag: '2.9.0' },
    });
    expect(spec.persistence).toEqual({ storageClassName: 'gp3-protected', storage: want.storage });
    expect(spec.override.statefulSet.spec.template.spec.topologySpreadConstraints).toContainEqual({
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'rabbitmq' } },
    });
  });

  it("is covered by Velero's schedule and by snapshot-volume's protected and PVC allow-lists", () => {
    const schedules = (
      values(chart(t, 'velero')) as {
        schedules: Record<string, { template: { includedNamespaces: string[] } }>;
      }
    ).schedules;
    const covered = Object.values(schedules).some(
      (s) =>
        s.template.includedNamespaces.includes('*') || s.template.includedNamespaces.includes('rabbitmq'),
    );
    expect(covered).toBe(true);
    // gp3-protected tags every volume with the protected tag snapshot-volume allow-lists (backup=required).
    const sc = manifests(t, 'StorageClass').find((s) => s.metadata.name === 'gp3-protected') as K8sObject & {
      parameters: Record<string, string>;
    };
    expect(Object.values(sc.parameters)).toContain('backup=required');
    const volumes = loadStage(stageName).automation.allowLists.volumes;
    expect(volumes.protectedTag).toEqual({ key: 'backup', value: 'required' });
    expect(volumes.pvcNamespaces).toContain('rabbitmq');
  });
});

describe('RabbitMQ refuses to synth without snapshot-volume covering its namespace', () => {
  it('names the missing pvcNamespaces entry', () => {
    const input = structuredClone(STAGE_INPUTS.stage) as {
      automation: { allowLists: { volumes: { pvcNamespaces: string[] } } };
    };
    input.automation.allowLists.volumes.pvcNamespaces = ['app', 'data'];
    const stage = parseStage(input, 'stage');
    const app = new App({ context: { ...FEATURE_FLAGS } });
    expect(
      () =>
        new PlatformStack(app, 'stage-platform', {
          env: { account: stage.account, region: stage.region },
          stage,
        }),
    ).toThrow(/pvcNamespaces must list rabbitmq/);
  });
});
