import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { type EcrConfig, PULL_THROUGH_UPSTREAMS } from '../../../config/index.js';
import { acknowledgeFindings } from './acknowledge.js';

export interface PlatformRegistryProps {
  readonly stageName: string;
  readonly ecr: EcrConfig;
  /** Production: tags are immutable (a tag names one image forever) and repositories are retained. */
  readonly production: boolean;
  /** The worker-node role: pulls through the cache, which imports (and first creates) cached repositories. */
  readonly nodeRole: iam.IRole;
}

/**
 * The stage's private ECR registry: one repository per configured image (`<stage>/<name>`) and per
 * OCI Helm chart (`<stage>/charts/<name>`), each scanned on push, with lifecycle rules (untagged
 * images expire, at most `keepImages` kept) and immutable tags in production; plus pull-through
 * cache rules for the public registries that need no credentials (ECR Public, registry.k8s.io,
 * Quay), a creation template so cached repositories get the same lifecycle, and the node role's
 * right to import into (and first create) exactly those cached repositories.
 * Encryption: AES-256 (ECR's default server-side encryption), so nodes need no KMS grant to pull.
 */
export class PlatformRegistry extends Construct {
  readonly repositories: Record<string, ecr.Repository> = {};
  readonly pullThroughRules: ecr.CfnPullThroughCacheRule[] = [];

  constructor(scope: Construct, id: string, props: PlatformRegistryProps) {
    super(scope, id);
    const { ecr: cfg, stageName, production } = props;
    const stack = Stack.of(this);
    const tagMutability = production ? ecr.TagMutability.IMMUTABLE : ecr.TagMutability.MUTABLE;
    const names = [
      ...cfg.images.map((n) => `${stageName}/${n}`),
      ...cfg.charts.map((n) => `${stageName}/charts/${n}`),
    ];
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`platform.ecr lists repository ${duplicate} twice`);
    for (const repositoryName of names) {
      const repo = new ecr.Repository(this, `Repo-${repositoryName}`, {
        repositoryName,
        imageScanOnPush: true,
        imageTagMutability: tagMutability,
        removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        // Non-production registries hold rebuildable images: a stack deletion may empty them.
        emptyOnDelete: !production,
      });
      repo.addLifecycleRule({
        description: `untagged images expire after ${cfg.untaggedExpireDays} days`,
        rulePriority: 1,
        tagStatus: ecr.TagStatus.UNTAGGED,
        maxImageAge: Duration.days(cfg.untaggedExpireDays),
      });
      repo.addLifecycleRule({
        description: `keep the newest ${cfg.keepImages} images`,
        rulePriority: 2,
        tagStatus: ecr.TagStatus.ANY,
        maxImageCount: cfg.keepImages,
      });
      this.repositories[repositoryName] = repo;
    }

    if (cfg.pullThroughCache.length === 0) return;
    for (const upstream of cfg.pullThroughCache) {
      this.pullThroughRules.push(
        new ecr.CfnPullThroughCacheRule(this, `PullThrough-${upstream}`, {
          ecrRepositoryPrefix: upstream,
          upstreamRegistry: upstream,
          upstreamRegistryUrl: PULL_THROUGH_UPSTREAMS[upstream],
        }),
      );
      // Cached repositories are created by ECR on first pull; the template gives them the same rules.
      new ecr.CfnRepositoryCreationTemplate(this, `CacheTemplate-${upstream}`, {
        prefix: upstream,
        appliedFor: ['PULL_THROUGH_CACHE'],
        description: `${PULL_THROUGH_UPSTREAMS[upstream]} cache: same lifecycle as the platform's own repositories`,
        imageTagMutability: 'MUTABLE', // the upstream moves its tags; the cache must follow
        encryptionConfiguration: { encryptionType: 'AES256' },
        lifecyclePolicy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `untagged images expire after ${cfg.untaggedExpireDays} days`,
              selection: {
                tagStatus: 'untagged',
                countType: 'sinceImagePushed',
                countUnit: 'days',
                countNumber: cfg.untaggedExpireDays,
              },
              action: { type: 'expire' },
            },
            {
              rulePriority: 2,
              description: `keep the newest ${cfg.keepImages} images`,
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: cfg.keepImages },
              action: { type: 'expire' },
            },
          ],
        }),
      });
    }
    // Pull through cache needs ecr:BatchImportUpstreamImage, and ecr:CreateRepository for the first
    // pull of an image (Amazon ECR User Guide, "IAM permissions required to sync an upstream registry").
    // Both only on the cache prefixes' repositories.
    const policy = new iam.Policy(this, 'NodePullThrough', {
      roles: [props.nodeRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'PullThroughCacheImport',
          actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
          resources: cfg.pullThroughCache.map(
            (prefix) => `arn:${stack.partition}:ecr:${stack.region}:${stack.account}:repository/${prefix}/*`,
          ),
        }),
      ],
    });
    acknowledgeFindings(
      policy,
      'AwsSolutions-IAM5',
      cfg.pullThroughCache.map(
        (prefix) =>
          `Resource::arn:<AWS::Partition>:ecr:${stack.region}:${stack.account}:repository/${prefix}/*`,
      ),
      'Pull-through cache repositories are created by ECR on first pull, named <prefix>/<upstream path>; nodes may import into (ecr:BatchImportUpstreamImage) and create (ecr:CreateRepository) only repositories under the configured cache prefixes.',
    );
  }
}
