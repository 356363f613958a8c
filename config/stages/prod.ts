import type { StageConfigInput } from '../schema.js';
import { CHARTS, gitops, secretNames } from './shared.js';

const names = secretNames('prod');

/**
 * Production's automation policy, the same in every production region (prod-euc1 takes it as it is):
 * which runbooks wait for a person, where alarms go, the backup verification and its schedule.
 */
export const PROD_AUTOMATION_POLICY = {
  // The node-groups sweep reads unschedulable-pod events in the workloads' namespace only.
  sweeps: { workloadNamespaces: ['app'] },
  runbooks: {
    // Production DNS and secrets are changed only with a human's approval.
    'update-dns': { mode: 'approval' },
    'rotate-secret': { mode: 'approval' },
    // Putting a guardrail back is safe, but in production a person confirms it first.
    'restore-guardrail': { mode: 'approval' },
  },
  // Where alarms (SNS topic) and Datadog monitors (@-handles) go: README "Reporting, audit and observability".
  alerting: {
    emails: ['platform-oncall@example.com'],
    slackChannel: 'C0PRODALRM1',
    datadogHandles: ['@pagerduty-platform-prod', '@slack-ops-prod-alerts'],
  },
  // The weekly RDS restore test is on in prod (README "Backup verification"): Sundays, a db.t4g.micro
  // scratch instance for at most 60 minutes. Add rowCount / freshness checks of the app's tables here.
  backupVerification: {
    rdsRestoreTest: {
      enabled: true,
      weekday: 'SUN',
      instanceClass: 'db.t4g.micro',
      maxMinutes: 60,
      checks: [{ kind: 'query', sql: 'SELECT COUNT(*) FROM information_schema.tables', min: 1 }],
    },
    // The Velero restore test: each namespace's latest backup restored into restore-check-<ns>, checked
    // for Ready pods / Bound PVCs, then deleted (README "Backup verification").
    velero: {
      restoreTest: {
        enabled: true,
        namespaces: [
          { namespace: 'app', minReadyPods: 1, minBoundPvcs: 0 },
          { namespace: 'data', minReadyPods: 1, minBoundPvcs: 1 },
        ],
        maxMinutes: 30,
      },
    },
  },
  schedules: [
    { name: 'daily-backup-verification', runbook: 'verify-backups', expression: 'cron(0 5 * * ? *)' },
  ],
} satisfies Partial<StageConfigInput['automation']>;

/**
 * Production's platform sizing, the same in every production region (prod-euc1 takes it as it is):
 * VPN, cluster, database, OpenSearch, RabbitMQ, ECR and bucket lifecycles. Names, ranges and zones
 * stay per stage.
 */
export const PROD_PLATFORM = {
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
  // OpenSearch over three AZs (zone awareness) with three dedicated masters; RabbitMQ with one replica per AZ.
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
} satisfies Partial<StageConfigInput['platform']>;

export const prod: StageConfigInput = {
  name: 'prod',
  tier: 'prod',
  account: '333333333333',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  drRegion: 'eu-central-1',
  tags: { 'cost-center': 'platform', environment: 'prod' },
  platform: {
    vpc: { cidr: '10.30.0.0/16', natGateways: 3, flowLogRetentionDays: 365 },
    ...PROD_PLATFORM,
    dns: {
      publicZoneName: 'example.com',
      privateZoneName: 'internal.example.com',
      certificateNames: ['api.example.com'],
    },
    gitops: gitops('prod', 'example.com'),
    // Workloads reading /app/prod/<app>/… (README "Application parameters").
    appParameters: [{ app: 'api', namespace: 'app', serviceAccount: 'api' }],
    datadog: { externalId: 'prod-datadog-external-id' },
  },
  automation: {
    dryRun: false,
    automationRolePrefix: 'ops-prod-',
    breakGlassRoleNames: ['AWSReservedSSO_BreakGlass'],
    allowLists: {
      hostedZones: [{ zoneName: 'example.com', records: ['app.example.com', 'api.example.com'] }],
      nodeGroups: [
        {
          cluster: 'prod-platform',
          nodegroup: 'prod-platform-*',
          ceiling: 16,
          stepSize: 2,
          scaleBackAfterMinutes: 0,
        },
      ],
      secrets: [
        {
          name: 'prod/rds/app-user',
          strategy: 'mysql-alternating-users',
          consumerRoleNames: ['prod-app-api'],
          restartWorkloads: ['app/deployment/api'],
        },
        { name: 'prod/api/partner-token', strategy: 'random', consumerRoleNames: ['prod-app-api'] },
        // The RDS master user: our single-user rotation (README "Secret rotation"). Its readers are the
        // app user's rotation and the restore test's check query. 29 days, not 30, so the two schedules
        // drift apart rather than fire together (the app user's rotation logs in as the master).
        {
          name: 'prod/rds/master',
          strategy: 'mysql-single-user',
          consumerRoleNames: [
            'ops-prod-rotation-prod-rds-app-user',
            'ops-prod-verify-backups-check-database',
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
    // restore-guardrail (runbooks/restore-guardrail/README.md): the platform's own trail and buckets (CloudFormation
    // names them after the `prod-platform` stack) and this account's snapshots. Add protected security groups by id.
    restoreGuardrail: {
      trails: ['prod-platform-trail'],
      flowLogs: true,
      buckets: ['prod-platform-*'],
      securityGroups: [],
      snapshotOwners: ['333333333333'],
      trustedAccounts: [],
    },
    ...PROD_AUTOMATION_POLICY,
    ingressRecords: [
      { zoneName: 'example.com', recordName: 'app.example.com' },
      { zoneName: 'example.com', recordName: 'api.example.com' },
    ],
    slack: {
      channel: 'C0PRODOPS01',
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
