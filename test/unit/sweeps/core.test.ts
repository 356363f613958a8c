import { describe, expect, it } from 'vitest';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import { runSweeps, type SweepDeps } from '../../../functions/sweeps/core.js';

/** The runner: one failing check never stops the others, and only a finished check says it ran. */
const NOW = new Date('2026-12-07T10:00:00Z');
const finding = (id: string): SweepFinding => ({
  check: 'flow-logs',
  condition: 'flow-logs-missing',
  resource: { type: 'flow-log', id, attributes: {} },
  observedAt: NOW.toISOString(),
  summary: `VPC ${id} has no active flow log`,
  facts: {},
});

function harness(checks: SweepDeps['checks']) {
  const metrics: { name: string; check: string; value: number }[] = [];
  const sent: SweepFinding[] = [];
  const errors: unknown[] = [];
  const logger = {
    info: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    error: (_m: string, extra: unknown) => void errors.push(extra),
    appendKeys: () => undefined,
  } as unknown as OpsLogger;
  const deps: SweepDeps = {
    checks,
    send: async (f) => void sent.push(f),
    logger,
    now: () => NOW,
    metrics: {
      singleMetric: () => {
        let check = '';
        return {
          addDimension: (_k: string, v: string) => {
            check = v;
          },
          addMetric: (name: string, _u: unknown, value: number) => void metrics.push({ name, check, value }),
        } as never;
      },
    },
  };
  return { deps, metrics, sent, errors };
}

describe('sweeps: runSweeps', () => {
  it('runs every named check, reports the failed one, and records SweepRan only for those that finished', async () => {
    // Prepare
    const h = harness({
      trails: async () => {
        throw Object.assign(new Error('AccessDenied'), { name: 'AccessDeniedException' });
      },
      'flow-logs': async () => [finding('vpc-0aaa'), finding('vpc-0bbb')],
      secrets: async () => [],
    });
    // Act
    const report = await runSweeps(['trails', 'flow-logs', 'secrets', 'dns'], h.deps);
    // Assess
    expect(report.ran).toEqual(['flow-logs', 'secrets']);
    expect(report.failed.map((f) => f.check)).toEqual(['trails', 'dns']);
    expect(report.failed[0]?.error).toBe('AccessDeniedException: AccessDenied');
    expect(report.findings).toBe(2);
    expect(h.sent.map((f) => f.resource.id)).toEqual(['vpc-0aaa', 'vpc-0bbb']);
    expect(h.metrics.filter((m) => m.name === 'SweepRan').map((m) => m.check)).toEqual([
      'flow-logs',
      'secrets',
    ]);
    expect(h.metrics.filter((m) => m.name === 'SweepCheckFailed').map((m) => m.check)).toEqual([
      'trails',
      'dns',
    ]);
  });

  it('a finding the intake could not take fails its check (it is not counted as run)', async () => {
    // Prepare
    const h = harness({ 'flow-logs': async () => [finding('vpc-0aaa')] });
    h.deps = { ...h.deps, send: async () => Promise.reject(new Error('Lambda unavailable')) };
    // Act
    const report = await runSweeps(['flow-logs'], h.deps);
    // Assess
    expect(report.ran).toEqual([]);
    expect(report.failed.map((f) => f.check)).toEqual(['flow-logs']);
  });
});
