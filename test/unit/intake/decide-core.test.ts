import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import { decide, formatSchemaError } from '../../../functions/intake/decide.js';
import type { PolicyRule, Verdict } from '../../../functions/intake/policy/types.js';
import { human, signal } from './signals.js';

/**
 * `decide`'s own logic, apart from the shipped policy rules: the rules here are hand-written
 * stand-ins (`ctx.rules`), so what is checked is how decide picks a rule, turns each verdict into
 * a decision and runs the static guards, with every expected reason and guard written out.
 */

const dev = loadStage('dev');

function automation(runbooks: Record<string, unknown> = {}, dryRun = false): AutomationConfig {
  return { ...dev.automation, dryRun, runbooks } as AutomationConfig;
}

function rule(name: string, answer: Verdict | Verdict[]): PolicyRule {
  return { name, description: name, evaluate: () => answer as ReturnType<PolicyRule['evaluate']> };
}

const never: PolicyRule = {
  name: 'never',
  description: 'must not be asked',
  evaluate: () => {
    throw new Error('rule evaluated');
  },
};

const scaleA = {
  verdict: 'start' as const,
  runbook: 'scale-node-group',
  parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
  reasons: ['at max'],
};

const LOOP_PASS = {
  name: 'loop-protection',
  outcome: 'pass',
  detail: 'actor alice is not an automation role',
};

const fromAlice = (extra: Parameters<typeof signal>[0] = {}) =>
  signal({ actor: { ...human, roleName: 'alice' }, severity: 'info', ...extra });

describe('decide: choosing the rule', () => {
  it('a signal from the automation’s own role is ignored before any rule is asked', () => {
    // Prepare
    const s = signal({
      actor: { type: 'service', id: 'x', roleName: 'ops-dev-scale' },
      severity: 'warning',
    });

    // Act
    const decisions = decide(s, { stage: 'dev', automation: automation(), rules: [never] });

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        dryRun: false,
        severity: 'warning',
        reasons: ["caused by the automation's own role ops-dev-scale"],
        guards: [
          {
            name: 'loop-protection',
            outcome: 'block',
            detail: "caused by the automation's own role ops-dev-scale",
          },
        ],
      },
    ]);
  });

  it('no applicable rule (not-applicable, or no verdicts at all): ignored, saying so', () => {
    // Act
    const decisions = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('na', { verdict: 'not-applicable' }), rule('empty', [])],
    });

    // Assess
    expect(decisions).toEqual([
      {
        action: 'ignore',
        dryRun: false,
        severity: 'info',
        reasons: ['no policy rule applies to cloudtrail.api-call'],
        guards: [LOOP_PASS, { name: 'policy', outcome: 'skip', detail: 'no rule applies' }],
      },
    ]);
  });

  it('the first applicable rule decides; later rules are not asked', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [
        rule('na', { verdict: 'not-applicable' }),
        rule('first', { verdict: 'ignore', reasons: ['r1'] }),
        never,
      ],
    });

    // Assess
    expect(d).toEqual({
      action: 'ignore',
      dryRun: false,
      severity: 'info',
      reasons: ['r1'],
      guards: [LOOP_PASS, { name: 'policy', outcome: 'pass', detail: 'rule first' }],
      rule: 'first',
    });
  });

  it('a rule answering with no verdict it knows is a programming error, not a decision', () => {
    // Act / Assess
    expect(() =>
      decide(fromAlice(), {
        stage: 'dev',
        automation: automation(),
        rules: [rule('odd', { verdict: 'maybe' } as unknown as Verdict)],
      }),
    ).toThrow('rule odd returned no verdict');
  });
});

describe('decide: verdicts other than start', () => {
  it('notify keeps the severity the rule gave, not the signal’s', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('tell', { verdict: 'notify', severity: 'critical', reasons: ['look'] })],
    });

    // Assess
    expect(d).toEqual({
      action: 'notify',
      dryRun: false,
      severity: 'critical',
      reasons: ['look'],
      guards: [LOOP_PASS, { name: 'policy', outcome: 'pass', detail: 'rule tell' }],
      rule: 'tell',
    });
  });

  it('reject keeps the signal’s severity and the rule’s reasons', () => {
    // Act
    const [d] = decide(fromAlice({ severity: 'warning' }), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('no', { verdict: 'reject', reasons: ['bad request'] })],
    });

    // Assess
    expect(d).toMatchObject({ action: 'reject', severity: 'warning', reasons: ['bad request'], rule: 'no' });
  });
});

describe('decide: a start verdict through the static guards', () => {
  it('an unknown runbook is rejected, naming it', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('typo', { ...scaleA, runbook: 'scale-node-grup' })],
    });

    // Assess
    expect(d).toEqual({
      action: 'reject',
      dryRun: false,
      severity: 'info',
      runbook: 'scale-node-grup',
      reasons: ['at max', 'unknown runbook "scale-node-grup"'],
      guards: [
        LOOP_PASS,
        { name: 'policy', outcome: 'pass', detail: 'rule typo' },
        { name: 'runbook', outcome: 'block', detail: 'unknown runbook scale-node-grup' },
      ],
      rule: 'typo',
    });
  });

  it('a runbook disabled in the stage becomes a notification, saying so', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation({ 'scale-node-group': { enabled: false } }),
      rules: [rule('r', scaleA)],
    });

    // Assess
    expect(d).toMatchObject({
      action: 'notify',
      reasons: ['at max', 'runbook scale-node-group is disabled in stage dev: people are told instead'],
    });
    expect(d?.guards.at(-1)).toEqual({
      name: 'enabled',
      outcome: 'block',
      detail: 'scale-node-group is disabled in stage dev',
    });
    expect(d?.executionName).toBeUndefined();
  });

  it('invalid parameters are rejected with the schema’s words, and the raw parameters kept', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('r', { ...scaleA, parameters: { cluster: 42 } })],
    });

    // Assess
    expect(d?.action).toBe('reject');
    expect(d?.parameters).toEqual({ cluster: 42 });
    const last = d?.guards.at(-1);
    expect(last).toMatchObject({ name: 'parameters', outcome: 'block' });
    expect(last?.detail).toMatch(/^cluster: /);
    expect(d?.reasons).toEqual(['at max', `parameters for scale-node-group are invalid: ${last?.detail}`]);
    expect(d?.executionName).toBeUndefined();
  });

  it('a target outside the allow-list is rejected after the parameters passed', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [rule('r', { ...scaleA, parameters: { cluster: 'prod-platform', nodegroup: 'x' } })],
    });

    // Assess
    expect(d?.action).toBe('reject');
    expect(d?.guards.map((g) => `${g.name}:${g.outcome}`)).toEqual([
      'loop-protection:pass',
      'policy:pass',
      'enabled:pass',
      'parameters:pass',
      'allow-list:block',
    ]);
    expect(d?.reasons).toEqual(['at max', 'node group prod-platform/x is not allow-listed']);
    // the validated parameters (the schema's default reason applied), not the raw ones
    expect(d?.parameters).toEqual({ cluster: 'prod-platform', nodegroup: 'x', reason: 'requested' });
  });

  it('a live start: every guard passes, with the enabled, parameters, dry-run and mode details', () => {
    // Act
    const [d] = decide(fromAlice({ severity: 'warning' }), {
      stage: 'dev',
      automation: automation({ 'scale-node-group': { mode: 'auto' } }),
      rules: [rule('r', scaleA)],
    });

    // Assess
    expect(d).toMatchObject({
      action: 'start',
      runbook: 'scale-node-group',
      rule: 'r',
      severity: 'warning',
      mode: 'auto',
      dryRun: false,
      resourceKey: 'dev-platform/dev-platform-a',
      reasons: ['at max'],
    });
    expect(d?.guards.slice(2)).toEqual([
      { name: 'enabled', outcome: 'pass', detail: 'scale-node-group is enabled in stage dev' },
      { name: 'parameters', outcome: 'pass', detail: 'valid scale-node-group parameters' },
      expect.objectContaining({ name: 'allow-list', outcome: 'pass' }),
      { name: 'dry-run', outcome: 'pass', detail: 'live run' },
      { name: 'mode', outcome: 'pass', detail: 'runs at once' },
    ]);
  });

  it('approval mode says it waits for approval', () => {
    // Act
    const [d] = decide(fromAlice(), {
      stage: 'dev',
      automation: automation({ 'scale-node-group': { mode: 'approval' } }),
      rules: [rule('r', scaleA)],
    });

    // Assess
    expect(d?.mode).toBe('approval');
    expect(d?.guards.at(-1)).toEqual({ name: 'mode', outcome: 'pass', detail: 'waits for approval' });
  });

  it('a requested dry run makes the run dry and says it was requested; the execution name differs from the live one', () => {
    // Prepare
    const request = { runbook: 'scale-node-group', parameters: {}, requestedBy: 'alice', dryRun: true };
    const ctx = { stage: 'dev', automation: automation(), rules: [rule('r', scaleA)] };

    // Act
    const [dry] = decide(fromAlice({ request }), ctx);
    const [live] = decide(fromAlice(), ctx);

    // Assess
    expect(dry?.dryRun).toBe(true);
    expect(dry?.guards.find((g) => g.name === 'dry-run')?.detail).toBe(
      'dry run (requested): the run reports what it would do and changes nothing',
    );
    expect(dry?.executionName).not.toBe(live?.executionName);
  });

  it('a request can never turn a configured dry run live (stage-wide or per runbook)', () => {
    // Prepare
    const request = { runbook: 'scale-node-group', parameters: {}, requestedBy: 'alice', dryRun: false };

    // Act
    const [stageDry] = decide(fromAlice({ request }), {
      stage: 'dev',
      automation: automation({}, true),
      rules: [rule('r', scaleA)],
    });
    const [runbookDry] = decide(fromAlice({ request: { ...request, dryRun: true } }), {
      stage: 'dev',
      automation: automation({ 'scale-node-group': { dryRun: true } }),
      rules: [rule('r', scaleA)],
    });

    // Assess: dry, and not worded as requested
    for (const d of [stageDry, runbookDry]) {
      expect(d?.dryRun).toBe(true);
      expect(d?.guards.find((g) => g.name === 'dry-run')?.detail).toBe(
        'dry run: the run reports what it would do and changes nothing',
      );
    }
  });

  it('a rule fanning out gives one decision per start verdict, in order', () => {
    // Act
    const decisions = decide(fromAlice(), {
      stage: 'dev',
      automation: automation(),
      rules: [
        rule('fan', [
          scaleA,
          { ...scaleA, parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-b' }, reasons: ['b'] },
        ]),
      ],
    });

    // Assess
    expect(decisions.map((d) => `${d.action}:${d.resourceKey}:${d.rule}`)).toEqual([
      'start:dev-platform/dev-platform-a:fan',
      'start:dev-platform/dev-platform-b:fan',
    ]);
  });
});

describe('formatSchemaError', () => {
  it('one issue per line part, "path: message", joined by "; "; a root issue is its message alone', () => {
    // Prepare
    const error = new z.ZodError([
      { code: 'custom', path: ['records', 0, 'name'], message: 'too long', input: undefined },
      { code: 'custom', path: [], message: 'one of a or b', input: undefined },
    ]);

    // Act / Assess
    expect(formatSchemaError(error)).toBe('records.0.name: too long; one of a or b');
  });
});
