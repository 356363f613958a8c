import { parseStage, type StageConfig, type StageConfigInput } from '../../infra/index.js';
import { EXISTING } from './existing.js';

/**
 * The team's stage, in the same typed configuration our own stages use (config/schema.ts), so every
 * check made at synth and at Lambda cold start applies. `automation` is what matters here: what the
 * runbooks may touch, who may run and approve them in Slack, where alarms go. Of `platform`,
 * OpsAutomation reads only `eks.charts` (the Velero and cluster-autoscaler namespaces) and
 * `rds.databaseName`; the rest describes the existing platform for the shared schema and is unused.
 */
export const SHOP: StageConfigInput = {
  name: 'shop',
  tier: 'stage',
  account: EXISTING.account,
  region: EXISTING.region,
  availabilityZones: [...EXISTING.vpc.availabilityZones],
  tags: { 'cost-center': 'shop' },
  platform: {
    vpc: { cidr: '10.40.0.0/16', natGateways: 1 },
    eks: {
      version: '1.35',
      nodeGroup: {
        instanceTypes: ['m7g.large'],
        capacityType: 'ON_DEMAND',
        minSize: 2,
        desiredSize: 3,
        maxSize: 6,
      },
      charts: {
        velero: {
          chart: 'velero',
          repository: 'https://vmware-tanzu.github.io/helm-charts',
          version: '10.1.0',
          namespace: 'velero',
        },
        clusterAutoscaler: {
          chart: 'cluster-autoscaler',
          repository: 'https://kubernetes.github.io/autoscaler',
          version: '9.50.1',
          namespace: 'kube-system',
        },
      },
    },
    rds: {
      instanceType: 't4g.medium',
      engineVersion: '8.0.42',
      allocatedStorageGiB: 50,
      backupRetentionDays: 7,
      deletionProtection: true,
      databaseName: 'shop',
    },
    dns: {
      publicZoneName: EXISTING.zones[0].zoneName,
      privateZoneName: EXISTING.zones[1].zoneName,
    },
    buckets: {},
    datadog: { externalId: 'shop-datadog-external-id' },
  },
  automation: {
    dryRun: false,
    automationRolePrefix: 'ops-shop-',
    breakGlassRoleNames: ['AWSReservedSSO_BreakGlass'],
    allowLists: {
      hostedZones: [{ zoneName: 'shop.example.com', records: ['*.shop.example.com', 'shop.example.com'] }],
      nodeGroups: [
        {
          cluster: EXISTING.cluster.clusterName,
          nodegroup: 'shop-workers-*',
          ceiling: 8,
          stepSize: 2,
          scaleBackAfterMinutes: 60,
        },
      ],
      secrets: [
        {
          name: 'shop/rds/app-user',
          strategy: 'mysql-alternating-users',
          consumerRoleNames: ['shop-api'],
          restartWorkloads: ['shop/deployment/api'],
        },
        {
          name: 'shop/rds/master',
          strategy: 'mysql-single-user',
          consumerRoleNames: ['ops-shop-rotation-shop-rds-app-user'],
          rotation: { everyDays: 29 },
        },
      ],
      volumes: {
        protectedTag: { key: 'backup', value: 'required' },
        pvcNamespaces: ['shop'],
        keepLast: 3,
        maxAgeDays: 14,
      },
    },
    runbooks: {},
    audit: { retentionDays: 365 },
    ingressRecords: [{ zoneName: 'shop.example.com', recordName: 'www.shop.example.com' }],
    alerting: {
      emails: ['shop-oncall@example.com'],
      datadogHandles: ['@slack-shop-alerts'],
    },
    schedules: [
      { name: 'daily-backup-verification', runbook: 'verify-backups', expression: 'cron(0 5 * * ? *)' },
    ],
    slack: {
      channel: 'C0SHOPOPS01',
      signingSecretName: 'ops/shop/slack/signing-secret',
      botTokenSecretName: 'ops/shop/slack/bot-token',
      // Two people, so a run one of them asks for can be approved by the other.
      users: { U0SHOPLEAD1: { run: ['*'], approve: ['*'] }, U0SHOPLEAD2: { run: ['*'], approve: ['*'] } },
    },
    datadog: {
      site: 'datadoghq.eu',
      apiKeySecretName: 'ops/shop/datadog/api-key',
      appKeySecretName: 'ops/shop/datadog/app-key',
      webhookTokenSecretName: 'ops/shop/datadog/webhook-token',
      instrument: false,
    },
  },
};

export function shopStage(): StageConfig {
  return parseStage(SHOP, 'shop');
}
