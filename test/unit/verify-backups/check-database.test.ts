import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestoreCheckSchema } from '../../../config/schema.js';
import {
  type CheckDatabaseDeps,
  checkDatabase,
  parseCredentials,
  quoteTable,
  RestoreCheckError,
} from '../../../runbooks/verify-backups/steps/check-database.js';
import { type MariaDb, startMariaDb } from '../../support/mariadb.js';

/** The restored database stand-in: a real MariaDB on 127.0.0.1, as the check query would see RDS MySQL. */
const NOW = new Date('2026-12-07T12:00:00Z');
const q = (sql: string, min = 1) => ({ kind: 'query' as const, sql, min });

describe('verify-backups database checks: against a real MySQL-compatible server', () => {
  let db: MariaDb;
  let deps: CheckDatabaseDeps;
  const observed = () => ({
    DbInstances: [{ DbInstanceStatus: 'available', Endpoint: { Address: db.host, Port: db.port } }],
  });

  beforeAll(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE app');
    await db.query('CREATE TABLE app.orders (id INT PRIMARY KEY)');
    await db.query('INSERT INTO app.orders VALUES (1), (2), (3)');
    await db.query('CREATE TABLE app.empty_table (id INT PRIMARY KEY, updated_at DATETIME)');
    await db.query('CREATE TABLE app.events (id INT PRIMARY KEY, created_at DATETIME)');
    // Six and thirty hours before NOW below (2026-12-07T12:00:00Z).
    await db.query("INSERT INTO app.events VALUES (1, '2026-12-06 06:00:00'), (2, '2026-12-07 06:00:00')");
    deps = {
      credentials: async () => ({ username: db.admin.username, password: db.admin.password }),
      // Plain TCP here; the Lambda connects with the Amazon RDS TLS profile. DATETIME read as UTC, as there.
      connect: (o) => mysql.createConnection({ ...o, connectTimeout: 5000, timezone: 'Z' }),
      now: () => NOW,
    };
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('row counts: pass at the floor, fail below it, and a missing table fails that check only', async () => {
    // Act
    const out = await checkDatabase(
      {
        observed: observed(),
        database: 'app',
        defaultMaxAgeHours: 26,
        checks: [
          { kind: 'rowCount', table: 'orders', min: 3 },
          { kind: 'rowCount', table: 'app.empty_table', min: 1 },
          { kind: 'rowCount', table: 'missing', min: 0 },
          { kind: 'rowCount', table: 'app.orders', min: 4 },
        ],
      },
      deps,
    );
    // Assess
    expect(out.results).toEqual([
      { name: 'rows in orders >= 3', verdict: 'pass', reason: 'returned 3' },
      { name: 'rows in app.empty_table >= 1', verdict: 'fail', reason: 'returned 0, below the required 1' },
      {
        name: 'rows in missing >= 0',
        verdict: 'fail',
        reason: 'table missing does not exist in the restored database',
      },
      { name: 'rows in app.orders >= 4', verdict: 'fail', reason: 'returned 3, below the required 4' },
    ]);
  });

  it('freshness: MAX(column) within the class RPO by default, or the check’s own maxAgeHours', async () => {
    const out = await checkDatabase(
      {
        observed: observed(),
        defaultMaxAgeHours: 26,
        checks: [
          { kind: 'freshness', table: 'app.events', column: 'created_at' },
          { kind: 'freshness', table: 'app.events', column: 'created_at', maxAgeHours: 4 },
          { kind: 'freshness', table: 'app.empty_table', column: 'updated_at' },
          { kind: 'freshness', table: 'app.events', column: 'nope' },
          { kind: 'freshness', table: 'app.gone', column: 'created_at' },
        ],
      },
      deps,
    );
    expect(out.results).toEqual([
      {
        name: 'max(created_at) of app.events within 26h',
        verdict: 'pass',
        reason: 'newest created_at is 6h old',
      },
      {
        name: 'max(created_at) of app.events within 4h',
        verdict: 'fail',
        reason: 'newest created_at is 6h old (2026-12-07T06:00:00.000Z), older than 4h',
      },
      {
        name: 'max(updated_at) of app.empty_table within 26h',
        verdict: 'fail',
        reason: 'app.empty_table has no updated_at value (empty table?)',
      },
      {
        name: 'max(nope) of app.events within 26h',
        verdict: 'fail',
        reason: 'column nope does not exist in app.events',
      },
      {
        name: 'max(created_at) of app.gone within 26h',
        verdict: 'fail',
        reason: 'table app.gone does not exist in the restored database',
      },
    ]);
  });

  it('custom query: its number against the floor; a failing query or a non-number fails that check', async () => {
    const out = await checkDatabase(
      {
        observed: observed(),
        defaultMaxAgeHours: 26,
        checks: [
          q('SELECT COUNT(*) FROM app.orders WHERE id > 1', 2),
          q('SELECT COUNT(*) FROM app.orders WHERE id > 2', 2),
          q('SELECT COUNT(*) FROM app.missing'),
          q("SELECT 'abc'"),
        ],
      },
      deps,
    );
    expect(out.results.map((r) => [r.verdict, r.reason])).toEqual([
      ['pass', 'returned 2'],
      ['fail', 'returned 1, below the required 2'],
      ['fail', expect.stringMatching(/^query failed: .*missing/)],
      ['fail', 'returned no number (got "abc")'],
    ]);
  });

  it('reads the endpoint in either casing Step Functions may return, and echoes the budget', async () => {
    const upper = { DBInstances: [{ Endpoint: { Address: db.host, Port: db.port } }] };
    const budget = { instanceClass: 'db.t4g.micro', maxMinutes: 60, estimatedUsd: 0.02 };
    const out = await checkDatabase(
      {
        observed: upper,
        defaultMaxAgeHours: 26,
        checks: [q('SELECT COUNT(*) FROM app.empty_table', 0)],
        budget,
      },
      deps,
    );
    expect(out).toEqual({
      results: [{ name: 'query >= 0', verdict: 'pass', reason: 'returned 0' }],
      budget,
    });
  });

  it('no SQL through config: identifiers are letters, digits and "_" and are quoted; bad ones run nothing', async () => {
    let connected = false;
    const spy: CheckDatabaseDeps = {
      ...deps,
      connect: async (o) => {
        connected = true;
        return deps.connect(o);
      },
    };
    for (const table of ['orders; DROP TABLE app.orders', 'app.orders`', 'a.b.c', 'orders --']) {
      expect(RestoreCheckSchema.safeParse({ kind: 'rowCount', table, min: 0 }).success).toBe(false);
      await expect(
        checkDatabase(
          { observed: observed(), defaultMaxAgeHours: 26, checks: [{ kind: 'rowCount', table, min: 0 }] },
          spy,
        ),
      ).rejects.toThrow(/^invalid check input, nothing was run: checks\.0\.table: a table is letters/);
    }
    await expect(
      checkDatabase(
        {
          observed: observed(),
          defaultMaxAgeHours: 26,
          checks: [{ kind: 'freshness', table: 'app.events', column: 'created_at) FROM app.orders; --' }],
        },
        spy,
      ),
    ).rejects.toThrow(/checks\.0\.column: a column is letters/);
    expect(connected).toBe(false);
    expect(quoteTable('app.orders')).toBe('`app`.`orders`');
    expect(() => quoteTable('app.or`ders')).toThrow(RestoreCheckError);
    expect(await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM app.orders')).toEqual([{ n: 3 }]);
  });

  it('fails when it cannot log in, without echoing the password', async () => {
    const wrong: CheckDatabaseDeps = {
      ...deps,
      credentials: async () => ({ username: 'nobody', password: 's3cr3t-pw' }),
    };
    const err = await checkDatabase(
      { observed: observed(), defaultMaxAgeHours: 26, checks: [q('SELECT 1')] },
      wrong,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(RestoreCheckError);
    expect((err as Error).message).toMatch(/^cannot connect to the restored instance/);
    expect((err as Error).message).not.toContain('s3cr3t-pw');
  });

  it('opens a snapshot taken before the last master rotation with the previous password', async () => {
    // Prepare: AWSCURRENT is a password the restored instance never had; AWSPREVIOUS is the one it has.
    let askedForPrevious = 0;
    const rotatedSince: CheckDatabaseDeps = {
      ...deps,
      credentials: async () => ({ username: db.admin.username, password: 'rotated-after-the-snapshot' }),
      previousCredentials: async () => {
        askedForPrevious++;
        return { username: db.admin.username, password: db.admin.password };
      },
    };
    // Act
    const out = await checkDatabase(
      { observed: observed(), defaultMaxAgeHours: 26, checks: [q('SELECT COUNT(*) FROM app.orders')] },
      rotatedSince,
    );
    // Assess
    expect(out.results).toEqual([{ name: 'query >= 1', verdict: 'pass', reason: 'returned 3' }]);
    expect(askedForPrevious).toBe(1);
  });

  it('does not look for the previous password when the current one works, and fails clearly when neither does', async () => {
    let askedForPrevious = 0;
    const current: CheckDatabaseDeps = {
      ...deps,
      previousCredentials: async () => {
        askedForPrevious++;
        return undefined;
      },
    };
    await checkDatabase({ observed: observed(), defaultMaxAgeHours: 26, checks: [q('SELECT 1')] }, current);
    expect(askedForPrevious).toBe(0);

    const neither: CheckDatabaseDeps = {
      ...deps,
      credentials: async () => ({ username: db.admin.username, password: 'not-this-one' }),
      previousCredentials: async () => ({ username: db.admin.username, password: 'nor-this-one' }),
    };
    const err = await checkDatabase(
      { observed: observed(), defaultMaxAgeHours: 26, checks: [q('SELECT 1')] },
      neither,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(RestoreCheckError);
    expect((err as Error).message).toMatch(/^cannot connect to the restored instance: Access denied/);
    expect((err as Error).message).not.toMatch(/not-this-one|nor-this-one/);
  });

  it('refuses anything but one SELECT before connecting', async () => {
    let connected = false;
    const spy: CheckDatabaseDeps = {
      ...deps,
      connect: async (o) => {
        connected = true;
        return deps.connect(o);
      },
    };
    for (const sql of ['DELETE FROM app.orders', 'SELECT 1; DROP TABLE app.orders']) {
      await expect(
        checkDatabase({ observed: observed(), defaultMaxAgeHours: 26, checks: [q(sql, 0)] }, spy),
      ).rejects.toThrow(
        'invalid check input, nothing was run: checks.0.sql: the check query is one SELECT statement without ";"',
      );
    }
    expect(connected).toBe(false);
    expect(await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM app.orders')).toEqual([{ n: 3 }]);
  });

  it('fails when the restored instance reports no endpoint', async () => {
    await expect(
      checkDatabase(
        { observed: { DbInstances: [{}] }, defaultMaxAgeHours: 26, checks: [q('SELECT 1')] },
        deps,
      ),
    ).rejects.toThrow('the restored instance reports no endpoint');
  });

  it('parses the RDS master secret shape', () => {
    expect(parseCredentials('{"username":"admin","password":"pw","engine":"mysql"}')).toEqual({
      username: 'admin',
      password: 'pw',
    });
    expect(() => parseCredentials('{"username":"admin"}')).toThrow();
  });
});
