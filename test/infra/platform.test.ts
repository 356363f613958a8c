import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { CLUSTER_AUTOSCALER_RULE, matchesPattern } from '../../events/index.js';
import { EVENT_EXPORTER_ROUTE } from '../../infra/constructs/platform/addons.js';
import { wildcardMutations } from '../support/iam.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json }>;

// Platform stacks alone (same construction and checks as the app): the automation stack is tested on its own.
const dev = synthPlatform('dev');
const prod = synthPlatform('prod');
const devConfig = loadStage('dev');
const prodConfig = loadStage('prod');

function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function props(template: Template, type: string): Json[] {
  return Object.values(resources(template, type)).map((r) => r.Properties ?? {});
}

/** A `{Fn::Join}` of JSON text and tokens → the JSON, tokens rendered as `${LogicalId}` / `${LogicalId.Attr}`. */
function joinedJson(value: unknown): Json {
  if (typeof value === 'string') return JSON.parse(value) as Json;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`not a JSON string or Fn::Join: ${JSON.stringify(value)}`);
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      if (p.Ref) return `\${${p.Ref}}`;
      if (p['Fn::GetAtt']) return `\${${p['Fn::GetAtt'].join('.')}}`;
      return '<unresolved>';
    })
    .join(join[0]);
  return JSON.parse(text) as Json;
}

function logicalIdOf(template: Template, type: string, match: (p: Json) => boolean): string {
  const found = Object.entries(resources(template, type)).filter(([, r]) => match(r.Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as [string, unknown])[0];
}

function chartsByName(template: Template): Map<string, Json> {
  return new Map(props(template, 'Custom::AWSCDK-EKS-HelmChart').map((p) => [p.Chart as string, p]));
}

/** Every Allow statement of every IAM policy and inline role policy in the template. */
function allowStatements(
  template: Template,
): { id: string; actions: string[]; resources: unknown[]; condition?: Json }[] {
  const out: { id: string; actions: string[]; resources: unknown[]; condition?: Json }[] = [];
  const collect = (id: string, doc: unknown) => {
    const statements = ((doc as { Statement?: Json[] })?.Statement ?? []) as Json[];
    for (const s of statements) {
      if (s.Effect !== 'Allow') continue;
      const actions = ([] as string[]).concat((s.Action as string | string[] | undefined) ?? []);
      const res = ([] as unknown[]).concat(s.Resource ?? []);
      out.push({ id, actions, resources: res, condition: s.Condition as Json | undefined });
    }
  };
  for (const [id, r] of Object.entries(resources(template, 'AWS::IAM::Policy')))
    collect(id, r.Properties?.PolicyDocument);
  for (const [id, r] of Object.entries(resources(template, 'AWS::IAM::Role'))) {
    for (const p of (r.Properties?.Policies ?? []) as Json[]) collect(id, p.PolicyDocument);
  }
  return out;
}

const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get|BatchGet|Search|Lookup|View|Filter)[A-Za-z0-9*]*$/;

describe('platform network: VPC, NAT, endpoint, flow logs, office VPN', () => {
  it('spreads one public and one private subnet over each of the three configured zones', () => {
    const subnets = props(dev.platformTemplate, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(6);
    const zones = subnets.map((s) => s.AvailabilityZone);
    expect(new Set(zones)).toEqual(new Set(devConfig.availabilityZones));
    for (const az of devConfig.availabilityZones) expect(zones.filter((z) => z === az)).toHaveLength(2);
    dev.platformTemplate.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: devConfig.platform.vpc.cidr });
  });

  it('runs one NAT gateway outside production and one per zone in production', () => {
    dev.platformTemplate.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.platformTemplate.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('keeps S3 traffic of the private subnets on a gateway endpoint', () => {
    dev.platformTemplate.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
    });
  });

  it('sends all flow logs to a KMS-encrypted log group', () => {
    dev.platformTemplate.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      ResourceType: 'VPC',
    });
    dev.platformTemplate.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/platform/dev/vpc-flow-logs',
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 30,
    });
  });

  it('routes only the office CIDRs over a static VPN to the office gateway, propagated to private route tables only', () => {
    const vpn = devConfig.platform.vpn;
    if (!vpn) throw new Error('dev config has a VPN');
    const t = dev.platformTemplate;
    t.hasResourceProperties('AWS::EC2::CustomerGateway', {
      IpAddress: vpn.customerGatewayIp,
      Type: 'ipsec.1',
    });
    t.hasResourceProperties('AWS::EC2::VPNConnection', { StaticRoutesOnly: true, Type: 'ipsec.1' });
    expect(props(t, 'AWS::EC2::VPNConnectionRoute').map((r) => r.DestinationCidrBlock)).toEqual(
      vpn.officeCidrs,
    );

    const routeTableOf = (subnetType: 'private' | 'public') =>
      Object.keys(resources(t, 'AWS::EC2::RouteTable')).filter((id) => id.includes(`${subnetType}Subnet`));
    const propagation = props(t, 'AWS::EC2::VPNGatewayRoutePropagation');
    expect(propagation).toHaveLength(1);
    const propagated = ((propagation[0] as Json).RouteTableIds as { Ref: string }[]).map((r) => r.Ref);
    expect(new Set(propagated)).toEqual(new Set(routeTableOf('private')));
    expect(propagated.some((id) => routeTableOf('public').includes(id))).toBe(false);
  });
});

describe('platform cluster: endpoint, logging, encryption, access entries', () => {
  it('opens the public endpoint only to the configured CIDRs in dev, and keeps prod private', () => {
    dev.platformTemplate.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'dev-platform',
      ResourcesVpcConfig: Match.objectLike({
        EndpointPrivateAccess: true,
        EndpointPublicAccess: true,
        PublicAccessCidrs: devConfig.platform.eks.publicAccessCidrs,
      }),
    });
    prod.platformTemplate.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'prod-platform',
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
    });
    const prodVpc = (props(prod.platformTemplate, 'AWS::EKS::Cluster')[0] as Json).ResourcesVpcConfig as Json;
    expect(prodVpc.PublicAccessCidrs).toBeUndefined();
  });

  it('logs every control-plane log type and envelope-encrypts secrets with a rotating KMS key', () => {
    const cluster = props(prod.platformTemplate, 'AWS::EKS::Cluster')[0] as Json;
    const types = ((cluster.Logging as Json).ClusterLogging as { EnabledTypes: { Type: string }[] })
      .EnabledTypes;
    expect(types.map((t) => t.Type).sort()).toEqual(
      ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].sort(),
    );
    const encryption = cluster.EncryptionConfig as {
      Provider: { KeyArn: { 'Fn::GetAtt': string[] } };
      Resources: string[];
    }[];
    expect(encryption[0]?.Resources).toEqual(['secrets']);
    const keyId = encryption[0]?.Provider.KeyArn['Fn::GetAtt'][0] as string;
    expect(resources(prod.platformTemplate, 'AWS::KMS::Key')[keyId]?.Properties?.EnableKeyRotation).toBe(
      true,
    );
  });

  it('maps each configured principal to its EKS access policy', () => {
    const policyName = {
      'cluster-admin': 'AmazonEKSClusterAdminPolicy',
      admin: 'AmazonEKSAdminPolicy',
      edit: 'AmazonEKSEditPolicy',
      view: 'AmazonEKSViewPolicy',
    } as const;
    const entries = props(dev.platformTemplate, 'AWS::EKS::AccessEntry');
    for (const entry of devConfig.platform.eks.accessEntries) {
      const found = entries.filter((e) => e.PrincipalArn === entry.principalArn);
      expect(found, entry.principalArn).toHaveLength(1);
      const policies = (found[0] as Json).AccessPolicies as { AccessScope: Json; PolicyArn: unknown }[];
      expect(policies).toHaveLength(1);
      expect(policies[0]?.AccessScope).toEqual({ Type: 'cluster' });
      expect(JSON.stringify(policies[0]?.PolicyArn)).toContain(
        `:eks::aws:cluster-access-policy/${policyName[entry.policy]}"`,
      );
    }
  });
});

describe('platform node groups: one per zone, Bottlerocket, spot outside prod, sizes owned by SSM', () => {
  for (const [stage, config, capacity] of [
    [dev, devConfig, 'SPOT'],
    [prod, prodConfig, 'ON_DEMAND'],
  ] as const) {
    it(`${config.name}: names <stage>-platform-a|b|c, one private subnet each, ${capacity} Bottlerocket`, () => {
      const groups = props(stage.platformTemplate, 'AWS::EKS::Nodegroup');
      expect(groups.map((g) => g.NodegroupName).sort()).toEqual(
        ['a', 'b', 'c'].map((s) => `${config.name}-platform-${s}`),
      );
      expect(stage.platform.nodegroupNames).toEqual(groups.map((g) => g.NodegroupName).sort());
      const subnets = groups.map((g) => (g.Subnets as { Ref: string }[]).map((s) => s.Ref));
      for (const s of subnets) {
        expect(s).toHaveLength(1);
        expect(s[0]).toMatch(/privateSubnet/);
      }
      expect(new Set(subnets.map((s) => s[0])).size).toBe(3);
      for (const g of groups) {
        expect(g.AmiType).toBe('BOTTLEROCKET_ARM_64');
        expect(g.CapacityType).toBe(capacity);
        expect(g.InstanceTypes).toEqual(config.platform.eks.nodeGroup.instanceTypes);
      }
    });
  }

  it('reads max and desired sizes through dynamic references to parameters seeded from config', () => {
    const ng = devConfig.platform.eks.nodeGroup;
    for (const suffix of ['a', 'b', 'c']) {
      const name = `dev-platform-${suffix}`;
      const base = `/ops/dev/nodegroups/${name}`;
      dev.platformTemplate.hasResourceProperties('AWS::EKS::Nodegroup', {
        NodegroupName: name,
        ScalingConfig: {
          MinSize: ng.minSize,
          MaxSize: `{{resolve:ssm:${base}/max-size}}`,
          DesiredSize: `{{resolve:ssm:${base}/desired-size}}`,
        },
      });
      dev.platformTemplate.hasResourceProperties('AWS::SSM::Parameter', {
        Name: `${base}/max-size`,
        Type: 'String',
        Value: String(ng.maxSize),
      });
      dev.platformTemplate.hasResourceProperties('AWS::SSM::Parameter', {
        Name: `${base}/desired-size`,
        Type: 'String',
        Value: String(ng.desiredSize),
      });
    }
  });

  it('creates each node group after the parameters its sizes resolve from', () => {
    const groups = dev.platformTemplate.findResources('AWS::EKS::Nodegroup') as Record<
      string,
      { DependsOn?: string[] }
    >;
    const params = resources(dev.platformTemplate, 'AWS::SSM::Parameter');
    for (const g of Object.values(groups)) {
      const dependsOnParams = (g.DependsOn ?? []).filter((d) => d in params);
      expect(dependsOnParams).toHaveLength(2);
    }
  });

  it('tags node groups with the automation opt-in tag', () => {
    const { key, value } = devConfig.automation.optInTag;
    for (const g of props(dev.platformTemplate, 'AWS::EKS::Nodegroup'))
      expect((g.Tags as Json)[key]).toBe(value);
  });
});

describe('platform add-ons: EKS add-ons, storage class, Helm charts', () => {
  it('installs the VPC CNI with network policies, CoreDNS, kube-proxy and the EBS CSI driver with its own role', () => {
    const t = dev.platformTemplate;
    const addons = new Map(props(t, 'AWS::EKS::Addon').map((a) => [a.AddonName as string, a]));
    expect([...addons.keys()].sort()).toEqual(['aws-ebs-csi-driver', 'coredns', 'kube-proxy', 'vpc-cni']);
    expect(JSON.parse(addons.get('vpc-cni')?.ConfigurationValues as string)).toEqual({
      enableNetworkPolicy: 'true',
    });
    const csiRoleArn = addons.get('aws-ebs-csi-driver')?.ServiceAccountRoleArn as { 'Fn::GetAtt': string[] };
    const csiRole = csiRoleArn['Fn::GetAtt'][0];
    const trust = JSON.stringify(
      resources(t, 'AWS::IAM::Role')[csiRole as string]?.Properties?.AssumeRolePolicyDocument,
    );
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity');
  });

  it('makes an encrypted gp3 class, keyed with the data key, the default storage class', () => {
    const manifests = props(dev.platformTemplate, 'Custom::AWSCDK-EKS-KubernetesResource').map((m) => {
      const parsed = joinedJson(m.Manifest) as unknown as Json[];
      return parsed;
    });
    const storageClasses = manifests
      .flat()
      .filter((m) => m.kind === 'StorageClass' && (m.metadata as Json).name === 'gp3-encrypted');
    expect(storageClasses).toHaveLength(1);
    const sc = storageClasses[0] as Json;
    expect((sc.metadata as Json).annotations).toEqual({
      'storageclass.kubernetes.io/is-default-class': 'true',
    });
    expect(sc.provisioner).toBe('ebs.csi.aws.com');
    expect(sc.parameters).toMatchObject({
      type: 'gp3',
      encrypted: 'true',
      kmsKeyId: expect.stringMatching(/^\$\{KeysData.*\.Arn\}$/),
    });
  });

  it('installs exactly the charts pinned in config, at their pinned versions and repositories', () => {
    const charts = chartsByName(dev.platformTemplate);
    // The RabbitMQ operator is optional per stage (platform.rabbitmq.enabled; off in dev).
    const optional = devConfig.platform.rabbitmq.enabled ? [] : ['rabbitmq-cluster-operator'];
    const pinned = Object.values(devConfig.platform.eks.charts).filter((c) => !optional.includes(c.chart));
    expect([...charts.keys()].sort()).toEqual(pinned.map((c) => c.chart).sort());
    for (const c of pinned) {
      expect(charts.get(c.chart)).toMatchObject({
        Version: c.version,
        Repository: c.repository,
        Namespace: c.namespace,
      });
    }
  });

  it('installs charts after the node groups, waits for cert-manager, and starts Linkerd after its trust bundle', () => {
    const t = dev.platformTemplate.toJSON().Resources as Record<
      string,
      { Type: string; DependsOn?: string[]; Properties: Json }
    >;
    const ids = (type: string) => Object.keys(t).filter((id) => t[id]?.Type === type);
    const nodegroups = ids('AWS::EKS::Nodegroup');
    const charts = ids('Custom::AWSCDK-EKS-HelmChart');
    for (const id of charts) expect(t[id]?.DependsOn ?? [], id).toEqual(expect.arrayContaining(nodegroups));
    const byChart = (name: string) => charts.find((id) => t[id]?.Properties.Chart === name) as string;
    expect(t[byChart('cert-manager')]?.Properties.Wait).toBe(true);
    const linkerdDeps = t[byChart('linkerd-control-plane')]?.DependsOn ?? [];
    expect(linkerdDeps).toContain(byChart('linkerd-crds'));
    expect(linkerdDeps.some((d) => d.includes('LinkerdTrustBundle'))).toBe(true);
  });

  it('puts every Ingress behind one NLB: only the ingress controller asks for a LoadBalancer service', () => {
    const charts = chartsByName(dev.platformTemplate);
    const withLoadBalancer = [...charts.entries()].filter(([, p]) =>
      JSON.stringify(joinedJson(p.Values)).includes('"type":"LoadBalancer"'),
    );
    expect(withLoadBalancer.map(([name]) => name)).toEqual(['ingress-nginx']);
    const values = joinedJson(charts.get('ingress-nginx')?.Values) as { controller: Json };
    const service = values.controller.service as {
      loadBalancerClass: string;
      annotations: Record<string, string>;
    };
    expect(service.loadBalancerClass).toBe('service.k8s.aws/nlb');
    expect(service.annotations['service.beta.kubernetes.io/aws-load-balancer-name']).toBe(
      `${devConfig.automation.ingressLoadBalancerPrefix}-dev`,
    );
    expect((values.controller.ingressClassResource as Json).default).toBe(true);
  });

  it('gives critical add-ons the platform priority class', () => {
    const charts = chartsByName(dev.platformTemplate);
    for (const name of [
      'ingress-nginx',
      'cluster-autoscaler',
      'external-dns',
      'aws-load-balancer-controller',
      'linkerd-control-plane',
    ]) {
      expect(JSON.stringify(charts.get(name)?.Values)).toContain('platform-critical');
    }
  });

  it('limits external-dns to the stage zones, by zone ARN in IAM and by filter and owner id in the chart', () => {
    const t = dev.platformTemplate;
    const zoneIds = Object.keys(resources(t, 'AWS::Route53::HostedZone'));
    expect(zoneIds).toHaveLength(2);
    const values = joinedJson(chartsByName(t).get('external-dns')?.Values) as Json;
    expect(values.txtOwnerId).toBe('dev-platform');
    expect(values.domainFilters).toEqual([
      devConfig.platform.dns.publicZoneName,
      devConfig.platform.dns.privateZoneName,
    ]);
    expect(values.extraArgs).toEqual(zoneIds.map((id) => `--zone-id-filter=\${${id}}`));

    const changes = allowStatements(t).filter((s) => s.actions.includes('route53:ChangeResourceRecordSets'));
    expect(changes.length).toBeGreaterThan(0);
    for (const s of changes) {
      const rendered = JSON.stringify(s.resources);
      expect(s.resources).not.toContain('*');
      expect(zoneIds.some((id) => rendered.includes(id))).toBe(true);
    }
  });

  it('trusts each add-on role only for its own service account, through the cluster’s OIDC provider', () => {
    const conditions = props(dev.platformTemplate, 'Custom::AWSCDKCfnJson').map((c) =>
      JSON.stringify(c.Value),
    );
    const subjects = conditions.flatMap((c) =>
      [...c.matchAll(/system:serviceaccount:([a-z0-9-]+:[a-z0-9-]+)/g)].map((m) => m[1]),
    );
    const ns = (key: keyof typeof devConfig.platform.eks.charts) =>
      devConfig.platform.eks.charts[key]?.namespace;
    expect(subjects.sort()).toEqual(
      [
        'kube-system:ebs-csi-controller-sa',
        `${ns('awsLoadBalancerController')}:aws-load-balancer-controller`,
        `${ns('clusterAutoscaler')}:cluster-autoscaler`,
        `${ns('externalDns')}:external-dns`,
        `${ns('certManager')}:cert-manager`,
        `${ns('velero')}:velero-server`,
        `${ns('eventExporter')}:kubernetes-event-exporter`,
        `${ns('externalSecrets')}:external-secrets`,
        // The app parameters' reader (config platform.appParameters: api in app/api).
        'app:api',
      ].sort(),
    );
    for (const c of conditions) {
      expect(c).toContain(':aud\\":\\"sts.amazonaws.com');
      expect(c).toContain('OidcProviderNative');
    }
  });

  it('lets Velero use only its own bucket and the data key', () => {
    const statements = allowStatements(dev.platformTemplate).filter((s) =>
      s.id.startsWith('AddonsVeleroRole'),
    );
    const s3 = statements.filter((s) => s.actions.some((a) => a.startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    for (const s of s3) expect(JSON.stringify(s.resources)).toMatch(/"StorageVelero[0-9A-F]+"/);
    for (const s of s3)
      expect(JSON.stringify(s.resources)).not.toMatch(/StorageBackups|StorageStatic|StorageLogs/);
    const kms = statements.filter((s) => s.actions.some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(JSON.stringify(kms[0]?.resources)).toMatch(/KeysData/);
  });
});

describe('platform event exporter: cluster-autoscaler events reach the intake in the shape it expects', () => {
  const values = () =>
    joinedJson(chartsByName(dev.platformTemplate).get('kubernetes-event-exporter')?.Values) as {
      config: {
        clusterName: string;
        route: { routes: { match: Json[] }[] };
        receivers: { eventbridge: Json }[];
      };
    };

  it('sends to the default bus with the source and detail-type the intake rule matches', () => {
    const { config } = values();
    expect(config.clusterName).toBe('dev-platform');
    const receiver = config.receivers[0]?.eventbridge as Json;
    expect(receiver.eventBusName).toBe('default');
    const samplesDir = path.resolve(import.meta.dirname, '../../events/samples/cluster-autoscaler');
    const samples = readdirSync(samplesDir).filter((f) => f.endsWith('.json'));
    expect(samples.length).toBeGreaterThan(0);
    for (const file of samples) {
      const sample = JSON.parse(readFileSync(path.join(samplesDir, file), 'utf8')) as Json;
      // What this exporter would deliver: its own source and detail-type around the Kubernetes event.
      const delivered = { ...sample, source: receiver.source, 'detail-type': receiver.detailType };
      expect(matchesPattern(CLUSTER_AUTOSCALER_RULE.pattern, delivered), file).toBe(true);
      const detail = sample.detail as { reason: string; source?: { component?: string } };
      expect(new RegExp(EVENT_EXPORTER_ROUTE.reason).test(detail.reason), file).toBe(true);
      // Full-event samples carry the recording component; templated ones do not.
      if (detail.source?.component) {
        expect(new RegExp(EVENT_EXPORTER_ROUTE.component).test(detail.source.component), file).toBe(true);
      }
    }
  });

  it('routes only cluster-autoscaler events', () => {
    const match = values().config.route.routes[0]?.match[0] as Json;
    expect(match).toMatchObject({ component: '^cluster-autoscaler$', receiver: 'eventbridge' });
    expect(new RegExp(match.component as string).test('kubelet')).toBe(false);
  });

  it('may put events on the default bus and nothing else', () => {
    const statements = allowStatements(dev.platformTemplate).filter((s) =>
      s.id.startsWith('AddonsEventExporterRole'),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.actions).toEqual(['events:PutEvents']);
    expect(JSON.stringify(statements[0]?.resources)).toContain(':event-bus/default');
  });
});

describe('platform data: RDS MySQL and its secrets', () => {
  it('runs Multi-AZ in private subnets, encrypted, with IAM auth, backups and deletion protection per config', () => {
    for (const [stage, config] of [
      [dev, devConfig],
      [prod, prodConfig],
    ] as const) {
      stage.platformTemplate.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'mysql',
        MultiAZ: true,
        StorageEncrypted: true,
        KmsKeyId: Match.anyValue(),
        EnableIAMDatabaseAuthentication: true,
        PubliclyAccessible: false,
        BackupRetentionPeriod: config.platform.rds.backupRetentionDays,
        DeletionProtection: config.platform.rds.deletionProtection,
        EnablePerformanceInsights: true,
        MonitoringInterval: 60,
      });
    }
    prod.platformTemplate.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: true });
    const subnetGroup = props(dev.platformTemplate, 'AWS::RDS::DBSubnetGroup')[0] as Json;
    for (const s of subnetGroup.SubnetIds as { Ref: string }[]) expect(s.Ref).toMatch(/privateSubnet/);
  });

  it('requires TLS through the parameter group', () => {
    dev.platformTemplate.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ require_secure_transport: 'ON' }),
    });
  });

  it('keeps the master and app-user credentials in KMS-encrypted secrets named by the contract', () => {
    dev.platformTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'dev/rds/master',
      KmsKeyId: Match.anyValue(),
    });
    dev.platformTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'dev/rds/app-user',
      KmsKeyId: Match.anyValue(),
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
    });
  });

  it('admits MySQL only from the cluster security group', () => {
    const ingress = props(dev.platformTemplate, 'AWS::EC2::SecurityGroupIngress').filter(
      (i) => i.FromPort === 3306,
    );
    expect(ingress).toHaveLength(1);
    expect(JSON.stringify(ingress[0]?.SourceSecurityGroupId)).toContain('KubernetesCluster');
    dev.platformTemplate.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('MySQL'),
      SecurityGroupIngress: Match.absent(),
    });
  });
});

describe('platform storage and audit: buckets, keys, trail', () => {
  const buckets = () => Object.entries(resources(dev.platformTemplate, 'AWS::S3::Bucket'));
  const logsBucketId = () =>
    logicalIdOf(dev.platformTemplate, 'AWS::S3::Bucket', (p) => !p.LoggingConfiguration);

  it('versions every bucket, blocks public access, and archives with lifecycle rules', () => {
    expect(buckets()).toHaveLength(5);
    for (const [, b] of buckets()) {
      const p = b.Properties as Json;
      expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const rules = (p.LifecycleConfiguration as { Rules: Json[] }).Rules;
      expect(JSON.stringify(rules)).toMatch(/GLACIER_IR|INTELLIGENT_TIERING/);
    }
  });

  it('encrypts every bucket with KMS except the access-log bucket, which log delivery requires on SSE-S3', () => {
    const logs = logsBucketId();
    expect(logs).toMatch(/^StorageLogs/);
    for (const [id, b] of buckets()) {
      const sse = ((b.Properties as Json).BucketEncryption as { ServerSideEncryptionConfiguration: Json[] })
        .ServerSideEncryptionConfiguration[0] as { ServerSideEncryptionByDefault: Json };
      expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm, id).toBe(id === logs ? 'AES256' : 'aws:kms');
      if (id !== logs) {
        expect(((b.Properties as Json).LoggingConfiguration as Json).DestinationBucketName).toEqual({
          Ref: logs,
        });
      }
    }
  });

  it('denies non-TLS access to every bucket', () => {
    const policies = props(dev.platformTemplate, 'AWS::S3::BucketPolicy');
    for (const [id] of buckets()) {
      const policy = policies.find((p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: id }));
      expect(policy, id).toBeDefined();
      expect(JSON.stringify(policy?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('keeps buckets and keys when a stack is deleted, even in dev', () => {
    const all = dev.platformTemplate.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string }
    >;
    const kept = Object.entries(all).filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type));
    expect(kept.length).toBe(5 + 3);
    for (const [id, r] of kept) expect(r.DeletionPolicy, id).toBe('Retain');
  });

  it('rotates every KMS key', () => {
    const keys = props(dev.platformTemplate, 'AWS::KMS::Key');
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const k of keys) expect(k.EnableKeyRotation).toBe(true);
  });

  it('encrypts every log group and secret with a customer key', () => {
    for (const g of props(dev.platformTemplate, 'AWS::Logs::LogGroup'))
      expect(g.KmsKeyId, String(g.LogGroupName)).toBeDefined();
    for (const s of props(dev.platformTemplate, 'AWS::SecretsManager::Secret'))
      expect(s.KmsKeyId, String(s.Name)).toBeDefined();
    for (const type of ['AWS::SNS::Topic', 'AWS::SQS::Queue']) {
      for (const q of props(dev.platformTemplate, type))
        expect(q.KmsMasterKeyId ?? q.SqsManagedSseEnabled, type).toBeTruthy();
    }
  });

  it('records every region in one trail with log-file validation into its KMS-encrypted bucket', () => {
    dev.platformTemplate.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      KMSKeyId: Match.anyValue(),
    });
  });
});

describe('platform security: outputs, DNS, Datadog role, IAM', () => {
  it('publishes ids, endpoints and names under /platform/<stage>/', () => {
    const names = props(dev.platformTemplate, 'AWS::SSM::Parameter').map((p) => p.Name as string);
    for (const n of [
      'vpc/id',
      'vpc/private-subnet-ids',
      'vpc/public-subnet-ids',
      'cluster/name',
      'cluster/endpoint',
      'database/endpoint',
      'dns/public-zone-id',
      'dns/private-zone-id',
      'buckets/static',
      'buckets/backups',
      'buckets/logs',
      'buckets/velero',
    ]) {
      expect(names).toContain(`/platform/dev/${n}`);
    }
    dev.platformTemplate.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/platform/dev/cluster/name',
      Value: 'dev-platform',
    });
  });

  it('creates the public and private zones and a DNS-validated certificate for the public one', () => {
    const t = dev.platformTemplate;
    const { publicZoneName, privateZoneName } = devConfig.platform.dns;
    t.hasResourceProperties('AWS::Route53::HostedZone', { Name: `${publicZoneName}.`, VPCs: Match.absent() });
    t.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: `${privateZoneName}.`,
      VPCs: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: publicZoneName,
      SubjectAlternativeNames: [`*.${publicZoneName}`],
      ValidationMethod: 'DNS',
      DomainValidationOptions: [Match.objectLike({ HostedZoneId: Match.anyValue() })],
    });
  });

  it('lets only Datadog’s account, with the configured external id, assume the read-only integration role', () => {
    const { datadogAccountId, externalId } = devConfig.platform.datadog;
    const roleId = logicalIdOf(
      dev.platformTemplate,
      'AWS::IAM::Role',
      (p) => p.RoleName === 'dev-datadog-integration',
    );
    const role = resources(dev.platformTemplate, 'AWS::IAM::Role')[roleId]?.Properties as Json;
    const trust = JSON.stringify(role.AssumeRolePolicyDocument);
    expect(trust).toContain(`:iam::${datadogAccountId}:root`);
    expect(trust).toContain(`"sts:ExternalId":"${externalId}"`);
    const statements = allowStatements(dev.platformTemplate).filter((s) => s.id.startsWith('DatadogRole'));
    for (const s of statements) for (const a of s.actions) expect(a).toMatch(READ_ONLY);
  });

  it('never grants a mutating action on an unscoped resource (no `*`, no bare type ARN without a condition)', () => {
    for (const stage of [dev, prod])
      expect(wildcardMutations(stage.platformTemplate), stage.stage.name).toEqual([]);
  });

  it('passes cdk-nag and PlatformChecks, every acknowledgement with a reason', () => {
    // synthPlatform runs both packs: reaching here means no unacknowledged finding.
    const reasons: [string, string][] = [];
    for (const c of dev.platform.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>))
          reasons.push([id, reason]);
      }
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const [id, reason] of reasons) expect(reason.trim().length, id).toBeGreaterThan(30);
  });
});
