import { describe, expect, it } from 'vitest';
import {
  allStages,
  ConfigError,
  checkStages,
  loadStage,
  parseStage,
  STAGE_INPUTS,
} from '../../config/index.js';
import { REQUIRED_CHARTS } from '../../infra/constructs/platform/addons.js';
import { bottlerocketAmiFor, checkKubectlSkew } from '../../infra/constructs/platform/cluster.js';
import { retentionAtLeast } from '../../infra/constructs/platform/network.js';

/** A copy of a real stage under another name and VPC CIDR: what "add a stage or region" means. */
function stageLike(base: string, name: string, cidr: string) {
  const input = structuredClone(STAGE_INPUTS[base]);
  if (!input) throw new Error(`no stage ${base}`);
  return parseStage(
    {
      ...input,
      name,
      platform: { ...input.platform, vpc: { ...input.platform.vpc, cidr } },
      automation: {
        ...input.automation,
        automationRolePrefix: `ops-${name}-`,
        // The stage's own secrets (its RDS master secret must be allow-listed for rotation).
        allowLists: {
          ...input.automation.allowLists,
          secrets: (input.automation.allowLists.secrets ?? []).map((s) => ({
            ...s,
            name: s.name.replace(`${base}/`, `${name}/`),
          })),
        },
      },
    },
    name,
  );
}

describe('platform config: stages, CIDRs and the charts the platform needs', () => {
  it('accepts the configured stages: disjoint CIDRs, valid one by one', () => {
    expect(() => allStages()).not.toThrow();
    expect(allStages().map((s) => s.name)).toEqual(['dev', 'stage', 'prod', 'prod-euc1']);
  });

  it('rejects two stages whose VPC CIDRs overlap, naming both and their ranges', () => {
    // Prepare: a second region for prod inside prod's own range.
    const stages = [loadStage('dev'), loadStage('prod'), stageLike('prod', 'prod-euc1', '10.30.128.0/17')];

    // Act + Assess
    expect(() => checkStages(stages)).toThrow(ConfigError);
    expect(() => checkStages(stages)).toThrow(
      /VPC CIDRs overlap: prod \(10\.30\.0\.0\/16\) and prod-euc1 \(10\.30\.128\.0\/17\)/,
    );
  });

  it('accepts a new region with its own range', () => {
    const stages = [...allStages(), stageLike('prod', 'prod-use1', '10.50.0.0/16')];

    expect(() => checkStages(stages)).not.toThrow();
  });

  it('lets only one stage per account register the Datadog AWS integration as code', () => {
    // Prepare: prod and its second region share account 333333333333; both ask to register.
    const register = (name: string) => {
      const s = loadStage(name);
      return {
        ...s,
        platform: { ...s.platform, datadog: { ...s.platform.datadog, registerIntegration: true } },
      };
    };

    // Act + Assess
    expect(() => checkStages([register('prod'), loadStage('prod-euc1')])).not.toThrow();
    expect(() => checkStages([register('prod'), register('prod-euc1')])).toThrow(
      /registerIntegration is on in prod and prod-euc1, all in account 333333333333/,
    );
  });

  it('refuses an application listed twice under /app/<stage>/', () => {
    const input = structuredClone(STAGE_INPUTS.dev);
    if (!input) throw new Error('no dev stage');
    const twice = {
      ...input,
      platform: {
        ...input.platform,
        appParameters: [
          { app: 'api', namespace: 'app', serviceAccount: 'api' },
          { app: 'api', namespace: 'other', serviceAccount: 'api' },
        ],
      },
    };
    expect(() => parseStage(twice, 'dev')).toThrow(/platform\.appParameters lists "api" twice/);
  });

  it('rejects a VPC range that overlaps the office networks reached over the VPN', () => {
    const stages = [stageLike('dev', 'lab', '192.168.0.0/16')];

    expect(() => checkStages(stages)).toThrow(
      /lab: office CIDR 192\.168\.0\.0\/20 overlaps the VPC CIDR 192\.168\.0\.0\/16/,
    );
  });

  it('pins every chart the platform installs in every stage', () => {
    for (const stage of allStages()) {
      for (const key of REQUIRED_CHARTS) {
        expect(stage.platform.eks.charts[key]?.version, `${stage.name}.${key}`).toMatch(/^v?\d+\.\d+\.\d+/);
      }
    }
  });

  it('runs NAT per AZ and on-demand nodes only in prod, one NAT and spot elsewhere', () => {
    for (const stage of allStages()) {
      const prod = stage.tier === 'prod';
      expect(stage.platform.vpc.natGateways, stage.name).toBe(prod ? 3 : 1);
      expect(stage.platform.eks.nodeGroup.capacityType, stage.name).toBe(prod ? 'ON_DEMAND' : 'SPOT');
    }
  });

  it('picks the Bottlerocket AMI by architecture and refuses mixed architectures', () => {
    expect(bottlerocketAmiFor(['m7g.large', 'm6g.large'])).toBe('BOTTLEROCKET_ARM_64');
    expect(bottlerocketAmiFor(['m7i.large'])).toBe('BOTTLEROCKET_x86_64');
    expect(() => bottlerocketAmiFor(['m7g.large', 'm7i.large'])).toThrow(/mix ARM and x86/);
  });

  it('rounds flow-log retention up to a value CloudWatch accepts', () => {
    expect(retentionAtLeast(30)).toBe(30);
    expect(retentionAtLeast(100)).toBe(120);
    expect(retentionAtLeast(365)).toBe(365);
  });

  it('keeps every stage’s EKS version within the kubectl layer’s skew, and says what to change when not', () => {
    for (const stage of allStages()) expect(() => checkKubectlSkew(stage.platform.eks.version)).not.toThrow();
    expect(() => checkKubectlSkew('1.33')).toThrow(
      /1\.33 is outside kubectl 1\.35's supported skew \(1\.34–1\.36\)/,
    );
  });

  it('refuses a stage whose RDS master secret is not rotated, naming the stage, the field and the fix', () => {
    // Prepare: prod as configured, without the master secret in the rotation allow-list.
    const input = structuredClone(STAGE_INPUTS.prod);
    if (!input) throw new Error('no prod stage');
    const secrets = (input.automation.allowLists.secrets ?? []).filter((s) => s.name !== 'prod/rds/master');
    const without = {
      ...input,
      automation: { ...input.automation, allowLists: { ...input.automation.allowLists, secrets } },
    };
    const alternating = {
      ...without,
      automation: {
        ...without.automation,
        allowLists: {
          ...without.automation.allowLists,
          secrets: [...secrets, { name: 'prod/rds/master', strategy: 'mysql-alternating-users' as const }],
        },
      },
    };

    // Act + Assess
    expect(() => parseStage(without, 'prod')).toThrow(ConfigError);
    expect(() => parseStage(without, 'prod')).toThrow(
      `Stage configuration "prod" is invalid:\n  - automation.allowLists.secrets must rotate the RDS master secret: add { name: 'prod/rds/master', strategy: 'mysql-single-user' }`,
    );
    expect(() => parseStage(alternating, 'prod')).toThrow('(it has strategy mysql-alternating-users)');
  });

  it('rotates the RDS master secret of every configured stage with the single-user strategy', () => {
    for (const name of ['dev', 'stage', 'prod', 'prod-euc1']) {
      expect(loadStage(name).automation.allowLists.secrets).toContainEqual(
        expect.objectContaining({ name: `${name}/rds/master`, strategy: 'mysql-single-user' }),
      );
    }
  });
});

describe('alarm routing: a prod stage without a destination does not synthesise', () => {
  const prodWith = (alerting: Record<string, unknown>) => {
    const input = structuredClone(STAGE_INPUTS.prod);
    if (!input) throw new Error('no prod stage');
    return { ...input, automation: { ...input.automation, alerting } };
  };

  it('refuses prod with no alarm destination at all, naming the stage, the field and what to set', () => {
    const attempt = () => parseStage(prodWith({}), 'prod');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'Stage configuration "prod" is invalid:\n' +
        '  - automation.alerting: CloudWatch alarms would reach no one; a prod stage needs automation.alerting.emails or automation.alerting.slackChannel\n' +
        '  - automation.alerting: Datadog monitors would notify no one; a prod stage needs automation.alerting.datadogHandles',
    );
  });

  it('refuses prod whose alarms reach someone but whose monitors reach no one, and the reverse', () => {
    expect(() => parseStage(prodWith({ emails: ['oncall@example.com'] }), 'prod')).toThrow(
      /^Stage configuration "prod" is invalid:\n {2}- automation\.alerting: Datadog monitors would notify no one/,
    );
    expect(() => parseStage(prodWith({ datadogHandles: ['@oncall@example.com'] }), 'prod')).toThrow(
      /^Stage configuration "prod" is invalid:\n {2}- automation\.alerting: CloudWatch alarms would reach no one/,
    );
  });

  it('accepts prod with a Slack channel for alarms and a Datadog e-mail handle for monitors', () => {
    const cfg = parseStage(
      prodWith({ slackChannel: 'C0PRODALRM1', datadogHandles: ['@oncall@example.com'] }),
      'prod',
    );
    expect(cfg.automation.alerting).toEqual({
      emails: [],
      slackChannel: 'C0PRODALRM1',
      datadogHandles: ['@oncall@example.com'],
    });
  });

  it('accepts a non-prod stage without destinations (dev and stage configure their own here)', () => {
    const input = structuredClone(STAGE_INPUTS.dev);
    if (!input) throw new Error('no dev stage');
    expect(() =>
      parseStage({ ...input, automation: { ...input.automation, alerting: {} } }, 'dev'),
    ).not.toThrow();
  });
});
