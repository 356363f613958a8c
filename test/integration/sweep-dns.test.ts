import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SweepFindingSchema } from '../../events/sources/sweep/schema.js';
import { driftedDnsRecords } from '../../functions/sweeps/checks/dns.js';
import { checkRequest, type DnsSettings, planDnsChange } from '../../runbooks/update-dns/logic.js';
import { modelChecked } from '../support/sdk-model.js';
import { type AuditHarness, startAudit } from './report-support.js';

/**
 * The dns sweep against the real audit store (dynalite, written through AuditStore.append as the report hook
 * writes it) and a Route 53 fake checked against Route 53's model (botocore). What automation "last set" is
 * produced by update-dns's own planner (the runbook's logic, not this sweep's), and the expected findings
 * are worked out by hand from what each case changes in Route 53 afterwards.
 */
const NOW = new Date('2026-12-07T10:00:00Z');
const ZONE_ID = 'Z0DEVPUBLIC123';
const dnsSettings: DnsSettings = {
  zones: [
    {
      zoneName: 'dev.example.com',
      hostedZoneId: ZONE_ID,
      records: [
        'api.dev.example.com',
        'gone.dev.example.com',
        'edge.dev.example.com',
        '*.apps.dev.example.com',
      ],
      overrideExternalDns: false,
    },
  ],
  loadBalancerPrefix: 'ingress',
  externalDnsTxtPrefix: '',
};
const LB_OLD = {
  LoadBalancerName: 'ingress-a',
  DnsName: 'ingress-a-1111.elb.eu-west-1.amazonaws.com',
  CanonicalHostedZoneId: 'Z32O12XQLNTSW2',
};
const LB_NEW = {
  LoadBalancerName: 'ingress-b',
  DnsName: 'ingress-b-2222.elb.eu-west-1.amazonaws.com',
  CanonicalHostedZoneId: 'Z32O12XQLNTSW2',
};

/** A Route 53 alias A record as ListResourceRecordSets returns it (SDK v3 names, trailing dots). */
const alias = (name: string, lb: { DnsName: string; CanonicalHostedZoneId: string }) => ({
  Name: `${name}.`,
  Type: 'A' as const,
  AliasTarget: {
    HostedZoneId: lb.CanonicalHostedZoneId,
    DNSName: `${lb.DnsName}.`,
    EvaluateTargetHealth: true,
  },
});

let audit: AuditHarness;
const r53Mock = mockClient(Route53Client);
const route53 = new Route53Client({ region: 'us-east-1' });
let zone: Record<string, unknown>[] = [];
let seq = 0;

/** One update-dns run as the report hook records it: update-dns's planner decides the changes. */
async function updateDnsRun(
  recordName: string,
  lb: typeof LB_OLD,
  at: string,
  options: {
    outcome?: 'succeeded' | 'failed';
    dryRun?: boolean;
    current?: unknown[];
    parameters?: Record<string, unknown>;
  } = {},
) {
  const parameters = {
    zoneName: 'dev.example.com',
    recordName,
    recordType: 'A',
    loadBalancerDnsName: lb.DnsName,
    ...options.parameters,
  };
  const executionName = `update-dns-run-${++seq}`;
  const check = checkRequest(parameters, dnsSettings);
  const plan = planDnsChange({
    parameters,
    settings: dnsSettings,
    check,
    records: (options.current ?? []) as never[],
    registry: [],
    loadBalancers: [lb],
    executionName,
  });
  const outcome = options.outcome ?? 'succeeded';
  await audit.store.append({
    executionName,
    phase: outcome,
    at,
    startedAt: at,
    stage: 'dev',
    runbook: 'update-dns',
    resourceKey: `dev.example.com/${recordName}/A`,
    trigger: {
      source: 'cloudtrail',
      kind: 'cloudtrail.api-call',
      eventId: `ev-${seq}`,
      occurredAt: at,
      requestedBy: 'arn:aws:iam::111111111111:role/ops',
      summary: 'ingress load balancer replaced',
    },
    decision: { mode: 'auto', dryRun: options.dryRun ?? false, reasons: [], parameters },
    approval: { status: 'not-requested' },
    changes: plan.result.changes,
    result: { outcome, summary: plan.result.summary },
    delivery: { slack: { status: 'skipped' }, datadog: { status: 'skipped' } },
    timings: {},
  });
}

beforeAll(async () => {
  audit = await startAudit();
});
afterAll(async () => {
  await audit.stop();
});
beforeEach(() => {
  r53Mock.reset();
  zone = [];
  // Route 53: the zone's sets in Route 53's order, one per page (every set after the first needs the cursor), cursor = the next set's name, type and (for weighted, failover… sets) set identifier, as Route 53 pages.
  let throttled = false;
  r53Mock.on(ListResourceRecordSetsCommand).callsFake(
    modelChecked(
      'route53',
      'ListResourceRecordSets',
      (input: {
        HostedZoneId: string;
        StartRecordName?: string;
        StartRecordType?: string;
        StartRecordIdentifier?: string;
      }) => {
        if (input.HostedZoneId !== ZONE_ID)
          throw Object.assign(new Error('No hosted zone found'), { name: 'NoSuchHostedZone' });
        if (!throttled) {
          throttled = true;
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'Throttling',
            $metadata: { httpStatusCode: 400 },
          });
        }
        const from = input.StartRecordName
          ? zone.findIndex(
              (s) =>
                s.Name === input.StartRecordName &&
                s.Type === input.StartRecordType &&
                s.SetIdentifier === input.StartRecordIdentifier,
            )
          : 0;
        const page = zone.slice(from, from + 1);
        const next = zone[from + 1];
        return {
          ResourceRecordSets: page,
          IsTruncated: next !== undefined,
          ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
          ...(next?.SetIdentifier ? { NextRecordIdentifier: next.SetIdentifier } : {}),
          MaxItems: '1',
        };
      },
    ),
  );
});

const sweep = () =>
  driftedDnsRecords(
    route53,
    audit.store,
    {
      stage: 'dev',
      zones: [
        { zoneName: 'dev.example.com', hostedZoneId: ZONE_ID, records: dnsSettings.zones[0]?.records ?? [] },
      ],
    },
    NOW,
  );

describe('sweeps: DNS records drifted from what automation last set', () => {
  it('a record re-pointed behind automation, and one deleted, are findings; one as automation left it is not', async () => {
    // Prepare: automation pointed api, gone and web.apps at ingress-a; later api was re-pointed by hand
    // to ingress-b, gone was deleted, web.apps still points at ingress-a. Other records were never automation's.
    await updateDnsRun('api.dev.example.com', LB_OLD, '2026-12-01T09:00:00.000Z');
    await updateDnsRun('gone.dev.example.com', LB_OLD, '2026-12-01T09:05:00.000Z');
    await updateDnsRun('web.apps.dev.example.com', LB_OLD, '2026-12-01T09:10:00.000Z');
    zone = [
      {
        Name: 'dev.example.com.',
        Type: 'NS',
        TTL: 172800,
        ResourceRecords: [{ Value: 'ns-1.awsdns-01.org.' }],
      },
      alias('api.dev.example.com', LB_NEW),
      {
        Name: 'db.dev.example.com.',
        Type: 'CNAME',
        TTL: 300,
        ResourceRecords: [{ Value: 'x.rds.amazonaws.com' }],
      },
      alias('other.apps.dev.example.com', LB_NEW),
      alias('web.apps.dev.example.com', LB_OLD),
    ];
    // Act
    const found = await sweep();
    // Assess
    for (const f of found) expect(SweepFindingSchema.safeParse(f).success).toBe(true);
    expect(found.map((f) => [f.resource.id, f.facts?.expected, f.facts?.actual])).toEqual([
      [
        'dev.example.com/api.dev.example.com/A',
        'alias ingress-a-1111.elb.eu-west-1.amazonaws.com (zone Z32O12XQLNTSW2, evaluate health true)',
        'alias ingress-b-2222.elb.eu-west-1.amazonaws.com (zone Z32O12XQLNTSW2, evaluate health true)',
      ],
      [
        'dev.example.com/gone.dev.example.com/A',
        'alias ingress-a-1111.elb.eu-west-1.amazonaws.com (zone Z32O12XQLNTSW2, evaluate health true)',
        'no such set',
      ],
    ]);
    expect(found[0]?.condition).toBe('dns-record-drifted');
    expect(found[0]?.resource.attributes).toMatchObject({
      hostedZoneId: ZONE_ID,
      recordName: 'api.dev.example.com',
    });
    expect(found[0]?.facts?.lastSetBy).toBe('update-dns-run-1');
  });

  it('the newest succeeded run is what automation last set; failed and dry runs set nothing', async () => {
    // Prepare: api was re-pointed by automation to ingress-b after the first case's run (so Route 53 now
    // matches automation); a later failed run and a later dry run "to ingress-a" must not count.
    await updateDnsRun('api.dev.example.com', LB_NEW, '2026-12-02T09:00:00.000Z', {
      current: [
        {
          Name: 'api.dev.example.com.',
          Type: 'A',
          AliasTarget: {
            HostedZoneId: LB_OLD.CanonicalHostedZoneId,
            DnsName: `${LB_OLD.DnsName}.`,
            EvaluateTargetHealth: true,
          },
        },
      ],
    });
    await updateDnsRun('api.dev.example.com', LB_OLD, '2026-12-03T09:00:00.000Z', { outcome: 'failed' });
    await updateDnsRun('api.dev.example.com', LB_OLD, '2026-12-04T09:00:00.000Z', { dryRun: true });
    zone = [
      alias('api.dev.example.com', LB_NEW),
      alias('gone.dev.example.com', LB_OLD),
      alias('web.apps.dev.example.com', LB_OLD),
    ];
    // Act / Assess
    expect(await sweep()).toEqual([]);
  });

  it('sets with a set identifier are judged one by one: a failover undone by hand is two findings', async () => {
    // Prepare: edge has a failover pair; automation failed it over (PRIMARY now serves 10.0.0.2), then
    // someone put it back by hand (PRIMARY 10.0.0.1 again). Route 53 answers in its own names (TTL).
    const pair = (primary: string, secondary: string) => [
      {
        Name: 'edge.dev.example.com.',
        Type: 'A',
        SetIdentifier: 'primary',
        Failover: 'PRIMARY',
        TTL: 60,
        ResourceRecords: [{ Value: primary }],
      },
      {
        Name: 'edge.dev.example.com.',
        Type: 'A',
        SetIdentifier: 'secondary',
        Failover: 'SECONDARY',
        TTL: 60,
        ResourceRecords: [{ Value: secondary }],
      },
    ];
    const asStepFunctionsSees = pair('10.0.0.1', '10.0.0.2').map(({ TTL, ...rest }) => ({
      ...rest,
      Ttl: TTL,
    }));
    await updateDnsRun('edge.dev.example.com', LB_OLD, '2026-12-05T09:00:00.000Z', {
      parameters: { change: 'failover', loadBalancerDnsName: undefined },
      current: asStepFunctionsSees,
    });
    zone = [
      alias('api.dev.example.com', LB_NEW),
      ...pair('10.0.0.1', '10.0.0.2'),
      alias('gone.dev.example.com', LB_OLD),
    ];
    // Act
    const found = await sweep();
    // Assess
    expect(found.map((f) => [f.resource.id, f.facts?.expected, f.facts?.actual])).toEqual([
      [
        'dev.example.com/edge.dev.example.com/A/primary',
        'TTL 60 10.0.0.2, failover PRIMARY',
        'TTL 60 10.0.0.1, failover PRIMARY',
      ],
      [
        'dev.example.com/edge.dev.example.com/A/secondary',
        'TTL 60 10.0.0.1, failover SECONDARY',
        'TTL 60 10.0.0.2, failover SECONDARY',
      ],
    ]);
    expect(found[0]?.resource.attributes?.setIdentifier).toBe('primary');
    // Once Route 53 holds what automation set, nothing is found.
    zone = [
      alias('api.dev.example.com', LB_NEW),
      ...pair('10.0.0.2', '10.0.0.1'),
      alias('gone.dev.example.com', LB_OLD),
    ];
    expect(await sweep()).toEqual([]);
  });
});
