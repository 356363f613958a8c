import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import { allowList, effectivePolicy, loopProtection } from '../../../functions/intake/guards.js';
import type { RunbookPlugin } from '../../../runbooks/plugin.js';
import type { RunbookSpec } from '../../../runbooks/types.js';
import { cloudTrail, human, signal } from './signals.js';

/**
 * The static guards (functions/intake/guards.ts) one by one, with a hand-written runbook spec and
 * stage settings: every expected verdict and detail is written out here.
 */

const base = loadStage('dev').automation;
const automation = (patch: Partial<AutomationConfig> = {}): AutomationConfig => ({
  ...base,
  automationRolePrefix: 'ops-automation-',
  dryRun: false,
  runbooks: {},
  ...patch,
});

const spec = {
  name: 'fixture-runbook',
  defaults: {
    mode: 'approval',
    windowMinutes: 7,
    rateLimit: { maxRuns: 3, perMinutes: 60 },
    circuitBreaker: { failures: 2, perMinutes: 30, openMinutes: 45 },
    lockMinutes: 20,
  },
} as unknown as RunbookSpec;

describe('effectivePolicy: the shipped defaults with the stage overrides applied', () => {
  it('no override: the defaults, enabled, not a dry run', () => {
    expect(effectivePolicy(spec, automation())).toEqual({
      enabled: true,
      mode: 'approval',
      windowMinutes: 7,
      rateLimit: { maxRuns: 3, perMinutes: 60 },
      circuitBreaker: { failures: 2, perMinutes: 30, openMinutes: 45 },
      lockMinutes: 20,
      dryRun: false,
    });
  });

  it('every field of an override wins over the default', () => {
    const override = {
      enabled: false,
      mode: 'auto' as const,
      windowMinutes: 1,
      rateLimit: { maxRuns: 9, perMinutes: 5 },
      circuitBreaker: { failures: 8, perMinutes: 4, openMinutes: 3 },
      lockMinutes: 2,
      dryRun: true,
    };
    expect(effectivePolicy(spec, automation({ runbooks: { 'fixture-runbook': override } }))).toEqual(
      override,
    );
  });

  it("another runbook's override does not apply", () => {
    const p = effectivePolicy(spec, automation({ runbooks: { other: { enabled: false, mode: 'auto' } } }));
    expect([p.enabled, p.mode]).toEqual([true, 'approval']);
  });

  it("the stage's dry run makes every runbook a dry run; a runbook's dryRun: false cannot turn it live", () => {
    expect(effectivePolicy(spec, automation({ dryRun: true })).dryRun).toBe(true);
    expect(
      effectivePolicy(
        spec,
        automation({ dryRun: true, runbooks: { 'fixture-runbook': { enabled: true, dryRun: false } } }),
      ).dryRun,
    ).toBe(true);
    expect(
      effectivePolicy(spec, automation({ runbooks: { 'fixture-runbook': { enabled: true, dryRun: true } } }))
        .dryRun,
    ).toBe(true);
  });
});

describe('loopProtection: the automation never reacts to its own calls', () => {
  it("blocks a call made by one of the automation's roles (role name prefix), naming the role", () => {
    const s = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-1' },
      {},
      {
        type: 'service',
        roleName: 'ops-automation-snapshot',
        name: 'session',
      },
    );
    expect(loopProtection(s, automation())).toEqual({
      name: 'loop-protection',
      outcome: 'block',
      detail: "caused by the automation's own role ops-automation-snapshot",
    });
  });

  it('a role whose name only contains the prefix elsewhere passes', () => {
    const s = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-1' },
      {},
      {
        type: 'service',
        roleName: 'x-ops-automation-snapshot',
      },
    );
    expect(loopProtection(s, automation())).toEqual({
      name: 'loop-protection',
      outcome: 'pass',
      detail: 'actor x-ops-automation-snapshot is not an automation role',
    });
  });

  it('blocks an actor of type automation, by id or as unknown', () => {
    const byId = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-1' },
      {},
      {
        type: 'automation',
        id: 'intake',
      },
    );
    const anonymous = cloudTrail(
      'DetachVolume',
      { type: 'ebs-volume', id: 'vol-1' },
      {},
      { type: 'automation' },
    );
    expect(loopProtection(byId, automation())).toEqual({
      name: 'loop-protection',
      outcome: 'block',
      detail: 'caused by the automation itself (intake)',
    });
    expect(loopProtection(anonymous, automation()).detail).toBe('caused by the automation itself (unknown)');
  });

  it('passes a human, naming the actor type; an actor-less signal passes as unknown', () => {
    expect(
      loopProtection(
        cloudTrail('DetachVolume', { type: 'ebs-volume', id: 'vol-1' }, {}, human),
        automation(),
      ),
    ).toEqual({ name: 'loop-protection', outcome: 'pass', detail: 'actor human is not an automation role' });
    const noActor = signal({ source: 'cloudtrail', details: { eventName: 'DetachVolume' } });
    expect(loopProtection(noActor, automation()).detail).toBe('actor unknown is not an automation role');
  });

  it('skips schedules (the automation triggers them itself), even with an automation actor', () => {
    const s = signal({ source: 'schedule', kind: 'schedule.verify-backups', actor: { type: 'automation' } });
    expect(loopProtection(s, automation())).toEqual({
      name: 'loop-protection',
      outcome: 'skip',
      detail: "schedules are the automation's own triggers",
    });
  });
});

describe('allowList: the one guard that asks a runbook for its allow-list', () => {
  const fixture = (verdict: boolean): RunbookPlugin =>
    ({
      spec: { name: 'fixture-runbook' },
      rules: [],
      allowList: (params: Record<string, unknown>) => ({
        allowed: verdict,
        detail: `fixture says ${verdict} for ${String(params.target)}`,
      }),
    }) as unknown as RunbookPlugin;

  it("passes or blocks with the runbook's own detail", () => {
    expect(allowList('fixture-runbook', { target: 't1' }, automation(), [fixture(true)])).toEqual({
      name: 'allow-list',
      outcome: 'pass',
      detail: 'fixture says true for t1',
    });
    expect(allowList('fixture-runbook', { target: 't2' }, automation(), [fixture(false)])).toEqual({
      name: 'allow-list',
      outcome: 'block',
      detail: 'fixture says false for t2',
    });
  });

  it('a runbook that is not in the list given is blocked (fail closed), even if the registry has it', () => {
    expect(allowList('verify-backups', {}, automation(), [fixture(true)])).toEqual({
      name: 'allow-list',
      outcome: 'block',
      detail: 'runbook verify-backups has no allow-list',
    });
    expect(allowList('no-such-runbook', {}, automation())).toEqual({
      name: 'allow-list',
      outcome: 'block',
      detail: 'runbook no-such-runbook has no allow-list',
    });
  });

  it('without a list, the registry answers (verify-backups only reads)', () => {
    expect(allowList('verify-backups', {}, automation())).toEqual({
      name: 'allow-list',
      outcome: 'pass',
      detail: 'verify-backups only reads (its scratch restores are its own)',
    });
  });
});
