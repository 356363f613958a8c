import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import type { Actor, Signal } from '../../../events/signal.js';
import { autoScaling } from '../../../functions/intake/policy/autoscaling.js';
import { datadogMonitor, tagMap } from '../../../functions/intake/policy/datadog.js';
import { policyRules } from '../../../functions/intake/policy/index.js';
import { requestedRun } from '../../../functions/intake/policy/manual.js';
import { schedule } from '../../../functions/intake/policy/schedule.js';
import { securityCalls } from '../../../functions/intake/policy/security-calls.js';
import { sweepFindings } from '../../../functions/intake/policy/sweep.js';
import type { RunbookPlugin } from '../../../runbooks/plugin.js';
import type { PolicyContext, PolicyRule } from '../../../runbooks/policy.js';
import { cloudTrail, human, signal } from './signals.js';

/**
 * The intake's cross-cutting policy rules (functions/intake/policy/): explicit requests, schedules,
 * Auto Scaling, sweep findings, Datadog monitors, the security notifications, and the order the
 * intake runs them in, with hand-written signals, schedules and fixture runbooks: every verdict is
 * written out here.
 */

const base = loadStage('dev').automation;
const automation = {
  ...base,
  schedules: [
    {
      name: 'nightly',
      runbook: 'verify-backups',
      expression: 'cron(0 3 * * ? *)',
      timezone: 'UTC',
      parameters: { scope: 'all' },
    },
  ],
} as AutomationConfig;
const ctx = (extra: Partial<PolicyContext> = {}): PolicyContext => ({ stage: 'dev', automation, ...extra });
const NA = { verdict: 'not-applicable' };

describe('requested-run: an explicit request names its runbook', () => {
  it('starts the runbook named with the parameters asked for; a reason asked for wins', () => {
    const s = signal({
      source: 'slack',
      kind: 'slack.run-request',
      request: { runbook: 'scale-node-group', parameters: { cluster: 'c1' }, requestedBy: 'U123' },
    });
    expect(requestedRun.evaluate(s, ctx())).toEqual({
      verdict: 'start',
      runbook: 'scale-node-group',
      parameters: { reason: 'slack request by U123', cluster: 'c1' },
      reasons: ['slack request by U123'],
    });
    const withReason = signal({
      ...s,
      request: { runbook: 'scale-node-group', parameters: { reason: 'load test' }, requestedBy: 'U123' },
    });
    expect(requestedRun.evaluate(withReason, ctx())).toMatchObject({ parameters: { reason: 'load test' } });
  });

  it('no request: not its business', () => {
    expect(requestedRun.evaluate(signal({}), ctx())).toEqual(NA);
  });
});

describe('schedule: a tick starts the runbook its configuration names', () => {
  const tick = (details: Signal['details'], id = 'unknown') =>
    signal({ source: 'schedule', kind: 'schedule.tick', resource: { type: 'schedule', id }, details });

  it('by scheduleName, ruleName, schedule or the resource id', () => {
    const expected = {
      verdict: 'start',
      runbook: 'verify-backups',
      parameters: { reason: 'schedule nightly', scope: 'all' },
      reasons: ['schedule nightly fired'],
    };
    expect(schedule.evaluate(tick({ scheduleName: 'nightly', ruleName: 'x' }), ctx())).toEqual(expected);
    expect(schedule.evaluate(tick({ ruleName: 'nightly', schedule: 'x' }), ctx())).toEqual(expected);
    expect(schedule.evaluate(tick({ schedule: 'nightly' }), ctx())).toEqual(expected);
    expect(schedule.evaluate(tick({}, 'nightly'), ctx())).toEqual(expected);
  });

  it('an unknown schedule is rejected, naming it and the stage', () => {
    expect(schedule.evaluate(tick({ scheduleName: 'hourly' }), ctx())).toEqual({
      verdict: 'reject',
      reasons: ['schedule "hourly" is not configured in stage dev and names no runbook'],
    });
  });

  it('a tick that names its runbook, or another source, is not its business', () => {
    const named = signal({
      source: 'schedule',
      kind: 'schedule.tick',
      details: { scheduleName: 'nightly' },
      request: { runbook: 'verify-backups', parameters: {}, requestedBy: 'schedule:nightly' },
    });
    expect(schedule.evaluate(named, ctx())).toEqual(NA);
    expect(schedule.evaluate(signal({ details: { scheduleName: 'nightly' } }), ctx())).toEqual(NA);
  });
});

describe('auto-scaling: failures are a warning, the rest routine', () => {
  const asg = (kind: string) => signal({ source: 'autoscaling', kind, summary: 'the summary' });
  it.each(['autoscaling.launch-unsuccessful', 'autoscaling.terminate-failed'])('%s → warning', (kind) => {
    expect(autoScaling.evaluate(asg(kind), ctx())).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['Auto Scaling: the summary'],
    });
  });
  it('a successful launch is routine; another source is not its business', () => {
    expect(autoScaling.evaluate(asg('autoscaling.launch-successful'), ctx())).toEqual({
      verdict: 'ignore',
      reasons: ['Auto Scaling autoscaling.launch-successful is routine'],
    });
    expect(autoScaling.evaluate(signal({ kind: 'cloudtrail.launch-failed' }), ctx())).toEqual(NA);
  });
});

describe('sweep-findings: conditions no event reports need a person', () => {
  const finding = (condition: string, id: string) =>
    signal({
      source: 'sweep',
      kind: 'sweep.finding',
      resource: { type: 'secret', id },
      details: { condition },
      summary: 'the summary',
    });
  it('an overdue rotation and a drifted record are warnings; other findings are not its business', () => {
    expect(sweepFindings.evaluate(finding('secret-rotation-overdue', 'dev/app'), ctx())).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: [
        'secret dev/app is past its rotation period: the summary. Check its rotation schedule and the rotation ' +
          'function (a failed rotation also raises its Errors alarm).',
      ],
    });
    expect(sweepFindings.evaluate(finding('dns-record-drifted', 'api.dev.example.com'), ctx())).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['DNS record api.dev.example.com no longer holds what automation last set: the summary'],
    });
    expect(sweepFindings.evaluate(finding('other', 'x'), ctx())).toEqual(NA);
    expect(sweepFindings.evaluate(signal({ details: { condition: 'dns-record-drifted' } }), ctx())).toEqual(
      NA,
    );
  });
});

describe('datadog-monitor: a triggered monitor starts the runbook its tag names', () => {
  const fixture = {
    spec: { name: 'fixture-runbook' },
    rules: [],
    allowList: () => ({ allowed: true, detail: '' }),
    datadog: { parameters: { target: ['Target', 'host'], zone: ['zone'] }, targets: [] },
  } as unknown as RunbookPlugin;
  const noMapping = {
    ...fixture,
    spec: { name: 'plain-runbook' },
    datadog: undefined,
  } as unknown as RunbookPlugin;
  const dctx = ctx({ runbooks: [fixture, noMapping] });
  const alert = (
    details: Signal['details'],
    attributes: Record<string, string> = {},
    kind = 'datadog.monitor-triggered',
    severity: Signal['severity'] = 'warning',
  ) =>
    signal({
      source: 'datadog',
      kind,
      severity,
      resource: { type: 'monitor', id: 'm-1', attributes },
      details,
      summary: 'disk full',
    });

  it('tagMap: keys lower-cased and trimmed, first value wins, a bare key maps to ""', () => {
    expect([...tagMap(['Runbook: fixture-runbook ', 'runbook:other', 'team', ':x', ' Env:prod:eu'])]).toEqual(
      [
        ['runbook', 'fixture-runbook'],
        ['team', ''],
        ['env', 'prod:eu'],
      ],
    );
  });

  it('Triggered / Re-Triggered (however spelled): start, parameters from attributes first, then tags', () => {
    for (const transition of ['Triggered', 'Re-Triggered', 're_triggered', 'Retriggered']) {
      expect(
        datadogMonitor.evaluate(
          alert(
            { transition, monitorId: '42', tags: ['runbook:fixture-runbook', 'host:h-1', 'zone:z-1'] },
            { Target: 't-1' },
          ),
          dctx,
        ),
      ).toEqual({
        verdict: 'start',
        runbook: 'fixture-runbook',
        parameters: { reason: `Datadog monitor 42 ${transition}: disk full`, target: 't-1', zone: 'z-1' },
        reasons: [`Datadog monitor 42 ${transition} and names runbook fixture-runbook`],
      });
    }
  });

  it('a parameter falls back to the next key; an empty value counts as absent', () => {
    const v = datadogMonitor.evaluate(
      alert(
        { transition: 'Triggered', tags: ['runbook:fixture-runbook', 'host:h-2', 'zone:'] },
        { Target: '' },
      ),
      dctx,
    );
    expect(v).toEqual({
      verdict: 'start',
      runbook: 'fixture-runbook',
      parameters: { reason: 'Datadog monitor m-1 Triggered: disk full', target: 'h-2' },
      reasons: ['Datadog monitor m-1 Triggered and names runbook fixture-runbook'],
    });
  });

  it('the runbook from the resource attribute wins over the tag; the transition from alertTransition or the kind', () => {
    expect(
      datadogMonitor.evaluate(
        alert({ alertTransition: 'Triggered', tags: ['runbook:nope'] }, { runbook: 'fixture-runbook' }),
        dctx,
      ),
    ).toMatchObject({ verdict: 'start', runbook: 'fixture-runbook' });
    expect(
      datadogMonitor.evaluate(alert({ tags: ['runbook:fixture-runbook'] }, {}, 'datadog.triggered'), dctx),
    ).toMatchObject({
      verdict: 'start',
      reasons: ['Datadog monitor m-1 triggered and names runbook fixture-runbook'],
    });
  });

  it('Recovered is ignored; Warn or No Data is told at the signal severity', () => {
    for (const transition of ['Recovered', 'Monitor Recovered']) {
      expect(datadogMonitor.evaluate(alert({ transition, monitorId: '42' }), dctx)).toEqual({
        verdict: 'ignore',
        reasons: ['Datadog monitor 42 recovered'],
      });
    }
    expect(
      datadogMonitor.evaluate(alert({ transition: 'No Data' }, {}, 'datadog.monitor-no-data', 'info'), dctx),
    ).toEqual({
      verdict: 'notify',
      severity: 'info',
      reasons: ['Datadog monitor m-1: No Data'],
    });
  });

  it('no runbook tag, or notify-only: notify; an unknown runbook or one without a Datadog mapping: reject', () => {
    expect(datadogMonitor.evaluate(alert({ transition: 'Triggered', tags: ['team:x'] }), dctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['Datadog monitor m-1 Triggered with no runbook tag'],
    });
    expect(
      datadogMonitor.evaluate(alert({ transition: 'Triggered', tags: ['runbook:Notify-Only'] }), dctx),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['Datadog monitor m-1 Triggered (runbook:notify-only)'],
    });
    for (const runbook of ['nope', 'plain-runbook']) {
      expect(
        datadogMonitor.evaluate(alert({ transition: 'Triggered', tags: [`runbook:${runbook}`] }), dctx),
      ).toEqual({
        verdict: 'reject',
        reasons: [`Datadog monitor m-1 names unknown runbook "${runbook}"`],
      });
    }
  });

  it('without a runbook list, the registry answers; another source is not its business', () => {
    expect(
      datadogMonitor.evaluate(
        alert({ transition: 'Triggered', tags: ['runbook:rotate-secret', 'secret:dev/app'] }),
        ctx(),
      ),
    ).toMatchObject({ verdict: 'start', runbook: 'rotate-secret', parameters: { secretId: 'dev/app' } });
    expect(datadogMonitor.evaluate(signal({ details: { transition: 'Triggered' } }), dctx)).toEqual(NA);
  });
});

describe('security-calls: who blinded the defences, opened a door, or signed in as root', () => {
  const role: Actor = {
    type: 'service',
    roleName: 'Admin',
    name: 'bob',
    id: 'arn:aws:sts::111111111111:assumed-role/Admin/bob',
  };
  const trail = { type: 'trail' as const, id: 'dev-platform-trail' };

  it('a named call: its headline, the change or the call, and who (critical)', () => {
    expect(securityCalls.evaluate(cloudTrail('StopLogging', trail, {}, role), ctx())).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'CloudTrail logging was stopped: StopLogging on trail dev-platform-trail (StopLogging on trail dev-platform-trail by ' +
          'Admin/bob (arn:aws:sts::111111111111:assumed-role/Admin/bob))',
      ],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('DisableKey', { type: 'kms-key', id: 'k-1' }, { change: 'key k-1 disabled' }, human),
        ctx(),
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'a KMS key was disabled: key k-1 disabled (DisableKey on kms-key k-1 by alice (arn:aws:iam::111111111111:user/alice))',
      ],
    });
  });

  it('refused by AWS: a warning that says someone tried', () => {
    const s = signal({
      ...cloudTrail('DeleteTrail', trail, { errorCode: 'AccessDenied' }, human),
      severity: 'warning',
    });
    expect(securityCalls.evaluate(s, ctx())).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: [
        'a CloudTrail trail was deleted: DeleteTrail on trail dev-platform-trail (DeleteTrail on trail dev-platform-trail by alice ' +
          '(arn:aws:iam::111111111111:user/alice)) — refused by AWS (AccessDenied), but someone tried',
      ],
    });
  });

  it("another call marked security-relevant uses the normaliser's reason; unmarked it is not its business", () => {
    const marked = cloudTrail(
      'PutBucketPolicy',
      { type: 's3-bucket', id: 'b-1' },
      { securityRelevant: true, securityReason: 'a bucket was made public' },
      { type: 'service', name: 'ci' },
    );
    expect(securityCalls.evaluate(marked, ctx())).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'a bucket was made public: PutBucketPolicy on s3-bucket b-1 (PutBucketPolicy on s3-bucket b-1 by ci)',
      ],
    });
    const bare = cloudTrail(
      'PutBucketPolicy',
      { type: 's3-bucket', id: 'b-1' },
      { securityRelevant: true },
      { type: 'service', id: 'svc' },
    );
    expect(securityCalls.evaluate(bare, ctx())).toMatchObject({
      reasons: [
        'security-relevant call: PutBucketPolicy on s3-bucket b-1 (PutBucketPolicy on s3-bucket b-1 by svc)',
      ],
    });
    expect(
      securityCalls.evaluate(cloudTrail('PutBucketPolicy', { type: 's3-bucket', id: 'b-1' }), ctx()),
    ).toEqual(NA);
    expect(
      securityCalls.evaluate(
        cloudTrail('PutBucketPolicy', { type: 's3-bucket', id: 'b-1' }, { securityRelevant: false }),
        ctx(),
      ),
    ).toEqual(NA);
  });

  it('who: root, a role without a session name, nobody', () => {
    const root = cloudTrail('StopLogging', trail, {}, { type: 'root', id: 'arn:aws:iam::111111111111:root' });
    expect((securityCalls.evaluate(root, ctx()) as unknown as { reasons: string[] }).reasons[0]).toContain(
      'by root (arn:aws:iam::111111111111:root))',
    );
    const rootNoId = cloudTrail('StopLogging', trail, {}, { type: 'root' });
    expect(
      (securityCalls.evaluate(rootNoId, ctx()) as unknown as { reasons: string[] }).reasons[0],
    ).toContain('by root (account root))');
    const roleOnly = cloudTrail('StopLogging', trail, {}, { type: 'service', roleName: 'Admin' });
    expect(
      (securityCalls.evaluate(roleOnly, ctx()) as unknown as { reasons: string[] }).reasons[0],
    ).toContain('by Admin)');
    const sameId = cloudTrail('StopLogging', trail, {}, { type: 'service', id: 'svc', name: 'svc' });
    expect((securityCalls.evaluate(sameId, ctx()) as unknown as { reasons: string[] }).reasons[0]).toContain(
      'by svc)',
    );
    const nobody = signal({ details: { eventName: 'StopLogging' }, resource: trail });
    expect((securityCalls.evaluate(nobody, ctx()) as unknown as { reasons: string[] }).reasons[0]).toContain(
      'by unknown principal)',
    );
    const anonymous = cloudTrail('StopLogging', trail, {}, { type: 'unknown' });
    expect(
      (securityCalls.evaluate(anonymous, ctx()) as unknown as { reasons: string[] }).reasons[0],
    ).toContain('by unknown principal)');
  });

  it('world-open ingress: by the flag or any /0 CIDR, naming the change or the CIDR', () => {
    const sg = { type: 'security-group' as const, id: 'sg-1' };
    expect(
      securityCalls.evaluate(
        cloudTrail('AuthorizeSecurityGroupIngress', sg, { cidrs: ['10.0.0.0/8', ' ::/0 '] }, human),
        ctx(),
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'security group sg-1 opened to the world by alice (arn:aws:iam::111111111111:user/alice): opened to ::/0',
      ],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('AuthorizeSecurityGroupIngress', sg, { worldOpen: true }, human),
        ctx(),
      ),
    ).toMatchObject({
      reasons: [
        'security group sg-1 opened to the world by alice (arn:aws:iam::111111111111:user/alice): opened to 0.0.0.0/0',
      ],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail(
          'AuthorizeSecurityGroupIngress',
          sg,
          { sourceCidrs: '0.0.0.0/0', change: 'tcp/22 from 0.0.0.0/0', errorCode: 'X' },
          human,
        ),
        ctx(),
      ),
    ).toMatchObject({
      reasons: [
        'security group sg-1 opened to the world by alice (arn:aws:iam::111111111111:user/alice): tcp/22 from 0.0.0.0/0 — refused by AWS (X), but someone tried',
      ],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('AuthorizeSecurityGroupIngress', sg, { cidrIps: ['10.0.0.0/8', '0.0.0.0/1'] }, human),
        ctx(),
      ),
    ).toEqual(NA);
    expect(
      securityCalls.evaluate(
        cloudTrail('AuthorizeSecurityGroupIngress', sg, { cidrs: ['10.0.0.0/10'] }, human),
        ctx(),
      ),
    ).toEqual(NA);
  });

  it('console sign-in: root is critical (with or without MFA); an IAM user without MFA a warning; else nothing', () => {
    const acct = { type: 'account' as const, id: '111111111111' };
    const root: Actor = { type: 'root', sourceIp: '198.51.100.7' };
    expect(
      securityCalls.evaluate(
        cloudTrail('ConsoleLogin', acct, { loginResult: 'Success', mfaUsed: false }, root),
        ctx(),
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: ['root user console sign-in (Success, without MFA) from 198.51.100.7 in account 111111111111'],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('ConsoleLogin', acct, { outcome: 'Failure', mfaUsed: true }, { type: 'root' }),
        ctx(),
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: ['root user console sign-in (Failure) from unknown IP in account 111111111111'],
    });
    expect(
      securityCalls.evaluate(cloudTrail('ConsoleLogin', acct, {}, { type: 'root' }), ctx()),
    ).toMatchObject({
      reasons: ['root user console sign-in (attempted) from unknown IP in account 111111111111'],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('ConsoleLogin', acct, { withoutMfa: true }, { ...human, sourceIp: '203.0.113.9' }),
        ctx(),
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: [
        'console sign-in without MFA by alice (arn:aws:iam::111111111111:user/alice) from 203.0.113.9 in account 111111111111',
      ],
    });
    expect(
      securityCalls.evaluate(cloudTrail('ConsoleLogin', acct, { withoutMfa: false }, human), ctx()),
    ).toEqual(NA);
  });

  it('another source is not its business', () => {
    expect(
      securityCalls.evaluate(
        signal({ source: 'sweep', kind: 'sweep.finding', details: { eventName: 'StopLogging' } }),
        ctx(),
      ),
    ).toEqual(NA);
  });
});

describe('policyRules: the order the intake asks the rules in, and incident rules told as well', () => {
  const rule = (name: string, out: ReturnType<PolicyRule['evaluate']>): PolicyRule => ({
    name,
    description: name,
    evaluate: () => out,
  });
  const start = (runbook: string) => ({ verdict: 'start' as const, runbook, parameters: {}, reasons: ['r'] });
  const plugin = (name: string, rules: PolicyRule[], incidentRules?: PolicyRule[]) =>
    ({ spec: { name }, rules, ...(incidentRules ? { incidentRules } : {}) }) as unknown as RunbookPlugin;

  it('requests, incident rules, security notifications, runbook rules, then Datadog, Auto Scaling, schedules, sweeps', () => {
    const rules = policyRules([
      plugin('a', [rule('a-rule', NA as never)], [rule('a-incident', NA as never)]),
      plugin('b', [rule('b-rule', NA as never)]),
    ]);
    expect(rules.map((r) => r.name)).toEqual([
      'requested-run',
      'a-incident',
      'security-calls',
      'a-rule',
      'b-rule',
      'datadog-monitor',
      'auto-scaling',
      'schedule',
      'sweep-findings',
    ]);
  });

  it("an incident rule's starts are told as well (one or several); its other verdicts pass unchanged", () => {
    const one = policyRules([plugin('a', [], [rule('one', start('a'))])])[1] as PolicyRule;
    const many = policyRules([plugin('a', [], [rule('many', [start('a'), start('b')])])])[1] as PolicyRule;
    const other = policyRules([
      plugin('a', [], [rule('other', { verdict: 'ignore', reasons: ['i'] })]),
    ])[1] as PolicyRule;
    const s = signal({});
    expect([one.name, one.description]).toEqual(['one', 'one']);
    expect(one.evaluate(s, ctx())).toEqual({ ...start('a'), alsoNotify: true });
    expect(many.evaluate(s, ctx())).toEqual([
      { ...start('a'), alsoNotify: true },
      { ...start('b'), alsoNotify: true },
    ]);
    expect(other.evaluate(s, ctx())).toEqual({ verdict: 'ignore', reasons: ['i'] });
  });
});

describe('cross-cutting rules: descriptions, and the cases the first run left open', () => {
  it('each rule says in one line what it does', () => {
    expect(autoScaling.description).toBe(
      'EC2 Auto Scaling unsuccessful launch / terminate → notify; successful ones → ignore',
    );
    expect(datadogMonitor.description).toMatch(
      /^Triggered \/ Re-Triggered with runbook:<name> → that runbook/,
    );
    expect(requestedRun.description).toMatch(
      /^an explicit request \(Slack, CLI, schedule input\) → the runbook it names/,
    );
    expect(schedule.description).toMatch(/^a schedule tick → the runbook its configuration names/);
    expect(sweepFindings.description).toMatch(
      /^sweep: secret past its rotation period, .* → notify warning$/,
    );
    expect(securityCalls.description).toMatch(
      /^trail stopped\/deleted\/narrowed, .* leaving the organization, snapshot\/AMI\/DB snapshot shared .* KMS key disabled\/deleted, world-open ingress → notify critical .* IAM user sign-in without MFA → warning$/,
    );
  });

  it('Datadog: a parameter no tag names is left out, not set to undefined', () => {
    const fixture = {
      spec: { name: 'fixture-runbook' },
      rules: [],
      datadog: { parameters: { target: ['host'], zone: ['zone'] }, targets: [] },
    } as unknown as RunbookPlugin;
    const s = signal({
      source: 'datadog',
      kind: 'datadog.monitor-triggered',
      resource: { type: 'monitor', id: 'm-2' },
      details: { transition: 'Triggered', tags: ['runbook:fixture-runbook', 'host:h-9'] },
    });
    const v = datadogMonitor.evaluate(s, ctx({ runbooks: [fixture] })) as unknown as {
      parameters: Record<string, unknown>;
    };
    expect(Object.keys(v.parameters)).toEqual(['reason', 'target']);
  });

  it('security calls: CloudTrail only, even when another source marks a signal security-relevant', () => {
    expect(
      securityCalls.evaluate(
        signal({
          source: 'sweep',
          kind: 'sweep.finding',
          details: { securityRelevant: true, securityReason: 'x' },
        }),
        ctx(),
      ),
    ).toEqual(NA);
  });

  it('security calls: a console sign-in without an actor; world-open CIDRs in cidrIps; a key scheduled for deletion', () => {
    const acct = { type: 'account' as const, id: '111111111111' };
    const noActor = signal({ details: { eventName: 'ConsoleLogin', withoutMfa: true }, resource: acct });
    expect(securityCalls.evaluate(noActor, ctx())).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['console sign-in without MFA by unknown principal from unknown IP in account 111111111111'],
    });
    const sg = { type: 'security-group' as const, id: 'sg-2' };
    expect(
      securityCalls.evaluate(
        cloudTrail('AuthorizeSecurityGroupIngress', sg, { cidrIps: ['0.0.0.0/0'] }, human),
        ctx(),
      ),
    ).toMatchObject({
      reasons: [
        'security group sg-2 opened to the world by alice (arn:aws:iam::111111111111:user/alice): opened to 0.0.0.0/0',
      ],
    });
    expect(
      securityCalls.evaluate(
        cloudTrail('ScheduleKeyDeletion', { type: 'kms-key', id: 'k-2' }, {}, human),
        ctx(),
      ),
    ).toMatchObject({
      reasons: [
        'a KMS key was scheduled for deletion: ScheduleKeyDeletion on kms-key k-2 (ScheduleKeyDeletion on kms-key k-2 by alice (arn:aws:iam::111111111111:user/alice))',
      ],
    });
  });
});
