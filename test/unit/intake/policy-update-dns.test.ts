import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import type { Signal } from '../../../events/signal.js';
import type { PolicyContext } from '../../../runbooks/policy.js';
import { updateDnsPlugin } from '../../../runbooks/update-dns/plugin.js';
import { ingressReplaced } from '../../../runbooks/update-dns/policy.js';
import { cloudTrail } from './signals.js';

/**
 * update-dns's rule (the ingress network load balancer replaced → re-point every ingress record)
 * and its allow-list, with the prefix, records and zones written here; every verdict by hand.
 */

const base = loadStage('dev').automation;
const automation = {
  ...base,
  ingressLoadBalancerPrefix: 'ingress',
  ingressRecords: [
    { zoneName: 'dev.example.com', recordName: 'api.dev.example.com' },
    { zoneName: 'dev.example.com', recordName: 'web.dev.example.com' },
  ],
  allowLists: {
    ...base.allowLists,
    hostedZones: [
      {
        zoneName: 'Dev.Example.com',
        records: ['api.dev.example.com', '*.apps.dev.example.com'],
        overrideExternalDns: false,
      },
    ],
  },
} as AutomationConfig;
const ctx = (patch: Partial<AutomationConfig> = {}): PolicyContext => ({
  stage: 'dev',
  automation: { ...automation, ...patch },
});

const lb = (
  event: string,
  details: Signal['details'],
  id = 'unknown',
  attributes: Record<string, string> = {},
) => cloudTrail(event, { type: 'load-balancer', id, attributes }, details);
const repoint = (short: string, dnsName?: string) =>
  automation.ingressRecords.map((r) => ({
    verdict: 'start',
    runbook: 'update-dns',
    parameters: {
      zoneName: r.zoneName,
      recordName: r.recordName,
      change: 'alias',
      ...(dnsName ? { loadBalancerDnsName: dnsName } : {}),
      reason: `ingress load balancer replaced by ${short}`,
    },
    reasons: [`ingress load balancer replaced by ${short}: re-point ${r.recordName}`],
  }));

describe('ingress-replaced: a new ingress load balancer re-points every ingress record', () => {
  it('CreateLoadBalancer of a network load balancer named with the prefix: one start per record, with its DNS name', () => {
    const s = lb('CreateLoadBalancer', {
      loadBalancerName: 'ingress-2',
      loadBalancerType: 'network',
      dnsName: 'ingress-2-abc.elb.eu-west-1.amazonaws.com',
    });
    expect(ingressReplaced.evaluate(s, ctx())).toEqual(
      repoint('ingress-2', 'ingress-2-abc.elb.eu-west-1.amazonaws.com'),
    );
  });

  it('the name from an ARN (the part after loadbalancer/net/), from name, from the resource attribute or id', () => {
    const arn =
      'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/net/ingress-3/50dc6c495c0c9188';
    expect(ingressReplaced.evaluate(lb('CreateLoadBalancer', { loadBalancerName: arn }), ctx())).toEqual(
      repoint('ingress-3'),
    );
    expect(
      ingressReplaced.evaluate(
        lb('CreateLoadBalancer', { name: 'ingress-4', loadBalancerDnsName: 'd4' }),
        ctx(),
      ),
    ).toEqual(repoint('ingress-4', 'd4'));
    expect(ingressReplaced.evaluate(lb('CreateLoadBalancer', {}, 'x', { name: 'ingress-5' }), ctx())).toEqual(
      repoint('ingress-5'),
    );
    expect(ingressReplaced.evaluate(lb('CreateLoadBalancer', {}, arn), ctx())).toEqual(repoint('ingress-3'));
  });

  it('a name with loadbalancer/ but no third part is taken whole', () => {
    expect(
      ingressReplaced.evaluate(lb('CreateLoadBalancer', { name: 'ingressloadbalancer/net' }), ctx()),
    ).toEqual(repoint('ingressloadbalancer/net'));
  });

  it('another load balancer, another type, or another call is not its business', () => {
    expect(ingressReplaced.evaluate(lb('CreateLoadBalancer', { name: 'internal-1' }), ctx())).toEqual({
      verdict: 'not-applicable',
    });
    expect(ingressReplaced.evaluate(lb('CreateLoadBalancer', { name: 'x-ingress-1' }), ctx())).toEqual({
      verdict: 'not-applicable',
    });
    expect(
      ingressReplaced.evaluate(lb('CreateLoadBalancer', { name: 'ingress-1', type: 'application' }), ctx()),
    ).toEqual({
      verdict: 'not-applicable',
    });
    expect(
      ingressReplaced.evaluate(lb('ModifyLoadBalancerAttributes', { name: 'ingress-1' }), ctx()),
    ).toEqual({
      verdict: 'not-applicable',
    });
  });

  it('a failed call on the ingress load balancer is ignored with its error', () => {
    expect(
      ingressReplaced.evaluate(
        lb('CreateLoadBalancer', { name: 'ingress-1', errorCode: 'DuplicateLoadBalancerName' }),
        ctx(),
      ),
    ).toEqual({
      verdict: 'ignore',
      reasons: ['the call failed (DuplicateLoadBalancerName)'],
    });
  });

  it('its deletion is announced only; a replacement with no ingress record configured is a warning', () => {
    expect(
      ingressReplaced.evaluate(lb('DeleteLoadBalancer', { name: 'ingress-1', type: 'network' }), ctx()),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['ingress load balancer ingress-1 was deleted; DNS is re-pointed when it is replaced'],
    });
    expect(
      ingressReplaced.evaluate(lb('CreateLoadBalancer', { name: 'ingress-1' }), ctx({ ingressRecords: [] })),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['ingress load balancer ingress-1 was replaced, but no ingressRecords are configured'],
    });
  });
});

describe('update-dns allow-list: allow-listed records of allow-listed zones', () => {
  it.each([
    [
      { zoneName: 'dev.example.com', recordName: 'api.dev.example.com' },
      { allowed: true, detail: 'record api.dev.example.com in zone dev.example.com is allow-listed' },
    ],
    [
      { zoneName: 'DEV.EXAMPLE.COM', recordName: 'x.apps.dev.example.com' },
      { allowed: true, detail: 'record x.apps.dev.example.com in zone DEV.EXAMPLE.COM is allow-listed' },
    ],
    [
      { zoneName: 'dev.example.com', recordName: 'www.dev.example.com' },
      { allowed: false, detail: 'record www.dev.example.com is not allow-listed in zone dev.example.com' },
    ],
    [
      { zoneName: 'dev.example.com' },
      { allowed: false, detail: 'record  is not allow-listed in zone dev.example.com' },
    ],
    [
      { zoneName: 'prod.example.com', recordName: 'api.dev.example.com' },
      { allowed: false, detail: 'hosted zone prod.example.com is not allow-listed' },
    ],
    [{ zoneName: 5 }, { allowed: false, detail: 'hosted zone  is not allow-listed' }],
  ])('%o → %o', (params, verdict) => {
    expect(updateDnsPlugin.allowList(params, automation)).toEqual(verdict);
  });
});
