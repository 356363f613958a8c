import { wildcardMatch } from '../../config/wildcard.js';

/** Route 53 returns names with a trailing dot and `*` escaped as `\052`; compare on this form. */
export function normaliseName(name: string): string {
  return name.replace(/\\052/g, '*').replace(/\.$/, '').toLowerCase();
}

/**
 * Whether a record name is allow-listed: names and patterns normalised (DNS ignores case), then
 * the one wildcard rule (`*.zone` matches any name below the zone, as IAM's StringLike does).
 */
export function recordAllowed(patterns: readonly string[], recordName: string): boolean {
  const name = normaliseName(recordName);
  return patterns.some((p) => wildcardMatch(normaliseName(p), name));
}
