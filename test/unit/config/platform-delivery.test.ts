import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseStage, STAGE_INPUTS, type TeamConfig } from '../../../config/index.js';
import { TeamRbac } from '../../../infra/constructs/platform/team-rbac.js';

const dev = STAGE_INPUTS.dev as Record<string, unknown> & {
  platform: Record<string, unknown> & { eks: Record<string, unknown> };
};

function withPlatform(patch: Record<string, unknown>, eksPatch: Record<string, unknown> = {}) {
  return { ...dev, platform: { ...dev.platform, ...patch, eks: { ...dev.platform.eks, ...eksPatch } } };
}

describe('config: ECR, GitOps, teams and Bottlerocket updates refuse bad input with a clear error', () => {
  it('accepts every shipped stage', () => {
    for (const [name, input] of Object.entries(STAGE_INPUTS))
      expect(() => parseStage(input, name)).not.toThrow();
  });

  it('refuses a GitOps repository that is not an ssh:// URL (Flux authenticates with the deploy key)', () => {
    const gitops = {
      ...(dev.platform.gitops as object),
      repositoryUrl: 'https://github.com/example/platform-gitops.git',
    };
    expect(() => parseStage(withPlatform({ gitops }), 'dev')).toThrow(
      /dev\.platform\.gitops\.repositoryUrl: an ssh:\/\/ Git URL/,
    );
  });

  it('refuses a 5-field cron for the update operator (brupop takes seconds … year)', () => {
    const bottlerocketUpdates = { schedule: '0 2 * * 2', maxConcurrentUpdates: 1 };
    expect(() => parseStage(withPlatform({}, { bottlerocketUpdates }), 'dev')).toThrow(
      /bottlerocketUpdates\.schedule: a 7-field cron/,
    );
  });

  it('refuses a pull-through upstream that needs credentials', () => {
    const ecr = { pullThroughCache: ['docker-hub'] };
    expect(() => parseStage(withPlatform({ ecr }), 'dev')).toThrow(ConfigError);
  });

  it('refuses a team whose role is not an IAM role ARN or whose namespace is not a Kubernetes name', () => {
    const teams = [
      {
        name: 'Payments',
        principalArn: 'AWSReservedSSO_TeamPayments',
        namespaces: ['pay_ments'],
        access: 'edit',
      },
    ];
    const message = (() => {
      try {
        parseStage(withPlatform({}, { teams }), 'dev');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/teams\.0\.name/);
    expect(message).toMatch(/teams\.0\.principalArn: must be an IAM role ARN/);
    expect(message).toMatch(/teams\.0\.namespaces\.0/);
  });
});

describe('TeamRbac: refuses team layouts that would collide', () => {
  const team = (over: Partial<TeamConfig>): TeamConfig => ({
    name: 'payments',
    principalArn: 'arn:aws:iam::111111111111:role/TeamPayments',
    namespaces: ['payments'],
    access: 'edit',
    ...over,
  });
  const build = (teams: TeamConfig[], otherPrincipals: string[] = []) => {
    const stack = new Stack(new App(), 'T', { env: { account: '111111111111', region: 'eu-west-1' } });
    const cluster = new eks.Cluster(stack, 'C', { version: eks.KubernetesVersion.of('1.35') });
    return () =>
      new TeamRbac(stack, 'Teams', { cluster, teams, otherPrincipals, reservedNamespaces: ['flux-system'] });
  };

  it('refuses a namespace given to two teams', () => {
    expect(
      build([
        team({}),
        team({ name: 'checkout', principalArn: 'arn:aws:iam::111111111111:role/TeamCheckout' }),
      ]),
    ).toThrow(/namespace payments is given to both team payments and team checkout/);
  });

  it("refuses the platform's namespaces and kube-*", () => {
    expect(build([team({ namespaces: ['flux-system'] })])).toThrow(
      /namespace flux-system belongs to the platform/,
    );
    expect(build([team({ namespaces: ['kube-public'] })])).toThrow(
      /namespace kube-public belongs to the platform/,
    );
  });

  it('refuses a role that already has an access entry (EKS allows one per principal)', () => {
    expect(build([team({})], ['arn:aws:iam::111111111111:role/TeamPayments'])).toThrow(
      /already has an access entry/,
    );
  });
});
