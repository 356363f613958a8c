import { describe, expect, it } from 'vitest';
import {
  type AnyOfPattern,
  EVENT_RULES,
  type EventPattern,
  matchesPattern,
  matchesRulePattern,
  normaliseEvent,
  readCanary,
  rulesMatching,
  subscribedPattern,
} from '../../../events/index.js';
import { listSampleFiles, sampleJson } from './support.js';

/**
 * The rule each EventBridge sample is meant to reach. `null`: delivered without a rule (Scheduler input,
 * schedule rule target) or not an EventBridge event at all (webhooks, Slack).
 */
function ruleMeantFor(file: string): string | null {
  if (file.startsWith('cloudtrail/secretsmanager-')) return 'cloudtrail-secret-reads';
  if (file.startsWith('cloudtrail/signin-')) return 'console-sign-in';
  if (file.startsWith('cloudtrail/')) return 'cloudtrail-write-calls';
  if (file.startsWith('autoscaling/')) return 'autoscaling-activity';
  if (file.startsWith('cluster-autoscaler/')) return 'cluster-autoscaler-events';
  if (file.startsWith('datadog/eventbridge-')) return 'datadog-alerts';
  if (file.startsWith('backup-verification/')) return 'backup-verification-failures';
  return null;
}

describe('event patterns: every sample reaches the rule meant for it and no other', () => {
  const files = listSampleFiles().filter((f) => f.endsWith('.json'));

  it.each(files)('%s', (file) => {
    // Prepare
    const event = sampleJson(file);
    // Act
    const matched = rulesMatching(event).map((r) => r.name);
    // Assess
    const meant = ruleMeantFor(file);
    expect(matched).toEqual(meant === null ? [] : [meant]);
  });

  it('delivers every event a rule matches to a normaliser that accepts it', () => {
    for (const file of files) {
      const event = sampleJson(file);
      if (rulesMatching(event).length > 0) expect(() => normaliseEvent(event), file).not.toThrow();
    }
  });

  it('marks only the secret-read rule as needing read-only CloudTrail management events', () => {
    const special = EVENT_RULES.filter((r) => r.state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(special.map((r) => r.name)).toEqual(['cloudtrail-secret-reads']);
  });

  it('gives every rule a unique kebab-case name and a description', () => {
    const names = EVENT_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of EVENT_RULES) {
      expect(rule.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(rule.description.length).toBeGreaterThan(20);
    }
  });

  it('does not reach the secret-read rule when an AWS service reads on a caller’s behalf', () => {
    const event = structuredClone(sampleJson('cloudtrail/secretsmanager-getsecretvalue-iam-user.json')) as {
      detail: { userIdentity: Record<string, unknown> };
    };
    event.detail.userIdentity = { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' };
    expect(rulesMatching(event)).toEqual([]);
  });
});

describe('matchesPattern: the EventBridge matching subset', () => {
  const event = {
    source: 'aws.partner/datadog.com/abc',
    'detail-type': 'X',
    detail: { n: 5, tags: ['a', 'b'], name: 'web-1', empty: null, nested: { k: 'v' } },
  };
  const cases: [string, EventPattern, boolean][] = [
    ['exact value', { 'detail-type': ['X'] }, true],
    ['one of several values', { 'detail-type': ['Y', 'X'] }, true],
    ['exact value mismatch', { 'detail-type': ['Y'] }, false],
    ['prefix', { source: [{ prefix: 'aws.partner/datadog.com' }] }, true],
    ['prefix mismatch', { source: [{ prefix: 'aws.events' }] }, false],
    ['suffix', { detail: { name: [{ suffix: '-1' }] } }, true],
    ['array field: any element', { detail: { tags: ['b'] } }, true],
    ['array field: no element', { detail: { tags: ['c'] } }, false],
    ['anything-but value', { detail: { name: [{ 'anything-but': 'web-2' }] } }, true],
    ['anything-but list hit', { detail: { name: [{ 'anything-but': ['web-1', 'web-2'] }] } }, false],
    ['anything-but prefix', { detail: { name: [{ 'anything-but': { prefix: 'db-' } }] } }, true],
    ['anything-but on a missing field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['exists true', { detail: { name: [{ exists: true }] } }, true],
    ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { name: [{ exists: false }] } }, false],
    ['exists false inside a missing object', { nothing: { here: [{ exists: false }] } }, true],
    ['numeric range', { detail: { n: [{ numeric: ['>', 1, '<=', 5] }] } }, true],
    ['numeric out of range', { detail: { n: [{ numeric: ['>=', 6] }] } }, false],
    ['null value', { detail: { empty: [null] } }, true],
    ['nested object', { detail: { nested: { k: ['v'] } } }, true],
    ['leaf pattern against an object', { detail: { nested: ['v'] } }, false],
    ['all fields must match', { source: [{ prefix: 'aws.partner' }], 'detail-type': ['Y'] }, false],
  ];

  it.each(cases)('%s', (_label, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('matches nothing that is not an object', () => {
    expect(matchesPattern({ source: ['x'] }, null)).toBe(false);
    expect(matchesPattern({ source: ['x'] }, 'x')).toBe(false);
  });
});

describe('rule canaries: each rule matches its real events or its own canary, nothing more', () => {
  const files = listSampleFiles().filter((f) => f.endsWith('.json'));
  const subscribed = EVENT_RULES.map((spec) => ({
    name: spec.name,
    pattern: subscribedPattern(spec, `ops-dev-${spec.name}`),
  }));
  const reaching = (event: unknown) =>
    subscribed.filter((r) => matchesRulePattern(r.pattern, event)).map((r) => r.name);
  // Written by hand: what EventBridge delivers for a canary Scheduler put on the default bus.
  const canary = (rule: string) => ({
    version: '0',
    id: '7f1c9d52-3b0e-4d7a-a1b2-c3d4e5f60718',
    'detail-type': 'Ops Rule Canary',
    source: 'ops.canary',
    account: '111111111111',
    time: '2026-12-07T06:15:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: { rule, scheduledTime: '2026-12-07T06:15:00Z' },
  });

  it.each(files)('%s still reaches exactly the rule meant for it', (file) => {
    const meant = ruleMeantFor(file);
    expect(reaching(sampleJson(file))).toEqual(meant === null ? [] : [meant]);
  });

  it.each([
    'cloudtrail-write-calls',
    'cloudtrail-secret-reads',
    'console-sign-in',
    'autoscaling-activity',
    'cluster-autoscaler-events',
    'backup-verification-failures',
  ])('a canary for %s reaches that rule and no sibling; the intake reads it as a canary', (name) => {
    const event = canary(`ops-dev-${name}`);
    expect(reaching(event)).toEqual([name]);
    expect(readCanary(event)).toEqual({ rule: `ops-dev-${name}`, scheduledTime: '2026-12-07T06:15:00Z' });
  });

  it('a canary for another stage, or with no rule, reaches no rule', () => {
    expect(reaching(canary('ops-prod-console-sign-in'))).toEqual([]);
    const { detail: _, ...noDetail } = canary('x');
    expect(reaching(noDetail)).toEqual([]);
  });

  it('`$or` matches when any alternative does (EventBridge "or matching")', () => {
    const p: AnyOfPattern = { $or: [{ source: ['a'] }, { 'detail-type': ['T'], detail: { k: ['v'] } }] };
    expect(matchesRulePattern(p, { source: 'a' })).toBe(true);
    expect(matchesRulePattern(p, { source: 'b', 'detail-type': 'T', detail: { k: 'v' } })).toBe(true);
    expect(matchesRulePattern(p, { source: 'b', 'detail-type': 'T', detail: { k: 'w' } })).toBe(false);
    expect(matchesRulePattern({ $or: [] }, { source: 'a' })).toBe(false);
  });
});
