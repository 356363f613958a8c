import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig, RestoreGuardrailConfig } from '../../../config/schema.js';
import type { Signal } from '../../../events/signal.js';
import type { NotifyVerdict, PolicyContext } from '../../../runbooks/policy.js';
import { restoreGuardrailPlugin } from '../../../runbooks/restore-guardrail/plugin.js';
import {
  guardrailAllowed,
  guardrailRequest,
  restoreGuardrailRule,
} from '../../../runbooks/restore-guardrail/policy.js';
import type { RestoreGuardrailParameters } from '../../../runbooks/restore-guardrail/spec.js';
import { cloudTrail, signal } from './signals.js';

/**
 * restore-guardrail's two pure decisions (which guardrail a call took away; whether the resource is
 * the platform's own) and its incident rule, with the allow-lists written here; every expected
 * request, verdict and detail written out by hand.
 */

const OWNER = '111111111111';
const OTHER = '222222222222';
const cfg: RestoreGuardrailConfig = {
  trails: ['dev-platform-trail'],
  flowLogs: true,
  buckets: ['dev-logs-*', 'dev-state'],
  securityGroups: ['sg-0123456789abcdef0'],
  snapshotOwners: [OWNER],
  trustedAccounts: [],
};
const base = loadStage('dev').automation;
const automation = { ...base, restoreGuardrail: cfg } as AutomationConfig;

const call = (
  eventName: string,
  details: Signal['details'] = {},
  resource: Partial<Signal['resource']> = { type: 'unknown', id: 'r-1' },
) => cloudTrail(eventName, resource, details);

describe('guardrailRequest: what a call took away, as parameters', () => {
  it('StopLogging → trail-logging of the trail named, else of the resource', () => {
    expect(guardrailRequest(call('StopLogging', { trailName: 'dev-platform-trail' }))).toEqual({
      guardrail: 'trail-logging',
      target: 'dev-platform-trail',
    });
    expect(guardrailRequest(call('StopLogging', { trailName: '' }, { type: 'trail', id: 't-2' }))).toEqual({
      guardrail: 'trail-logging',
      target: 't-2',
    });
  });

  it('DeleteFlowLogs → flow-logs (the stage VPC, no target)', () => {
    expect(guardrailRequest(call('DeleteFlowLogs'))).toEqual({ guardrail: 'flow-logs' });
  });

  it.each([
    ['ModifySnapshotAttribute', 'ebs-snapshot'],
    ['ModifyImageAttribute', 'ami'],
    ['ModifyDBSnapshotAttribute', 'db-snapshot'],
    ['ModifyDBClusterSnapshotAttribute', 'db-cluster-snapshot'],
  ])('%s made public or shared → snapshot-sharing of a %s, with its owner', (eventName, kind) => {
    const resource = { type: 'snapshot' as const, id: 'snap-0123456789abcdef0', account: OWNER };
    const expected = {
      guardrail: 'snapshot-sharing',
      kind,
      target: 'snap-0123456789abcdef0',
      account: OWNER,
    };
    expect(guardrailRequest(call(eventName, { madePublic: true }, resource))).toEqual(expected);
    expect(guardrailRequest(call(eventName, { sharedWith: [OTHER] }, resource))).toEqual(expected);
    expect(guardrailRequest(call(eventName, { sharedWith: OTHER }, resource))).toEqual(expected);
    expect(
      guardrailRequest(call(eventName, { madePublic: false, sharedWith: [] }, resource)),
    ).toBeUndefined();
    expect(guardrailRequest(call(eventName, { madePublic: 'true' }, resource))).toBeUndefined();
  });

  it('a snapshot without a known owner has no account parameter', () => {
    expect(
      guardrailRequest(
        call('ModifySnapshotAttribute', { madePublic: true }, { type: 'snapshot', id: 'snap-1' }),
      ),
    ).toEqual({
      guardrail: 'snapshot-sharing',
      kind: 'ebs-snapshot',
      target: 'snap-1',
    });
  });

  it('AuthorizeSecurityGroupIngress opened to the world → security-group-ingress, with the rules when known', () => {
    const sg = { type: 'security-group' as const, id: 'sg-0123456789abcdef0' };
    expect(
      guardrailRequest(
        call(
          'AuthorizeSecurityGroupIngress',
          { worldOpen: true, worldOpenRuleIds: ['sgr-0123456789abcdef0'] },
          sg,
        ),
      ),
    ).toEqual({
      guardrail: 'security-group-ingress',
      target: 'sg-0123456789abcdef0',
      ruleIds: ['sgr-0123456789abcdef0'],
    });
    expect(guardrailRequest(call('AuthorizeSecurityGroupIngress', { worldOpen: true }, sg))).toEqual({
      guardrail: 'security-group-ingress',
      target: 'sg-0123456789abcdef0',
    });
    expect(guardrailRequest(call('AuthorizeSecurityGroupIngress', { worldOpen: false }, sg))).toBeUndefined();
  });

  it.each(['PutBucketPolicy', 'PutBucketAcl', 'DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock'])(
    '%s made public → bucket-public-access; not public → nothing',
    (eventName) => {
      const bucket = { type: 's3-bucket' as const, id: 'dev-state' };
      expect(guardrailRequest(call(eventName, { madePublic: true }, bucket))).toEqual({
        guardrail: 'bucket-public-access',
        target: 'dev-state',
      });
      expect(guardrailRequest(call(eventName, {}, bucket))).toBeUndefined();
    },
  );

  it('a refused call, another call, or another source took nothing away', () => {
    expect(guardrailRequest(call('StopLogging', { errorCode: 'AccessDenied' }))).toBeUndefined();
    expect(guardrailRequest(call('StartLogging'))).toBeUndefined();
    expect(guardrailRequest(call('DeleteTrail'))).toBeUndefined();
    expect(
      guardrailRequest(
        signal({
          source: 'datadog',
          kind: 'datadog.monitor-triggered',
          details: { eventName: 'StopLogging' },
        }),
      ),
    ).toBeUndefined();
  });

  it("a sweep finding's causedBy names the call: it wins over the finding's own event name; an empty errorCode is no error", () => {
    const finding = call('GetTrailStatus', {
      causedBy: 'StopLogging',
      trailName: 'dev-platform-trail',
      errorCode: '',
    });
    expect(guardrailRequest(finding)).toEqual({ guardrail: 'trail-logging', target: 'dev-platform-trail' });
    expect(guardrailRequest(call('DeleteFlowLogs', { causedBy: '' }))).toEqual({ guardrail: 'flow-logs' });
  });
});

describe("guardrailAllowed: is the resource the platform's own", () => {
  const p = (v: Record<string, unknown>) => v as unknown as RestoreGuardrailParameters;

  it.each([
    [
      { guardrail: 'trail-logging', target: 'dev-platform-trail' },
      true,
      "trail dev-platform-trail is the platform's",
    ],
    [{ guardrail: 'trail-logging', target: 'other-trail' }, false, 'trail other-trail is not allow-listed'],
    [{ guardrail: 'trail-logging' }, false, 'trail  is not allow-listed'],
    [{ guardrail: 'flow-logs' }, true, "the stage VPC's flow log is checked, and recreated if it is gone"],
    [
      { guardrail: 'security-group-ingress', target: 'sg-0123456789abcdef0' },
      true,
      'security group sg-0123456789abcdef0 is protected',
    ],
    [
      { guardrail: 'security-group-ingress', target: 'sg-0fffffffffffffff0' },
      false,
      'security group sg-0fffffffffffffff0 is not allow-listed',
    ],
    [
      { guardrail: 'bucket-public-access', target: 'dev-logs-eu' },
      true,
      "bucket dev-logs-eu is the platform's",
    ],
    [{ guardrail: 'bucket-public-access', target: 'dev-state' }, true, "bucket dev-state is the platform's"],
    [
      { guardrail: 'bucket-public-access', target: 'dev-state-x' },
      false,
      'bucket dev-state-x is not allow-listed',
    ],
    [
      { guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-1', account: OWNER },
      true,
      `ami ami-1 of ${OWNER} is the platform's`,
    ],
    [
      { guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-1' },
      true,
      "ami ami-1 of the stage account is the platform's",
    ],
    [
      { guardrail: 'snapshot-sharing', kind: 'db-snapshot', target: 'db-1', account: OTHER },
      false,
      `db-snapshot db-1 belongs to account ${OTHER}, which is not an allow-listed owner`,
    ],
    [{ guardrail: 'ssh-keys', target: 'x' }, false, 'unknown guardrail ssh-keys'],
  ])('%o → %s: %s', (params, allowed, detail) => {
    expect(guardrailAllowed(p(params), cfg)).toEqual({ allowed, detail });
  });

  it('flow logs turned off, or no snapshot owner listed: refused, saying why', () => {
    expect(guardrailAllowed(p({ guardrail: 'flow-logs' }), { ...cfg, flowLogs: false })).toEqual({
      allowed: false,
      detail: 'restoring the stage VPC flow log is turned off (restoreGuardrail.flowLogs)',
    });
    expect(
      guardrailAllowed(p({ guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-1', account: OWNER }), {
        ...cfg,
        snapshotOwners: [],
      }),
    ).toEqual({ allowed: false, detail: 'no snapshot owner is allow-listed' });
  });
});

describe('restore-guardrail rule: repair and tell, only for critical notices on allow-listed resources', () => {
  const notice =
    (severity: NotifyVerdict['severity'], ...reasons: string[]) =>
    (): NotifyVerdict => ({
      verdict: 'notify',
      severity,
      reasons,
    });
  const ctx = (securityNotice?: PolicyContext['securityNotice']): PolicyContext => ({
    stage: 'dev',
    automation,
    ...(securityNotice ? { securityNotice } : {}),
  });
  const stop = (trailName: string) => call('StopLogging', { trailName }, { type: 'trail', id: trailName });

  it('a critical notice on an allow-listed trail: start, notify as well, the notice words first', () => {
    const v = restoreGuardrailRule.evaluate(
      stop('dev-platform-trail'),
      ctx(notice('critical', 'trail logging stopped', 'by alice')),
    );
    expect(v).toEqual({
      verdict: 'start',
      runbook: 'restore-guardrail',
      parameters: {
        guardrail: 'trail-logging',
        target: 'dev-platform-trail',
        reason: 'trail logging stopped; by alice',
      },
      reasons: [
        'trail logging stopped',
        'by alice',
        "restore-guardrail started: trail dev-platform-trail is the platform's",
      ],
      alsoNotify: true,
    });
  });

  it('not critical, no notice, not allow-listed, invalid parameters, or nothing taken away: not its business', () => {
    const na = { verdict: 'not-applicable' };
    expect(restoreGuardrailRule.evaluate(stop('dev-platform-trail'), ctx(notice('warning', 'w')))).toEqual(
      na,
    );
    expect(restoreGuardrailRule.evaluate(stop('dev-platform-trail'), ctx())).toEqual(na);
    expect(
      restoreGuardrailRule.evaluate(
        stop('dev-platform-trail'),
        ctx(() => undefined),
      ),
    ).toEqual(na);
    expect(restoreGuardrailRule.evaluate(stop('other-trail'), ctx(notice('critical', 'c')))).toEqual(na);
    expect(restoreGuardrailRule.evaluate(stop('x'), ctx(notice('critical', 'c')))).toEqual(na);
    expect(
      restoreGuardrailRule.evaluate(
        call('StartLogging', { trailName: 'dev-platform-trail' }),
        ctx(notice('critical', 'c')),
      ),
    ).toEqual(na);
  });
});

describe('restore-guardrail allow-list: the same check on the validated parameters', () => {
  it.each([
    [
      { guardrail: 'trail-logging', target: 'dev-platform-trail' },
      { allowed: true, detail: "trail dev-platform-trail is the platform's" },
    ],
    [
      {
        guardrail: 'trail-logging',
        target: 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/dev-platform-trail',
      },
      { allowed: true, detail: "trail dev-platform-trail is the platform's" },
    ],
    [
      { guardrail: 'trail-logging', target: 'other-trail' },
      { allowed: false, detail: 'trail other-trail is not allow-listed' },
    ],
    [{ guardrail: 'trail-logging' }, { allowed: false, detail: 'the guardrail parameters are not valid' }],
    [
      { guardrail: 'ssh-keys', target: 'x' },
      { allowed: false, detail: 'the guardrail parameters are not valid' },
    ],
  ])('%o → %o', (params, verdict) => {
    expect(restoreGuardrailPlugin.allowList(params, automation)).toEqual(verdict);
  });
});
