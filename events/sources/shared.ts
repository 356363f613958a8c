import * as z from 'zod';
import { describeIssues } from '../issues.js';
import { MalformedEventError, type Signal, SignalSchema, type SignalSource } from '../signal.js';
import { isExactSignal } from './exact-signal.js';

/** Options that tune normalisation without changing what a source means. */
export interface NormaliseOptions {
  /**
   * IAM role names starting with this are the automation's own: their actor type becomes `automation`
   * (loop protection in the intake matches on it). Same value as the stage's `automationRolePrefix`.
   */
  readonly automationRolePrefix?: string;
  /** Datadog web host for monitor links when the payload does not say (e.g. `app.datadoghq.eu`). */
  readonly datadogHost?: string;
  /**
   * For a Datadog alert tagged `runbook:<name>`: the target kinds that runbook acts on, in order of
   * preference (`ebs-volume`, `pvc`, `node-group`, `dns-record`, `secret`), so the signal's resource is
   * the one the runbook will touch. Given by the caller (the intake, from its runbook registry):
   * events/ knows no runbook.
   */
  readonly runbookTargets?: Readonly<Record<string, readonly string[]>>;
}

/** The EventBridge envelope every rule target receives. */
export const EnvelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().min(1),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export { describeIssues };

/** Parses of a schema before it is compiled: a cold start's first event does not pay the compile. */
const COMPILE_AFTER = 32;
// Keyed by zod's core type: the sources' schemas are classic zod, the runbooks' parameters zod/mini.
const USES = new WeakMap<z.core.$ZodType, number>();
const COMPILED = new WeakMap<z.core.$ZodType, z.core.$ZodType>();

/**
 * The schema to parse with: after its first uses, a clone with zod's generated parser in front
 * (`z.compile`: its fast path falls back to the schema's own parser on any failure, so issues and
 * messages are the schema's). Generating it costs about as much as a few hundred parses (tens of ms
 * on a loaded machine), which a cold start's first event would pay; a busy intake earns it back
 * (normalise + decide 0.13× → 0.2× of JSON.parse + JSON.stringify, test/bench/sections/intake-speed.ts).
 */
export function parserFor<S extends z.core.$ZodType>(schema: S): S {
  const found = COMPILED.get(schema);
  if (found) return found as S;
  const uses = (USES.get(schema) ?? 0) + 1;
  USES.set(schema, uses);
  if (uses < COMPILE_AFTER) return schema;
  const made = z.compile(schema);
  COMPILED.set(schema, made);
  return made;
}

/** Parses `raw` with `schema`, or throws a `MalformedEventError` naming the source and what was expected. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: SignalSource,
  what: string,
): z.infer<S> {
  const result = parserFor(schema).safeParse(raw);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const shown = issues.slice(0, 5).join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  throw new MalformedEventError(`${what} does not match its schema: ${shown}${more}`, source, issues);
}

const DIGIT = (c: number) => c >= 48 && c <= 57;
const CLEAR_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DIGITS_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
/** The two-digit number at `i` (digits already checked). */
const two = (v: string, i: number) => (v.charCodeAt(i) - 48) * 10 + v.charCodeAt(i + 1) - 48;

/**
 * The hot case of `toIso`, without a Date: `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` (what
 * CloudTrail, EventBridge and Kubernetes write) with every field inside its calendar range and the year
 * from 1970 is already what `new Date(value).toISOString()` gives back (with `.000` when it has no
 * milliseconds). Anything else (offsets, a day past the month's end that Date would roll over, leap
 * seconds, hour 24, other years) answers undefined and takes the Date path. Parsing and printing a Date
 * was a tenth of normalising (issue 17, intake speed).
 */
function canonicalUtc(v: string): string | undefined {
  const n = v.length;
  if ((n !== 20 && n !== 24) || v.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  for (const i of DIGITS_AT) if (!DIGIT(v.charCodeAt(i))) return undefined;
  if (v[4] !== '-' || v[7] !== '-' || v[10] !== 'T' || v[13] !== ':' || v[16] !== ':') return undefined;
  if (
    n === 24 &&
    (v[19] !== '.' || !DIGIT(v.charCodeAt(20)) || !DIGIT(v.charCodeAt(21)) || !DIGIT(v.charCodeAt(22)))
  )
    return undefined;
  const year = two(v, 0) * 100 + two(v, 2);
  const month = two(v, 5);
  const day = two(v, 8);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (CLEAR_DAYS[month - 1] as number);
  if (day > days || two(v, 11) > 23 || two(v, 14) > 59 || two(v, 17) > 59) return undefined;
  return n === 24 ? v : `${v.slice(0, 19)}.000Z`;
}

/** ISO-8601 UTC for a date string or epoch milliseconds, or undefined when it is not a real instant. */
export function toIso(value: string | number | undefined | null): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    const same = canonicalUtc(value);
    if (same !== undefined) return same;
  }
  const date = typeof value === 'number' ? new Date(value) : new Date(value);
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return undefined;
  // Outside these years toISOString() switches to the ±YYYYYY form that the Signal schema rejects.
  const year = date.getUTCFullYear();
  if (year < 1970 || year > 9999) return undefined;
  return date.toISOString();
}

/** Like `toIso`, but a missing or impossible time is a malformed event. */
export function requireIso(
  value: string | number | undefined | null,
  source: SignalSource,
  field: string,
): string {
  const iso = toIso(value);
  if (iso === undefined) {
    throw new MalformedEventError(
      `${field} is not a valid timestamp (expected ISO-8601 or epoch milliseconds, got ${JSON.stringify(value)})`,
      source,
      [`${field}: not a timestamp`],
    );
  }
  return iso;
}

/** Non-empty string or undefined: payloads use "" for "not set". */
export function nonEmpty(value: string | undefined | null): string | undefined {
  return value === undefined || value === null || value.trim() === '' ? undefined : value;
}

/** Drops undefined / empty values so `attributes` stays `Record<string, string>`. */
export function compactStrings(record: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  // for…in, not Object.entries: no pair arrays (the records are object literals: own keys only).
  for (const key in record) {
    const value = record[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

type DetailValue = string | number | boolean | string[];

/** Drops undefined values (and non-finite numbers) so `details` stays flat and typed. */
export function compactDetails(record: Record<string, DetailValue | undefined>): Record<string, DetailValue> {
  const out: Record<string, DetailValue> = {};
  for (const key in record) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Whitespace that `replace(/\s+/g, ' ').trim()` would change: any whitespace but a plain space, two spaces
 * in a row, or a space at either end (`\s` and `trim` know the same whitespace).
 */
const NOT_ONE_LINE = /[^\S ]| {2}|^ | $/;

/** One line, bounded: summaries go to Slack titles and log lines. */
export function oneLine(text: string, max = 300): string {
  // Already one line (the usual case): nothing to collapse or cut.
  if (text.length <= max && !NOT_ONE_LINE.test(text)) return text;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * EKS managed node groups run on Auto Scaling groups named `eks-<nodegroup>-<uuid>` (the uuid is the
 * node group's id). Returns the node group name, or undefined for any other ASG name.
 */
export function eksNodegroupFromAsgName(asgName: string): string | undefined {
  const match = /^eks-(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(asgName);
  return match?.[1];
}

/**
 * The last gate of every normaliser: whatever a source produced must be a valid `Signal`. A failure here
 * means the payload carried something the mapping could not express (it is reported as malformed,
 * never thrown as a bare error).
 */
export function finalise(candidate: Signal, source: SignalSource): Signal {
  // The intake's hot path: a candidate already in the exact shape the schema returns is the answer
  // (zod would only copy it). Anything else, and every failure, goes through the schema itself.
  if (isExactSignal(candidate)) return candidate;
  const result = SignalSchema.safeParse(candidate);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new MalformedEventError(
    `${source} event could not be expressed as a Signal: ${issues.slice(0, 5).join('; ')}`,
    source,
    issues,
  );
}
