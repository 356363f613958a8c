import type * as z from 'zod';
import { ActorSchema, ResourceSchema, type Signal, SignalSchema } from '../signal.js';

/**
 * Whether `SignalSchema.parse(value)` would succeed and return a value deep-equal to `value`: every
 * key one the schema knows, every default already filled in, every value valid. Then `finalise`
 * returns the candidate as it is instead of letting zod copy it (the copy was a seventh of the intake's
 * normalise + decide time, issue 17).
 *
 * Stricter than the schema, never looser: anything it is unsure of answers false and takes the
 * schema's own path, so every error message still comes from zod. Leaves with checks (the kind's
 * pattern, the timestamp, non-empty ids) run the checks read from the schema's own leaf; enumerations
 * are the schema's own options. test/unit/events/exact-signal.test.ts holds it to the schema (the same
 * answers on every sample and on mutations of them) and to a fingerprint of the schema's shape.
 */
/** A zod check or schema definition, read loosely: only the fields a string leaf's checks carry. */
interface LeafDef {
  readonly type?: string;
  readonly check?: string;
  readonly format?: string;
  readonly pattern?: unknown;
  readonly minimum?: unknown;
  readonly checks?: ReadonlyArray<{ readonly _zod: { readonly def: LeafDef } }>;
}

const plainPattern = (p: unknown): p is RegExp => p instanceof RegExp && !p.global && !p.sticky;

/**
 * A string leaf's own checks as a plain predicate, read from its definition: a pattern (`regex`,
 * `z.iso.datetime`) and a minimum length. A leaf with any other check is asked of zod itself.
 */
function leafTest(leaf: z.ZodType): (value: unknown) => boolean {
  const viaZod = (value: unknown) => leaf.safeParse(value).success;
  const def = leaf._zod.def as unknown as LeafDef;
  if (def.type !== 'string') return viaZod;
  const tests: Array<(value: string) => boolean> = [];
  const add = (check: LeafDef): boolean => {
    if (check.check === 'string_format' && (check.format === 'regex' || check.format === 'datetime')) {
      const pattern = check.pattern;
      if (!plainPattern(pattern)) return false;
      tests.push((v) => pattern.test(v));
      return true;
    }
    if (check.check === 'min_length' && typeof check.minimum === 'number') {
      const minimum = check.minimum;
      tests.push((v) => v.length >= minimum);
      return true;
    }
    return false;
  };
  if (def.check !== undefined && !add(def)) return viaZod;
  for (const check of def.checks ?? []) if (!add(check._zod.def)) return viaZod;
  return (value) => {
    if (typeof value !== 'string') return false;
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

const shape = SignalSchema.shape;
const resourceShape = ResourceSchema.shape;
const actorShape = ActorSchema.shape;

const SIGNAL_KEYS = new Set(Object.keys(shape));
const RESOURCE_KEYS = new Set(Object.keys(resourceShape));
const ACTOR_KEYS = new Set(Object.keys(actorShape));
const SOURCES: ReadonlySet<unknown> = new Set(shape.source.options);
const SEVERITIES: ReadonlySet<unknown> = new Set(shape.severity.options);
const RESOURCE_TYPES: ReadonlySet<unknown> = new Set(resourceShape.type.options);
const ACTOR_TYPES: ReadonlySet<unknown> = new Set(actorShape.type.options);
const KIND = leafTest(shape.kind);
const OCCURRED_AT = leafTest(shape.occurredAt);
const CORRELATION_ID = leafTest(shape.correlationId);
const RESOURCE_ID = leafTest(resourceShape.id);

/** An object literal's shape (no class instance, no array, no odd prototype). */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every own key is one of `known` (zod strips others: the copy would differ) and none is `__proto__`. */
function onlyKeys(value: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !known.has(key)) return false;
  }
  return !Object.hasOwn(value, '__proto__');
}

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

function stringRecord(value: unknown): boolean {
  if (!isPlain(value) || Object.hasOwn(value, '__proto__')) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || typeof value[key] !== 'string') return false;
  }
  return true;
}

function detailValue(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

function details(value: unknown): boolean {
  if (!isPlain(value) || Object.hasOwn(value, '__proto__')) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !detailValue(value[key])) return false;
  }
  return true;
}

function resource(value: unknown): boolean {
  if (!isPlain(value) || !onlyKeys(value, RESOURCE_KEYS)) return false;
  return (
    RESOURCE_TYPES.has(value.type) &&
    RESOURCE_ID(value.id) &&
    optionalString(value.region) &&
    optionalString(value.account) &&
    stringRecord(value.attributes)
  );
}

function actor(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isPlain(value) || !onlyKeys(value, ACTOR_KEYS)) return false;
  return (
    ACTOR_TYPES.has(value.type) &&
    optionalString(value.id) &&
    optionalString(value.name) &&
    optionalString(value.roleName) &&
    optionalString(value.sourceIp)
  );
}

export function isExactSignal(value: unknown): value is Signal {
  if (!isPlain(value) || !onlyKeys(value, SIGNAL_KEYS) || !Object.hasOwn(value, 'raw')) return false;
  // A request (Slack, CLI, schedule) is rare on the hot path and has its own defaults: the schema decides.
  if (value.request !== undefined) return false;
  return (
    SOURCES.has(value.source) &&
    SEVERITIES.has(value.severity) &&
    typeof value.summary === 'string' &&
    optionalString(value.link) &&
    KIND(value.kind) &&
    OCCURRED_AT(value.occurredAt) &&
    CORRELATION_ID(value.correlationId) &&
    resource(value.resource) &&
    actor(value.actor) &&
    details(value.details)
  );
}
