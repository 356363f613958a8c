import { Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import { ClusterAddons } from '../constructs/platform/addons.js';
import { AppParameters } from '../constructs/platform/app-parameters.js';
import { BottlerocketUpdates } from '../constructs/platform/bottlerocket-updates.js';
import { LetsEncryptIssuers } from '../constructs/platform/cert-issuers.js';
import { PlatformCluster } from '../constructs/platform/cluster.js';
import { MYSQL_PORT, PlatformDatabase } from '../constructs/platform/database.js';
import { DatadogIntegration } from '../constructs/platform/datadog-integration.js';
import { PlatformDns } from '../constructs/platform/dns.js';
import { DrKeyLookup } from '../constructs/platform/dr-key-lookup.js';
import { PlatformRegistry } from '../constructs/platform/ecr.js';
import { ExternalSecrets, type SyncedSecret } from '../constructs/platform/external-secrets.js';
import {
  DEPLOY_KEY_K8S_SECRET,
  FLUX_NAMESPACE,
  FluxGitops,
  RECEIVER_TOKEN_K8S_SECRET,
  receiverTokenSecretName,
} from '../constructs/platform/flux.js';
import { PlatformKeys } from '../constructs/platform/keys.js';
import { PlatformMonitors } from '../constructs/platform/monitors.js';
import { PlatformNetwork } from '../constructs/platform/network.js';
import { NodeAccess } from '../constructs/platform/node-access.js';
import { PlatformSearch } from '../constructs/platform/opensearch.js';
import { PlatformOutputs } from '../constructs/platform/outputs.js';
import { RabbitMq } from '../constructs/platform/rabbitmq.js';
import { PlatformStorage } from '../constructs/platform/storage.js';
import { TeamRbac } from '../constructs/platform/team-rbac.js';
import { AuditTrail } from '../constructs/platform/trail.js';
import { ZoneSpread } from '../constructs/platform/zone-spread.js';

export interface PlatformStackProps extends StackProps {
  readonly stage: StageConfig;
}

/**
 * The core platform one stage runs its services on: network, EKS and its add-ons, data,
 * storage, keys, DNS, audit trail. Composes platform constructs only; holds no resources itself.
 * The readonly fields below are the contract the automation stack builds on.
 */
export class PlatformStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly cluster: eks.Cluster;
  readonly clusterName: string;
  readonly nodegroupNames: string[];
  readonly publicZone: route53.PublicHostedZone;
  readonly privateZone: route53.PrivateHostedZone;
  readonly database: rds.DatabaseInstance;
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly masterSecret: secretsmanager.ISecret;
  readonly appUserSecret: secretsmanager.Secret;
  readonly backupBucket: s3.Bucket;
  readonly veleroBucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly staticBucket: s3.Bucket;
  readonly dataKey: kms.Key;
  readonly trail: cloudtrail.Trail;

  readonly keys: PlatformKeys;
  readonly storage: PlatformStorage;
  readonly network: PlatformNetwork;
  readonly dns: PlatformDns;
  readonly audit: AuditTrail;
  readonly platformCluster: PlatformCluster;
  readonly addons: ClusterAddons;
  readonly data: PlatformDatabase;
  readonly datadogIntegration: DatadogIntegration;
  readonly monitors: PlatformMonitors;
  readonly outputs: PlatformOutputs;
  readonly registry: PlatformRegistry;
  readonly nodeAccess: NodeAccess;
  readonly teamRbac: TeamRbac;
  readonly flux?: FluxGitops;
  readonly bottlerocketUpdates?: BottlerocketUpdates;
  readonly letsEncrypt: LetsEncryptIssuers;
  readonly externalSecrets: ExternalSecrets;
  readonly search?: PlatformSearch;
  readonly rabbitmq?: RabbitMq;
  readonly appParameters: AppParameters;
  readonly zoneSpread?: ZoneSpread;

  private readonly azs: string[];

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    // Server access logs are admitted by a bucket policy for logging.s3.amazonaws.com, not by ACLs
    // (the logs bucket keeps BucketOwnerEnforced). Set here so tests and `cdk synth` agree.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // The native AWS::IAM::OIDCProvider for IRSA, not the deprecated custom-resource provider.
    this.node.setContext('@aws-cdk/aws-eks:useNativeOidcProvider', true);
    const { stage } = props;
    const p = stage.platform;
    this.azs = [...stage.availabilityZones];
    const retain = stage.tier === 'prod';

    this.keys = new PlatformKeys(this, 'Keys', { stageName: stage.name });
    // DR copies (stack `<stage>-dr` in drRegion, deployed first): bucket replication and RDS backup replication.
    const dr = stage.drRegion
      ? { stageName: stage.name, account: stage.account, drRegion: stage.drRegion }
      : undefined;
    this.storage = new PlatformStorage(this, 'Storage', {
      dataKey: this.keys.dataKey,
      archiveAfterDays: p.buckets.archiveAfterDays,
      logsExpireAfterDays: p.buckets.logsExpireAfterDays,
      ...(dr ? { dr } : {}),
    });
    this.network = new PlatformNetwork(this, 'Network', {
      stageName: stage.name,
      availabilityZones: stage.availabilityZones,
      vpc: p.vpc,
      vpn: p.vpn,
      logsKey: this.keys.logsKey,
      retain,
    });
    this.dns = new PlatformDns(this, 'Dns', { dns: p.dns, vpc: this.network.vpc });
    this.audit = new AuditTrail(this, 'Audit', {
      stageName: stage.name,
      logsKey: this.keys.logsKey,
      accessLogsBucket: this.storage.logsBucket,
      archiveAfterDays: p.buckets.archiveAfterDays,
    });
    this.platformCluster = new PlatformCluster(this, 'Kubernetes', {
      stageName: stage.name,
      eks: p.eks,
      vpc: this.network.vpc,
      availabilityZones: stage.availabilityZones,
      clusterKey: this.keys.clusterKey,
      dataKey: this.keys.dataKey,
      logsKey: this.keys.logsKey,
      optInTag: stage.automation.optInTag,
      protectedTag: stage.automation.allowLists.volumes.protectedTag,
    });
    this.addons = new ClusterAddons(this, 'Addons', {
      stageName: stage.name,
      cluster: this.platformCluster.cluster,
      clusterName: this.platformCluster.clusterName,
      vpc: this.network.vpc,
      charts: p.eks.charts,
      zones: [this.dns.publicZone, this.dns.privateZone],
      publicZone: this.dns.publicZone,
      veleroBucket: this.storage.veleroBucket,
      dataKey: this.keys.dataKey,
      logsBucket: this.storage.logsBucket,
      ingressLoadBalancerPrefix: stage.automation.ingressLoadBalancerPrefix,
      certificateArn: this.dns.certificate.certificateArn,
      privateZone: this.dns.privateZone,
      datadogSite: stage.automation.datadog.site,
      highlyAvailable: stage.tier === 'prod',
      installAfter: [...this.platformCluster.nodegroups, ...Object.values(this.platformCluster.addons)],
    });
    this.registry = new PlatformRegistry(this, 'Registry', {
      stageName: stage.name,
      ecr: p.ecr,
      production: stage.tier === 'prod',
      nodeRole: this.platformCluster.nodeRole,
    });
    this.nodeAccess = new NodeAccess(this, 'NodeAccess', {
      stageName: stage.name,
      nodeRole: this.platformCluster.nodeRole,
      logsBucket: this.storage.logsBucket,
      logsKey: this.keys.logsKey,
      production: stage.tier === 'prod',
    });
    this.teamRbac = new TeamRbac(this, 'TeamRbac', {
      cluster: this.platformCluster.cluster,
      teams: p.eks.teams,
      otherPrincipals: p.eks.accessEntries.map((e) => e.principalArn),
      reservedNamespaces: Object.values(p.eks.charts).map((c) => c.namespace),
      installAfter: [...this.platformCluster.nodegroups, ...Object.values(this.platformCluster.addons)],
    });
    // In-place Bottlerocket updates in waves, policy from config; needs cert-manager.
    const updates = p.eks.bottlerocketUpdates;
    if (updates?.enabled) {
      const { bottlerocketShadow, bottlerocketUpdateOperator } = p.eks.charts;
      if (!bottlerocketShadow || !bottlerocketUpdateOperator) {
        throw new Error(
          `${stage.name}: platform.eks.bottlerocketUpdates needs charts bottlerocketShadow and bottlerocketUpdateOperator pinned`,
        );
      }
      this.bottlerocketUpdates = new BottlerocketUpdates(this, 'BottlerocketUpdates', {
        cluster: this.platformCluster.cluster,
        policy: updates,
        crdChart: bottlerocketShadow,
        operatorChart: bottlerocketUpdateOperator,
        installAfter: [this.addons.charts.certManager, ...this.platformCluster.nodegroups],
      });
    }
    // StatefulSets spread across the AZs (DoNotSchedule), enforced by Kyverno when its chart is pinned.
    const kyverno = p.eks.charts.kyverno;
    if (kyverno) {
      this.zoneSpread = new ZoneSpread(this, 'ZoneSpread', {
        cluster: this.platformCluster.cluster,
        chart: kyverno,
        policy: p.eks.zoneSpread,
        // The add-ons schedule their own pods (zone spread ScheduleAnyway where they support it).
        excludeNamespaces: Object.values(p.eks.charts).map((c) => c.namespace),
        highlyAvailable: stage.tier === 'prod',
        installAfter: [...this.platformCluster.nodegroups, ...Object.values(this.platformCluster.addons)],
      });
    }
    // The application parameter hierarchy /app/<stage>/<app>/… (SecureString with the data key).
    this.appParameters = new AppParameters(this, 'AppParameters', {
      stageName: stage.name,
      cluster: this.platformCluster.cluster,
      dataKey: this.keys.dataKey,
      dataKeyAlias: `alias/${stage.name}/platform/data`,
      apps: p.appParameters,
    });
    this.data = new PlatformDatabase(this, 'Data', {
      stageName: stage.name,
      rds: p.rds,
      vpc: this.network.vpc,
      dataKey: this.keys.dataKey,
      logsKey: this.keys.logsKey,
      ...(dr
        ? {
            drBackupReplication: {
              region: dr.drRegion,
              kmsKeyArn: new DrKeyLookup(this, 'DrKey', { target: dr }).keyArn,
            },
          }
        : {}),
    });
    // Pods reach MySQL through the node (cluster) security group; nothing else is admitted here.
    this.data.database.connections.allowFrom(
      this.platformCluster.cluster.clusterSecurityGroup,
      ec2.Port.tcp(MYSQL_PORT),
      'MySQL from EKS nodes and pods',
    );
    this.datadogIntegration = new DatadogIntegration(this, 'Datadog', {
      stageName: stage.name,
      datadogAccountId: p.datadog.datadogAccountId,
      externalId: p.datadog.externalId,
      ...(p.datadog.registerIntegration ? { register: { hostTags: [`stage:${stage.name}`] } } : {}),
    });
    // Datadog monitors of the platform, each tagged with the runbook it starts (or notify-only).
    this.monitors = new PlatformMonitors(this, 'Monitors', { stage });

    this.vpc = this.network.vpc;
    this.cluster = this.platformCluster.cluster;
    this.clusterName = this.platformCluster.clusterName;
    this.nodegroupNames = this.platformCluster.nodegroupNames;
    this.publicZone = this.dns.publicZone;
    this.privateZone = this.dns.privateZone;
    this.database = this.data.database;
    this.databaseSecurityGroup = this.data.databaseSecurityGroup;
    this.masterSecret = this.data.masterSecret;
    this.appUserSecret = this.data.appUserSecret;
    this.backupBucket = this.storage.backupBucket;
    this.veleroBucket = this.storage.veleroBucket;
    this.logsBucket = this.storage.logsBucket;
    this.staticBucket = this.storage.staticBucket;
    this.dataKey = this.keys.dataKey;
    this.trail = this.audit.trail;

    // GitOps: Flux reconciles the stage's folder of the configured repository; infra outputs reach
    // manifests through post-build substitution (${cluster_name} etc., see gitops/README.md).
    const fluxChart = p.eks.charts.flux;
    if (p.gitops) {
      if (!fluxChart) throw new Error(`${stage.name}: platform.gitops needs platform.eks.charts.flux pinned`);
      this.flux = new FluxGitops(this, 'Flux', {
        stageName: stage.name,
        cluster: this.cluster,
        gitops: p.gitops,
        chart: fluxChart,
        dataKey: this.keys.dataKey,
        installAfter: [...this.platformCluster.nodegroups, ...Object.values(this.platformCluster.addons)],
        outputs: {
          stage: stage.name,
          account_id: stage.account,
          region: stage.region,
          cluster_name: this.clusterName,
          cluster_endpoint: this.cluster.clusterEndpoint,
          vpc_id: this.vpc.vpcId,
          vpc_cidr: p.vpc.cidr,
          public_zone_name: this.publicZone.zoneName,
          private_zone_name: this.privateZone.zoneName,
          certificate_arn: this.dns.certificate.certificateArn,
          ecr_registry: `${stage.account}.dkr.ecr.${stage.region}.amazonaws.com`,
          static_bucket: this.staticBucket.bucketName,
          data_key_arn: this.dataKey.keyArn,
          velero_role_arn: this.addons.roles.velero.roleArn,
          external_dns_role_arn: this.addons.roles.externalDns.roleArn,
          database_endpoint: this.database.dbInstanceEndpointAddress,
          database_app_user_secret_arn: this.appUserSecret.secretArn,
        },
      });
    }

    // Let's Encrypt (staging + production) through cert-manager's DNS-01 role in the public zone.
    this.letsEncrypt = new LetsEncryptIssuers(this, 'LetsEncrypt', {
      cluster: this.cluster,
      publicZone: this.publicZone,
      ...(p.dns.acmeEmail ? { email: p.dns.acmeEmail } : {}),
      after: [this.addons.charts.certManager],
    });

    // External Secrets: the Kubernetes Secrets the cluster once needed by hand, from Secrets Manager.
    const externalSecretsChart = p.eks.charts.externalSecrets;
    if (!externalSecretsChart) {
      throw new Error(`${stage.name}: platform.eks.charts.externalSecrets must be pinned`);
    }
    const synced: SyncedSecret[] = [
      {
        id: 'DatadogApiKey',
        namespace: p.eks.charts.datadog?.namespace ?? 'datadog',
        name: 'datadog-secret',
        secretName: stage.automation.datadog.apiKeySecretName,
        key: 'api-key',
        after: [this.addons.charts.datadog],
      },
    ];
    if (this.flux && p.gitops) {
      synced.push({
        id: 'FluxReceiverToken',
        namespace: FLUX_NAMESPACE,
        name: RECEIVER_TOKEN_K8S_SECRET,
        secretName: receiverTokenSecretName(stage.name),
        key: 'token',
        after: [this.flux.chart],
      });
      if (p.gitops.knownHosts.length > 0) {
        synced.push({
          id: 'FluxDeployKey',
          namespace: FLUX_NAMESPACE,
          name: DEPLOY_KEY_K8S_SECRET,
          secretName: p.gitops.deployKeySecretName,
          key: 'identity',
          literals: { known_hosts: p.gitops.knownHosts.join('\n') },
          after: [this.flux.chart],
        });
      }
    }
    this.externalSecrets = new ExternalSecrets(this, 'ExternalSecrets', {
      cluster: this.cluster,
      chart: externalSecretsChart,
      secrets: synced,
      keys: [this.dataKey],
      highlyAvailable: stage.tier === 'prod',
      installAfter: [...this.platformCluster.nodegroups, ...Object.values(this.platformCluster.addons)],
    });

    // Amazon OpenSearch (optional per stage): private, encrypted, fine-grained access, cluster-only.
    if (p.opensearch.enabled) {
      this.search = new PlatformSearch(this, 'Search', {
        stageName: stage.name,
        config: p.opensearch,
        vpc: this.vpc,
        availabilityZones: stage.availabilityZones,
        clientSecurityGroup: this.cluster.clusterSecurityGroup,
        dataKey: this.dataKey,
        logsKey: this.keys.logsKey,
        retain,
      });
    }

    // RabbitMQ through its operator (optional per stage); its PVCs must be the snapshot runbook's to protect.
    if (p.rabbitmq.enabled) {
      const rabbitChart = p.eks.charts.rabbitmqClusterOperator;
      if (!rabbitChart) {
        throw new Error(
          `${stage.name}: platform.rabbitmq needs platform.eks.charts.rabbitmqClusterOperator pinned`,
        );
      }
      if (!stage.automation.allowLists.volumes.pvcNamespaces.includes(p.rabbitmq.namespace)) {
        throw new Error(
          `${stage.name}: automation.allowLists.volumes.pvcNamespaces must list ${p.rabbitmq.namespace} (platform.rabbitmq.namespace) so automation may snapshot RabbitMQ's volumes`,
        );
      }
      this.rabbitmq = new RabbitMq(this, 'RabbitMq', {
        cluster: this.cluster,
        config: p.rabbitmq,
        chart: rabbitChart,
        installAfter: [
          ...this.platformCluster.nodegroups,
          ...Object.values(this.platformCluster.addons),
          this.platformCluster.protectedStorageClass,
        ],
      });
    }

    const ids = (subnets: ec2.ISubnet[]) =>
      Fn.join(
        ',',
        subnets.map((s) => s.subnetId),
      );
    this.outputs = new PlatformOutputs(this, 'Outputs', {
      stageName: stage.name,
      values: {
        'vpc/id': this.vpc.vpcId,
        'vpc/cidr': p.vpc.cidr,
        'vpc/private-subnet-ids': ids(this.vpc.privateSubnets),
        'vpc/public-subnet-ids': ids(this.vpc.publicSubnets),
        'cluster/name': this.clusterName,
        'cluster/endpoint': this.cluster.clusterEndpoint,
        'cluster/security-group-id': this.cluster.clusterSecurityGroupId,
        'cluster/oidc-issuer-url': this.cluster.clusterOpenIdConnectIssuerUrl,
        'cluster/nodegroups': this.nodegroupNames.join(','),
        'database/endpoint': this.database.dbInstanceEndpointAddress,
        'database/port': this.database.dbInstanceEndpointPort,
        'database/master-secret-arn': this.masterSecret.secretArn,
        'database/app-user-secret-arn': this.appUserSecret.secretArn,
        'dns/public-zone-id': this.publicZone.hostedZoneId,
        'dns/public-zone-name': this.publicZone.zoneName,
        'dns/private-zone-id': this.privateZone.hostedZoneId,
        'dns/private-zone-name': this.privateZone.zoneName,
        'dns/certificate-arn': this.dns.certificate.certificateArn,
        'buckets/static': this.staticBucket.bucketName,
        'buckets/backups': this.backupBucket.bucketName,
        'buckets/logs': this.logsBucket.bucketName,
        'buckets/velero': this.veleroBucket.bucketName,
        'kms/data-key-arn': this.dataKey.keyArn,
        'trail/arn': this.trail.trailArn,
        'datadog/integration-role-arn': this.datadogIntegration.role.roleArn,
        'ingress/internal-host': `ingress.${this.privateZone.zoneName}`,
        ...(this.search
          ? {
              'opensearch/endpoint': this.search.domain.domainEndpoint,
              'opensearch/master-user-secret-arn': this.search.masterUserSecret.secretArn,
            }
          : {}),
      },
    });
  }

  /** The configured zones: synth never looks availability zones up (no credentials, no network). */
  override get availabilityZones(): string[] {
    return this.azs;
  }
}
