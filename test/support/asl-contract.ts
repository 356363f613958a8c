import { requestProblems, resultPathProblem, sdkTarget } from './aws-model.js';
import { type AslDefinition, type AslState, allStates } from './local-sfn.js';

/**
 * The SDK-integration tasks of a definition checked against AWS's API models (see aws-model.ts):
 * - static Parameters: member names, required members, types and enums; a `Key.$` entry is a
 *   path or intrinsic evaluated at run time, so only its name is checked (the workflow tests check
 *   the values, call by call);
 * - every field read from a task's result: the ResultSelector's paths, the OutputPath, and, for a
 *   task that stores its raw result at a ResultPath, every later read below that path that no
 *   other writer of the same path explains.
 */
export function definitionProblems(asl: AslDefinition): string[] {
  const states = allStates(asl);
  const problems: string[] = [];
  for (const [name, state] of states) {
    const target = state.Type === 'Task' ? sdkTarget(state.Resource) : undefined;
    if (!target) continue;
    const { service, action } = target;
    const where = `${name} (${service}:${action})`;
    try {
      for (const p of requestProblems(service, action, state.Parameters ?? {}, { paths: true }))
        problems.push(`${where}: ${p}`);
      for (const path of selectorPaths(state.ResultSelector)) {
        const p = resultPathProblem(service, action, path);
        if (p) problems.push(`${where} ResultSelector: ${p}`);
      }
      if (typeof state.OutputPath === 'string' && !state.ResultSelector && state.ResultPath === undefined) {
        const p = resultPathProblem(service, action, state.OutputPath);
        if (p) problems.push(`${where} OutputPath: ${p}`);
      }
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  problems.push(...laterReadProblems(states, asl));
  return problems;
}

/** JSONPaths (not context paths `$$.`) inside a string: a plain path or an intrinsic's arguments. */
export function pathsIn(text: string): string[] {
  return [...text.matchAll(/(?<![$\w])\$(?!\$)(?:\.[A-Za-z0-9_]+|\[\d+\]|\[\*\])*/g)].map((m) => m[0]);
}

function selectorPaths(selector: unknown): string[] {
  if (!selector || typeof selector !== 'object') return [];
  return Object.entries(selector as Record<string, unknown>).flatMap(([k, v]) => {
    if (k.endsWith('.$') && typeof v === 'string') return pathsIn(v);
    return selectorPaths(v);
  });
}

/** Every JSONPath string anywhere in a state's fields (Choice variables, Parameters values, …). */
function allPaths(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('$') ? pathsIn(value) : [];
  if (Array.isArray(value)) return value.flatMap(allPaths);
  if (value && typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      ['Branches', 'Iterator', 'ItemProcessor'].includes(k) ? [] : allPaths(v),
    );
  return [];
}

function laterReadProblems(states: [string, AslState][], _asl: AslDefinition): string[] {
  // Writers of each ResultPath: what they leave there (raw SDK result, or keys we chose).
  type Writer = { name: string; raw?: { service: string; action: string }; keys?: Set<string> };
  const writers = new Map<string, Writer[]>();
  for (const [name, s] of states) {
    const rp = s.ResultPath;
    if (typeof rp !== 'string' || rp === '$') continue;
    const target = s.Type === 'Task' ? sdkTarget(s.Resource) : undefined;
    const shaped = (s.ResultSelector ?? (s.Type === 'Pass' ? (s.Parameters ?? s.Result) : undefined)) as
      | Record<string, unknown>
      | undefined;
    const writer: Writer =
      target && !s.ResultSelector
        ? { name, raw: target }
        : {
            name,
            keys: shaped ? new Set(Object.keys(shaped).map((k) => k.replace(/\.\$$/, ''))) : undefined,
          };
    writers.set(rp, [...(writers.get(rp) ?? []), writer]);
  }
  const problems: string[] = [];
  for (const [rp, ws] of writers) {
    if (!ws.some((w) => w.raw)) continue;
    const reads = new Set(
      states.flatMap(([, s]) => allPaths(s)).filter((p) => p.startsWith(`${rp}.`) || p.startsWith(`${rp}[`)),
    );
    for (const read of reads) {
      const rest = `$${read.slice(rp.length)}`;
      const first = /^\$\.([A-Za-z0-9_]+)/.exec(rest)?.[1];
      const explained = ws.some((w) => {
        if (w.raw) return resultPathProblem(w.raw.service, w.raw.action, rest) === undefined;
        return w.keys === undefined || (first !== undefined && w.keys.has(first));
      });
      if (!explained) {
        const raw = ws.flatMap((w) =>
          w.raw ? [`${w.name}: ${resultPathProblem(w.raw.service, w.raw.action, rest)}`] : [],
        );
        problems.push(`read ${read}: ${raw.join('; ')}`);
      }
    }
  }
  return problems;
}
