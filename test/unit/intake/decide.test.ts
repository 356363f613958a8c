import { describe, expect, it } from 'vitest';
import { loadStage, type StageConfig } from '../../../config/index.js';
import { manualSignal } from '../../../events/index.js';
import { decide } from '../../../functions/intake/decide.js';
import type { Decision } from '../../../functions/intake/decision.js';
import { EXECUTION_NAME } from '../../../functions/intake/execution-name.js';
import { cloudTrail, datadogAlert, human, nodeGroupAtMax, signal } from './signals.js';

const dev = loadStage('dev');
const prod = loadStage('prod');
const ctx = (stage: StageConfig) => ({ stage: stage.name, automation: stage.automation });
const only = (decisions: Decision[]): Decision => {
  expect(decisions).toHaveLength(1);
  return decisions[0] as Decision;
};
const withAutomation = (patch: Partial<StageConfig['automation']>): StageConfig => ({
  ...dev,
  automation: { ...dev.automation, ...patch },
});

describe('intake decide: cluster-autoscaler', () => {
  it('starts scale-node-group for an allow-listed node group at its maximum', () => {
    // Prepare
    const s = nodeGroupAtMax('dev-platform', 'dev-platform-a');
    // Act
    const d = only(decide(s, ctx(dev)));
    // Assess
    expect(d).toMatchObject({
      action: 'start',
      runbook: 'scale-node-group',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
      mode: 'auto',
      dryRun: false,
      resourceKey: 'dev-platform/dev-platform-a',
    });
    expect(d.executionName).toMatch(EXECUTION_NAME);
    expect(d.executionName).toMatch(/^scale-node-group-[0-9a-f]{12}-20261122T1000Z$/);
    expect(d.guards.map((g) => `${g.name}:${g.outcome}`)).toEqual([
      'loop-protection:pass',
      'policy:pass',
      'enabled:pass',
      'parameters:pass',
      'allow-list:pass',
      'dry-run:pass',
      'mode:pass',
    ]);
  });

  it('starts for the whole cluster when the event names no node group', () => {
    const d = only(decide(nodeGroupAtMax('dev-platform'), ctx(dev)));
    expect(d).toMatchObject({
      action: 'start',
      parameters: { cluster: 'dev-platform' },
      resourceKey: 'dev-platform/*',
    });
    expect(d.parameters).not.toHaveProperty('nodegroup');
  });

  it('rejects a node group outside the allow-list, naming it', () => {
    const d = only(decide(nodeGroupAtMax('prod-platform', 'prod-platform-a'), ctx(dev)));
    expect(d.action).toBe('reject');
    expect(d.reasons).toContain('node group prod-platform/prod-platform-a is not allow-listed');
    expect(d.executionName).toBeUndefined();
  });

  it('notifies (never scales) when the cloud had no capacity, and only notifies when it timed out', () => {
    const failed = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.scale-up-failed',
      resource: {
        type: 'node-group',
        id: 'dev-platform/dev-platform-b',
        attributes: { cluster: 'dev-platform' },
      },
      details: { failure: 'out-of-capacity' },
      summary: 'Failed adding 2 nodes to group dev-platform-b due to InsufficientInstanceCapacity',
    });
    const timedOut = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.scale-up-timed-out',
      resource: {
        type: 'node-group',
        id: 'dev-platform/dev-platform-b',
        attributes: { cluster: 'dev-platform' },
      },
      summary: 'Nodes added to group dev-platform-b failed to register within 15m',
    });
    // Issue 14: a bigger maximum does not make EC2 capacity appear.
    const d = only(decide(failed, ctx(dev)));
    expect(d).toMatchObject({ action: 'notify', severity: 'critical' });
    expect(d.reasons.join(' ')).toContain('capacity incident: node group dev-platform/dev-platform-b');
    expect(only(decide(timedOut, ctx(dev))).action).toBe('notify');
  });

  it('ignores informational autoscaler events', () => {
    const s = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.scaled-up-group',
      resource: { type: 'node-group', id: 'dev-platform/dev-platform-a', attributes: {} },
      summary: 'Scale-up: setting group dev-platform-a size to 3',
    });
    expect(only(decide(s, ctx(dev))).action).toBe('ignore');
  });
});

describe('intake decide: Datadog monitors', () => {
  it('starts the runbook its tag names, with parameters from the tags', () => {
    const s = datadogAlert('Triggered', [
      'runbook:scale-node-group',
      'cluster:dev-platform',
      'nodegroup:dev-platform-c',
    ]);
    const d = only(decide(s, ctx(dev)));
    expect(d).toMatchObject({
      action: 'start',
      runbook: 'scale-node-group',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-c' },
    });
  });

  it('treats Re-Triggered like Triggered and lands in the same execution name inside the window', () => {
    const tags = ['runbook:snapshot-volume', 'volume:vol-0123456789abcdef0'];
    const first = only(decide(datadogAlert('Triggered', tags, '1', '2026-11-22T10:01:00Z'), ctx(dev)));
    const again = only(decide(datadogAlert('Re-Triggered', tags, '1', '2026-11-22T10:29:00Z'), ctx(dev)));
    const later = only(decide(datadogAlert('Re-Triggered', tags, '1', '2026-11-22T10:31:00Z'), ctx(dev)));
    expect(first.action).toBe('start');
    expect(again.executionName).toBe(first.executionName);
    expect(later.executionName).not.toBe(first.executionName);
  });

  it('notifies when no runbook is tagged, ignores Recovered, notifies Warn and No Data', () => {
    expect(only(decide(datadogAlert('Triggered', ['service:api']), ctx(dev))).action).toBe('notify');
    expect(only(decide(datadogAlert('Recovered', ['runbook:scale-node-group']), ctx(dev))).action).toBe(
      'ignore',
    );
    expect(only(decide(datadogAlert('Warn', ['runbook:scale-node-group']), ctx(dev))).action).toBe('notify');
    expect(only(decide(datadogAlert('No Data', []), ctx(dev))).action).toBe('notify');
  });

  it("rejects tags that do not satisfy the runbook's schema, with the schema's message", () => {
    const s = datadogAlert('Triggered', ['runbook:snapshot-volume', 'volume:not-a-volume']);
    const d = only(decide(s, ctx(dev)));
    expect(d.action).toBe('reject');
    expect(d.reasons.join(' ')).toContain('volumeId: an EBS volume id looks like vol-0123456789abcdef0');
  });

  it('rejects an unknown runbook tag', () => {
    const d = only(decide(datadogAlert('Triggered', ['runbook:reboot-everything']), ctx(dev)));
    expect(d.action).toBe('reject');
    expect(d.reasons.join(' ')).toContain('unknown runbook "reboot-everything"');
  });
});

describe('intake decide: CloudTrail', () => {
  const secret = (actor: Parameters<typeof cloudTrail>[3], details = {}) =>
    cloudTrail('GetSecretValue', { type: 'secret', id: 'dev/rds/app-user' }, details, actor);

  it('rotates a secret a human read', () => {
    const d = only(decide(secret(human), ctx(dev)));
    expect(d).toMatchObject({
      action: 'start',
      runbook: 'rotate-secret',
      parameters: { secretId: 'dev/rds/app-user' },
    });
  });

  it('rotates a secret read through the break-glass role, and in prod waits for approval', () => {
    const breakGlass = { type: 'human' as const, roleName: 'AWSReservedSSO_BreakGlass', name: 'bob' };
    expect(only(decide(secret(breakGlass), ctx(dev)))).toMatchObject({ action: 'start', mode: 'auto' });
    const prodRead = cloudTrail(
      'GetSecretValue',
      { type: 'secret', id: 'prod/rds/app-user' },
      {},
      breakGlass,
    );
    expect(only(decide(prodRead, ctx(prod)))).toMatchObject({ action: 'start', mode: 'approval' });
  });

  it('ignores reads by the secret’s configured consumer and reads that were refused', () => {
    const consumer = { type: 'service' as const, roleName: 'dev-app-api' };
    expect(only(decide(secret(consumer), ctx(dev))).action).toBe('ignore');
    expect(only(decide(secret(human, { errorCode: 'AccessDenied' }), ctx(dev))).action).toBe('ignore');
  });

  it('rejects rotating a secret that is not allow-listed', () => {
    const s = cloudTrail('GetSecretValue', { type: 'secret', id: 'someone/elses/secret' });
    const d = only(decide(s, ctx(dev)));
    expect(d.action).toBe('reject');
    expect(d.reasons).toContain('secret someone/elses/secret is not allow-listed');
  });

  it('snapshots a detached volume (the workflow checks the protected tag)', () => {
    const s = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-0abc1234def567890' },
      { volumeId: 'vol-0abc1234def567890' },
    );
    expect(only(decide(s, ctx(dev)))).toMatchObject({
      action: 'start',
      runbook: 'snapshot-volume',
      parameters: { volumeId: 'vol-0abc1234def567890', copyToDr: true },
    });
  });

  it('ignores a detached volume whose known tags lack the protected tag', () => {
    const s = cloudTrail('DetachVolume', {
      type: 'ebs-volume',
      id: 'vol-0abc1234def567890',
      attributes: { 'tag:team': 'web' },
    });
    expect(only(decide(s, ctx(dev))).action).toBe('ignore');
  });

  it('re-points every configured ingress record when the ingress NLB is replaced', () => {
    const s = cloudTrail(
      'CreateLoadBalancer',
      { type: 'load-balancer', id: 'ingress-nginx-prod' },
      {
        loadBalancerName: 'ingress-nginx-prod',
        loadBalancerType: 'network',
        loadBalancerDnsName: 'ingress-nginx-prod-1.elb.eu-west-1.amazonaws.com',
      },
    );
    const decisions = decide(s, ctx(prod));
    expect(decisions.map((d) => [d.action, d.runbook, d.parameters?.recordName, d.mode])).toEqual([
      ['start', 'update-dns', 'app.example.com', 'approval'],
      ['start', 'update-dns', 'api.example.com', 'approval'],
    ]);
    expect(new Set(decisions.map((d) => d.executionName)).size).toBe(2);
  });

  it('does not touch DNS for a load balancer that is not the ingress one', () => {
    const s = cloudTrail(
      'CreateLoadBalancer',
      { type: 'load-balancer', id: 'internal-api' },
      { loadBalancerName: 'internal-api', loadBalancerType: 'network' },
    );
    expect(only(decide(s, ctx(dev))).action).toBe('ignore');
  });

  it.each([
    ['StopLogging', { type: 'trail' as const, id: 'org-trail' }, {}],
    ['DeleteTrail', { type: 'trail' as const, id: 'org-trail' }, {}],
    ['ScheduleKeyDeletion', { type: 'kms-key' as const, id: 'arn:aws:kms:eu-west-1:111111111111:key/1' }, {}],
    ['DisableKey', { type: 'kms-key' as const, id: 'arn:aws:kms:eu-west-1:111111111111:key/1' }, {}],
    [
      'AuthorizeSecurityGroupIngress',
      { type: 'security-group' as const, id: 'sg-1' },
      { cidrs: ['0.0.0.0/0'], worldOpen: true },
    ],
  ])('notifies %s as critical', (eventName, resource, details) => {
    const d = only(decide(cloudTrail(eventName, resource, details), ctx(dev)));
    expect(d).toMatchObject({ action: 'notify', severity: 'critical' });
  });

  it('notifies a root sign-in as critical and ignores a narrow ingress rule', () => {
    const root = signal({
      kind: 'cloudtrail.console-sign-in',
      resource: { type: 'account', id: '111111111111' },
      actor: { type: 'root', name: 'root', sourceIp: '198.51.100.7' },
      details: { eventName: 'ConsoleLogin', loginResult: 'Success' },
    });
    expect(only(decide(root, ctx(dev)))).toMatchObject({ action: 'notify', severity: 'critical' });
    const narrow = cloudTrail(
      'AuthorizeSecurityGroupIngress',
      { type: 'security-group', id: 'sg-1' },
      { cidrs: ['10.0.0.0/8'], worldOpen: false },
    );
    expect(only(decide(narrow, ctx(dev))).action).toBe('ignore');
  });
});

describe('intake decide: schedules and requests', () => {
  it('starts the runbook a configured schedule names', () => {
    const s = signal({
      source: 'schedule',
      kind: 'schedule.tick',
      resource: { type: 'schedule', id: 'daily-backup-verification' },
    });
    const d = only(decide(s, ctx(dev)));
    expect(d).toMatchObject({ action: 'start', runbook: 'verify-backups', resourceKey: 'all-backups' });
    expect(d.parameters).toMatchObject({ scope: ['ebs', 'rds', 'velero'], restoreTests: true });
  });

  it('rejects a schedule the stage does not configure', () => {
    const s = signal({
      source: 'schedule',
      kind: 'schedule.tick',
      resource: { type: 'schedule', id: 'nightly-chaos' },
    });
    expect(only(decide(s, ctx(dev))).action).toBe('reject');
  });

  it('passes a manual request through the same schema and allow-lists', () => {
    const request = (parameters: Record<string, unknown>) =>
      signal({
        source: 'slack',
        kind: 'slack.run-request',
        resource: { type: 'dns-record', id: 'x' },
        actor: { type: 'human', id: 'U0PLATFORM1' },
        request: { runbook: 'update-dns', parameters, requestedBy: 'U0PLATFORM1' },
      });
    const ok = only(
      decide(request({ zoneName: 'dev.example.com', recordName: 'App.Dev.Example.com' }), ctx(dev)),
    );
    expect(ok).toMatchObject({ action: 'start', parameters: { recordName: 'app.dev.example.com' } });
    const outside = only(
      decide(request({ zoneName: 'example.com', recordName: 'app.example.com' }), ctx(dev)),
    );
    expect(outside.action).toBe('reject');
    expect(outside.reasons).toContain('hosted zone example.com is not allow-listed');
  });
});

describe('intake decide: static guards and stage overrides', () => {
  it("ignores events caused by the automation's own roles", () => {
    const s = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-0abc1234def567890' },
      {},
      {
        type: 'service',
        roleName: 'ops-dev-snapshot-volume',
      },
    );
    const d = only(decide(s, ctx(dev)));
    expect(d).toMatchObject({ action: 'ignore', guards: [{ name: 'loop-protection', outcome: 'block' }] });
  });

  it('marks every start as a dry run when the stage is in dry-run', () => {
    const d = only(
      decide(nodeGroupAtMax('dev-platform', 'dev-platform-a'), ctx(withAutomation({ dryRun: true }))),
    );
    expect(d).toMatchObject({ action: 'start', dryRun: true });
  });

  it('applies per-runbook overrides: dry run, mode, window', () => {
    const stage = withAutomation({
      runbooks: { 'scale-node-group': { enabled: true, dryRun: true, mode: 'approval', windowMinutes: 60 } },
    });
    const d = only(decide(nodeGroupAtMax('dev-platform', 'dev-platform-a'), ctx(stage)));
    expect(d).toMatchObject({ action: 'start', dryRun: true, mode: 'approval' });
    expect(d.executionName).toMatch(/-20261122T1000Z$/);
    const other = only(
      decide(datadogAlert('Triggered', ['runbook:rotate-secret', 'secret:dev/rds/app-user']), ctx(stage)),
    );
    expect(other).toMatchObject({ dryRun: false, mode: 'auto' });
  });

  it('tells people instead of starting a runbook the stage disabled', () => {
    const stage = withAutomation({ runbooks: { 'scale-node-group': { enabled: false } } });
    const d = only(decide(nodeGroupAtMax('dev-platform', 'dev-platform-a'), ctx(stage)));
    expect(d.action).toBe('notify');
    expect(d.guards.at(-1)).toMatchObject({ name: 'enabled', outcome: 'block' });
  });

  it('ignores signals no rule applies to', () => {
    const s = signal({
      source: 'backup-verification',
      kind: 'backup-verification.report',
      resource: { type: 'backup', id: 'x' },
    });
    expect(only(decide(s, ctx(dev)))).toMatchObject({
      action: 'ignore',
      reasons: ['no policy rule applies to backup-verification.report'],
    });
  });
});

describe('intake decide: requested dry runs and reverts', () => {
  const dev = loadStage('dev');
  const ask = (parameters: Record<string, unknown>, dryRun?: boolean) =>
    manualSignal({
      runbook: 'scale-node-group',
      parameters,
      requestedBy: 'U0PLATFORM1',
      at: '2026-11-20T10:05:00Z',
      ...(dryRun ? { dryRun } : {}),
    });
  const only = (ds: Decision[]): Decision => {
    expect(ds).toHaveLength(1);
    return ds[0] as Decision;
  };

  it('turns a --dry-run request into a dry-run start under its own execution name', () => {
    // Prepare
    const target = { cluster: 'dev-platform', nodegroup: 'dev-platform-a' };
    // Act
    const live = only(decide(ask(target), ctx(dev)));
    const dry = only(decide(ask(target, true), ctx(dev)));
    // Assess
    expect(live).toMatchObject({ action: 'start', dryRun: false });
    expect(dry).toMatchObject({ action: 'start', dryRun: true });
    expect(dry.executionName).not.toBe(live.executionName);
    expect(dry.guards.find((g) => g.name === 'dry-run')?.detail).toMatch(/requested/);
  });

  it('names the revert of a run differently from the run it reverts, inside the same window', () => {
    const target = { cluster: 'dev-platform', nodegroup: 'dev-platform-a' };
    const live = only(decide(ask(target), ctx(dev)));
    const revert = only(decide(ask({ ...target, revertOf: live.executionName }), ctx(dev)));
    expect(revert.action).toBe('start');
    expect(revert.executionName).not.toBe(live.executionName);
  });
});
