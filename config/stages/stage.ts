import type { StageConfigInput } from '../schema.js';
import { CHARTS, gitops, secretNames } from './shared.js';

const names = secretNames('stage');

export const stage: StageConfigInput = {
  name: 'stage',
  tier: 'stage',
  account: '222222222222',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  tags: { 'cost-center': 'platform', environment: 'stage' },
  platform: {
    vpc: { cidr: '10.20.0.0/16', natGateways: 1, flowLogRetentionDays: 90 },
    vpn: { customerGatewayIp: '203.0.113.10', customerGatewayAsn: 65010, officeCidrs: ['192.168.0.0/20'] },
    eks: {
      // Matches the kubectl layer (v35, infra/constructs/platform/cluster.ts) and is in EKS standard support.
      version: '1.35',
      publicAccessCidrs: [],
      accessEntries: [
        {
          principalArn: 'arn:aws:iam::222222222222:role/AWSReservedSSO_PlatformAdmin',
          policy: 'cluster-admin',
        },
        { principalArn: 'arn:aws:iam::222222222222:role/AWSReservedSSO_Developer', policy: 'view' },
      ],
      nodeGroup: {
        instanceTypes: ['m7g.large', 'm6g.large'],
        capacityType: 'SPOT',
        minSize: 1,
        desiredSize: 2,
        maxSize: 6,
        // Version updates: one node at a time, new node first (surge), drains respect PodDisruptionBudgets.
        update: { maxUnavailable: 1, strategy: 'DEFAULT' },
      },
      charts: CHARTS,
      // Nodes update in waves: 1 at a time, only inside the window (UTC).
      bottlerocketUpdates: {
        schedule: '* * 8-16 * * Mon-Thu *',
        maxConcurrentUpdates: 1,
        excludeFromLoadBalancerSeconds: 0,
      },
      teams: [
        {
          name: 'payments',
          principalArn: 'arn:aws:iam::222222222222:role/AWSReservedSSO_TeamPayments',
          namespaces: ['payments'],
          access: 'admin',
        },
        {
          name: 'checkout',
          principalArn: 'arn:aws:iam::222222222222:role/AWSReservedSSO_TeamCheckout',
          namespaces: ['checkout', 'checkout-jobs'],
          access: 'edit',
        },
      ],
    },
    rds: {
      instanceType: 't4g.large',
      engineVersion: '8.0.42',
      allocatedStorageGiB: 100,
      backupRetentionDays: 14,
      deletionProtection: false,
      databaseName: 'app',
    },
    dns: { publicZoneName: 'stage.example.com', privateZoneName: 'stage.internal.example.com' },
    gitops: gitops('stage', 'stage.example.com'),
    // One small OpenSearch node (no zone awareness) and one RabbitMQ replica: enough to test against.
    opensearch: { enabled: true, dataNodeInstanceType: 'm7g.large.search', dataNodes: 1, volumeGiB: 50 },
    rabbitmq: { enabled: true, replicas: 1, storageGiB: 10 },
    ecr: {
      images: ['api', 'worker'],
      charts: ['api'],
      untaggedExpireDays: 7,
      keepImages: 30,
      pullThroughCache: ['ecr-public', 'k8s', 'quay'],
    },
    buckets: { archiveAfterDays: 90, logsExpireAfterDays: 400 },
    // Workloads reading /app/stage/<app>/… (README "Application parameters").
    appParameters: [{ app: 'api', namespace: 'app', serviceAccount: 'api' }],
    datadog: { externalId: 'stage-datadog-external-id' },
  },
  automation: {
    dryRun: false,
    automationRolePrefix: 'ops-stage-',
    breakGlassRoleNames: ['AWSReservedSSO_BreakGlass'],
    allowLists: {
      hostedZones: [{ zoneName: 'stage.example.com', records: ['*.stage.example.com'] }],
      nodeGroups: [
        {
          cluster: 'stage-platform',
          nodegroup: 'stage-platform-*',
          ceiling: 8,
          stepSize: 2,
          scaleBackAfterMinutes: 0,
        },
      ],
      secrets: [
        {
          name: 'stage/rds/app-user',
          strategy: 'mysql-alternating-users',
          consumerRoleNames: ['stage-app-api'],
          restartWorkloads: ['app/deployment/api'],
        },
        { name: 'stage/api/partner-token', strategy: 'random', consumerRoleNames: ['stage-app-api'] },
        // The RDS master user: our single-user rotation (README "Secret rotation"). Its readers are the
        // app user's rotation and the restore test's check query. 29 days, not 30, so the two schedules
        // drift apart rather than fire together (the app user's rotation logs in as the master).
        {
          name: 'stage/rds/master',
          strategy: 'mysql-single-user',
          consumerRoleNames: [
            'ops-stage-rotation-stage-rds-app-user',
            'ops-stage-verify-backups-check-database',
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
    // names them after the `stage-platform` stack) and this account's snapshots. Add protected security groups by id.
    restoreGuardrail: {
      trails: ['stage-platform-trail'],
      flowLogs: true,
      buckets: ['stage-platform-*'],
      securityGroups: [],
      snapshotOwners: ['222222222222'],
      trustedAccounts: [],
    },
    runbooks: {},
    ingressRecords: [{ zoneName: 'stage.example.com', recordName: 'app.stage.example.com' }],
    // Where alarms (SNS topic) and Datadog monitors (@-handles) go: README "Reporting, audit and observability".
    alerting: {
      emails: ['platform-stage-alerts@example.com'],
      datadogHandles: ['@slack-ops-stage-alerts'],
    },
    schedules: [
      { name: 'daily-backup-verification', runbook: 'verify-backups', expression: 'cron(0 5 * * ? *)' },
    ],
    slack: {
      channel: 'C0STAGEOPS1',
      ...names.slack,
      users: { U0PLATFORM1: { run: ['*'], approve: ['*'] }, U0PLATFORM2: { run: ['*'], approve: ['*'] } },
      userGroups: {
        S0ONCALL01: { run: ['snapshot-volume', 'scale-node-group'], approve: ['snapshot-volume'] },
      },
      approvalTimeoutMinutes: 30,
    },
    datadog: { site: 'datadoghq.eu', ...names.datadog, instrument: false },
  },
};
