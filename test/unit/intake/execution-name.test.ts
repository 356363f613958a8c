import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXECUTION_NAME, executionName, windowStart } from '../../../functions/intake/execution-name.js';

/** Step Functions' rule for execution names (StartExecution, `name`), written out here. */
const STEP_FUNCTIONS_NAME = /^[A-Za-z0-9_-]{1,80}$/;

describe('intake execution names', () => {
  it('are valid Step Functions names for any runbook, resource key and time', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100 }),
        fc.string({ maxLength: 600 }),
        fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 10_080 }),
        (runbook, key, at, window) => {
          expect(executionName(runbook, key, at.toISOString(), window)).toMatch(STEP_FUNCTIONS_NAME);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('are the same inside a window and differ across windows and resources', () => {
    const name = (key: string, at: string) => executionName('snapshot-volume', key, at, 30);
    expect(name('vol-1', '2026-11-22T10:00:00Z')).toBe(name('vol-1', '2026-11-22T10:29:59.999Z'));
    expect(name('vol-1', '2026-11-22T10:30:00Z')).not.toBe(name('vol-1', '2026-11-22T10:29:59Z'));
    expect(name('vol-2', '2026-11-22T10:00:00Z')).not.toBe(name('vol-1', '2026-11-22T10:00:00Z'));
    // sha256('vol-1') starts d2e8363faaac (python3 -c "import hashlib; print(hashlib.sha256(b'vol-1').hexdigest()[:12])")
    expect(name('vol-1', '2026-11-22T10:07:00Z')).toBe('snapshot-volume-d2e8363faaac-20261122T1000Z');
  });

  it('aligns windows to the epoch in UTC, whatever offset the time carries', () => {
    expect(windowStart('2026-11-22T11:07:00+01:00', 15).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(() => windowStart('not a date', 15)).toThrow('is not a date');
  });
});

describe('execution name: a dry run or a revert is not the duplicate of the live change', () => {
  const at = '2026-11-20T10:05:00Z';

  it('gives a dry run, a revert and the live run of one resource and window three different names', () => {
    // Prepare / Act
    const live = executionName('scale-node-group', 'dev-platform/dev-platform-a', at, 15);
    const dry = executionName('scale-node-group', 'dev-platform/dev-platform-a', at, 15, { dryRun: true });
    const revert = executionName('scale-node-group', 'dev-platform/dev-platform-a', at, 15, {
      revertOf: live,
    });
    // Assess
    expect(new Set([live, dry, revert]).size).toBe(3);
    for (const name of [live, dry, revert]) expect(name).toMatch(STEP_FUNCTIONS_NAME);
  });

  it('keeps the same name for the same variant, so a re-delivered revert request is still a duplicate', () => {
    const a = executionName('update-dns', 'example.com/app.example.com/A', at, 10, {
      revertOf: 'update-dns-x',
    });
    const b = executionName('update-dns', 'example.com/app.example.com/A', at, 10, {
      revertOf: 'update-dns-x',
    });
    expect(a).toBe(b);
  });
});

describe('execution name: exact names, by hand', () => {
  // Hashes from python3: hashlib.sha256(b'vol-1\x00dry-run').hexdigest()[:12] and so on.
  const at = '2026-11-22T10:07:00Z';

  it('hashes the resource key with the variant, NUL-separated', () => {
    expect(executionName('snapshot-volume', 'vol-1', at, 30, { dryRun: true })).toBe(
      'snapshot-volume-9bb85665e8ec-20261122T1000Z',
    );
    expect(executionName('snapshot-volume', 'vol-1', at, 30, { revertOf: 'update-dns-x' })).toBe(
      'snapshot-volume-98b683cefbd9-20261122T1000Z',
    );
    expect(
      executionName('snapshot-volume', 'vol-1', at, 30, { dryRun: true, revertOf: 'update-dns-x' }),
    ).toBe('snapshot-volume-e127662a6688-20261122T1000Z');
    expect(executionName('snapshot-volume', 'vol-1', at, 30, { dryRun: false })).toBe(
      'snapshot-volume-d2e8363faaac-20261122T1000Z',
    );
  });

  it('replaces characters Step Functions refuses with "-" and cuts a long runbook name so the whole is 80', () => {
    expect(executionName('a/b c.d', 'vol-1', at, 30)).toBe('a-b-c-d-d2e8363faaac-20261122T1000Z');
    // 80 = runbook part + '-' + 12 + '-' + 14 ('20261122T1000Z'): 52 characters of the runbook are kept
    const long = 'r'.repeat(60);
    const name = executionName(long, 'vol-1', at, 30);
    expect(name).toBe(`${'r'.repeat(52)}-d2e8363faaac-20261122T1000Z`);
    expect(name).toHaveLength(80);
    expect(executionName('r'.repeat(52), 'vol-1', at, 30)).toBe(name);
  });

  it('EXECUTION_NAME accepts exactly 1 to 80 of A-Z a-z 0-9 - _ (the Step Functions rule)', () => {
    for (const ok of ['a', 'ok-name_1', 'Z'.repeat(80)]) expect(EXECUTION_NAME.test(ok), ok).toBe(true);
    for (const bad of ['', 'Z'.repeat(81), 'a b', 'ok!', '!ok', 'a.b', 'a/b', 'a\nb'])
      expect(EXECUTION_NAME.test(bad), bad).toBe(false);
  });
});
