import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { escapeString } from '../../../runbooks/rotate-secret/steps/mysql.js';

/**
 * The rotation builds grant statements without loading mysql2 (it is loaded on the first
 * connection), so its string escape must be mysql2's own: mysql2's `escape` is the oracle.
 */
const VALUES = [
  'app',
  '%',
  '10.0.%',
  'app.v2',
  "o'brien",
  'say "hi"',
  'back\\slash',
  'nul\0byte',
  'bs\b tab\t nl\n cr\r sub\x1a',
  "'; DROP USER 'root'@'%'; --",
  "\\'",
  'ünïcødé ✓',
  '',
];

describe('escapeString: mysql2 escape without mysql2', () => {
  it.each(VALUES.map((v) => [JSON.stringify(v), v]))('%s is escaped as mysql2 escapes it', (_, v) => {
    expect(escapeString(v)).toBe(mysql.escape(v));
  });

  it('every byte from 0 to 255 on its own is escaped as mysql2 escapes it', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));
    expect(all.map(escapeString)).toEqual(all.map((c) => mysql.escape(c)));
  });
});
