import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckDatabaseDeps,
  checkDatabase,
  parseCredentials,
  RestoreCheckError,
} from '../../../functions/steps/verify-backups/check-database.js';
import { type MariaDb, startMariaDb } from '../../support/mariadb.js';

/** The restored database stand-in: a real MariaDB on 127.0.0.1, as the check query would see RDS MySQL. */
describe('verify-backups check query: against a real MySQL-compatible server', () => {
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
    await db.query('CREATE TABLE app.empty_table (id INT PRIMARY KEY)');
    deps = {
      credentials: async () => ({ username: db.admin.username, password: db.admin.password }),
      // Plain TCP here; the Lambda connects with the Amazon RDS TLS profile.
      connect: (o) => mysql.createConnection({ ...o, connectTimeout: 5000 }),
    };
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('returns the number the query yields, with the floor it must reach', async () => {
    // Act
    const out = await checkDatabase(
      { observed: observed(), query: 'SELECT COUNT(*) FROM orders', minResult: 1, database: 'app' },
      deps,
    );
    // Assess
    expect(out).toEqual({ value: 3, minResult: 1, query: 'SELECT COUNT(*) FROM orders' });
  });

  it('reads the endpoint in either casing Step Functions may return', async () => {
    const upper = { DBInstances: [{ Endpoint: { Address: db.host, Port: db.port } }] };
    const out = await checkDatabase(
      { observed: upper, query: 'SELECT COUNT(*) FROM app.empty_table', minResult: 0 },
      deps,
    );
    expect(out.value).toBe(0);
  });

  it('fails with a clear reason when the query fails or returns no number', async () => {
    await expect(
      checkDatabase({ observed: observed(), query: 'SELECT COUNT(*) FROM app.missing', minResult: 1 }, deps),
    ).rejects.toThrow(/^the check query failed: .*missing/);
    await expect(
      checkDatabase({ observed: observed(), query: "SELECT 'abc'", minResult: 1 }, deps),
    ).rejects.toThrow('the check query returned no number (got "abc")');
  });

  it('fails when it cannot log in, without echoing the password', async () => {
    const wrong: CheckDatabaseDeps = {
      ...deps,
      credentials: async () => ({ username: 'nobody', password: 's3cr3t-pw' }),
    };
    const err = await checkDatabase({ observed: observed(), query: 'SELECT 1', minResult: 1 }, wrong).catch(
      (e) => e,
    );
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
      { observed: observed(), query: 'SELECT COUNT(*) FROM app.orders', minResult: 1 },
      rotatedSince,
    );
    // Assess
    expect(out.value).toBe(3);
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
    await checkDatabase({ observed: observed(), query: 'SELECT 1', minResult: 1 }, current);
    expect(askedForPrevious).toBe(0);

    const neither: CheckDatabaseDeps = {
      ...deps,
      credentials: async () => ({ username: db.admin.username, password: 'not-this-one' }),
      previousCredentials: async () => ({ username: db.admin.username, password: 'nor-this-one' }),
    };
    const err = await checkDatabase({ observed: observed(), query: 'SELECT 1', minResult: 1 }, neither).catch(
      (e) => e,
    );
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
    for (const query of ['DELETE FROM app.orders', 'SELECT 1; DROP TABLE app.orders']) {
      await expect(checkDatabase({ observed: observed(), query, minResult: 0 }, spy)).rejects.toThrow(
        'invalid check input, nothing was run: query: the check query is one SELECT statement without ";"',
      );
    }
    expect(connected).toBe(false);
    expect(await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM app.orders')).toEqual([{ n: 3 }]);
  });

  it('fails when the restored instance reports no endpoint', async () => {
    await expect(
      checkDatabase({ observed: { DbInstances: [{}] }, query: 'SELECT 1', minResult: 1 }, deps),
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
