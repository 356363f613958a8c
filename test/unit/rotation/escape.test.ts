import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { copyGrant } from '../../../runbooks/rotate-secret/steps/strategies.js';

/**
 * The rotation builds grant statements without loading mysql2 (it is loaded on the first
 * connection), so the names it writes into a copied grant must be quoted as mysql2 quotes them:
 * mysql2's `escape` is the oracle.
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

const ROW = 'GRANT SELECT ON `app`.* TO `app`@`%`';
const from = { user: 'app', host: '%' };
const copied = (name: string) => copyGrant(ROW, from, { user: name, host: name });

describe('copied grants quote names as mysql2 escapes them', () => {
  it.each(VALUES.map((v) => [JSON.stringify(v), v]))('%s is escaped as mysql2 escapes it', (_, v) => {
    expect(copied(v)).toBe(`GRANT SELECT ON \`app\`.* TO ${mysql.escape(v)}@${mysql.escape(v)}`);
  });

  it('every byte from 0 to 255 on its own is escaped as mysql2 escapes it', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));
    expect(all.map(copied)).toEqual(
      all.map((c) => `GRANT SELECT ON \`app\`.* TO ${mysql.escape(c)}@${mysql.escape(c)}`),
    );
  });
});
