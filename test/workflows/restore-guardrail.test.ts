import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/shared/powertools.js';
import type { GuardrailSettings } from '../../runbooks/restore-guardrail/logic.js';
import { handler } from '../../runbooks/restore-guardrail/steps/handler.js';
import { RestoreGuardrailWorkflow } from '../../runbooks/restore-guardrail/workflow.js';
import { expectResilientJsonPath } from '../support/asl-assertions.js';
import { awsError, renderAsl, runAsl, type TaskHandler, workflowStack } from '../support/local-sfn.js';

/**
 * restore-guardrail, run from the definition its construct renders (aws-local-stepfunctions): the
 * Lambda steps are the real handler, every SDK task a fake of one small account that keeps state
 * between calls and answers as the service does; runAsl checks each call and each answer against
 * AWS's API model with Step Functions' naming (test/support/aws-model.ts). Expected states below are
 * written by hand from the runbook's README, not computed by the code under test.
 */

const OWNER = '111111111111';
const TRUSTED = '444444444444';
const ATTACKER = '999999999999';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const LOG_GROUP = '/platform/test/vpc-flow-logs';
const FLOW_ROLE = 'arn:aws:iam::111111111111:role/test-platform-FlowLogRole';
const SG = 'sg-0d0e0f0a0b0c0d0e0';

const settings: GuardrailSettings = {
  trails: ['test-platform-trail'],
  flowLogs: true,
  buckets: ['test-platform-*'],
  securityGroups: [SG],
  snapshotOwners: [OWNER],
  trustedAccounts: [TRUSTED],
  flowLog: { vpcId: VPC, logGroupName: LOG_GROUP, deliverLogsPermissionArn: FLOW_ROLE, trafficType: 'ALL' },
  optInTag: { key: 'ops-automation', value: 'enabled' },
};

function build() {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new RestoreGuardrailWorkflow(stack, 'RestoreGuardrail', {
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    stepFunction: fn('Steps'),
    settings,
    flowLogRoleArn: FLOW_ROLE,
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

interface Perm {
  UserId?: string;
  Group?: string;
}
interface Rule {
  SecurityGroupRuleId: string;
  GroupId: string;
  IsEgress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  Description?: string;
}
interface Account {
  logging: boolean;
  flowLogs: { FlowLogId: string; ResourceId: string; LogGroupName: string; FlowLogStatus: string }[];
  snapshots: Record<string, Perm[]>;
  images: Record<string, Perm[]>;
  dbSnapshots: Record<string, string[]>;
  dbClusterSnapshots: Record<string, string[]>;
  rules: Rule[];
  pab: Record<string, Record<string, boolean> | undefined>;
  writes: string[];
  nextRule: number;
}

function account(partial: Partial<Account> = {}): Account {
  return {
    logging: true,
    flowLogs: [{ FlowLogId: 'fl-0aa', ResourceId: VPC, LogGroupName: LOG_GROUP, FlowLogStatus: 'ACTIVE' }],
    snapshots: {},
    images: {},
    dbSnapshots: {},
    dbClusterSnapshots: {},
    rules: [],
    pab: {},
    writes: [],
    nextRule: 100,
    ...partial,
  };
}

const samePerm = (a: Perm, b: Perm) => a.UserId === b.UserId && a.Group === b.Group;
type P = Record<string, unknown>;

/** The account's services, as far as this runbook calls them. */
function handlers(acct: Account, overrides: Record<string, TaskHandler> = {}): Record<string, TaskHandler> {
  const notFound = (code: string, what: string) => {
    throw awsError(code, `${what} does not exist`);
  };
  const modifyPerms = (
    store: Record<string, Perm[]>,
    id: string,
    mods: { Add?: Perm[]; Remove?: Perm[] },
  ) => {
    const current = store[id] ?? notFound('Ec2.InvalidSnapshot.NotFoundException', id);
    const removed = current.filter((c) => !(mods.Remove ?? []).some((r) => samePerm(c, r)));
    store[id] = [...removed, ...(mods.Add ?? []).filter((a) => !removed.some((c) => samePerm(c, a)))];
  };
  const dbResult = (id: string, values: string[]) => ({
    DbSnapshotIdentifier: id,
    DbSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: values }],
  });
  const dbClusterResult = (id: string, values: string[]) => ({
    DbClusterSnapshotIdentifier: id,
    DbClusterSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: values }],
  });
  const write =
    (name: string, fn: TaskHandler): TaskHandler =>
    (p) => {
      acct.writes.push(name);
      return fn(p);
    };
  return {
    'Announce start': () => undefined,
    'Report result': () => undefined,
    'Report failure': () => undefined,
    'Report rejection': () => undefined,
    'Request approval': () => ({ approved: true, approver: 'U0APPROVER', at: '2026-12-07T10:00:00Z' }),
    'Check request': (p) => handler(p),
    'Plan restore': (p) => handler(p),
    'Read trail status': () => ({ IsLogging: acct.logging }),
    'Start trail logging': write('StartLogging', () => {
      acct.logging = true;
      return {};
    }),
    'Read flow logs': (p) => {
      const filters = (p as { Filter: { Name: string; Values: string[] }[] }).Filter;
      const match = (f: Account['flowLogs'][number]) =>
        filters.every((x) => x.Values.includes(x.Name === 'resource-id' ? f.ResourceId : f.LogGroupName));
      return { FlowLogs: acct.flowLogs.filter(match) };
    },
    'Create flow log': write('CreateFlowLogs', (p) => {
      const r = p as P & { ResourceIds: string[]; LogGroupName: string };
      const id = `fl-0${acct.flowLogs.length + 1}bb`;
      acct.flowLogs.push({
        FlowLogId: id,
        ResourceId: r.ResourceIds[0] as string,
        LogGroupName: r.LogGroupName,
        FlowLogStatus: 'ACTIVE',
      });
      return { FlowLogIds: [id], Unsuccessful: [], ClientToken: r.ClientToken };
    }),
    'Read snapshot sharing': (p) => {
      const id = (p as { SnapshotId: string }).SnapshotId;
      return {
        SnapshotId: id,
        CreateVolumePermissions: acct.snapshots[id] ?? notFound('Ec2.InvalidSnapshot.NotFoundException', id),
      };
    },
    'Modify snapshot sharing': write('ModifySnapshotAttribute', (p) => {
      const r = p as { SnapshotId: string; CreateVolumePermission: { Add?: Perm[]; Remove?: Perm[] } };
      modifyPerms(acct.snapshots, r.SnapshotId, r.CreateVolumePermission);
      return {};
    }),
    'Read image sharing': (p) => {
      const id = (p as { ImageId: string }).ImageId;
      return {
        ImageId: id,
        LaunchPermissions: acct.images[id] ?? notFound('Ec2.InvalidAMIID.NotFoundException', id),
      };
    },
    'Modify image sharing': write('ModifyImageAttribute', (p) => {
      const r = p as { ImageId: string; LaunchPermission: { Add?: Perm[]; Remove?: Perm[] } };
      modifyPerms(acct.images, r.ImageId, r.LaunchPermission);
      return {};
    }),
    'Read DB snapshot sharing': (p) => {
      const id = (p as { DbSnapshotIdentifier: string }).DbSnapshotIdentifier;
      return {
        DbSnapshotAttributesResult: dbResult(
          id,
          acct.dbSnapshots[id] ?? notFound('Rds.DbSnapshotNotFoundException', id),
        ),
      };
    },
    'Unshare DB snapshot': write('ModifyDBSnapshotAttribute', (p) => {
      const r = p as { DbSnapshotIdentifier: string; ValuesToRemove: string[] };
      acct.dbSnapshots[r.DbSnapshotIdentifier] = (acct.dbSnapshots[r.DbSnapshotIdentifier] ?? []).filter(
        (v) => !r.ValuesToRemove.includes(v),
      );
      return {
        DbSnapshotAttributesResult: dbResult(
          r.DbSnapshotIdentifier,
          acct.dbSnapshots[r.DbSnapshotIdentifier] ?? [],
        ),
      };
    }),
    'Re-share DB snapshot': write('ModifyDBSnapshotAttribute', (p) => {
      const r = p as { DbSnapshotIdentifier: string; ValuesToAdd: string[] };
      acct.dbSnapshots[r.DbSnapshotIdentifier] = [
        ...(acct.dbSnapshots[r.DbSnapshotIdentifier] ?? []),
        ...r.ValuesToAdd,
      ];
      return {
        DbSnapshotAttributesResult: dbResult(
          r.DbSnapshotIdentifier,
          acct.dbSnapshots[r.DbSnapshotIdentifier] ?? [],
        ),
      };
    }),
    'Read DB cluster snapshot sharing': (p) => {
      const id = (p as { DbClusterSnapshotIdentifier: string }).DbClusterSnapshotIdentifier;
      return {
        DbClusterSnapshotAttributesResult: dbClusterResult(
          id,
          acct.dbClusterSnapshots[id] ?? notFound('Rds.DbClusterSnapshotNotFoundException', id),
        ),
      };
    },
    'Unshare DB cluster snapshot': write('ModifyDBClusterSnapshotAttribute', (p) => {
      const r = p as { DbClusterSnapshotIdentifier: string; ValuesToRemove: string[] };
      const id = r.DbClusterSnapshotIdentifier;
      acct.dbClusterSnapshots[id] = (acct.dbClusterSnapshots[id] ?? []).filter(
        (v) => !r.ValuesToRemove.includes(v),
      );
      return { DbClusterSnapshotAttributesResult: dbClusterResult(id, acct.dbClusterSnapshots[id] ?? []) };
    }),
    'Re-share DB cluster snapshot': write('ModifyDBClusterSnapshotAttribute', (p) => {
      const r = p as { DbClusterSnapshotIdentifier: string; ValuesToAdd: string[] };
      const id = r.DbClusterSnapshotIdentifier;
      acct.dbClusterSnapshots[id] = [...(acct.dbClusterSnapshots[id] ?? []), ...r.ValuesToAdd];
      return { DbClusterSnapshotAttributesResult: dbClusterResult(id, acct.dbClusterSnapshots[id] ?? []) };
    }),
    'Read security group rules': (p) => {
      const group = (p as { Filters: { Values: string[] }[] }).Filters[0]?.Values[0];
      return { SecurityGroupRules: acct.rules.filter((r) => r.GroupId === group) };
    },
    'Revoke world-open ingress': write('RevokeSecurityGroupIngress', (p) => {
      const r = p as { GroupId: string; SecurityGroupRuleIds: string[] };
      for (const id of r.SecurityGroupRuleIds) {
        if (!acct.rules.some((x) => x.SecurityGroupRuleId === id && x.GroupId === r.GroupId)) {
          throw awsError('Ec2.InvalidSecurityGroupRuleId.NotFoundException', `${id} not found`);
        }
      }
      acct.rules = acct.rules.filter((x) => !r.SecurityGroupRuleIds.includes(x.SecurityGroupRuleId));
      return { ReturnValue: true };
    }),
    'Re-add revoked ingress': write('AuthorizeSecurityGroupIngress', (p) => {
      const r = p as {
        GroupId: string;
        IpPermissions: {
          IpProtocol: string;
          FromPort: number;
          ToPort: number;
          IpRanges?: { CidrIp: string; Description?: string }[];
        }[];
      };
      for (const perm of r.IpPermissions) {
        for (const range of perm.IpRanges ?? []) {
          acct.rules.push({
            SecurityGroupRuleId: `sgr-0${acct.nextRule++}aa`,
            GroupId: r.GroupId,
            IsEgress: false,
            IpProtocol: perm.IpProtocol,
            FromPort: perm.FromPort,
            ToPort: perm.ToPort,
            CidrIpv4: range.CidrIp,
            ...(range.Description ? { Description: range.Description } : {}),
          });
        }
      }
      return { ReturnValue: true };
    }),
    'Read public access block': (p) => {
      const bucket = (p as { Bucket: string }).Bucket;
      const cfg = acct.pab[bucket];
      if (!cfg)
        throw awsError(
          'S3.NoSuchPublicAccessBlockConfigurationException',
          'The public access block configuration was not found',
        );
      return { PublicAccessBlockConfiguration: cfg };
    },
    'Put public access block': write('PutPublicAccessBlock', (p) => {
      const r = p as { Bucket: string; PublicAccessBlockConfiguration: Record<string, boolean> };
      acct.pab[r.Bucket] = r.PublicAccessBlockConfiguration;
      return {};
    }),
    ...overrides,
  };
}

const input = (
  parameters: Record<string, unknown>,
  opts: { dryRun?: boolean; mode?: 'auto' | 'approval' } = {},
) => ({
  runbook: 'restore-guardrail',
  stage: 'test',
  parameters,
  dryRun: opts.dryRun ?? false,
  mode: opts.mode ?? 'auto',
  executionName: 'restore-guardrail-5e1f-20261207T1000',
  resourceKey: 'x',
  trigger: {
    source: 'cloudtrail',
    kind: 'cloudtrail.api-call',
    correlationId: 'c1',
    occurredAt: '2026-12-07T10:00:00Z',
    summary: 'guardrail removed',
    requestedBy: 'arn:aws:iam::111111111111:user/mallory',
  },
  reasons: ['guardrail removed'],
});

interface Out {
  outcome: string;
  summary: string;
  changes: { action: string; resource: string; before?: unknown; after?: unknown }[];
  revert?: Record<string, unknown>;
}

describe('restore-guardrail: the workflow rendered from its construct, run locally', () => {
  const asl = build();
  // The plan step logs one line per run; the tests read results, not logs (no console noise).
  const quiet = vi.spyOn(logger, 'info');
  beforeAll(() => {
    quiet.mockImplementation(() => undefined);
  });
  afterAll(() => {
    quiet.mockRestore();
  });

  it('retries and catches every task, and uses only JSONPath', () => {
    expectResilientJsonPath(asl, { minTasks: 20 });
  });

  it('restarts logging of a stopped platform trail, and offers no revert', async () => {
    const acct = account({ logging: false });
    const out = await runAsl(asl, input({ guardrail: 'trail-logging', target: 'test-platform-trail' }), {
      handlers: handlers(acct),
    });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.logging).toBe(true);
    expect(acct.writes).toEqual(['StartLogging']);
    const result = out.output as Out;
    expect(result.changes).toMatchObject([
      { action: 'cloudtrail:StartLogging', resource: 'test-platform-trail' },
    ]);
    expect(result.revert).toBeUndefined();
  });

  it('accepts the trail as an ARN, as StopLogging records it', async () => {
    const acct = account({ logging: false });
    const out = await runAsl(
      asl,
      input({
        guardrail: 'trail-logging',
        target: 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/test-platform-trail',
      }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.writes).toEqual(['StartLogging']);
  });

  it('refuses a trail that is not allow-listed before reading it', async () => {
    const acct = account({ logging: false });
    const out = await runAsl(asl, input({ guardrail: 'trail-logging', target: 'someone-elses-trail' }), {
      handlers: handlers(acct),
    });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('trail someone-elses-trail is not allow-listed');
    expect(out.calls['Read trail status']).toBeUndefined();
    expect(acct.writes).toEqual([]);
  });

  it('refuses to revert trail logging (StopLogging is not a repair)', async () => {
    const acct = account();
    const out = await runAsl(
      asl,
      input({
        guardrail: 'trail-logging',
        target: 'test-platform-trail',
        revertOf: 'restore-guardrail-1',
        restore: { guardrail: 'trail-logging', target: 'test-platform-trail' },
      }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('is not reverted');
    expect(acct.writes).toEqual([]);
  });

  it('recreates the stage VPC flow log with the platform settings and the opt-in tag', async () => {
    const acct = account({ flowLogs: [] });
    let request: P = {};
    const h = handlers(acct);
    const create = h['Create flow log'] as TaskHandler;
    const out = await runAsl(asl, input({ guardrail: 'flow-logs' }), {
      handlers: {
        ...h,
        'Create flow log': (p) => {
          request = p as P;
          return create(p);
        },
      },
    });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.flowLogs).toHaveLength(1);
    expect(request).toMatchObject({
      ResourceIds: [VPC],
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: LOG_GROUP,
      DeliverLogsPermissionArn: FLOW_ROLE,
      TagSpecifications: [
        {
          ResourceType: 'vpc-flow-log',
          Tags: expect.arrayContaining([{ Key: 'ops-automation', Value: 'enabled' }]),
        },
      ],
    });
  });

  it('leaves an existing flow log alone (a repeated event changes nothing)', async () => {
    const acct = account();
    const out = await runAsl(asl, input({ guardrail: 'flow-logs' }), { handlers: handlers(acct) });
    expect(out.status).toBe('SUCCEEDED');
    expect((out.output as Out).summary).toContain('Nothing to change');
    expect(acct.writes).toEqual([]);
  });

  it('removes public and foreign sharing of an EBS snapshot, keeps the trusted account, and reverts exactly', async () => {
    const acct = account({
      snapshots: { 'snap-0123456789abcdef0': [{ UserId: TRUSTED }, { UserId: ATTACKER }, { Group: 'all' }] },
    });
    const params = {
      guardrail: 'snapshot-sharing',
      kind: 'ebs-snapshot',
      target: 'snap-0123456789abcdef0',
      account: OWNER,
    };
    const out = await runAsl(asl, input(params), { handlers: handlers(acct) });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.snapshots['snap-0123456789abcdef0']).toEqual([{ UserId: TRUSTED }]);
    const restore = (out.output as Out).revert;
    expect(restore).toEqual({
      guardrail: 'snapshot-sharing',
      target: 'snap-0123456789abcdef0',
      kind: 'ebs-snapshot',
      removed: [{ UserId: ATTACKER }, { Group: 'all' }],
    });

    const back = await runAsl(asl, input({ ...params, revertOf: 'restore-guardrail-5e1f', restore }), {
      handlers: handlers(acct),
    });
    expect(back.status).toBe('SUCCEEDED');
    expect(acct.snapshots['snap-0123456789abcdef0']).toEqual([
      { UserId: TRUSTED },
      { UserId: ATTACKER },
      { Group: 'all' },
    ]);
  });

  it('removes the launch permission an AMI gave another account', async () => {
    const acct = account({ images: { 'ami-0123456789abcdef0': [{ UserId: ATTACKER }] } });
    const out = await runAsl(
      asl,
      input({ guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-0123456789abcdef0' }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.images['ami-0123456789abcdef0']).toEqual([]);
    expect(acct.writes).toEqual(['ModifyImageAttribute']);
  });

  it('unshares an RDS snapshot made public and re-shares it on revert', async () => {
    const acct = account({ dbSnapshots: { 'app-manual-2026-12-01': ['all', TRUSTED] } });
    const params = { guardrail: 'snapshot-sharing', kind: 'db-snapshot', target: 'app-manual-2026-12-01' };
    const out = await runAsl(asl, input(params), { handlers: handlers(acct) });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.dbSnapshots['app-manual-2026-12-01']).toEqual([TRUSTED]);
    const back = await runAsl(
      asl,
      input({ ...params, revertOf: 'r1', restore: (out.output as Out).revert }),
      { handlers: handlers(acct) },
    );
    expect(back.status).toBe('SUCCEEDED');
    expect(acct.dbSnapshots['app-manual-2026-12-01']).toEqual([TRUSTED, 'all']);
    expect(acct.writes).toEqual(['ModifyDBSnapshotAttribute', 'ModifyDBSnapshotAttribute']);
  });

  it('unshares an RDS cluster snapshot shared with another account', async () => {
    const acct = account({ dbClusterSnapshots: { 'app-cluster-snap': [ATTACKER] } });
    const out = await runAsl(
      asl,
      input({ guardrail: 'snapshot-sharing', kind: 'db-cluster-snapshot', target: 'app-cluster-snap' }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.dbClusterSnapshots['app-cluster-snap']).toEqual([]);
  });

  it("refuses another owner's snapshot without reading it", async () => {
    const acct = account({ snapshots: { 'snap-0123456789abcdef0': [{ UserId: ATTACKER }] } });
    const out = await runAsl(
      asl,
      input({
        guardrail: 'snapshot-sharing',
        kind: 'ebs-snapshot',
        target: 'snap-0123456789abcdef0',
        account: ATTACKER,
      }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.cause).toContain('not an allow-listed owner');
    expect(out.calls['Read snapshot sharing']).toBeUndefined();
  });

  const rule = (id: string, cidr: string, port: number, extra: Partial<Rule> = {}): Rule => ({
    SecurityGroupRuleId: id,
    GroupId: SG,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    CidrIpv4: cidr,
    ...extra,
  });

  it('revokes exactly the world-open ingress rule, keeps the others, and re-adds it on revert', async () => {
    const acct = account({
      rules: [
        rule('sgr-0aaaaaaaaaaaaaaa1', '10.0.0.0/16', 3306),
        rule('sgr-0aaaaaaaaaaaaaaa2', '0.0.0.0/0', 22, { Description: 'debug' }),
        rule('sgr-0aaaaaaaaaaaaaaa3', '0.0.0.0/0', 0, {
          IsEgress: true,
          IpProtocol: '-1',
          FromPort: -1,
          ToPort: -1,
        }),
      ],
    });
    const params = { guardrail: 'security-group-ingress', target: SG, ruleIds: ['sgr-0aaaaaaaaaaaaaaa2'] };
    const out = await runAsl(asl, input(params), { handlers: handlers(acct) });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.rules.map((r) => r.SecurityGroupRuleId)).toEqual([
      'sgr-0aaaaaaaaaaaaaaa1',
      'sgr-0aaaaaaaaaaaaaaa3',
    ]);

    const back = await runAsl(
      asl,
      input({ ...params, revertOf: 'r1', restore: (out.output as Out).revert }),
      { handlers: handlers(acct) },
    );
    expect(back.status).toBe('SUCCEEDED');
    expect(acct.rules.find((r) => r.CidrIpv4 === '0.0.0.0/0' && !r.IsEgress)).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      Description: 'debug',
    });
    expect(acct.writes).toEqual(['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress']);
  });

  it('without rule ids, revokes every world-open ingress rule (IPv4 and IPv6) and never an egress rule', async () => {
    const acct = account({
      rules: [
        rule('sgr-0bbbbbbbbbbbbbbb1', '0.0.0.0/0', 443),
        rule('sgr-0bbbbbbbbbbbbbbb2', '10.0.0.0/8', 22),
        rule('sgr-0bbbbbbbbbbbbbbb3', '0.0.0.0/0', 0, {
          IsEgress: true,
          IpProtocol: '-1',
          FromPort: -1,
          ToPort: -1,
        }),
        (({ CidrIpv4: _v4, ...r }) => ({ ...r, CidrIpv6: '::/0' }))(rule('sgr-0bbbbbbbbbbbbbbb4', '', 22)),
      ],
    });
    const out = await runAsl(asl, input({ guardrail: 'security-group-ingress', target: SG }), {
      handlers: handlers(acct),
    });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.rules.map((r) => r.SecurityGroupRuleId)).toEqual([
      'sgr-0bbbbbbbbbbbbbbb2',
      'sgr-0bbbbbbbbbbbbbbb3',
    ]);
  });

  it('refuses a security group that is not protected', async () => {
    const acct = account();
    const out = await runAsl(
      asl,
      input({ guardrail: 'security-group-ingress', target: 'sg-0123456789abcdef0' }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('RefusedError');
    expect(out.calls['Read security group rules']).toBeUndefined();
  });

  it('re-applies a deleted public access block (none → all four on) and reverts to none', async () => {
    const acct = account();
    const params = { guardrail: 'bucket-public-access', target: 'test-platform-storagestatic1a2b-xyz' };
    const out = await runAsl(asl, input(params), { handlers: handlers(acct) });
    expect(out.status).toBe('SUCCEEDED');
    expect(acct.pab['test-platform-storagestatic1a2b-xyz']).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });

    const back = await runAsl(
      asl,
      input({ ...params, revertOf: 'r1', restore: (out.output as Out).revert }),
      { handlers: handlers(acct) },
    );
    expect(back.status).toBe('SUCCEEDED');
    expect(acct.pab['test-platform-storagestatic1a2b-xyz']).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });

  it('refuses a bucket outside the platform pattern', async () => {
    const acct = account();
    const out = await runAsl(asl, input({ guardrail: 'bucket-public-access', target: 'marketing-site' }), {
      handlers: handlers(acct),
    });
    expect(out.status).toBe('FAILED');
    expect(out.cause).toContain('bucket marketing-site is not allow-listed');
  });

  it('dry-run plans the change and makes no mutating call', async () => {
    const acct = account({ logging: false });
    const out = await runAsl(
      asl,
      input({ guardrail: 'trail-logging', target: 'test-platform-trail' }, { dryRun: true }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({ outcome: 'dry-run' });
    expect(acct.writes).toEqual([]);
    expect(acct.logging).toBe(false);
  });

  it('in approval mode waits for approval before any read or write; a rejection changes nothing', async () => {
    const acct = account({ logging: false });
    const out = await runAsl(
      asl,
      input({ guardrail: 'trail-logging', target: 'test-platform-trail' }, { mode: 'approval' }),
      {
        handlers: handlers(acct, {
          'Request approval': () => {
            throw awsError('ApprovalRejected', 'rejected by U0APPROVER');
          },
        }),
      },
    );
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApprovalRejected');
    expect(out.calls['Check request']).toBeUndefined();
    expect(acct.writes).toEqual([]);
    const approved = await runAsl(
      asl,
      input({ guardrail: 'trail-logging', target: 'test-platform-trail' }, { mode: 'approval' }),
      { handlers: handlers(acct) },
    );
    expect(approved.status).toBe('SUCCEEDED');
    expect(approved.path.indexOf('Request approval')).toBeLessThan(
      approved.path.indexOf('Read trail status'),
    );
  });

  it('retries EC2 throttling on the write, then succeeds', async () => {
    const acct = account({ snapshots: { 'snap-0123456789abcdef0': [{ Group: 'all' }] } });
    const h = handlers(acct);
    const real = h['Modify snapshot sharing'] as TaskHandler;
    let throttled = 2;
    const out = await runAsl(
      asl,
      input({ guardrail: 'snapshot-sharing', kind: 'ebs-snapshot', target: 'snap-0123456789abcdef0' }),
      {
        handlers: {
          ...h,
          'Modify snapshot sharing': (p) => {
            if (throttled-- > 0)
              throw awsError('Ec2.RequestLimitExceededException', 'Request limit exceeded.');
            return real(p);
          },
        },
      },
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(out.calls['Modify snapshot sharing']).toBe(3);
    expect(acct.snapshots['snap-0123456789abcdef0']).toEqual([]);
  });

  it('fails with the service error when the snapshot is gone, through the failure report', async () => {
    const acct = account();
    const out = await runAsl(
      asl,
      input({ guardrail: 'snapshot-sharing', kind: 'ebs-snapshot', target: 'snap-0123456789abcdef0' }),
      { handlers: handlers(acct) },
    );
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('Ec2.InvalidSnapshot.NotFoundException');
    expect(out.path).toContain('Report failure');
  });
});
