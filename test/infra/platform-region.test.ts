import { BlockList } from 'node:net';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { allStages } from '../../config/index.js';
import { buildApp } from '../../infra/app.js';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json }>;

/**
 * Issue 19: "duplicate the environment to another region with slight changes". prod's second
 * region, prod-euc1, is one more entry in config/stages: the same code stamps it out in
 * eu-central-1 with its own range. Expectations written by hand from config/stages/prod-euc1.ts.
 */
const { app, stacks } = buildApp({
  stage: 'prod-euc1',
  appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
  nag: false,
});
app.synth();
const s = stacks[0];
if (!s) throw new Error('no prod-euc1 stacks');
const platform = Template.fromStack(s.platform);
const props = (type: string) =>
  Object.values(platform.findResources(type) as Resources).map((r) => r.Properties ?? {});

describe('a second region: prod-euc1 (prod in eu-central-1)', () => {
  it('stamps out its own stacks, in its region, none named like prod’s', () => {
    const where = [s.platform, s.automation, s.dr, s.global].map((st) => [
      st?.stackName,
      st?.region,
      st?.account,
    ]);
    expect(where).toEqual([
      ['prod-euc1-platform', 'eu-central-1', '333333333333'],
      ['prod-euc1-automation', 'eu-central-1', '333333333333'],
      // Its DR copies go to eu-west-1 (prod's own DR stack is `prod-dr` in eu-central-1).
      ['prod-euc1-dr', 'eu-west-1', '333333333333'],
      ['prod-euc1-global', 'us-east-1', '333333333333'],
    ]);
  });

  it('builds its VPC in 10.40.0.0/16, one private and one public subnet per eu-central-1 zone', () => {
    expect(props('AWS::EC2::VPC').map((p) => p.CidrBlock)).toEqual(['10.40.0.0/16']);
    const vpcRange = new BlockList();
    vpcRange.addSubnet('10.40.0.0', 16);
    const subnets = props('AWS::EC2::Subnet');
    expect(subnets.length).toBeGreaterThanOrEqual(6);
    for (const subnet of subnets) {
      const [ip, bits] = String(subnet.CidrBlock).split('/') as [string, string];
      expect(vpcRange.check(ip), String(subnet.CidrBlock)).toBe(true);
      expect(Number(bits)).toBeGreaterThan(16);
    }
    expect([...new Set(subnets.map((p) => p.AvailabilityZone))].sort()).toEqual([
      'eu-central-1a',
      'eu-central-1b',
      'eu-central-1c',
    ]);
  });

  it('names its cluster, node groups, zones and parameters after itself', () => {
    expect(props('AWS::EKS::Cluster').map((p) => p.Name)).toEqual(['prod-euc1-platform']);
    expect(props('AWS::EKS::Nodegroup').map((p) => p.NodegroupName)).toEqual([
      'prod-euc1-platform-a',
      'prod-euc1-platform-b',
      'prod-euc1-platform-c',
    ]);
    expect(props('AWS::Route53::HostedZone').map((p) => p.Name)).toEqual(
      expect.arrayContaining(['euc1.example.com.', 'euc1.internal.example.com.']),
    );
    const parameterNames = props('AWS::SSM::Parameter').map((p) => String(p.Name));
    expect(parameterNames).toContain('/platform/prod-euc1/vpc/cidr');
    expect(parameterNames.filter((n) => n.startsWith('/platform/prod/'))).toEqual([]);
  });

  it('keeps every stage’s VPC range disjoint from every other (checked with node:net, not the config check)', () => {
    // Hand-written: the four stages' ranges.
    const ranges: Record<string, string> = {
      dev: '10.10.0.0/16',
      stage: '10.20.0.0/16',
      prod: '10.30.0.0/16',
      'prod-euc1': '10.40.0.0/16',
    };
    expect(Object.fromEntries(allStages().map((st) => [st.name, st.platform.vpc.cidr]))).toEqual(ranges);
    for (const [a, ca] of Object.entries(ranges)) {
      const block = new BlockList();
      const [ip, bits] = ca.split('/') as [string, string];
      block.addSubnet(ip, Number(bits));
      for (const [b, cb] of Object.entries(ranges)) {
        if (a === b) continue;
        // Two aligned /16s are disjoint exactly when neither contains the other's first address.
        expect(block.check(cb.split('/')[0] as string), `${a} vs ${b}`).toBe(false);
      }
    }
  });
});
