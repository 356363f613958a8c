import * as z from 'zod';
import { type RestoreCheck, RestoreCheckSchema } from './restore-checks.js';
import { SweepsConfigSchema } from './sweeps.js';

export { type RestoreCheck, RestoreCheckSchema };

/**
 * Typed stage configuration. One `StageConfig` per stage + region stamps out the whole
 * platform and its automation. Everything is validated at synth with errors that name the
 * stage and the field; a function's bundle carries its stage as synth validated it (./deployed.ts),
 * and `ops` validates the stage it reads.
 *
 * `config/` sits between `runbooks/` and `functions/`: the intake Lambda and the `ops`
 * command read the same automation settings that `infra/` deploys.
 */

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.10.0.0/16')
  .refine((s) => {
    const [ip, bits] = s.split('/') as [string, string];
    return ip.split('.').every((o) => Number(o) <= 255) && Number(bits) <= 32;
  }, 'octets must be ≤ 255 and the prefix ≤ 32');
const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN');
const runbookName = z.string().regex(/^[a-z][a-z0-9-]*$/);

export const ChartSchema = z.object({
  chart: z.string(),
  repository: z.string().url(),
  /** Pinned: never a range, never `latest`. */
  version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'chart versions are pinned (x.y.z)'),
  namespace: z.string(),
});

export const NodeGroupConfigSchema = z.object({
  instanceTypes: z.array(z.string()).min(1),
  capacityType: z.enum(['ON_DEMAND', 'SPOT']),
  minSize: z.number().int().min(0),
  /** Initial desired size only: the stack never owns `desiredSize` after creation (automation changes it). */
  desiredSize: z.number().int().min(0),
  maxSize: z.number().int().min(1),
  diskSizeGiB: z.number().int().min(20).default(50),
  /**
   * How a node group version update (EKS `UpdateNodegroupVersion`) replaces nodes: at most
   * `maxUnavailable` at a time; `DEFAULT` launches the new nodes first (surge) and drains the old
   * ones respecting PodDisruptionBudgets, `MINIMAL` terminates first (no surge: cheaper, less safe).
   * Field names and limits: AWS's EKS API model, `NodegroupUpdateConfig` (maxUnavailable 1–100).
   */
  update: z
    .object({
      maxUnavailable: z.number().int().min(1).max(100).default(1),
      strategy: z.enum(['DEFAULT', 'MINIMAL']).default('DEFAULT'),
    })
    .default({ maxUnavailable: 1, strategy: 'DEFAULT' }),
});

/** Upstream registries ECR can cache without credentials (ECR API `UpstreamRegistry`), by their upstream URL. */
export const PULL_THROUGH_UPSTREAMS = {
  'ecr-public': 'public.ecr.aws',
  k8s: 'registry.k8s.io',
  quay: 'quay.io',
} as const;

/** Private ECR repositories of one stage (issue 19). Tags are immutable in prod (tier), mutable elsewhere. */
export const EcrConfigSchema = z.object({
  /** Image repositories, created as `<stage>/<name>`. */
  images: z.array(z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'lower-case repository name')).default([]),
  /** OCI Helm chart repositories, created as `<stage>/charts/<name>` (push with `helm push … oci://<registry>/<stage>/charts`). */
  charts: z.array(z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'lower-case chart name')).default([]),
  /** Lifecycle: untagged images expire after this many days… */
  untaggedExpireDays: z.number().int().min(1).default(7),
  /** …and at most this many images are kept per repository (oldest expire first). */
  keepImages: z.number().int().min(1).default(50),
  /** Pull-through cache rules (cache prefix = upstream id, e.g. `<registry>/k8s/pause:3.10`). */
  pullThroughCache: z
    .array(z.enum(Object.keys(PULL_THROUGH_UPSTREAMS) as [keyof typeof PULL_THROUGH_UPSTREAMS]))
    .default([]),
});
export type EcrConfig = z.infer<typeof EcrConfigSchema>;

const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes name (RFC 1123 label)')
  .max(63);

/**
 * A team's rights in the cluster (issue 19): its IAM role is mapped to the Kubernetes group
 * `team:<name>`, bound in each of its namespaces to the built-in ClusterRole `admin`, `edit` or
 * `view`, which the platform's aggregated ClusterRoles extend with the platform's CRDs.
 */
export const TeamConfigSchema = z.object({
  name: k8sName,
  principalArn: roleArn,
  namespaces: z.array(k8sName).min(1),
  access: z.enum(['admin', 'edit', 'view']),
});
export type TeamConfig = z.infer<typeof TeamConfigSchema>;

/**
 * Flux GitOps (issue 19): the platform installs Flux (chart `charts.flux`) and points it at one
 * Git repository laid out like `gitops/` in this project. The deploy key (SSH private key) lives in
 * Secrets Manager under `deployKeySecretName`; CI only notifies Flux through a Receiver.
 */
export const GitopsConfigSchema = z.object({
  /** SSH URL of the cluster repository, e.g. `ssh://git@github.com/acme/platform-gitops.git`. */
  repositoryUrl: z
    .string()
    .regex(/^ssh:\/\/[^@\s]+@[^/\s]+\/\S+$/, 'an ssh:// Git URL (Flux authenticates with the deploy key)'),
  branch: z.string().min(1).default('main'),
  /** Folder of this cluster in the repository (Flux convention: one folder per cluster). */
  path: z.string().regex(/^\.\/[\w./-]+$/, 'a relative path such as ./clusters/dev'),
  /** Secrets Manager name of the deploy key (an operator stores it; see README "GitOps with Flux"). */
  deployKeySecretName: z.string().min(1),
  /** How often Flux re-applies the repository (reverting drift) when no notification comes. */
  interval: z
    .string()
    .regex(/^\d+[smh]$/, 'a Go duration such as 10m')
    .default('10m'),
  /** Host name of the Receiver endpoint CI notifies (in the public zone; external-dns publishes it). */
  receiverHost: z.string().min(1),
  /**
   * `known_hosts` lines of the Git host. With them, External Secrets builds the deploy-key Secret
   * (`identity` from `deployKeySecretName`, `known_hosts` from here); without, an operator creates it by hand.
   */
  knownHosts: z.array(z.string().regex(/^\S+ (ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) \S+$/)).default([]),
});
export type GitopsConfig = z.infer<typeof GitopsConfigSchema>;

/**
 * Bottlerocket update operator (brupop, issue 19): nodes labelled for it update themselves in
 * place, at most `maxConcurrentUpdates` at a time, only while `schedule` matches. `schedule` is
 * brupop's 7-field cron (seconds minutes hours day-of-month month day-of-week year), e.g.
 * `* * 2-4 * * Tue,Wed *` = any second from 02:00 to 04:59 UTC on Tuesdays and Wednesdays.
 */
export const BottlerocketUpdatesConfigSchema = z.object({
  enabled: z.boolean().default(true),
  schedule: z
    .string()
    .regex(/^\S+( \S+){6}$/, 'a 7-field cron: seconds minutes hours day-of-month month day-of-week year'),
  maxConcurrentUpdates: z.union([z.number().int().min(1), z.literal('unlimited')]).default(1),
  /** Seconds a node is out of load balancers before it drains (0 = off). */
  excludeFromLoadBalancerSeconds: z.number().int().min(0).default(0),
});
export type BottlerocketUpdatesConfig = z.infer<typeof BottlerocketUpdatesConfigSchema>;

/**
 * Amazon OpenSearch (issue 19), optional per stage: a VPC domain in the private subnets, encrypted at
 * rest with the platform data key, node-to-node encryption, HTTPS only (TLS 1.2+), fine-grained access
 * control with the master user in Secrets Manager, audit/slow/error logs to KMS log groups, reachable
 * only from the cluster security group. `zoneAwareness` spreads data nodes (and dedicated masters)
 * over the stage's three AZs: data nodes must then be a multiple of 3.
 */
export const OpenSearchConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** An Amazon OpenSearch Service engine version, e.g. `2.19`. */
    engineVersion: z
      .string()
      .regex(/^\d+\.\d+$/, 'an OpenSearch engine version such as 2.19')
      .default('2.19'),
    dataNodeInstanceType: z
      .string()
      .regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, 'an OpenSearch instance type such as r7g.large.search')
      .default('m7g.large.search'),
    dataNodes: z.number().int().min(1).default(1),
    /** 0 = none; 3 in production (a quorum that survives one AZ). */
    dedicatedMasterNodes: z.union([z.literal(0), z.literal(3), z.literal(5)]).default(0),
    dedicatedMasterInstanceType: z
      .string()
      .regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/)
      .default('m7g.large.search'),
    /** gp3 EBS per data node. */
    volumeGiB: z.number().int().min(10).default(50),
    zoneAwareness: z.boolean().default(false),
  })
  .refine((o) => !o.zoneAwareness || o.dataNodes % 3 === 0, {
    message: 'with zoneAwareness (three AZs) dataNodes must be a multiple of 3',
    path: ['dataNodes'],
  });
export type OpenSearchConfig = z.infer<typeof OpenSearchConfigSchema>;

/**
 * RabbitMQ through its Cluster Operator (issue 19), optional per stage: chart `charts.rabbitmqClusterOperator`
 * and one `RabbitmqCluster` in `namespace`, volumes on `gp3-protected`, spread across AZs.
 */
export const RabbitMqConfigSchema = z.object({
  enabled: z.boolean().default(false),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')
    .default('rabbitmq'),
  /** 1 outside production; 3 (odd, one per AZ) in production for quorum queues. */
  replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(1),
  storageGiB: z.number().int().min(1).default(10),
  /**
   * Broker image (RabbitMQ's official image on Docker Hub). Bitnami's own images left docker.io/bitnami
   * in 2025 (bitnami/containers#83267), so neither the broker nor the operator uses them.
   */
  image: z
    .string()
    .regex(/^[a-z0-9./-]+:[\w.-]+$/, 'an image with a pinned tag')
    .default('rabbitmq:3.13.7-management'),
});
export type RabbitMqConfig = z.infer<typeof RabbitMqConfigSchema>;

/**
 * The application parameter hierarchy `/app/<stage>/<app>/…` in SSM Parameter Store (issue 19).
 * Each entry gets a read policy limited to its own path and the platform data key (through SSM
 * only), and an IRSA role for its Kubernetes service account. SecureString values are written by
 * an operator or CI with the data key (README "Application parameters"); CloudFormation cannot.
 */
export const AppParametersConfigSchema = z.object({
  /** Path segment: `/app/<stage>/<app>/…`. */
  app: k8sName,
  /** The workload's namespace and service account (the IRSA role trusts exactly this pair). */
  namespace: k8sName,
  serviceAccount: k8sName,
});
export type AppParametersConfig = z.infer<typeof AppParametersConfigSchema>;

/**
 * Three-AZ HA for data pods (issue 19): a Kyverno ClusterPolicy (chart `charts.kyverno`) gives
 * every StatefulSet a zone topology spread with `whenUnsatisfiable: DoNotSchedule` and refuses one
 * that would schedule otherwise. The add-ons' namespaces and kube-system are always excluded.
 */
export const ZoneSpreadConfigSchema = z.object({
  /** `Enforce` refuses a StatefulSet without the spread; `Audit` only reports it. */
  failureAction: z.enum(['Enforce', 'Audit']).default('Enforce'),
  /** More namespaces to leave out (beyond kube-system and every chart's namespace). */
  excludeNamespaces: z.array(k8sName).default([]),
});
export type ZoneSpreadConfig = z.infer<typeof ZoneSpreadConfigSchema>;

export const PlatformConfigSchema = z.object({
  vpc: z.object({
    cidr,
    /** One per AZ in production; one in non-production to save cost. */
    natGateways: z.number().int().min(1).max(3),
    flowLogRetentionDays: z.number().int().positive().default(90),
  }),
  vpn: z
    .object({
      customerGatewayIp: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/),
      customerGatewayAsn: z.number().int().min(1).default(65000),
      officeCidrs: z.array(cidr).min(1),
    })
    .optional(),
  eks: z.object({
    version: z.string().regex(/^1\.\d+$/),
    /** Empty = private endpoint only. */
    publicAccessCidrs: z.array(cidr).default([]),
    accessEntries: z
      .array(z.object({ principalArn: roleArn, policy: z.enum(['cluster-admin', 'admin', 'edit', 'view']) }))
      .default([]),
    nodeGroup: NodeGroupConfigSchema,
    charts: z.record(z.string(), ChartSchema),
    bottlerocketUpdates: BottlerocketUpdatesConfigSchema.optional(),
    /** Teams and their namespaces (see TeamConfigSchema). */
    teams: z.array(TeamConfigSchema).default([]),
    /** StatefulSet zone spread, enforced by Kyverno when `charts.kyverno` is pinned (see ZoneSpreadConfigSchema). */
    zoneSpread: ZoneSpreadConfigSchema.default({ failureAction: 'Enforce', excludeNamespaces: [] }),
  }),
  /** Workloads reading `/app/<stage>/<app>/…` parameters (see AppParametersConfigSchema). */
  appParameters: z.array(AppParametersConfigSchema).default([]),
  rds: z.object({
    instanceType: z.string(),
    engineVersion: z.string(),
    allocatedStorageGiB: z.number().int().min(20),
    backupRetentionDays: z.number().int().min(1).max(35),
    deletionProtection: z.boolean(),
    databaseName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
  }),
  dns: z.object({
    publicZoneName: z.string(),
    privateZoneName: z.string(),
    /** Extra certificate names beyond the zone apex and its wildcard. */
    certificateNames: z.array(z.string()).default([]),
    /** Contact for the Let's Encrypt ACME account of the cert-manager ClusterIssuers (optional for Let's Encrypt). */
    acmeEmail: z.string().email().optional(),
  }),
  buckets: z.object({
    /** Days before objects move to an archive tier / expire. */
    archiveAfterDays: z.number().int().positive().default(90),
    logsExpireAfterDays: z.number().int().positive().default(400),
  }),
  gitops: GitopsConfigSchema.optional(),
  opensearch: OpenSearchConfigSchema.prefault({}),
  rabbitmq: RabbitMqConfigSchema.prefault({}),
  ecr: EcrConfigSchema.default({
    images: [],
    charts: [],
    untaggedExpireDays: 7,
    keepImages: 50,
    pullThroughCache: [],
  }),
  datadog: z.object({
    /** External id Datadog gave the account for its AWS integration role. */
    externalId: z.string().min(1),
    datadogAccountId: accountId.default('464622532012'),
    /**
     * Also register the account with Datadog as code: a `Datadog::Integrations::AWS` resource
     * (a third-party CloudFormation registry type). Off by default: the type must first be
     * activated in the account and region with Datadog API/app keys in its type configuration
     * (README "Datadog AWS integration as code"); a stack using an unactivated type fails to deploy.
     */
    registerIntegration: z.boolean().default(false),
  }),
});
export type PlatformConfig = z.infer<typeof PlatformConfigSchema>;

export const PolicyOverrideSchema = z.object({
  enabled: z.boolean().default(true),
  mode: z.enum(['auto', 'approval']).optional(),
  windowMinutes: z.number().int().positive().optional(),
  rateLimit: z
    .object({ maxRuns: z.number().int().positive(), perMinutes: z.number().int().positive() })
    .optional(),
  circuitBreaker: z
    .object({
      failures: z.number().int().positive(),
      perMinutes: z.number().int().positive(),
      openMinutes: z.number().int().positive(),
    })
    .optional(),
  lockMinutes: z.number().int().positive().optional(),
  dryRun: z.boolean().optional(),
});
export type PolicyOverride = z.infer<typeof PolicyOverrideSchema>;

/** Verdict policy for one class of backups (EBS snapshots, RDS snapshots, Velero backups). */
export const BackupClassPolicySchema = z
  .object({
    /** Recovery point objective: the newest completed backup must be at most this old. */
    rpoHours: z.number().positive(),
    /** Retention floor: fewer recovery points than this means backups are being lost. */
    minRecoveryPoints: z.number().int().min(1),
    /** Retention ceiling: more than this means retention is unbounded (cost, compliance). */
    maxRecoveryPoints: z.number().int().positive(),
    /** Whether a copy in the stage's `drRegion` is required (ignored when the stage has none). */
    drCopyRequired: z.boolean().default(true),
  })
  .refine((c) => c.minRecoveryPoints <= c.maxRecoveryPoints, 'minRecoveryPoints must be ≤ maxRecoveryPoints');

const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** The restored database's check when none is configured: its catalogue answers at all. */
const DEFAULT_RESTORE_CHECK: RestoreCheck = {
  kind: 'query',
  sql: 'SELECT COUNT(*) FROM information_schema.tables',
  min: 1,
};

/** What the daily `verify-backups` run checks, and how (issue 6). Every field has a default. */
export const BackupVerificationConfigSchema = z.object({
  /**
   * The RDS instance whose snapshots are verified (and restore-tested). Default: `<stage>-platform`,
   * the name our platform stack gives its database; a team with its own database names it here.
   */
  databaseInstance: z
    .string()
    .regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/, 'an RDS DB instance identifier')
    .optional(),
  classes: z
    .object({
      ebs: BackupClassPolicySchema.default({
        rpoHours: 26,
        minRecoveryPoints: 1,
        maxRecoveryPoints: 60,
        drCopyRequired: true,
      }),
      rds: BackupClassPolicySchema.default({
        rpoHours: 26,
        minRecoveryPoints: 1,
        maxRecoveryPoints: 60,
        drCopyRequired: true,
      }),
      velero: BackupClassPolicySchema.default({
        rpoHours: 26,
        minRecoveryPoints: 1,
        maxRecoveryPoints: 120,
        drCopyRequired: true,
      }),
    })
    .default({
      ebs: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
      rds: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
      velero: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 120, drCopyRequired: true },
    }),
  /**
   * "Last verified restore": how old, per kind, the newest successful restore or content check of a
   * resource may get before its alarm fires (the EBS content check runs daily, the RDS restore
   * weekly). Alarms exist only for the kinds whose restore test the stage runs.
   */
  lastVerifiedMaxHours: z
    .object({
      ebs: z.number().positive().default(50),
      rds: z
        .number()
        .positive()
        .default(8 * 24 + 2),
      velero: z.number().positive().default(50),
    })
    .default({ ebs: 50, rds: 8 * 24 + 2, velero: 50 }),
  /** The KMS key every backup must be encrypted with (resolved to its ARN at run time). */
  kmsKeyAlias: z
    .string()
    .regex(/^alias\/[A-Za-z0-9/_-]+$/, 'must be a KMS alias such as alias/dev-data')
    .optional(),
  /** Timestamps up to this far in the future are clock skew, not an error. */
  clockSkewMinutes: z.number().int().min(0).max(60).default(5),
  /** How many backups are checked (and restore-tested) at once. */
  maxConcurrency: z.number().int().min(1).max(20).default(4),
  /**
   * EBS content check: the newest snapshot of each protected volume is read through the EBS direct
   * APIs (no volume, no instance): partition table, ext4/XFS superblock, and `sampleBlocks` blocks
   * in all (the first and the last written block always), each checked against its SHA-256.
   */
  ebsRestoreTest: z
    .object({
      enabled: z.boolean().default(true),
      sampleBlocks: z.number().int().min(2).max(1000).default(16),
    })
    .default({ enabled: true, sampleBlocks: 16 }),
  /**
   * The weekly RDS restore test: the newest snapshot is restored to a scratch instance (scratch subnet
   * group and security group), the checks run against it, and it is deleted on every path. Off by
   * default (a restored instance costs money while it lives); prod turns it on.
   */
  rdsRestoreTest: z
    .object({
      enabled: z.boolean().default(false),
      weekday: z.enum(WEEKDAYS).default('SUN'),
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/)
        .default('db.t4g.micro'),
      /**
       * Time budget: the restore must be available and checked within this; a slower restore fails
       * the backup (and the scratch instance is deleted). Also the bound of the cost estimate.
       */
      maxMinutes: z.number().int().min(15).max(180).default(60),
      /** What is checked on the restored database; each check gets its own verdict. */
      checks: z.array(RestoreCheckSchema).min(1).max(20).default([DEFAULT_RESTORE_CHECK]),
    })
    .default({
      enabled: false,
      weekday: 'SUN',
      instanceClass: 'db.t4g.micro',
      maxMinutes: 60,
      checks: [DEFAULT_RESTORE_CHECK],
    }),
  velero: z
    .object({
      /** The Velero bucket; the platform's Velero bucket when omitted. */
      bucketName: z.string().optional(),
      /** The backup storage location's prefix inside the bucket ('' = bucket root). */
      prefix: z
        .string()
        .regex(/^([A-Za-z0-9._-]+\/)*$/, 'a prefix is empty or ends with "/"')
        .default(''),
      /** Velero schedules whose latest backup must be verified. */
      schedules: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)).default(['daily']),
      /**
       * The Velero restore test (through the in-VPC kube function): the latest backup of each
       * namespace is restored into the fixed scratch namespace `restore-check-<namespace>`, checked
       * for ready pods and bound PVCs, then the scratch namespace is deleted. Off by default.
       */
      restoreTest: z
        .object({
          enabled: z.boolean().default(false),
          namespaces: z
            .array(
              z.object({
                namespace: z
                  .string()
                  .max(63 - 'restore-check-'.length)
                  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
                /** The readiness probe: at least this many restored pods Ready… */
                minReadyPods: z.number().int().min(0).default(1),
                /** …and at least this many restored PVCs Bound. */
                minBoundPvcs: z.number().int().min(0).default(0),
                /**
                 * Then, when set, an HTTP readiness probe of a restored Service through the API server's
                 * service proxy: GET `path` on `service:port` in the scratch namespace must answer
                 * `expectStatus` within `timeoutSeconds`. Only its status and length are kept, never the body.
                 */
                probe: z
                  .object({
                    service: z
                      .string()
                      .max(63)
                      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'a Service name (DNS-1035 label)'),
                    port: z.number().int().min(1).max(65535),
                    path: z
                      .string()
                      .max(1024)
                      .regex(
                        /^\/[A-Za-z0-9._~/-]*$/,
                        'a path starts with "/" and holds only letters, digits and . _ ~ / - (no query)',
                      )
                      .refine((p) => !p.split('/').includes('..'), 'a path has no ".." segment'),
                    expectStatus: z.number().int().min(100).max(599).default(200),
                    /** Under the kube function's own 30 s timeout. */
                    timeoutSeconds: z.number().int().min(1).max(20).default(5),
                  })
                  .optional(),
              }),
            )
            .default([]),
          /** Time budget per namespace: restore, readiness and the namespace's deletion. */
          maxMinutes: z.number().int().min(5).max(120).default(30),
        })
        .default({ enabled: false, namespaces: [], maxMinutes: 30 }),
    })
    .default({
      prefix: '',
      schedules: ['daily'],
      restoreTest: { enabled: false, namespaces: [], maxMinutes: 30 },
    }),
});
export type BackupVerificationConfig = z.infer<typeof BackupVerificationConfigSchema>;

/**
 * restore-guardrail (issue 14, runbooks/restore-guardrail/README.md): which of the account's guardrails
 * are the platform's own, so the runbook may put them back. Everything here is an allow-list: a trail,
 * bucket, security group or snapshot owner not named is only notified about, never touched.
 */
export const RestoreGuardrailConfigSchema = z.object({
  /** Trails whose logging the runbook restarts (StartLogging), by name: the platform's `<stage>-platform-trail`. */
  trails: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/, 'a CloudTrail trail name'))
    .default([]),
  /** Recreate the stage VPC's flow log (as infra/constructs/platform/network.ts configures it) when it is deleted. */
  flowLogs: z.boolean().default(true),
  /** Buckets whose public access block the runbook re-applies: names, `*` wildcard (config/wildcard.ts). */
  buckets: z
    .array(z.string().regex(/^[a-z0-9*][a-z0-9.*-]{1,62}$/, 'an S3 bucket name or pattern'))
    .default([]),
  /** Security groups whose world-open ingress (0.0.0.0/0, ::/0) the runbook revokes, by id. */
  securityGroups: z
    .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0123456789abcdef0'))
    .default([]),
  /** Accounts whose EBS snapshots, AMIs and RDS snapshots are the platform's: sharing of these is removed. */
  snapshotOwners: z.array(accountId).default([]),
  /** Accounts a platform snapshot may legitimately be shared with (a backup or DR account): never removed. */
  trustedAccounts: z.array(accountId).default([]),
});
export type RestoreGuardrailConfig = z.infer<typeof RestoreGuardrailConfigSchema>;

export const AutomationConfigSchema = z.object({
  /** Global dry-run: every decision is made and reported, nothing mutating runs. */
  dryRun: z.boolean().default(false),
  /** The opt-in tag every mutated resource must carry (IAM conditions say the same). */
  optInTag: z
    .object({ key: z.string(), value: z.string() })
    .default({ key: 'ops-automation', value: 'enabled' }),
  /** Events caused by roles whose name starts with this are the automation's own and are ignored. */
  automationRolePrefix: z.string().min(3),
  /** Principals (role names) whose secret reads are break-glass: always rotate after. */
  breakGlassRoleNames: z.array(z.string()).default([]),
  allowLists: z.object({
    hostedZones: z
      .array(
        z.object({
          /** Zone name, e.g. `dev.example.com`. Zone ids are resolved at deploy time. */
          zoneName: z.string(),
          /** Record names (FQDN; `*` wildcard, e.g. `*.apps.dev.example.com`: config/wildcard.ts) automation may change. */
          records: z.array(z.string()).min(1),
          /** Allow changing a record that external-dns owns (its TXT ownership record). Off by default. */
          overrideExternalDns: z.boolean().default(false),
        }),
      )
      .default([]),
    nodeGroups: z
      .array(
        z.object({
          cluster: z.string(),
          /** Node group name; `*` wildcard allowed, case-sensitive (config/wildcard.ts). */
          nodegroup: z.string(),
          /** Automation never scales above this. */
          ceiling: z.number().int().positive(),
          /** Nodes added per run at most. */
          stepSize: z.number().int().positive().default(2),
          /** Scale back to the previous size after this many minutes; 0 = never. */
          scaleBackAfterMinutes: z.number().int().min(0).default(0),
        }),
      )
      .default([]),
    secrets: z
      .array(
        z.object({
          /** Secret name (not ARN: the ARN suffix is random). */
          name: z.string(),
          strategy: z.enum(['mysql-single-user', 'mysql-alternating-users', 'random']),
          /** Roles that read this secret as part of their job: their reads are not suspicious. */
          consumerRoleNames: z.array(z.string()).default([]),
          /** Kubernetes workloads to restart after rotation, `namespace/kind/name`. */
          restartWorkloads: z.array(z.string()).default([]),
          /** The rotation function's schedule and generator (see runbooks/rotate-secret/README.md). */
          rotation: z
            .object({
              everyDays: z.number().int().min(1).max(1000).default(30),
              /** GetRandomPassword: length and excluded characters of database passwords. */
              passwordLength: z.number().int().min(16).max(4096).default(32),
              excludeCharacters: z.string().default('/@"\'\\'),
              /** random strategy: JSON field of the token, generator and length. */
              tokenField: z.string().min(1).default('token'),
              generator: z.enum(['secrets-manager', 'hex', 'base64url']).default('secrets-manager'),
              tokenLength: z.number().int().min(16).max(4096).default(40),
            })
            .prefault({}),
        }),
      )
      .default([]),
    volumes: z
      .object({
        /** Volumes carrying this tag (key=value) are protected: detaching them snapshots them first. */
        protectedTag: z.object({ key: z.string(), value: z.string() }),
        /** Kubernetes namespaces whose PVCs automation may snapshot. */
        pvcNamespaces: z.array(z.string()).default([]),
        /** Snapshots to keep per volume, and their maximum age. */
        keepLast: z.number().int().positive().default(7),
        maxAgeDays: z.number().int().positive().default(30),
        /** KMS alias in the DR region for snapshot copies (e.g. `alias/dr-snapshots`); none = that region's default EBS key. */
        drKmsKeyAlias: z
          .string()
          .regex(/^alias\/[A-Za-z0-9/_-]+$/)
          .optional(),
      })
      .default({
        protectedTag: { key: 'backup', value: 'required' },
        pvcNamespaces: [],
        keepLast: 7,
        maxAgeDays: 30,
      }),
  }),
  /** The audit ledger (issue 7): how long each run's record is locked against deletion. */
  audit: z
    .object({
      /** Object Lock default retention of the ledger bucket, in days. */
      retentionDays: z.number().int().min(1).max(3650).default(400),
      /** COMPLIANCE: nobody (not even root) can shorten it; GOVERNANCE: a privileged bypass exists (non-prod). */
      lockMode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
    })
    .default({ retentionDays: 400, lockMode: 'COMPLIANCE' }),
  /**
   * Who hears about failures of the automation itself (issue 7, issue 13). CloudWatch alarms go to
   * the `ops-<stage>-alarms` SNS topic, which reaches `emails` and `slackChannel`; Datadog monitors
   * reach `datadogHandles`. A prod stage needs at least one of each path (config/index.ts).
   */
  alerting: z
    .object({
      /** E-mail addresses subscribed to the `ops-<stage>-alarms` SNS topic. */
      emails: z.array(z.string().email()).default([]),
      /** Slack channel the alarm notifier (functions/notify/alarm-handler.ts, subscribed to the topic) posts to. */
      slackChannel: z
        .string()
        .regex(/^[CG][A-Z0-9]+$/, 'must be a Slack channel id such as C0123456789')
        .optional(),
      /**
       * Datadog notification handles added to every monitor's message: an integration handle
       * (`@slack-ops-alerts`, `@pagerduty-ops`, `@opsgenie-ops`) or an e-mail (`@oncall@example.com`).
       */
      datadogHandles: z
        .array(
          z
            .string()
            .regex(
              /^@[\w.+-]+(@[\w-]+(\.[\w-]+)+)?$/,
              'a Datadog handle such as @slack-ops-alerts or @oncall@example.com',
            ),
        )
        .default([]),
    })
    .default({ emails: [], datadogHandles: [] }),
  /** restore-guardrail: which trails, buckets, security groups and snapshot owners are the platform's. */
  restoreGuardrail: RestoreGuardrailConfigSchema.prefault({}),
  /** Per-runbook policy overrides on top of each runbook's shipped defaults. */
  runbooks: z.record(runbookName, PolicyOverrideSchema).default({}),
  /** The ingress load balancer name prefix: its replacement triggers update-dns. */
  ingressLoadBalancerPrefix: z.string().default('ingress'),
  /** The DNS records that point at the ingress load balancer (what update-dns re-points). */
  ingressRecords: z.array(z.object({ zoneName: z.string(), recordName: z.string() })).default([]),
  schedules: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9-]*$/),
        runbook: runbookName,
        /** EventBridge Scheduler expression, e.g. `cron(0 5 * * ? *)`. */
        expression: z.string().regex(/^(cron|rate)\(.+\)$/),
        timezone: z.string().default('UTC'),
        parameters: z.record(z.string(), z.unknown()).default({}),
      }),
    )
    .default([]),
  /** Reconciliation sweeps (config/sweeps.ts): intervals per check. */
  sweeps: SweepsConfigSchema.prefault({}),
  /** Scheduled backup verification (runbook verify-backups). */
  backupVerification: BackupVerificationConfigSchema.default(BackupVerificationConfigSchema.parse({})),
  slack: z.object({
    /** Channel id for automatic runs, approvals and critical notifications. */
    channel: z.string().regex(/^[CG][A-Z0-9]+$/, 'must be a Slack channel id such as C0123456789'),
    signingSecretName: z.string(),
    botTokenSecretName: z.string(),
    /** Slack user id → what they may run and approve (runbook names or `*`). */
    users: z
      .record(
        z.string().regex(/^[UW][A-Z0-9]+$/, 'Slack user ids look like U0123456789'),
        z.object({ run: z.array(z.string()).default([]), approve: z.array(z.string()).default([]) }),
      )
      .default({}),
    /** Slack user-group id → the same permissions, for every member. */
    userGroups: z
      .record(
        z.string().regex(/^S[A-Z0-9]+$/),
        z.object({ run: z.array(z.string()).default([]), approve: z.array(z.string()).default([]) }),
      )
      .default({}),
    /** How long an approval request waits before it expires and rejects the run. */
    approvalTimeoutMinutes: z.number().int().positive().default(30),
  }),
  datadog: z.object({
    site: z.string().default('datadoghq.eu'),
    apiKeySecretName: z.string(),
    appKeySecretName: z.string(),
    /** Instrument functions and state machines with the Datadog CDK constructs. */
    instrument: z.boolean().default(false),
    /** Shared secret Datadog webhooks must send in the `X-Ops-Webhook-Token` header. */
    webhookTokenSecretName: z.string(),
    /**
     * Reserved concurrency of the webhook function (the Function URL Datadog posts to): at most this
     * many webhooks are handled at once, so a flood cannot take the concurrency the EventBridge intake
     * needs. Reserving needs unreserved account concurrency left above 100 (raise the quota on new accounts).
     */
    webhookConcurrency: z.number().int().min(1).max(50).default(5),
    /**
     * The partner event bus the Datadog EventBridge integration delivers to (named after the event
     * source you create in Datadog's AWS integration). The intake's Datadog rule lives on it.
     */
    partnerEventBusName: z
      .string()
      .regex(/^aws\.partner\/datadog\.com\/[A-Za-z0-9._-]+$/, 'looks like aws.partner/datadog.com/<name>')
      .default('aws.partner/datadog.com/ops-automation'),
  }),
});
export type AutomationConfig = z.infer<typeof AutomationConfigSchema>;

export const StageConfigSchema = z.object({
  /** Stage name, also the prefix of every stack and resource name. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/),
  /** dev / stage / prod: decides cost and safety defaults (NAT count, spot, deletion protection). */
  tier: z.enum(['dev', 'stage', 'prod']),
  account: accountId,
  region,
  /** Exactly three: one public and one private subnet, and one node group, per AZ. */
  availabilityZones: z.array(z.string()).length(3),
  /**
   * The disaster-recovery region: EBS snapshots are copied there (snapshot-volume), the velero and
   * backups buckets replicate there and RDS automated backups are replicated there (stack
   * `<stage>-dr` holds the DR key and replica buckets). None = no DR copies, and verify-backups
   * requires none.
   */
  drRegion: region.optional(),
  tags: z.record(z.string(), z.string()).default({}),
  platform: PlatformConfigSchema,
  automation: AutomationConfigSchema,
});
export type StageConfig = z.infer<typeof StageConfigSchema>;
export type StageConfigInput = z.input<typeof StageConfigSchema>;
