import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import {
  cloudTrailRecordToEvent,
  MalformedEventError,
  normaliseEvent,
  type SweepFinding,
  sweepEvent,
} from '../../../events/index.js';
import { decide } from '../../../functions/intake/decide.js';

/**
 * Sweep findings (events/sources/sweep): read like any other source, and decided by the SAME policy rule
 * as the event path's record of the same condition. The event-path side is a real recorded CloudTrail
 * record (test/fixtures/cloudtrail, sources and licences in SOURCE.md); the expected rule, action and
 * severity are written by hand from the README's policy table.
 */
const FIXTURES = join(import.meta.dirname, '../../fixtures/cloudtrail');
const record = (path: string, i = 0): unknown => {
  const records = JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, unknown>[];
  const r = records[i] as Record<string, unknown>;
  // Panther renders eventTime as `YYYY-MM-DD hh:mm:ss`; CloudTrail writes ISO-8601.
  const time = String(r.eventTime).replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}).*$/, '$1T$2Z');
  return cloudTrailRecordToEvent({ ...r, eventTime: time });
};
const ctx = { stage: 'dev', automation: loadStage('dev').automation };
const event = (f: SweepFinding) => sweepEvent(f, { id: 'sweep-test-1', region: 'eu-west-1' });
const base = { observedAt: '2026-12-07T10:00:00Z', facts: {} };

const findings: Record<string, SweepFinding> = {
  trail: {
    ...base,
    check: 'trails',
    condition: 'trail-not-logging',
    resource: { type: 'trail', id: 'ops-dev-trail', attributes: {} },
    summary: 'trail ops-dev-trail is not logging (GetTrailStatus IsLogging false)',
  },
  flowLogs: {
    ...base,
    check: 'flow-logs',
    condition: 'flow-logs-missing',
    resource: { type: 'flow-log', id: 'vpc-0abc', attributes: { vpcId: 'vpc-0abc' } },
    summary: 'VPC vpc-0abc has no active flow log',
  },
  ebs: {
    ...base,
    check: 'sharing',
    condition: 'snapshot-shared',
    resource: { type: 'snapshot', id: 'snap-0123456789abcdef0', attributes: {} },
    summary: 'snapshot snap-0123456789abcdef0 is shared with account 012345678901',
    facts: { sharedWith: ['012345678901'] },
  },
  rds: {
    ...base,
    check: 'sharing',
    condition: 'db-snapshot-shared',
    resource: { type: 'db-snapshot', id: 'dev-2026-12-01', attributes: {} },
    summary: 'DB snapshot dev-2026-12-01 can be restored by all',
    facts: { sharedWith: ['all'] },
  },
  secret: {
    ...base,
    check: 'secrets',
    condition: 'secret-rotation-overdue',
    resource: { type: 'secret', id: 'dev/rds/app-user', attributes: {} },
    summary: 'last rotated 41 days ago; rotation every 30 days',
  },
  dns: {
    ...base,
    check: 'dns',
    condition: 'dns-record-drifted',
    resource: { type: 'dns-record', id: 'Z123/api.dev.example.com/CNAME', attributes: {} },
    summary: 'api.dev.example.com CNAME is old-nlb.example.com; automation last set new-nlb.example.com',
  },
};

describe('sweep findings: decided by the event path rule of the same condition', () => {
  // In dev, restore-guardrail recreates the stage VPC's flow log (restoreGuardrail.flowLogs), so that
  // condition starts it (and is still told). The recorded trail and snapshots are other accounts' or
  // not allow-listed: notify only. A sharing finding names no account: the sweep lists only the stage
  // account's own snapshots, so the ones it finds are the platform's and are repaired.
  const notify = { rule: 'security-calls', action: 'notify', severity: 'critical' };
  const repair = {
    rule: 'restore-guardrail',
    action: 'start',
    runbook: 'restore-guardrail',
    severity: 'critical',
  };
  it.each([
    ['trail not logging', 'panther-analysis/aws_cloudtrail_stopped.json', findings.trail, notify, notify],
    [
      'flow logs missing',
      'stratus-red-team/aws.defense-evasion.vpc-remove-flow-logs.json',
      findings.flowLogs,
      repair,
      repair,
    ],
    [
      'EBS snapshot shared',
      'stratus-red-team/aws.exfiltration.ec2-share-ebs-snapshot.json',
      findings.ebs,
      notify,
      repair,
    ],
    [
      'RDS snapshot shared',
      'stratus-red-team/aws.exfiltration.rds-share-snapshot.json',
      findings.rds,
      notify,
      repair,
    ],
  ] as const)(
    '%s: decided by the same policy for the record and the finding',
    (_name, path, f, onEvent, onSweep) => {
      // Prepare
      const fromEvent = normaliseEvent(record(path));
      const fromSweep = normaliseEvent(event(f as SweepFinding));
      // Act
      const [byEvent] = decide(fromEvent, ctx);
      const [bySweep] = decide(fromSweep, ctx);
      // Assess
      expect(byEvent).toMatchObject(onEvent);
      expect(bySweep).toMatchObject(onSweep);
      expect(fromSweep).toMatchObject({ source: 'sweep', kind: `sweep.${(f as SweepFinding).condition}` });
    },
  );

  it("a finding on dev's own trail starts restore-guardrail, as StopLogging on it does", () => {
    // Prepare: the platform trail is allow-listed in dev (automation.restoreGuardrail.trails)
    const finding: SweepFinding = {
      ...base,
      check: 'trails',
      condition: 'trail-not-logging',
      resource: { type: 'trail', id: 'dev-platform-trail', attributes: {} },
      summary: 'trail dev-platform-trail is not logging (GetTrailStatus IsLogging false)',
    };
    // Act
    const [d] = decide(normaliseEvent(event(finding)), ctx);
    // Assess
    expect(d).toMatchObject({
      ...repair,
      parameters: { guardrail: 'trail-logging', target: 'dev-platform-trail' },
    });
  });

  it('a secret past its rotation period and a drifted DNS record: sweep-findings, notify warning', () => {
    for (const f of [findings.secret, findings.dns] as SweepFinding[]) {
      const [d] = decide(normaliseEvent(event(f)), ctx);
      expect(d).toMatchObject({ rule: 'sweep-findings', action: 'notify', severity: 'warning' });
    }
  });

  it('a sweep signal keeps its own source, summary and correlation id for the audit', () => {
    const s = normaliseEvent(event(findings.trail as SweepFinding));
    expect(s).toMatchObject({
      source: 'sweep',
      severity: 'critical',
      correlationId: 'sweep-test-1',
      occurredAt: '2026-12-07T10:00:00.000Z',
      summary: 'sweep trails: trail ops-dev-trail is not logging (GetTrailStatus IsLogging false)',
      details: { condition: 'trail-not-logging', check: 'trails', detectedBy: 'sweep' },
    });
    expect(s.actor).toBeUndefined();
  });
});

describe('sweep findings: malformed ones are refused before any policy', () => {
  const good = findings.secret as SweepFinding;
  it.each([
    [
      'a resource type that does not fit the condition',
      { ...good, resource: { type: 'ebs-volume', id: 'x' } },
    ],
    ['an unknown condition', { ...good, condition: 'cluster-on-fire' }],
    ['an actor (a finding cannot claim an identity)', { ...good, actor: { type: 'human' } }],
    ['a runbook request', { ...good, request: { runbook: 'rotate-secret', requestedBy: 'x' } }],
    ['a time that is not a time', { ...good, observedAt: 'yesterday' }],
    ['no summary', { ...good, summary: '' }],
  ])('%s', (_name, detail) => {
    const raw = { ...event(good), detail };
    expect(() => normaliseEvent(raw)).toThrow(MalformedEventError);
  });
});
