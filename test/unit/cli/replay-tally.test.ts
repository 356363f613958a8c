import { describe, expect, it } from 'vitest';
import { ReplayTally } from '../../../bin/replay/tally.js';
import type { PlanOutput } from '../../../functions/intake/plan.js';

/** The tally keeps counters and bounded lists: its size does not grow with the input. */

const start: PlanOutput = {
  signal: {
    source: 'cloudtrail',
    kind: 'cloudtrail.api-call',
    resource: { type: 'secret', id: 'dev/rds/app-user', attributes: {} },
    severity: 'warning',
    occurredAt: '2026-12-01T00:00:00.000Z',
    correlationId: 'e-1',
  },
  decision: {
    action: 'start',
    runbook: 'rotate-secret',
    rule: 'secret-read',
    parameters: { secretId: 'dev/rds/app-user' },
    executionName: 'rotate-secret-abc-20261201T0000Z',
    mode: 'auto',
    reasons: ['read by a human'],
    severity: 'warning',
    dryRun: false,
    guards: [],
  },
};

describe('ReplayTally: counters and at most 200 listed of each kind', () => {
  it('lists the first 200 notable decisions and 200 unreadable events, and counts the rest', () => {
    const tally = new ReplayTally('dev');

    for (let i = 0; i < 1000; i++) tally.decided(`f: Records[${i}]`, start, ['cloudtrail-secret-reads']);
    for (let i = 0; i < 450; i++) tally.notDecided(`f: line ${i + 1}`, 'unreadable', 'not JSON');
    tally.brokenInput('g.gz', 'gzip data is broken');

    const s = tally.summary();
    expect(s.events).toBe(1450);
    expect(s.notable).toHaveLength(200);
    expect(s.notable[199]?.where).toBe('f: Records[199]');
    expect(s.notableOmitted).toBe(800);
    expect(s.unreadable).toHaveLength(200);
    expect(s.unreadableOmitted).toBe(251);
    expect(s.byOutcome.start).toBe(1000);
    expect(s.byOutcome.unreadable).toBe(450);
    expect(s.byRule).toEqual({ 'secret-read': { start: 1000 } });
    expect(s.byRunbook).toEqual({ 'rotate-secret': { start: 1000 } });
    // Unreadable events are not events EventBridge could route: they count under no rule.
    expect(s.byEventRule).toEqual({ 'cloudtrail-secret-reads': 1000 });
  });

  it('a warning notification is not notable; a critical one is', () => {
    const tally = new ReplayTally('dev');
    const notify = (severity: 'warning' | 'critical'): PlanOutput => ({
      ...start,
      decision: { ...start.decision, action: 'notify', runbook: null, severity },
    });

    tally.decided('a', notify('warning'), []);
    tally.decided('b', notify('critical'), []);

    expect(tally.summary().notable.map((n) => n.where)).toEqual(['b']);
  });
});
