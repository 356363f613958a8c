import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outcomeHashes } from '../../support/intake-decisions.js';

/**
 * Speed work on the intake (issue 17) changes no answer. test/fixtures/intake-decisions/before.json holds,
 * as hashes, the full Signal and Decision JSON (or the refusal) for every recorded sample, every real
 * CloudTrail corpus record and the intake-speed bench's generated storm, for every stage, as main's code
 * (796dcbf, before the speed work) produced them: see test/support/intake-decisions.ts.
 */
const BEFORE = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/intake-decisions/before.json'), 'utf8'),
) as Record<string, string>;

describe('intake: decisions unchanged by speed work', () => {
  it('gives the same Signal and Decisions (or the same refusal) for every event of the corpus as before', () => {
    const now = outcomeHashes();
    expect(Object.keys(now)).toEqual(Object.keys(BEFORE));
    const changed = Object.keys(BEFORE).filter((key) => now[key] !== BEFORE[key]);
    expect(changed).toEqual([]);
  });
});
