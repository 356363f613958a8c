import type { ZodMiniEnum, ZodMiniObject, ZodMiniType } from 'zod/mini';
import { findRunbook, runbookNames } from '../../runbooks/registry.js';
import type { RunbookSpec } from '../../runbooks/types.js';

/**
 * `/ops` command text → a typed command. Pure: no clients, no clock. Parameters arrive as
 * `key=value` words (values may be quoted) and are coerced to what the runbook's zod schema
 * expects (numbers, booleans, comma-separated lists) before that schema validates them.
 */

export const VERBS = ['help', 'list', 'plan', 'run', 'status', 'revert'] as const;
export type Verb = (typeof VERBS)[number];

interface StartCommand<V extends 'plan' | 'run'> {
  readonly verb: V;
  readonly runbook: string;
  readonly args: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
}
interface ExecutionCommand<V extends 'status' | 'revert'> {
  readonly verb: V;
  readonly execution: string;
}

export type SlackCommand =
  | { readonly verb: 'help' }
  | { readonly verb: 'list' }
  | StartCommand<'plan'>
  | StartCommand<'run'>
  | ExecutionCommand<'status'>
  | ExecutionCommand<'revert'>;

export type ParseResult =
  | { readonly ok: true; readonly command: SlackCommand }
  | { readonly ok: false; readonly message: string };

/** Keys a person may not set by hand: `/ops revert <execution>` fills them from the earlier run. */
const RESERVED_KEYS = new Set(['revertOf', 'restore']);

/** Execution names the intake derives (runbook + hash + window) or an execution ARN. */
const EXECUTION =
  /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:)?[A-Za-z0-9_-]{1,80}$/;

/** Splits on blanks, keeping quoted values together; Slack may turn straight quotes into curly ones. */
export function tokenize(text: string): string[] {
  const normalised = text.replace(/[\u201c\u201d]/g, '"').replace(/[\u2018\u2019]/g, "'");
  const tokens: string[] = [];
  const re = /(?:[^\s"']+|"[^"]*"|'[^']*')+/g;
  for (const m of normalised.matchAll(re)) tokens.push(m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'));
  return tokens;
}

export function parseCommandText(text: string): ParseResult {
  const [verbWord, ...rest] = tokenize(text.trim());
  const word = (verbWord ?? 'help').toLowerCase();
  if (!(VERBS as readonly string[]).includes(word)) {
    return { ok: false, message: `Unknown command \`${verbWord}\`. Try \`/ops help\`.` };
  }
  const verb = word as Verb;
  if (verb === 'help') return { ok: true, command: { verb } };
  if (verb === 'list') return { ok: true, command: { verb } };
  if (verb === 'status' || verb === 'revert') {
    const [execution, ...extra] = rest;
    if (!execution || extra.length > 0 || !EXECUTION.test(execution)) {
      return {
        ok: false,
        message: `Usage: \`/ops ${verb} <execution name>\` (as shown in the run's message).`,
      };
    }
    return { ok: true, command: { verb, execution: execution.split(':').pop() as string } };
  }
  const [runbook, ...words] = rest;
  if (!runbook)
    return { ok: false, message: `Usage: \`/ops ${verb} <runbook> key=value… \`. ${knownRunbooks()}` };
  if (!findRunbook(runbook))
    return { ok: false, message: `Unknown runbook \`${runbook}\`. ${knownRunbooks()}` };
  const args: Record<string, string> = {};
  let dryRun = verb === 'plan';
  for (const word of words) {
    if (word === '--dry-run') {
      dryRun = true;
      continue;
    }
    const eq = word.indexOf('=');
    if (eq <= 0) return { ok: false, message: `Expected \`key=value\`, got \`${word}\`.` };
    const key = word.slice(0, eq);
    // `/ops run <runbook> revertOf=<execution>` (what a run's report suggests) is `/ops revert <execution>`.
    if (key === 'revertOf' && verb === 'run' && words.length === 1) {
      const execution = word.slice(eq + 1);
      if (!EXECUTION.test(execution) || !execution.startsWith(`${runbook}-`))
        return { ok: false, message: `\`${execution}\` is not an execution of \`${runbook}\`.` };
      return { ok: true, command: { verb: 'revert', execution } };
    }
    if (RESERVED_KEYS.has(key))
      return { ok: false, message: `\`${key}\` is set by \`/ops revert <execution>\`, not by hand.` };
    if (key in args) return { ok: false, message: `\`${key}\` is given twice.` };
    args[key] = word.slice(eq + 1);
  }
  return { ok: true, command: { verb, runbook, args, dryRun } };
}

function knownRunbooks(): string {
  return `Runbooks: ${runbookNames()
    .map((n) => `\`${n}\``)
    .join(', ')}.`;
}

/** The schema's base type of a field, through optional / default / pipe wrappers. */
function baseType(field: ZodMiniType): string {
  let t: ZodMiniType = field;
  for (let i = 0; i < 8; i++) {
    const def = (t as unknown as { def: { type: string; innerType?: ZodMiniType; in?: ZodMiniType } }).def;
    if (def.innerType) t = def.innerType;
    else if (def.type === 'pipe' && def.in) t = def.in;
    else return def.type;
  }
  return 'unknown';
}

/** The runbook's parameter fields by name (its parameters are a zod/mini object: runbooks/types.ts). */
function shapeOf(spec: RunbookSpec): Record<string, ZodMiniType> {
  return spec.parameters.def.type === 'object'
    ? ((spec.parameters as ZodMiniObject).shape as Record<string, ZodMiniType>)
    : {};
}

function coerce(type: string, value: string): unknown {
  if (type === 'number') return value.trim() === '' ? value : Number(value);
  if (type === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(value)) return true;
    if (/^(false|no|off|0)$/i.test(value)) return false;
    return value;
  }
  if (type === 'array') return value.split(',').filter((v) => v !== '');
  return value;
}

export type ValidationResult =
  | { readonly ok: true; readonly parameters: Record<string, unknown> }
  | { readonly ok: false; readonly message: string };

/** Coerces and validates `key=value` arguments with the runbook's own schema; errors name each field. */
export function validateParameters(
  spec: RunbookSpec,
  args: Readonly<Record<string, string>>,
): ValidationResult {
  const shape = shapeOf(spec);
  // Own keys only: `toString` or `__proto__` typed in Slack must be an unknown parameter, not a prototype hit.
  const unknownKeys = Object.keys(args).filter((k) => !Object.hasOwn(shape, k));
  if (unknownKeys.length > 0) {
    return {
      ok: false,
      message: `\`${spec.name}\` has no parameter ${unknownKeys.map((k) => `\`${k}\``).join(', ')}.\n${usageOf(spec)}`,
    };
  }
  const input = Object.fromEntries(
    Object.entries(args).map(([k, v]) => [k, coerce(baseType(shape[k] as ZodMiniType), v)]),
  );
  const parsed = spec.parameters.safeParse(input);
  if (parsed.success) return { ok: true, parameters: parsed.data as Record<string, unknown> };
  const problems = parsed.error.issues.map(
    (i) => `• ${i.path.length ? `\`${i.path.join('.')}\`: ` : ''}${i.message}`,
  );
  return {
    ok: false,
    message: `Invalid parameters for \`${spec.name}\`:\n${problems.join('\n')}\n${usageOf(spec)}`,
  };
}

/** `/ops run <runbook> key=<type>…` with required keys first, for error messages and help. */
export function usageOf(spec: RunbookSpec): string {
  const shape = shapeOf(spec);
  const parts = Object.entries(shape)
    .filter(([k]) => !RESERVED_KEYS.has(k))
    .map(([k, field]) => {
      const optional = field.safeParse(undefined).success;
      const type = baseType(field);
      const shown = type === 'enum' ? enumValues(field) : type === 'array' ? 'a,b' : `<${type}>`;
      return { optional, text: optional ? `[${k}=${shown}]` : `${k}=${shown}` };
    })
    .sort((a, b) => Number(a.optional) - Number(b.optional));
  return `Usage: \`/ops run ${spec.name} ${parts.map((p) => p.text).join(' ')} [--dry-run]\``;
}

function enumValues(field: ZodMiniType): string {
  let t: ZodMiniType = field;
  for (let i = 0; i < 8; i++) {
    if (t.def.type === 'enum') return ((t as ZodMiniEnum).options as string[]).join('|');
    const inner = (t as unknown as { def: { innerType?: ZodMiniType } }).def.innerType;
    if (!inner) break;
    t = inner;
  }
  return '<enum>';
}
