import type { StageConfigInput } from '../schema.js';
import { CHARTS, gitops, secretNames } from './shared.js';

const names = secretNames('dev');

export const dev: StageConfigInput = {
  name: 'dev',
  tier: 'dev',
  account: '111111111111',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  tags: { 'cost-center': 'platform', environment: 'dev' },
  platform: {
    vpc: { cidr: '10.10.0.0/16', natGateways: 1, flowLogRetentionDays: 30 },
    vpn: { customerGatewayIp: '203.0.113.10', customerGatewayAsn: 65010, officeCidrs: ['192.168.0.0/20'] },
    eks: {
      // Matches the kubectl layer (v35, infra/constructs/platform/cluster.ts) and is in EKS standard support.
      version: '1.35',
      publicAccessCidrs: ['203.0.113.0/24'],
      accessEntries: [
        {
          principalArn: 'arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin',
          policy: 'cluster-admin',
        },
        { principalArn: 'arn:aws:iam::111111111111:role/AWSReservedSSO_Developer', policy: 'edit' },
      ],
      nodeGroup: {
        instanceTypes: ['m7g.large', 'm6g.large'],
        capacityType: 'SPOT',
        minSize: 1,
        desiredSize: 1,
        maxSize: 4,
        // Version updates: one node at a time, new node first (surge), drains respect PodDisruptionBudgets.
        update: { maxUnavailable: 1, strategy: 'DEFAULT' },
      },
      charts: CHARTS,
      // Nodes update in waves: 2 at a time, only inside the window (UTC).
      bottlerocketUpdates: {
        schedule: '* * 8-16 * * Mon-Thu *',
        maxConcurrentUpdates: 2,
        excludeFromLoadBalancerSeconds: 0,
      },
      teams: [
        {
          name: 'payments',
          principalArn: 'arn:aws:iam::111111111111:role/AWSReservedSSO_TeamPayments',
          namespaces: ['payments'],
          access: 'admin',
        },
        {
          name: 'checkout',
          principalArn: 'arn:aws:iam::111111111111:role/AWSReservedSSO_TeamCheckout',
          namespaces: ['checkout', 'checkout-jobs'],
          access: 'edit',
        },
      ],
    },
    rds: {
      instanceType: 't4g.medium',
      engineVersion: '8.0.42',
      allocatedStorageGiB: 50,
      backupRetentionDays: 7,
      deletionProtection: false,
      databaseName: 'app',
    },
    dns: { publicZoneName: 'dev.example.com', privateZoneName: 'dev.internal.example.com' },
    gitops: gitops('dev', 'dev.example.com'),
    // No OpenSearch domain and no RabbitMQ in dev (both default off): they cost more than dev's nodes.
    ecr: {
      images: ['api', 'worker'],
      charts: ['api'],
      untaggedExpireDays: 7,
      keepImages: 30,
      pullThroughCache: ['ecr-public', 'k8s', 'quay'],
    },
    buckets: { archiveAfterDays: 30, logsExpireAfterDays: 90 },
    // Workloads reading /app/dev/<app>/… (README "Application parameters").
    appParameters: [{ app: 'api', namespace: 'app', serviceAccount: 'api' }],
    datadog: { externalId: 'dev-datadog-external-id' },
  },
  automation: {
    dryRun: false,
    automationRolePrefix: 'ops-dev-',
    breakGlassRoleNames: ['AWSReservedSSO_BreakGlass'],
    allowLists: {
      hostedZones: [{ zoneName: 'dev.example.com', records: ['*.dev.example.com', 'dev.example.com'] }],
      nodeGroups: [
        {
          cluster: 'dev-platform',
          nodegroup: 'dev-platform-*',
          ceiling: 6,
          stepSize: 2,
          scaleBackAfterMinutes: 60,
        },
      ],
      secrets: [
        {
          name: 'dev/rds/app-user',
          strategy: 'mysql-alternating-users',
          consumerRoleNames: ['dev-app-api'],
          restartWorkloads: ['app/deployment/api'],
        },
        { name: 'dev/api/partner-token', strategy: 'random', consumerRoleNames: ['dev-app-api'] },
        // The RDS master user: our single-user rotation (README "Secret rotation"). Its readers are the
        // app user's rotation and the restore test's check query. 29 days, not 30, so the two schedules
        // drift apart rather than fire together (the app user's rotation logs in as the master).
        {
          name: 'dev/rds/master',
          strategy: 'mysql-single-user',
          consumerRoleNames: ['ops-dev-rotation-dev-rds-app-user', 'ops-dev-verify-backups-check-database'],
          rotation: { everyDays: 29 },
        },
      ],
      volumes: {
        protectedTag: { key: 'backup', value: 'required' },
        pvcNamespaces: ['app', 'data'],
        keepLast: 3,
        maxAgeDays: 14,
      },
    },
    // restore-guardrail (runbooks/restore-guardrail/README.md): the platform's own trail and buckets (CloudFormation
    // names them after the `dev-platform` stack) and this account's snapshots. Add protected security groups by id.
    restoreGuardrail: {
      trails: ['dev-platform-trail'],
      flowLogs: true,
      buckets: ['dev-platform-*'],
      // An example id: list the groups that must never be open to the world (e.g. the database's).
      securityGroups: ['sg-0d0e0f0a0b0c0d0e0'],
      snapshotOwners: ['111111111111'],
      trustedAccounts: [],
    },
    runbooks: {},
    // Dev audit records are test data: a short GOVERNANCE lock, so the bucket can be emptied and removed.
    audit: { retentionDays: 30, lockMode: 'GOVERNANCE' },
    ingressRecords: [{ zoneName: 'dev.example.com', recordName: 'app.dev.example.com' }],
    // Where alarms (SNS topic) and Datadog monitors (@-handles) go: README "Reporting, audit and observability".
    alerting: {
      emails: ['platform-dev-alerts@example.com'],
      datadogHandles: ['@slack-ops-dev-alerts'],
    },
    schedules: [
      { name: 'daily-backup-verification', runbook: 'verify-backups', expression: 'cron(0 5 * * ? *)' },
    ],
    slack: {
      channel: 'C0DEVOPS001',
      ...names.slack,
      users: { U0PLATFORM1: { run: ['*'], approve: ['*'] }, U0PLATFORM2: { run: ['*'], approve: ['*'] } },
      userGroups: { S0ONCALL01: { run: ['snapshot-volume', 'scale-node-group'], approve: [] } },
    },
    datadog: { site: 'datadoghq.eu', ...names.datadog, instrument: false },
  },
};
