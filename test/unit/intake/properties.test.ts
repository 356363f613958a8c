import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import {
  MalformedEventError,
  SIGNAL_SOURCES,
  type Signal,
  UnrecognisedEventError,
} from '../../../events/signal.js';
import { decide } from '../../../functions/intake/decide.js';
import type { Decision } from '../../../functions/intake/decision.js';
import { EXECUTION_NAME } from '../../../functions/intake/execution-name.js';
import { allowList } from '../../../functions/intake/guards.js';
import { PlanInputError, planEvent } from '../../../functions/intake/plan.js';
import { findRunbook } from '../../../runbooks/registry.js';

/**
 * Property-based: thousands of random and mutated events through the same path `ops plan` and the
 * Lambda take. Nothing crashes (only the three documented input errors), garbage never starts a run,
 * and every start that does come out satisfies the guards' invariants.
 */
const dev = loadStage('dev');
const ctx = { stage: dev.name, automation: dev.automation };
const SAMPLES = join(import.meta.dirname, '../../../events/samples');
const samples = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(SAMPLES, f), 'utf8')) as unknown);

const KNOWN_ERRORS = [UnrecognisedEventError, MalformedEventError, PlanInputError];

/** Plans `text`; returns the decisions, or undefined for a documented input error. Anything else propagates. */
function plan(text: string): Decision[] | undefined {
  try {
    const out = planEvent(text, dev);
    return [...(out.decisions ?? [out.decision])].map(
      (d) => ({ ...d, runbook: d.runbook ?? undefined }) as unknown as Decision,
    );
  } catch (err) {
    if (KNOWN_ERRORS.some((E) => err instanceof E)) return undefined;
    throw err;
  }
}

/** Every start keeps the guards' promises: known runbook, valid parameters, allow-listed, a valid execution name. */
function assertSafeStart(d: Decision): void {
  if (d.action !== 'start') return;
  const spec = findRunbook(d.runbook ?? '');
  expect(spec).toBeDefined();
  expect(spec?.parameters.safeParse(d.parameters).success).toBe(true);
  expect(allowList(d.runbook ?? '', d.parameters ?? {}, dev.automation).outcome).toBe('pass');
  expect(d.executionName).toMatch(EXECUTION_NAME);
}

/** Replaces the value at a random path of a JSON value with `replacement`. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [step, ...rest] = path as [number, ...number[]];
  if (Array.isArray(value) && value.length > 0) {
    const i = step % value.length;
    return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return replacement;
    const key = keys[step % keys.length] as string;
    return {
      ...(value as Record<string, unknown>),
      [key]: mutate((value as Record<string, unknown>)[key], rest, replacement),
    };
  }
  return replacement;
}

describe('intake properties: random and mutated events', () => {
  it('never crashes and never starts a run from random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decisions = plan(JSON.stringify(value));
        expect(decisions?.some((d) => d.action === 'start') ?? false).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('never crashes on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(() => plan(text)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('never crashes on mutated samples, and every start it still makes is safe', () => {
    const sampleArb = fc.constantFrom(...samples);
    const replacement = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(
        '',
        '*',
        '0.0.0.0/0',
        'ops-dev-intake',
        '9007199254740993',
        null,
        -1,
        1e308,
        'arn:aws:iam::1:root',
      ),
    );
    fc.assert(
      fc.property(sampleArb, fc.array(fc.nat(), { maxLength: 6 }), replacement, (sample, path, value) => {
        const decisions = plan(JSON.stringify(mutate(sample, path, value)));
        for (const d of decisions ?? []) assertSafeStart(d);
      }),
      { numRuns: 3000 },
    );
  });

  it('decides every well-formed signal without throwing, and every start is safe', () => {
    const text = fc.string({ maxLength: 30 });
    const signalArb = fc.record({
      source: fc.constantFrom(...SIGNAL_SOURCES),
      kind: fc.constantFrom(
        'cluster-autoscaler.node-group-at-max',
        'cluster-autoscaler.scale-up-failed',
        'datadog.monitor-alert',
        'cloudtrail.api-call',
        'schedule.tick',
        'slack.command',
        'x.y',
      ),
      resourceId: fc.oneof(
        fc.constantFrom('dev-platform/dev-platform-a', 'dev/rds/app-user', 'vol-0123456789abcdef0'),
        text,
      ),
      attributes: fc.dictionary(
        fc.constantFrom('cluster', 'nodegroup', 'runbook', 'volumeId', 'zone', 'record', 'secretName'),
        text,
      ),
      details: fc.dictionary(
        fc.constantFrom('eventName', 'transition', 'tags', 'errorCode', 'lackOfRoom', 'worldOpen', 'cidrs'),
        fc.oneof(
          text,
          fc.boolean(),
          fc.array(text, { maxLength: 3 }),
          fc.constantFrom('GetSecretValue', 'DetachVolume', 'Triggered'),
        ),
      ),
      actor: fc.option(
        fc.record({
          type: fc.constantFrom('human', 'service', 'root', 'automation', 'unknown') as fc.Arbitrary<'human'>,
          roleName: fc.option(text, { nil: undefined }),
        }),
        { nil: undefined },
      ),
      request: fc.option(
        fc.record({
          runbook: fc.constantFrom(
            'scale-node-group',
            'update-dns',
            'rotate-secret',
            'snapshot-volume',
            'verify-backups',
            'nope',
          ),
          parameters: fc.dictionary(text, fc.jsonValue()),
          requestedBy: fc.constant('U0PLATFORM1'),
        }),
        { nil: undefined },
      ),
      occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
    });
    fc.assert(
      fc.property(signalArb, (r) => {
        const signal: Signal = {
          source: r.source,
          kind: r.kind,
          resource: { type: 'unknown', id: r.resourceId || 'x', attributes: r.attributes },
          severity: 'warning',
          occurredAt: r.occurredAt.toISOString(),
          correlationId: 'prop',
          ...(r.actor ? { actor: r.actor } : {}),
          details: r.details,
          summary: 'property test',
          ...(r.request ? { request: r.request } : {}),
          raw: {},
        };
        const decisions = decide(signal, ctx);
        expect(decisions.length).toBeGreaterThan(0);
        for (const d of decisions) assertSafeStart(d);
      }),
      { numRuns: 3000 },
    );
  });
});
