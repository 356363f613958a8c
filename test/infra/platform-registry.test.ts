import { execFileSync } from 'node:child_process';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { sarProblems } from '../support/iam-sar-check.js';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;

const STAGES = ['dev', 'stage', 'prod'] as const;
// Hand-written: the issue asks for immutable tags in prod only.
const TAG_MUTABILITY: Record<(typeof STAGES)[number], string> = {
  dev: 'MUTABLE',
  stage: 'MUTABLE',
  prod: 'IMMUTABLE',
};
// Hand-written from the ECR User Guide ("Supported upstream registries"): no credentials needed for these.
const UPSTREAM_URLS: Record<string, string> = {
  'ecr-public': 'public.ecr.aws',
  k8s: 'registry.k8s.io',
  quay: 'quay.io',
};

function props(template: Template, type: string): Json[] {
  return Object.values(template.findResources(type) as Record<string, { Properties?: Json }>).map(
    (r) => r.Properties ?? {},
  );
}

/** `{Fn::Join: ['', ['arn:', {Ref: AWS::Partition}, …]]}` → the ARN in the commercial partition. */
function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1]
    .map((part) =>
      typeof part === 'string' ? part : (part as Json).Ref === 'AWS::Partition' ? 'aws' : '<?>',
    )
    .join(join[0]);
}

/** AWS's own model of ECR (botocore on this machine): the enum and pattern the API enforces. */
const ecrModel = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      `import json, botocore.session
m = botocore.session.get_session().get_service_model('ecr')
print(json.dumps({'upstream': m.shape_for('UpstreamRegistry').enum,
  'prefix': m.shape_for('PullThroughCacheRuleRepositoryPrefix').metadata['pattern'],
  'repoName': m.shape_for('RepositoryName').metadata['pattern'],
  'appliedFor': m.shape_for('RCTAppliedFor').enum}))`,
    ],
    { encoding: 'utf8' },
  ),
) as { upstream: string[]; prefix: string; repoName: string; appliedFor: string[] };

describe.each(STAGES)(
  'platform ECR (%s): private repositories, lifecycle, pull-through cache',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const repos = props(t, 'AWS::ECR::Repository');

    it('creates image and OCI chart repositories under the stage prefix, each a valid ECR name', () => {
      const names = repos.map((r) => r.RepositoryName as string).sort();
      expect(names).toEqual([`${stageName}/api`, `${stageName}/charts/api`, `${stageName}/worker`]);
      for (const n of names) expect(n).toMatch(new RegExp(ecrModel.repoName));
    });

    it('scans every image on push', () => {
      for (const r of repos) expect(r.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
    });

    it(`makes tags ${TAG_MUTABILITY[stageName]}`, () => {
      for (const r of repos) expect(r.ImageTagMutability).toBe(TAG_MUTABILITY[stageName]);
    });

    it('expires untagged images by age and caps the number kept', () => {
      for (const r of repos) {
        const policy = JSON.parse(
          (r.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText,
        ) as {
          rules: { selection: Json; action: Json; rulePriority: number }[];
        };
        const untagged = policy.rules.find((x) => x.selection.tagStatus === 'untagged');
        const any = policy.rules.find((x) => x.selection.tagStatus === 'any');
        expect(untagged?.selection).toMatchObject({ countType: 'sinceImagePushed', countUnit: 'days' });
        expect(any?.selection).toMatchObject({ countType: 'imageCountMoreThan' });
        // ECR requires the `any` rule to have the highest priority number.
        expect(any?.rulePriority).toBeGreaterThan(untagged?.rulePriority ?? Number.POSITIVE_INFINITY);
        for (const rule of policy.rules) expect(rule.action).toEqual({ type: 'expire' });
      }
    });

    it('caches the public registries that need no credentials, with names ECR accepts', () => {
      const rules = props(t, 'AWS::ECR::PullThroughCacheRule');
      expect(rules.map((r) => r.EcrRepositoryPrefix).sort()).toEqual(Object.keys(UPSTREAM_URLS).sort());
      for (const r of rules) {
        expect(r.UpstreamRegistryUrl).toBe(UPSTREAM_URLS[r.EcrRepositoryPrefix as string]);
        expect(ecrModel.upstream).toContain(r.UpstreamRegistry);
        expect(r.EcrRepositoryPrefix).toMatch(new RegExp(ecrModel.prefix));
        expect(r.CredentialArn).toBeUndefined();
      }
      const templates = props(t, 'AWS::ECR::RepositoryCreationTemplate');
      expect(templates).toHaveLength(rules.length);
      for (const tpl of templates) {
        expect(tpl.AppliedFor).toEqual(['PULL_THROUGH_CACHE']);
        for (const a of tpl.AppliedFor as string[]) expect(ecrModel.appliedFor).toContain(a);
        expect(JSON.parse(tpl.LifecyclePolicy as string).rules).toHaveLength(2);
      }
    });

    it('lets the node role import into and create only the cached repositories', async () => {
      const statements = props(t, 'AWS::IAM::Policy').flatMap(
        (p) => (p.PolicyDocument as { Statement: Json[] }).Statement,
      );
      const importing = statements.filter((s) =>
        ([] as string[]).concat(s.Action as string | string[]).includes('ecr:BatchImportUpstreamImage'),
      );
      expect(importing).toHaveLength(1);
      const resources = ([] as unknown[]).concat(importing[0]?.Resource);
      expect(resources).toHaveLength(3);
      for (const r of resources) {
        expect(renderArn(r)).toMatch(/^arn:aws:ecr:eu-west-1:\d{12}:repository\/(ecr-public|k8s|quay)\/\*$/);
      }
      expect(importing[0]?.Action).toEqual(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository']);
      // Both actions exist and take repository ARNs in this format (Service Authorization Reference).
      expect(await sarProblems(importing as { Action: unknown; Resource: unknown }[])).toEqual([]);
    });
  },
);
