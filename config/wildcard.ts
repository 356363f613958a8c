/**
 * The one wildcard matcher for allow-lists (node groups, DNS records, …): `*` matches any run of
 * characters, including none; every other character matches only itself. The whole value must
 * match: a pattern without `*` is an exact name, `prod-*` does not match `xprod-a`, and
 * `dev-platform` does not match `dev-platform-a`. This is IAM's `StringLike` rule without `?`,
 * so an allow-list entry and the IAM condition written from it agree.
 *
 * Case rule: case-SENSITIVE, because AWS resource names are (`Dev-Platform` and `dev-platform`
 * are two node groups). Names whose system ignores case (DNS, RFC 4343) are normalised by their
 * caller before matching (see `normaliseName` in runbooks/update-dns/logic.ts).
 *
 * No regular expression is built from the pattern, so a pattern holds no metacharacters and a
 * long value cannot make matching slow (two pointers, at most pattern × value steps).
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  // Where the last `*` was, and the value position it currently stands for the end of.
  let star = -1;
  let resume = 0;
  // Past the pattern's end `pattern[p]` is undefined, which equals neither `*` nor a character.
  while (v < value.length) {
    if (pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
