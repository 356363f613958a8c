import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, policyDefaults } from '../../../runbooks/plugin.js';
import { findRunbook } from '../../../runbooks/registry.js';

/**
 * Issue 20, spec boilerplate: each spec spells only where its policy differs from the shared
 * defaults (`policyDefaults`). The table is written by hand from the specs as they were before the
 * kit absorbed the repetition (every field spelled out), so it pins the effective values.
 */
const EXPECTED: Record<
  string,
  [mode: string, window: number, rate: [number, number], breaker: [number, number, number], lock: number]
> = {
  'snapshot-volume': ['auto', 30, [4, 60], [3, 60, 30], 60],
  'scale-node-group': ['auto', 15, [3, 60], [3, 60, 60], 30],
  'update-dns': ['auto', 10, [3, 60], [2, 60, 60], 20],
  'restore-guardrail': ['auto', 10, [5, 60], [3, 60, 60], 15],
  'rotate-secret': ['auto', 60, [2, 60], [2, 120, 120], 60],
  'verify-backups': ['auto', 60, [4, 1440], [5, 1440, 60], 180],
};

describe('runbook specs: policy defaults', () => {
  it.each(Object.entries(EXPECTED))(
    '%s keeps its policy defaults',
    (name, [mode, window, rate, breaker, lock]) => {
      expect(findRunbook(name)?.defaults).toEqual({
        mode,
        windowMinutes: window,
        rateLimit: { maxRuns: rate[0], perMinutes: rate[1] },
        circuitBreaker: { failures: breaker[0], perMinutes: breaker[1], openMinutes: breaker[2] },
        lockMinutes: lock,
      });
    },
  );

  it('overrides one nested field without losing its siblings, and leaves the shared defaults alone', () => {
    const before = structuredClone(DEFAULT_POLICY);
    expect(policyDefaults({ circuitBreaker: { openMinutes: 5 } })).toEqual({
      mode: 'auto',
      windowMinutes: 30,
      rateLimit: { maxRuns: 3, perMinutes: 60 },
      circuitBreaker: { failures: 3, perMinutes: 60, openMinutes: 5 },
      lockMinutes: 30,
    });
    expect(policyDefaults({ mode: 'approval' }).mode).toBe('approval');
    expect(DEFAULT_POLICY).toEqual(before);
  });
});
