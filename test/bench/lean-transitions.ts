import { type AslDefinition, type AslState, allStates } from '../support/local-sfn.js';

/**
 * The lean transition count of one run (issue 17): what a design without bookkeeping states would
 * be billed for the same steps. Computed from the run's own path and the rendered definition, never
 * from a constant:
 *
 * - 1 per Task entered: a real work step, an AWS SDK call or a Lambda invocation (the report hooks
 *   included);
 * - 1 per Map or Parallel entered: the fan-out the work needs (its iterations' states count apart);
 * - a poll read (a Task that some Wait state leads to) costs 3 per entry instead of 1: the Wait
 *   before it and the Choice after it (Wait → call → Choice);
 * - 2 for the run's start and end.
 *
 * Everything else a run enters (Pass states, Choices outside a poll, the frame's routing) is
 * bookkeeping: the goal is `transitions ≤ 1.3 × lean`.
 */
export interface LeanCount {
  readonly lean: number;
  readonly tasks: number;
  readonly fanOuts: number;
  readonly pollReads: number;
  /** Entries by state type, of the actual run. */
  readonly byType: Record<string, number>;
}

export function leanCount(def: AslDefinition, path: readonly string[]): LeanCount {
  const states = new Map<string, AslState>();
  for (const [name, state] of allStates(def)) {
    if (states.has(name) && states.get(name) !== state)
      throw new Error(`state name ${name} is used twice: the path cannot tell them apart`);
    states.set(name, state);
  }
  const polled = new Set(
    [...states.values()]
      .filter((s) => s.Type === 'Wait' && typeof s.Next === 'string')
      .map((s) => s.Next as string)
      .filter((next) => states.get(next)?.Type === 'Task'),
  );
  let tasks = 0;
  let fanOuts = 0;
  let pollReads = 0;
  const byType: Record<string, number> = {};
  for (const name of path) {
    const state = states.get(name);
    if (!state) throw new Error(`the run entered ${name}, which the definition does not hold`);
    byType[state.Type] = (byType[state.Type] ?? 0) + 1;
    if (state.Type === 'Task') {
      tasks += 1;
      if (polled.has(name)) pollReads += 1;
    }
    if (state.Type === 'Map' || state.Type === 'Parallel') fanOuts += 1;
  }
  return { lean: tasks + 2 * pollReads + fanOuts + 2, tasks, fanOuts, pollReads, byType };
}
