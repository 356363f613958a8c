import { describe, expect, it } from 'vitest';
import { findRunbook, runbookNames } from '../../../runbooks/registry.js';

/**
 * Every runbook's parameters are a zod/mini schema (runbooks/types.ts): a runbook's step functions
 * parse them, and a step bundle whose schemas are all zod/mini carries no classic zod (about 70 KB
 * less to compile at each cold start, issue 17). A classic schema fits `RunbookSpec` structurally,
 * so the type checker alone would not notice one; zod marks each schema with the build it came from.
 */
const RUNBOOKS = [
  'restore-guardrail',
  'rotate-secret',
  'scale-node-group',
  'snapshot-volume',
  'update-dns',
  'verify-backups',
];

describe('runbook parameters: zod/mini', () => {
  it('the registry holds the six runbooks', () => {
    expect([...runbookNames()].sort()).toEqual(RUNBOOKS);
  });

  it.each(RUNBOOKS)('%s: its parameters are a zod/mini object, not classic zod', (name) => {
    const traits = findRunbook(name)?.parameters._zod.traits;
    expect(traits?.has('ZodMiniObject')).toBe(true);
    expect(traits?.has('ZodType')).toBe(false);
  });
});
