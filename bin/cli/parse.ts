/** Option value parsers: each returns the value or throws an Error saying what it needs (a usage error). */

/** `--since`: any time `Date.parse` reads, normalised to ISO-8601 UTC (the audit index's sort key). */
export function parseSince(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new Error('needs an ISO-8601 time, e.g. 2026-11-01T00:00:00Z');
  return new Date(value).toISOString();
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 500) throw new Error('needs a whole number from 1 to 500');
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Error('needs a port number from 0 to 65535');
  return n;
}
