/**
 * The one redaction function every path that lets data leave the process uses: log lines,
 * Slack messages, Datadog events and audit records. Nothing sensitive survives it:
 *
 * - values under sensitive keys (`password`, `secretString`, `token`, `taskToken`, `apiKey`,
 *   `authorization`, `responseUrl`, `signature`, …) are replaced whole; keys that only *name* a
 *   secret (`secretName`, `secretArn`, `secretId`, `botTokenSecretName`) are kept, because the
 *   audit record must say which secret was rotated;
 * - every secret value this process loaded (Slack bot token, Datadog keys, rotated passwords:
 *   see `registerSecretValue`) is cut out of any string it appears in;
 * - strings are scrubbed of things that look like credentials wherever they appear: Slack
 *   tokens (`xoxb-…`), Slack response URLs and webhooks, `Bearer …`, AWS access key ids,
 *   Step Functions task tokens, JWTs, `password=…` pairs and credentials inside URLs.
 *
 * It is pure apart from the registry of loaded secret values, never throws, copies instead of
 * mutating, and survives cycles.
 */

export const REDACTED = '[REDACTED]';

/** Keys whose value is a secret, whatever it looks like. Matched against the key with `-`/`_` removed. */
const SENSITIVE_KEY =
  /(password|passwd|passphrase|pwd$|secret|token|authorization|apikey|appkey|privatekey|credential|responseurl|signature|cookie|sessionkey|accesskey|clientsecret)/i;
/** Keys that name or point at a secret rather than hold it. */
const SAFE_KEY =
  /(name|names|arn|arns|id|ids|stage|version|versionid|versionstage|count|expiry|expiresat|ttl|type|kind)$/i;

/** Patterns that are secrets wherever they occur inside a string. */
const SECRET_PATTERNS: readonly RegExp[] = [
  // Slack tokens: bot, user, app-level, config, refresh.
  /\bx(?:ox[abeoprs]|app)-[A-Za-z0-9-]{8,}/g,
  // Slack response_url, incoming webhooks and workflow webhooks: anyone holding one can post.
  /https:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'<>)]+/g,
  // HTTP bearer / basic credentials.
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  // AWS access key ids (the secret key has no shape of its own; see the key-value rule below).
  /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b/g,
  // JSON Web Tokens.
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // Step Functions task tokens and other long opaque base64 blobs (>= 80 chars, no spaces).
  /\bAQ[A-Za-z0-9+/=_-]{78,}/g,
  // Credentials embedded in URLs: scheme://user:password@host.
  /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/gi,
];

/**
 * `password=…`, `"token": "…"`, `secret: …` inside free text or serialised JSON. Not after a
 * colon: in an ARN (`…:secret:dev/rds/app-AbCdEf`) `secret:` is the resource type, and what
 * follows is the secret's name, which the audit record must keep.
 */
const KEY_VALUE_IN_TEXT =
  /(?<!:)((?:password|passwd|pwd|secret(?:string|_?key)?|token|api[_-]?key|app[_-]?key|access[_-]?key|authorization)["']?\s*[:=]\s*["']?)([^"'\s,;&}]+)/gi;

const registered = new Set<string>();

/**
 * Registers a secret value this process holds (a token read from Secrets Manager, a generated
 * password), so it is cut out of anything redacted afterwards. Values shorter than 6 characters
 * are ignored: cutting them would shred ordinary text and they are not credible secrets.
 */
export function registerSecretValue(value: string | undefined): void {
  if (value && value.length >= 6) registered.add(value);
}

/** For tests: forget every registered value. */
export function clearRegisteredSecretValues(): void {
  registered.clear();
}

function isSensitiveKey(key: string): boolean {
  const k = key.replace(/[-_]/g, '');
  return SENSITIVE_KEY.test(k) && !SAFE_KEY.test(k);
}

/** Scrubs one string. */
export function redactString(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const value of [...registered, ...extraSecrets]) {
    if (value.length >= 6 && out.includes(value)) out = out.split(value).join(REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(KEY_VALUE_IN_TEXT, (_m, prefix: string) => `${prefix}${REDACTED}`);
  return out;
}

export interface RedactOptions {
  /** Secret values known to the caller, besides the registered ones. */
  readonly secrets?: readonly string[];
}

/**
 * Deep copy of `value` with every secret removed (see the module comment). Plain objects,
 * arrays, Errors (name + message), Dates (ISO string) and primitives are handled; anything else
 * is turned into its string form and scrubbed.
 */
export function redact<T>(value: T, options: RedactOptions = {}): T {
  const secrets = options.secrets ?? [];
  // A cycle is an object met again among its own ancestors. An object reached twice by different paths
  // (a DNS failover swap shares one ResourceRecords array between two record sets) is not a
  // cycle: it is copied once and that copy reused, so nothing is lost and the work stays linear.
  const ancestors = new WeakSet<object>();
  const copied = new WeakMap<object, unknown>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactString(v, secrets);
    if (v === null || typeof v !== 'object') return v;
    if (ancestors.has(v)) return '[Circular]';
    if (copied.has(v)) return copied.get(v);
    if (depth > 40) return '[Truncated]';
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Error) {
      return { name: v.name, message: redactString(v.message, secrets) };
    }
    ancestors.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map((item) => walk(item, depth + 1));
    else {
      const record: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        record[key] =
          isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : walk(item, depth + 1);
      }
      out = record;
    }
    ancestors.delete(v);
    copied.set(v, out);
    return out;
  };
  return walk(value, 0) as T;
}

/**
 * A `JSON.stringify` replacer for the Powertools logger (`jsonReplacerFn`): every log line of
 * every function passes through the same rules as `redact`, whatever a caller hands the logger.
 */
export function redactingJsonReplacer(key: string, value: unknown): unknown {
  // The root call has key '', which is not a sensitive key.
  if (isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  return value;
}
