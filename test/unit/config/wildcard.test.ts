import { describe, expect, it } from 'vitest';
import { wildcardMatch } from '../../../config/wildcard.js';

/**
 * The one allow-list wildcard rule, pinned by a table written by hand (not derived from the
 * matcher): `*` = any run of characters including none, everything else literal, the whole
 * value must match, case-sensitive (AWS resource names are).
 */

const CASES: readonly [pattern: string, value: string, matches: boolean, why: string][] = [
  // exact names
  ['dev-platform', 'dev-platform', true, 'a name without * is an exact name'],
  ['dev-platform', 'dev-platform-a', false, 'end anchor: an exact name is not a prefix'],
  ['dev-platform', 'xdev-platform', false, 'start anchor: an exact name is not a suffix'],
  ['dev-platform', 'dev-platfor', false, 'a shorter value does not match'],
  ['dev-platform', '', false, 'the empty value does not match a name'],
  ['', '', true, 'the empty pattern matches only the empty value'],
  ['', 'a', false, 'the empty pattern matches only the empty value'],
  // trailing *
  ['prod-*', 'prod-a', true, 'trailing * matches the rest'],
  ['prod-*', 'prod-', true, '* matches the empty run'],
  ['prod-*', 'xprod-a', false, 'start anchor: a prefix pattern does not match inside a name'],
  ['prod-*', 'prod', false, 'the literal part must be there in full'],
  ['dev-platform-*', 'prod-platform-a', false, 'a different literal prefix'],
  // leading * (DNS style)
  ['*.dev.example.com', 'api.dev.example.com', true, 'leading * matches one label'],
  ['*.dev.example.com', 'a.b.dev.example.com', true, 'leading * matches several labels, as StringLike does'],
  ['*.dev.example.com', 'dev.example.com', false, 'the apex lacks the dot before it'],
  ['*.dev.example.com', 'apidev.example.com', false, 'the dot is literal'],
  ['*.dev.example.com', 'api.dev.example.com.evil', false, 'end anchor after a leading *'],
  // * in the middle, several *
  ['dev-*-a', 'dev-platform-a', true, '* in the middle'],
  ['dev-*-a', 'dev-platform-b', false, 'the literal end must follow'],
  ['dev-*-a', 'dev--a', true, 'middle * matches the empty run'],
  ['*-*', 'a-b', true, 'two stars'],
  ['*-*', 'ab', false, 'two stars still need the literal between them'],
  ['a*b*c', 'aXbYbZc', true, 'backtracking: the first b is not the one that works'],
  ['a*b*c', 'aXbYcZ', false, 'backtracking: nothing after the last c is allowed'],
  ['a*aab', 'aaaab', true, 'backtracking: * must give characters back'],
  ['**', '', true, 'stars alone match the empty value'],
  ['*', 'anything at all', true, 'a lone * matches any value'],
  // metacharacters are literal
  ['dev.platform', 'devXplatform', false, '. is a literal dot, not any character'],
  ['a+b', 'aab', false, '+ is literal'],
  ['a+b', 'a+b', true, '+ is literal'],
  ['(x|y)', 'x', false, 'parentheses and | are literal'],
  ['a?c', 'abc', false, '? is literal (IAM ? is not part of this rule)'],
  ['a[bc]d', 'abd', false, 'brackets are literal'],
  ['^a$', '^a$', true, 'anchors are literal characters'],
  // case-sensitive
  ['Dev-Platform', 'dev-platform', false, 'case-sensitive: AWS resource names are'],
  ['dev-*', 'DEV-a', false, 'case-sensitive in the literal part'],
  ['dev-*', 'dev-A', true, 'the * part takes any case'],
];

describe('config/wildcard: the one allow-list matcher', () => {
  it.each(CASES)('%j vs %j → %j (%s)', (pattern, value, matches) => {
    expect(wildcardMatch(pattern, value)).toBe(matches);
  });

  it('stays fast on a long value against many stars (no regular-expression backtracking blow-up)', () => {
    const value = `${'a'.repeat(20_000)}b`;
    const started = performance.now();
    expect(wildcardMatch('*a*a*a*a*a*a*a*a*c', value)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
