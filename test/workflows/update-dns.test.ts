import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { RecordSet } from '../../runbooks/update-dns/logic.js';
import { handler } from '../../runbooks/update-dns/steps/handler.js';
import { UpdateDnsWorkflow } from '../../runbooks/update-dns/workflow.js';
import { expectResilientJsonPath } from '../support/asl-assertions.js';
import {
  type AslDefinition,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';

function build(overrideExternalDns = false): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new UpdateDnsWorkflow(stack, 'UpdateDns', {
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    stepFunction: fn('Steps'),
    zones: [
      {
        zoneName: 'test.example.com',
        hostedZoneId: 'Z0TESTZONE',
        records: ['*.test.example.com', 'test.example.com'],
        overrideExternalDns,
      },
    ],
    loadBalancerPrefix: 'ingress',
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

const OLD_LB = {
  HostedZoneId: 'Z2IFOLAFXWLO4F',
  DnsName: 'ingress-old-1.elb.eu-west-1.amazonaws.com.',
  EvaluateTargetHealth: true,
};
const appRecord: RecordSet = { Name: 'app.test.example.com.', Type: 'A', AliasTarget: OLD_LB };
const loadBalancers = {
  LoadBalancers: [
    {
      LoadBalancerName: 'ingress-old',
      DnsName: 'ingress-old-1.elb.eu-west-1.amazonaws.com',
      CanonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
      CreatedTime: '2026-01-01T00:00:00Z',
      State: { Code: 'active' },
    },
    {
      LoadBalancerName: 'ingress-new',
      DnsName: 'ingress-new-2.elb.eu-west-1.amazonaws.com',
      CanonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
      CreatedTime: '2026-11-22T19:00:00Z',
      State: { Code: 'active' },
    },
    {
      LoadBalancerName: 'batch-internal',
      DnsName: 'batch-3.elb.eu-west-1.amazonaws.com',
      CanonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
      CreatedTime: '2026-11-22T19:30:00Z',
      State: { Code: 'active' },
    },
  ],
};

const input = (parameters: Record<string, unknown>, dryRun = false) => ({
  runbook: 'update-dns',
  stage: 'test',
  parameters,
  dryRun,
  mode: 'auto',
  executionName: 'update-dns-77aa-20261122T2000',
  resourceKey: 'test.example.com/app.test.example.com/A',
  trigger: {
    source: 'cloudtrail',
    kind: 'CreateLoadBalancer',
    correlationId: 'c1',
    occurredAt: '2026-11-22T20:00:00Z',
    summary: 'ingress load balancer replaced',
    requestedBy: 'arn:aws:iam::111111111111:role/eks-lb-controller',
  },
  reasons: ['ingress load balancer replaced'],
});

interface Zone {
  sets: RecordSet[];
  batches: { Changes: { Action: string; ResourceRecordSet: RecordSet }[] }[];
  statuses: string[];
}

function handlers(zone: Zone, overrides: Record<string, TaskHandler> = {}): Record<string, TaskHandler> {
  return {
    'Announce start': () => undefined,
    'Report result': () => undefined,
    'Report failure': () => undefined,
    'Report rejection': () => undefined,
    'Request approval': () => ({ approved: true }),
    'Check request': (p) => handler(p),
    'Plan DNS change': (p) => handler(p),
    'Read record sets': () => ({ ResourceRecordSets: zone.sets, IsTruncated: false }),
    'Read external-dns registry': (p) => ({
      ResourceRecordSets: zone.sets.filter((s) =>
        s.Name.startsWith((p as { StartRecordName: string }).StartRecordName),
      ),
    }),
    'Describe load balancers': () => loadBalancers,
    'Change record sets': (p) => {
      const batch = (p as { ChangeBatch: Zone['batches'][number] }).ChangeBatch;
      zone.batches.push(batch);
      // Apply it, as Route 53 would.
      for (const c of batch.Changes) {
        const k = (r: RecordSet) => `${r.Name}|${r.Type}|${r.SetIdentifier ?? ''}`;
        zone.sets = zone.sets.filter((s) => k(s) !== k(c.ResourceRecordSet));
        if (c.Action !== 'DELETE') zone.sets.push(c.ResourceRecordSet);
      }
      return { ChangeInfo: { Id: '/change/C123', Status: 'PENDING' } };
    },
    'Read change status': () => ({
      ChangeInfo: { Id: '/change/C123', Status: zone.statuses.shift() ?? 'INSYNC' },
    }),
    ...overrides,
  };
}

describe('update-dns: the workflow rendered from its construct, run locally', () => {
  const asl = build();

  it('retries and catches every task, and uses only JSONPath', () => {
    expectResilientJsonPath(asl, { minTasks: 5 });
  });

  it('points the record at the newest ingress load balancer in one batch and waits for INSYNC', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: ['PENDING', 'INSYNC'] };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(zone.batches).toHaveLength(1);
    expect(zone.batches[0]?.Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'app.test.example.com.',
          Type: 'A',
          AliasTarget: {
            HostedZoneId: 'Z2IFOLAFXWLO4F',
            DnsName: 'ingress-new-2.elb.eu-west-1.amazonaws.com',
            EvaluateTargetHealth: true,
          },
        },
      },
    ]);
    expect(out.calls['Read change status']).toBe(2);
    const result = out.output as {
      outcome: string;
      changes: { before: unknown }[];
      revert: { before: RecordSet[] };
    };
    expect(result.outcome).toBe('succeeded');
    expect(result.changes[0]?.before).toEqual(appRecord);
    expect(result.revert.before).toEqual([appRecord]);
  });

  it('dry-run plans the change and makes no mutating call', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }, true),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({ outcome: 'dry-run' });
    expect((out.output as { summary: string }).summary).toContain('ingress-new');
    expect(out.calls['Change record sets']).toBeUndefined();
  });

  it('retries PriorRequestNotComplete and throttling, then succeeds', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    const errors = ['Route53.PriorRequestNotCompleteException', 'Route53.ThrottlingException'];
    const real = handlers(zone)['Change record sets'] as TaskHandler;
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone, {
          'Change record sets': (p) => {
            const e = errors.shift();
            if (e) throw awsError(e, 'try again');
            return real(p);
          },
        }),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Change record sets']).toBe(3);
    expect(zone.batches).toHaveLength(1);
  });

  it('fails with the Route 53 error once retries are exhausted', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone, {
          'Change record sets': () => {
            throw awsError('Route53.ThrottlingException', 'Rate exceeded');
          },
        }),
      },
    );
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Route53.ThrottlingException');
    expect(out.calls['Change record sets']).toBe(7);
    expect(out.path).toContain('Report failure');
  });

  it('times out when the change never reaches INSYNC, with the reason', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: Array(50).fill('PENDING') };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('PollTimeout');
    expect(out.cause).toContain('/change/C123');
    expect(out.calls['Read change status']).toBe(20);
  });

  it('refuses a record that external-dns owns, before any mutating call', async () => {
    // Prepare
    const registry: RecordSet = {
      Name: 'a-app.test.example.com.',
      Type: 'TXT',
      Ttl: 300,
      ResourceRecords: [
        {
          Value:
            '"heritage=external-dns,external-dns/owner=test-platform,external-dns/resource=ingress/app/web"',
        },
      ],
    };
    const zone: Zone = { sets: [appRecord, registry], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('owned by external-dns (owner test-platform');
    expect(out.calls['Change record sets']).toBeUndefined();
  });

  it('overwrites an external-dns record only when the zone allows it', async () => {
    // Prepare
    const registry: RecordSet = {
      Name: 'app.test.example.com.',
      Type: 'TXT',
      Ttl: 300,
      ResourceRecords: [{ Value: '"heritage=external-dns,external-dns/owner=test-platform"' }],
    };
    const zone: Zone = { sets: [appRecord, registry], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      build(true),
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(zone.batches).toHaveLength(1);
  });

  it('refuses a zone that is not allow-listed without reading it', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      asl,
      input({ zoneName: 'other.example.org', recordName: 'app.other.example.org' }),
      {
        handlers: handlers(zone),
      },
    );
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('not allow-listed');
    expect(out.calls['Read record sets']).toBeUndefined();
    expect(out.calls['Change record sets']).toBeUndefined();
  });

  it('fails over by swapping the PRIMARY and SECONDARY targets in one batch', async () => {
    // Prepare
    const primary: RecordSet = {
      Name: 'api.test.example.com.',
      Type: 'CNAME',
      SetIdentifier: 'primary',
      Failover: 'PRIMARY',
      Ttl: 60,
      ResourceRecords: [{ Value: 'api-eu-west-1.example.net' }],
      HealthCheckId: 'hc-1',
    };
    const secondary: RecordSet = {
      Name: 'api.test.example.com.',
      Type: 'CNAME',
      SetIdentifier: 'secondary',
      Failover: 'SECONDARY',
      Ttl: 60,
      ResourceRecords: [{ Value: 'api-eu-central-1.example.net' }],
    };
    const zone: Zone = { sets: [primary, secondary], batches: [], statuses: [] };
    // Act
    const out = await runAsl(
      asl,
      input({
        zoneName: 'test.example.com',
        recordName: 'api.test.example.com',
        recordType: 'CNAME',
        change: 'failover',
        standbyTarget: 'api-eu-central-1.example.net',
      }),
      { handlers: handlers(zone) },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    const changes = zone.batches[0]?.Changes ?? [];
    expect(changes).toHaveLength(2);
    expect(changes[0]?.ResourceRecordSet).toMatchObject({
      SetIdentifier: 'primary',
      Failover: 'PRIMARY',
      HealthCheckId: 'hc-1',
      ResourceRecords: [{ Value: 'api-eu-central-1.example.net' }],
    });
  });

  it('revert writes the captured record set back', async () => {
    // Prepare: a first run moved the alias to the new load balancer.
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    const first = await runAsl(
      asl,
      input({ zoneName: 'test.example.com', recordName: 'app.test.example.com' }),
      {
        handlers: handlers(zone),
      },
    );
    const restore = (first.output as { revert: unknown }).revert;
    // Act
    const out = await runAsl(
      asl,
      input({
        zoneName: 'test.example.com',
        recordName: 'app.test.example.com',
        revertOf: 'update-dns-77aa',
        restore,
      }),
      { handlers: handlers(zone) },
    );
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(zone.sets).toEqual([appRecord]);
    expect(zone.batches[1]?.Changes).toEqual([{ Action: 'UPSERT', ResourceRecordSet: appRecord }]);
    expect(out.calls['Describe load balancers']).toBeUndefined();
  });

  it('a repeated run changes nothing', async () => {
    // Prepare
    const zone: Zone = { sets: [appRecord], batches: [], statuses: [] };
    const params = { zoneName: 'test.example.com', recordName: 'app.test.example.com' };
    await runAsl(asl, input(params), { handlers: handlers(zone) });
    // Act
    const out = await runAsl(asl, input(params), { handlers: handlers(zone) });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Change record sets']).toBeUndefined();
    expect((out.output as { summary: string }).summary).toContain('Nothing to change');
  });
});
