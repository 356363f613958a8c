import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthPlatform } from '../support/synth.js';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string[] }>;

// Hand-written from config/stages/*.ts: the update policy each stage must deploy.
const POLICY: Record<string, { schedule: string; max: string; lbWait: string }> = {
  dev: { schedule: '* * 8-16 * * Mon-Thu *', max: '2', lbWait: '0' },
  stage: { schedule: '* * 8-16 * * Mon-Thu *', max: '1', lbWait: '0' },
  prod: { schedule: '* * 2-4 * * Tue,Wed *', max: '1', lbWait: '60' },
};
// From the chart's own README (bottlerocket-os/bottlerocket-update-operator): nodes need this label.
const NODE_LABEL = 'bottlerocket.aws/updater-interface-version';
const REPO = 'https://bottlerocket-os.github.io/bottlerocket-update-operator';

function charts(t: Template): [string, Json, string[]][] {
  return Object.entries(t.findResources('Custom::AWSCDK-EKS-HelmChart') as Resources).map(([id, r]) => [
    id,
    r.Properties ?? {},
    r.DependsOn ?? [],
  ]);
}

describe.each(Object.keys(POLICY))(
  'platform Bottlerocket updates (%s): brupop in waves, policy from config',
  (stageName) => {
    const { platformTemplate: t } = synthPlatform(stageName);
    const all = charts(t);
    const find = (name: string) => all.find(([, p]) => p.Chart === name);
    const expected = POLICY[stageName] as (typeof POLICY)[string];

    it('installs the CRD chart and the operator from the project repository at exact versions', () => {
      for (const name of ['bottlerocket-shadow', 'bottlerocket-update-operator']) {
        const c = find(name);
        expect(c?.[1].Repository, name).toBe(REPO);
        expect(c?.[1].Version, name).toMatch(/^\d+\.\d+\.\d+$/);
        expect(c?.[1].Namespace, name).toBe('brupop-bottlerocket-aws');
      }
    });

    it('passes the configured schedule, concurrency and load-balancer wait to the operator', () => {
      const values = JSON.parse(find('bottlerocket-update-operator')?.[1].Values as string) as Json;
      expect(values).toMatchObject({
        scheduler_cron_expression: expected.schedule,
        max_concurrent_updates: expected.max,
        exclude_from_lb_wait_time_in_sec: expected.lbWait,
      });
      expect((values.scheduler_cron_expression as string).split(' ')).toHaveLength(7);
    });

    it('installs the operator after its CRD and after cert-manager', () => {
      const operator = find('bottlerocket-update-operator');
      const crd = find('bottlerocket-shadow');
      const certManager = find('cert-manager');
      expect(operator?.[2]).toContain(crd?.[0]);
      expect(operator?.[2]).toContain(certManager?.[0]);
    });

    it('labels every node group for the operator', () => {
      const groups = Object.values(t.findResources('AWS::EKS::Nodegroup') as Resources);
      expect(groups).toHaveLength(3);
      for (const g of groups) expect(g.Properties?.Labels).toMatchObject({ [NODE_LABEL]: '2.0.0' });
    });
  },
);
