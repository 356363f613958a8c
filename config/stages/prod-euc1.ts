import type { StageConfigInput } from '../schema.js';
import { PROD_AUTOMATION_POLICY, PROD_PLATFORM } from './prod.js';
import { gitops, secretNames } from './shared.js';

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
    ...PROD_PLATFORM,
    dns: {
      publicZoneName: 'euc1.example.com',
      privateZoneName: 'euc1.internal.example.com',
      certificateNames: ['api.euc1.example.com'],
    },
    gitops: gitops('prod-euc1', 'euc1.example.com'),
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
