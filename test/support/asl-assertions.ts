import { expect } from 'vitest';
import { type AslDefinition, allStates } from './local-sfn.js';

/**
 * The house rules every workflow definition keeps: each Task state retries and is caught (a task
 * inside a Map may rely on the Map's Catch: name those in `caughtByParent`), and the definition is
 * JSONPath, which the local executor runs faithfully (it silently ignores JSONata).
 */
export function expectResilientJsonPath(
  asl: AslDefinition,
  options: { readonly minTasks?: number; readonly caughtByParent?: readonly string[] } = {},
): void {
  const tasks = allStates(asl).filter(([, s]) => s.Type === 'Task');
  expect(tasks.length).toBeGreaterThan(options.minTasks ?? 0);
  for (const [name, state] of tasks) {
    expect(state.Retry?.length ?? 0, `${name} retries`).toBeGreaterThan(0);
    if (!options.caughtByParent?.includes(name)) {
      expect(state.Catch?.length ?? 0, `${name} is caught`).toBeGreaterThan(0);
    }
  }
  expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  expect(JSON.stringify(asl)).not.toContain('JSONata');
}
