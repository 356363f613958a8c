/**
 * Bounds what a log line may hold, so logging never throws and never writes a 10 MB line, whatever a
 * caller hands the logger: nesting deeper than `maxDepth` (Powertools' deep merge recurses once per
 * level and overflows the stack near 3,000), cycles, BigInt, symbols, functions, binary buffers,
 * throwing getters and proxies, huge strings, huge keys, huge arrays and objects.
 *
 * `boundForLog` returns a plain JSON-safe copy; it never mutates its input and never throws. Every
 * truncation leaves a marker saying what was cut (`[Truncated: …]`), so a reader knows the line is
 * partial. The whole copy has a budget of roughly `budget` serialised characters: once spent, the
 * remaining values become markers. A log line is therefore at most about `budget` characters plus
 * the logger's own fields.
 */

export interface LogLimits {
  /** Containers nested deeper than this become a marker. */
  readonly maxDepth: number;
  /** Longer strings keep their first `maxString` characters and a marker with the full length. */
  readonly maxString: number;
  /** Longer keys are cut to this many characters. */
  readonly maxKey: number;
  /** Arrays, sets and maps keep their first `maxItems` entries. */
  readonly maxItems: number;
  /** Objects keep their first `maxKeys` keys. */
  readonly maxKeys: number;
  /** Rough budget of serialised characters for the whole value. */
  readonly budget: number;
}

export const LOG_LIMITS: LogLimits = {
  maxDepth: 32,
  maxString: 8 * 1024,
  maxKey: 256,
  maxItems: 200,
  maxKeys: 200,
  budget: 64 * 1024,
};

/** The longest line the shared logger writes, with every field it adds itself: what tests hold it to. */
export const MAX_LOG_LINE_CHARS = 128 * 1024;

function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${String(err.message).slice(0, 200)}`;
    return typeof err;
  } catch {
    return 'unknown error';
  }
}

/** A JSON-safe, bounded copy of `value` (see the module comment). Never throws. */
export function boundForLog(value: unknown, limits: LogLimits = LOG_LIMITS): unknown {
  let budget = limits.budget;
  const ancestors = new Set<object>();

  const str = (s: string): string => {
    const room = Math.max(0, Math.min(limits.maxString, budget));
    if (s.length <= room) {
      budget -= s.length + 2;
      return s;
    }
    budget -= room + 40;
    return `${s.slice(0, room)}…[Truncated: ${s.length} characters]`;
  };
  const key = (k: string): string =>
    k.length <= limits.maxKey ? k : `${k.slice(0, limits.maxKey)}…[Truncated key: ${k.length} characters]`;

  const walk = (v: unknown, depth: number): unknown => {
    if (budget <= 0) return '[Truncated: log line budget spent]';
    switch (typeof v) {
      case 'string':
        return str(v);
      case 'number':
      case 'boolean':
        budget -= 8;
        return v;
      case 'bigint':
        return str(v.toString());
      case 'undefined':
        return undefined;
      case 'symbol':
        return str(v.toString());
      case 'function':
        return `[Function ${str(v.name || 'anonymous')}]`;
    }
    if (v === null) {
      budget -= 4;
      return null;
    }
    const obj = v as object;
    if (ancestors.has(obj)) return '[Circular]';
    if (depth >= limits.maxDepth) return `[Truncated: nested deeper than ${limits.maxDepth} levels]`;
    ancestors.add(obj);
    try {
      budget -= 2;
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
      if (obj instanceof Error) {
        const out: Record<string, unknown> = {
          name: walk(obj.name, depth + 1),
          message: walk(obj.message, depth + 1),
          stack: walk(obj.stack, depth + 1),
        };
        if (obj.cause !== undefined) out.cause = walk(obj.cause, depth + 1);
        for (const k of Object.keys(obj).slice(0, limits.maxKeys)) {
          if (!(k in out)) out[key(k)] = walk((obj as unknown as Record<string, unknown>)[k], depth + 1);
        }
        return out;
      }
      if (obj instanceof ArrayBuffer || ArrayBuffer.isView(obj)) {
        return `[${obj.constructor?.name ?? 'binary'}: ${obj.byteLength} bytes]`;
      }
      if (Array.isArray(obj) || obj instanceof Set) {
        const items = Array.isArray(obj) ? obj : [...obj];
        const out = items.slice(0, limits.maxItems).map((item) => walk(item, depth + 1));
        if (items.length > limits.maxItems)
          out.push(`[Truncated: ${items.length - limits.maxItems} more items]`);
        return out;
      }
      const entries: [string, unknown][] =
        obj instanceof Map
          ? [...obj.entries()].map(([k, item]) => [String(k), item])
          : Object.keys(obj).map((k) => [k, undefined]);
      const out: Record<string, unknown> = {};
      if (!(obj instanceof Map) && typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        return walk((obj as { toJSON: () => unknown }).toJSON(), depth + 1);
      }
      for (const [k, mapped] of entries.slice(0, limits.maxKeys)) {
        const name = key(k);
        budget -= name.length + 4;
        try {
          out[name] = walk(obj instanceof Map ? mapped : (obj as Record<string, unknown>)[k], depth + 1);
        } catch (err) {
          out[name] = `[Unreadable: ${describeError(err)}]`;
        }
      }
      if (entries.length > limits.maxKeys)
        out['…'] = `[Truncated: ${entries.length - limits.maxKeys} more keys]`;
      return out;
    } catch (err) {
      return `[Unserialisable: ${describeError(err)}]`;
    } finally {
      ancestors.delete(obj);
    }
  };

  try {
    return walk(value, 0);
  } catch (err) {
    return `[Unserialisable: ${describeError(err)}]`;
  }
}
