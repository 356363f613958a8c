import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RefusedError } from '../../../runbooks/shared.js';
import {
  checkRequest,
  type DnsSettings,
  externalDnsOwnership,
  normaliseName,
  planDnsChange,
  type RecordSet,
  recordAllowed,
} from '../../../runbooks/update-dns/logic.js';
import { UpdateDnsParameters } from '../../../runbooks/update-dns/spec.js';

const settings: DnsSettings = {
  zones: [
    {
      zoneName: 'dev.example.com',
      hostedZoneId: 'Z1',
      records: ['*.dev.example.com', 'dev.example.com'],
      overrideExternalDns: false,
    },
  ],
  loadBalancerPrefix: 'ingress',
  externalDnsTxtPrefix: '',
};
const ZONE = settings.zones[0] as DnsSettings['zones'][number];
const txt = (name: string, value: string): RecordSet => ({
  Name: name,
  Type: 'TXT',
  Ttl: 300,
  ResourceRecords: [{ Value: value }],
});

describe('update-dns logic: external-dns ownership', () => {
  it('finds the owner in the current (<type>-<name>) and the old (same name) registry formats', () => {
    const value =
      '"heritage=external-dns,external-dns/owner=dev-platform,external-dns/resource=ingress/app/web"';
    expect(externalDnsOwnership([txt('a-app.dev.example.com.', value)], 'app.dev.example.com', 'A')).toEqual({
      owned: true,
      owner: 'dev-platform',
      registryRecord: 'a-app.dev.example.com',
    });
    expect(externalDnsOwnership([txt('app.dev.example.com.', value)], 'app.dev.example.com', 'A').owned).toBe(
      true,
    );
  });

  it('ignores TXT records that are not the registry, and registry records of other names or types', () => {
    const value = '"heritage=external-dns,external-dns/owner=x"';
    expect(
      externalDnsOwnership([txt('app.dev.example.com.', '"v=spf1 -all"')], 'app.dev.example.com', 'A').owned,
    ).toBe(false);
    expect(
      externalDnsOwnership([txt('cname-app.dev.example.com.', value)], 'app.dev.example.com', 'A').owned,
    ).toBe(false);
    expect(
      externalDnsOwnership([txt('a-api.dev.example.com.', value)], 'app.dev.example.com', 'A').owned,
    ).toBe(false);
  });

  it('honours a txt prefix', () => {
    const value = '"heritage=external-dns,external-dns/owner=x"';
    expect(
      externalDnsOwnership([txt('reg-a-app.dev.example.com.', value)], 'app.dev.example.com', 'A', 'reg-')
        .owned,
    ).toBe(true);
  });
});

describe('update-dns logic: allow-list', () => {
  it('normalises Route 53 names (trailing dot, escaped wildcard, case)', () => {
    expect(normaliseName('\\052.Dev.Example.com.')).toBe('*.dev.example.com');
  });

  it('a wildcard entry matches only names below the zone, never another zone', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.stringMatching(/^[a-z]{2,10}$/), (label, tld) => {
        expect(recordAllowed(['*.dev.example.com'], `${label}.dev.example.com`)).toBe(true);
        expect(recordAllowed(['*.dev.example.com'], `${label}.dev.example.${tld}x`)).toBe(false);
        expect(recordAllowed(['*.dev.example.com'], `${label}dev.example.com`)).toBe(false);
      }),
    );
  });

  it('rejects a weight change that names no set or weight, with a clear message', () => {
    const parsed = UpdateDnsParameters.safeParse({
      zoneName: 'dev.example.com',
      recordName: 'a.dev.example.com',
      change: 'weight',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('change=weight needs setIdentifier and weight');
  });

  it('refuses a zone or record that is not allow-listed before anything is read', () => {
    expect(() => checkRequest({ zoneName: 'example.org', recordName: 'a.example.org' }, settings)).toThrow(
      RefusedError,
    );
    expect(() =>
      checkRequest(
        { zoneName: 'dev.example.com', recordName: 'x.dev.example.com' },
        { ...settings, zones: [{ ...ZONE, records: ['app.dev.example.com'] }] },
      ),
    ).toThrow(/not allow-listed/);
    expect(
      checkRequest({ zoneName: 'dev.example.com', recordName: 'App.Dev.Example.com.' }, settings),
    ).toMatchObject({
      zoneId: 'Z1',
      recordName: 'app.dev.example.com',
      registryName: 'a-app.dev.example.com',
      needLoadBalancers: true,
    });
  });
});

describe('update-dns logic: the batch and its inverse', () => {
  const check = checkRequest(
    {
      zoneName: 'dev.example.com',
      recordName: 'api.dev.example.com',
      change: 'weight',
      setIdentifier: 'green',
      weight: 100,
    },
    settings,
  );
  const weighted = (id: string, weight: number): RecordSet => ({
    Name: 'api.dev.example.com.',
    Type: 'A',
    SetIdentifier: id,
    Weight: weight,
    AliasTarget: { HostedZoneId: 'Z2', DnsName: `${id}.elb.amazonaws.com.`, EvaluateTargetHealth: true },
  });

  it('shifts weight between two weighted sets, and the inverse restores both', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (blue, green, wanted) => {
          const before = [weighted('blue', blue), weighted('green', green)];
          const plan = planDnsChange({
            parameters: {
              zoneName: 'dev.example.com',
              recordName: 'api.dev.example.com',
              change: 'weight',
              setIdentifier: 'green',
              weight: wanted,
            },
            settings,
            check,
            records: before,
            registry: [],
            loadBalancers: [],
            executionName: 'run-1',
          });
          const after = new Map(before.map((r) => [r.SetIdentifier, r]));
          for (const c of plan.changeBatch.Changes)
            after.set(c.ResourceRecordSet.SetIdentifier, c.ResourceRecordSet);
          expect(after.get('green')?.Weight).toBe(wanted);
          for (const r of after.values()) expect(r.Weight).toBeGreaterThanOrEqual(0);
          for (const r of after.values()) expect(r.Weight).toBeLessThanOrEqual(255);
          // Applying the inverse gives back exactly the sets before.
          for (const c of plan.inverse.Changes)
            after.set(c.ResourceRecordSet.SetIdentifier, c.ResourceRecordSet);
          expect([...after.values()]).toEqual(expect.arrayContaining(before));
          expect(plan.noop).toBe(plan.changeBatch.Changes.length === 0);
        },
      ),
    );
  });

  it('refuses an external-dns owned record unless the zone overrides it', () => {
    const owned = [
      weighted('green', 1),
      txt('a-api.dev.example.com.', '"heritage=external-dns,external-dns/owner=o"'),
    ];
    const args = {
      parameters: {
        zoneName: 'dev.example.com',
        recordName: 'api.dev.example.com',
        change: 'weight',
        setIdentifier: 'green',
        weight: 5,
      },
      settings,
      check,
      records: owned,
      registry: [],
      loadBalancers: [],
      executionName: 'run-1',
    };
    expect(() => planDnsChange(args)).toThrow(/owned by external-dns \(owner o/);
    const overriding = { ...settings, zones: [{ ...ZONE, overrideExternalDns: true }] };
    expect(planDnsChange({ ...args, settings: overriding }).changeBatch.Changes).toHaveLength(1);
  });
});
