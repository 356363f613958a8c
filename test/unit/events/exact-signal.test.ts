import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Signal, SignalSchema } from '../../../events/index.js';
import { isExactSignal } from '../../../events/sources/exact-signal.js';
import { signalFromText } from '../../../functions/intake/plan.js';
import { listSampleFiles, sampleText } from './support.js';

/**
 * `finalise` returns a candidate Signal as it is when `isExactSignal` says zod would return it
 * unchanged (issue 17: the copy cost the intake a seventh of its time). The oracle is the schema
 * itself: whenever the shortcut says yes, `SignalSchema.safeParse` succeeds with a value strictly
 * equal to the candidate. Candidates are every sample's signal and mutations of them at every key.
 */

/** Signals from every recorded sample that normalises (Slack and CLI requests are built elsewhere). */
function sampleSignals(): Signal[] {
  const out: Signal[] = [];
  for (const file of listSampleFiles()) {
    if (!file.endsWith('.json') || file.startsWith('slack/')) continue;
    try {
      out.push(signalFromText(sampleText(file), { automationRolePrefix: 'ops-dev' }));
    } catch {
      // Samples recorded to be refused (templates, malformed on purpose) have nothing to finalise.
    }
  }
  return out;
}

const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'x',
  'cloudtrail.api-call',
  '2026-11-22T10:00:00Z',
  '2026-11-22 10:00',
  0,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  [],
  ['a'],
  ['a', 1],
  {},
  { a: 'b' },
  { a: 1 },
  new Date(0),
];

/** The candidate with `path` set to `value` (or removed, for `delete`), as a fresh deep copy. */
function mutate(signal: Signal, path: readonly string[], value: unknown | 'delete'): unknown {
  const copy = structuredClone({ ...signal, raw: null }) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) return undefined;
    at = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === 'delete') delete at[last];
  else at[last] = value;
  return copy;
}

function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: string[][] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'raw' && prefix.length === 0) continue;
    out.push([...prefix, key], ...pathsOf(inner, [...prefix, key]));
  }
  // A key the schema does not know, at this level.
  out.push([...prefix, 'unexpected']);
  return out;
}

function agreesWithSchema(candidate: unknown): void {
  if (!isExactSignal(candidate)) return;
  const parsed = SignalSchema.safeParse(candidate);
  expect(parsed.success, JSON.stringify(candidate)).toBe(true);
  expect(parsed.data).toStrictEqual(candidate);
}

describe('isExactSignal: finalise’s shortcut never says yes where zod would differ', () => {
  const signals = sampleSignals();

  it('applies to the recorded samples (the hot path takes it)', () => {
    expect(signals.length).toBeGreaterThan(40);
    const exact = signals.filter((s) => isExactSignal({ ...s }));
    // Only signals carrying a request (schedules) go the schema's way.
    expect(signals.filter((s) => !isExactSignal({ ...s })).every((s) => s.request !== undefined)).toBe(true);
    expect(exact.length).toBeGreaterThan(40);
    for (const s of exact) agreesWithSchema({ ...s });
  });

  it('agrees with the schema on every key of every sample set to odd values, removed, or added', () => {
    let tried = 0;
    let shortcut = 0;
    for (const signal of signals) {
      for (const path of pathsOf({ ...signal, raw: null })) {
        for (const value of [...ODD_VALUES, 'delete' as const]) {
          const candidate = mutate(signal, path, value);
          tried++;
          if (isExactSignal(candidate)) shortcut++;
          agreesWithSchema(candidate);
        }
      }
    }
    expect(tried).toBeGreaterThan(10_000);
    // Some mutations are still valid signals (another string, another detail value): both paths are exercised.
    expect(shortcut).toBeGreaterThan(100);
    expect(shortcut).toBeLessThan(tried);
  });

  it('says no to a __proto__ key, a class instance and a missing raw', () => {
    const signal: Signal | undefined = signals[0];
    if (signal === undefined) throw new Error('no sample signal');
    const source = signal.source;
    expect(isExactSignal({ ...signal })).toBe(true);
    const withProto = JSON.parse(`{"__proto__": "x", "a": "b"}`) as Record<string, string>;
    expect(isExactSignal({ ...signal, details: withProto })).toBe(false);
    expect(isExactSignal({ ...signal, resource: { ...signal.resource, attributes: withProto } })).toBe(false);
    class Other {
      readonly source = source;
    }
    expect(isExactSignal(Object.assign(new Other(), signal))).toBe(false);
    const { raw: _raw, ...noRaw } = signal;
    expect(isExactSignal(noRaw)).toBe(false);
  });

  it('mirrors the schema it was written for (if this fails, review isExactSignal, then update the print)', () => {
    const print = createHash('sha256')
      .update(JSON.stringify(z.toJSONSchema(SignalSchema, { unrepresentable: 'any' })))
      .digest('hex')
      .slice(0, 16);
    expect(print).toBe('e9e510312f23b984');
  });
});
