import type { StageConfigInput } from '../schema.js';
import { PROD_AUTOMATION_POLICY } from './prod.js';
import { CHARTS, gitops, secretNames } from './shared.js';

const names = secretNames('prod-euc1');

/**
 * Production's second region (issue 19: "duplicate the environment to another region with slight
 * changes"): the prod stage stamped out in eu-central-1, same account, its own VPC range
 * (10.40.0.0/16, disjoint from every other stage: config/index.ts checkStages), its own zones,
 * cluster and automation; its DR copies go to eu-west-1 (stack `prod-euc1-dr`, not prod's `prod-dr`).
 * What differs from prod.ts: name, region and AZs, drRegion, CIDR, DNS names, Slack channel.
 */
export const prodEuc1: StageConfigInput = {
  name: 'prod-euc1',
  tier: 'prod',
  account: '333333333333',
  region: 'eu-central-1',
  availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
  drRegion: 'eu-west-1',
  tags: { 'cost-center': 'platform', environment: 'prod', region: 'eu-central-1' },
  platform: {
    vpc: { cidr: '10.40.0.0/16', natGateways: 3, flowLogRetentionDays: 365 },
    vpn: { customerGatewayIp: '203.0.113.10', customerGatewayAsn: 65010, officeCidrs: ['192.168.0.0/20'] },
    eks: {
      // Matches the kubectl layer (v35, infra/constructs/platform/cluster.ts) and is in EKS standard support.
      version: '1.35',
      publicAccessCidrs: [],
      accessEntries: [
        {
          principalArn: 'arn:aws:iam::333333333333:role/AWSReservedSSO_PlatformAdmin',
          policy: 'cluster-admin',
        },
        { principalArn: 'arn:aws:iam::333333333333:role/AWSReservedSSO_Developer', policy: 'view' },
      ],
      nodeGroup: {
        instanceTypes: ['m7g.xlarge'],
        capacityType: 'ON_DEMAND',
        minSize: 2,
        desiredSize: 3,
        maxSize: 10,
        // Version updates: one node at a time, new node first (surge), drains respect PodDisruptionBudgets.
        update: { maxUnavailable: 1, strategy: 'DEFAULT' },
      },
      charts: CHARTS,
      // Nodes update in waves: 1 at a time, only inside the window (UTC).
      bottlerocketUpdates: {
        schedule: '* * 2-4 * * Tue,Wed *',
        maxConcurrentUpdates: 1,
        excludeFromLoadBalancerSeconds: 60,
      },
      teams: [
        {
          name: 'payments',
          principalArn: 'arn:aws:iam::333333333333:role/AWSReservedSSO_TeamPayments',
          namespaces: ['payments'],
          access: 'edit',
        },
        {
          name: 'checkout',
          principalArn: 'arn:aws:iam::333333333333:role/AWSReservedSSO_TeamCheckout',
          namespaces: ['checkout', 'checkout-jobs'],
          access: 'edit',
        },
      ],
    },
    rds: {
      instanceType: 'r7g.large',
      engineVersion: '8.0.42',
      allocatedStorageGiB: 200,
      backupRetentionDays: 30,
      deletionProtection: true,
      databaseName: 'app',
    },
    dns: {
      publicZoneName: 'euc1.example.com',
      privateZoneName: 'euc1.internal.example.com',
      certificateNames: ['api.euc1.example.com'],
    },
    gitops: gitops('prod-euc1', 'euc1.example.com'),
    // As prod: OpenSearch over three AZs with three dedicated masters; RabbitMQ with one replica per AZ.
    opensearch: {
      enabled: true,
      dataNodeInstanceType: 'r7g.large.search',
      dataNodes: 3,
      dedicatedMasterNodes: 3,
      dedicatedMasterInstanceType: 'm7g.large.search',
      volumeGiB: 100,
      zoneAwareness: true,
    },
    rabbitmq: { enabled: true, replicas: 3, storageGiB: 50 },
    ecr: {
      images: ['api', 'worker'],
      charts: ['api'],
      untaggedExpireDays: 14,
      keepImages: 100,
      pullThroughCache: ['ecr-public', 'k8s', 'quay'],
    },
    buckets: { archiveAfterDays: 90, logsExpireAfterDays: 400 },
    // Workloads reading /app/prod-euc1/<app>/… (README "Application parameters").
    appParameters: [{ app: 'api', namespace: 'app', serviceAccount: 'api' }],
    datadog: { externalId: 'prod-euc1-datadog-external-id' },
  },
  automation: {
    dryRun: false,
    automationRolePrefix: 'ops-prod-euc1-',
    breakGlassRoleNames: ['AWSReservedSSO_BreakGlass'],
    allowLists: {
      hostedZones: [
        { zoneName: 'euc1.example.com', records: ['app.euc1.example.com', 'api.euc1.example.com'] },
      ],
      nodeGroups: [
        {
          cluster: 'prod-euc1-platform',
          nodegroup: 'prod-euc1-platform-*',
          ceiling: 16,
          stepSize: 2,
          scaleBackAfterMinutes: 0,
        },
      ],
      secrets: [
        {
          name: 'prod-euc1/rds/app-user',
          strategy: 'mysql-alternating-users',
          consumerRoleNames: ['prod-euc1-app-api'],
          restartWorkloads: ['app/deployment/api'],
        },
        { name: 'prod-euc1/api/partner-token', strategy: 'random', consumerRoleNames: ['prod-euc1-app-api'] },
        // The RDS master user: our single-user rotation (README "Secret rotation"). Its readers are the
        // app user's rotation and the restore test's check query. 29 days, not 30, so the two schedules
        // drift apart rather than fire together (the app user's rotation logs in as the master).
        {
          name: 'prod-euc1/rds/master',
          strategy: 'mysql-single-user',
          consumerRoleNames: [
            'ops-prod-euc1-rotation-prod-euc1-rds-app-user',
            'ops-prod-euc1-verify-backups-check-database',
          ],
          rotation: { everyDays: 29 },
        },
      ],
      volumes: {
        protectedTag: { key: 'backup', value: 'required' },
        // rabbitmq: the RabbitmqCluster's PVCs (platform.rabbitmq.namespace) are snapshot-volume's too.
        pvcNamespaces: ['app', 'data', 'rabbitmq'],
        keepLast: 14,
        maxAgeDays: 35,
      },
    },
    // restore-guardrail, as prod: this stage's own trail and buckets, this account's snapshots.
    restoreGuardrail: {
      trails: ['prod-euc1-platform-trail'],
      flowLogs: true,
      buckets: ['prod-euc1-platform-*'],
      securityGroups: [],
      snapshotOwners: ['333333333333'],
      trustedAccounts: [],
    },
    ...PROD_AUTOMATION_POLICY,
    ingressRecords: [
      { zoneName: 'euc1.example.com', recordName: 'app.euc1.example.com' },
      { zoneName: 'euc1.example.com', recordName: 'api.euc1.example.com' },
    ],
    slack: {
      channel: 'C0PRODEUC01',
      ...names.slack,
      users: { U0PLATFORM1: { run: ['*'], approve: ['*'] }, U0PLATFORM2: { run: ['*'], approve: ['*'] } },
      userGroups: {
        S0ONCALL01: { run: ['snapshot-volume', 'scale-node-group'], approve: ['snapshot-volume'] },
      },
      approvalTimeoutMinutes: 30,
    },
    datadog: { site: 'datadoghq.eu', ...names.datadog, instrument: true },
  },
};
