import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

/**
 * A throw-away MariaDB server for integration tests: its own data directory under the
 * system temp dir, bound to 127.0.0.1 on a free port, started as a child process (no system
 * service), with an admin account `ops_admin`@`%` for the test set-up. One per test file:
 * `const db = await startMariaDb()` in beforeAll, `await db.stop()` in afterAll.
 */

const run = promisify(execFile);

export interface MariaDb {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Admin credentials (all privileges, grant option), like an RDS master user. */
  readonly admin: { readonly username: string; readonly password: string };
  /** Runs one statement as the admin. */
  query<T = unknown>(sql: string, values?: unknown[]): Promise<T>;
  /** Whether `username` / `password` can log in right now. */
  canLogin(username: string, password: string): Promise<boolean>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function binary(...names: string[]): Promise<string> {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      const candidate = path.join(dir, name);
      try {
        await run(candidate, ['--version']);
        return candidate;
      } catch {
        // try the next one
      }
    }
  }
  throw new Error(
    `none of ${names.join(', ')} found: install MariaDB (apt-get install -y mariadb-server; .ci/run does it)`,
  );
}

export async function startMariaDb(): Promise<MariaDb> {
  const [installDb, server] = [
    await binary('mariadb-install-db', 'mysql_install_db'),
    await binary('mariadbd', 'mysqld'),
  ];
  const dir = await mkdtemp(path.join(tmpdir(), 'ops-mariadb-'));
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const errorLog = path.join(dir, 'error.log');
  await run(installDb, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);

  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    const proc = spawn(
      server,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-name-resolve',
        '--skip-log-bin',
        `--log-error=${errorLog}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M',
        '--max-connections=200',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number>((resolve) => proc.once('exit', (code) => resolve(code ?? -1)));
    const ready = waitForSocket(socket, 30_000);
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'ready') child = proc;
    else lastError = new Error(`mariadbd exited: ${await readFile(errorLog, 'utf8').catch(() => '')}`);
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error('mariadbd did not start');
  }

  const admin = { username: 'ops_admin', password: `admin-${Math.random().toString(36).slice(2)}` };
  const bootstrap = await mysql.createConnection({ socketPath: socket, user: 'root' });
  await bootstrap.query('CREATE USER ?@? IDENTIFIED BY ?', [admin.username, '%', admin.password]);
  await bootstrap.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [admin.username, '%']);
  await bootstrap.end();

  const pool = mysql.createPool({
    host: '127.0.0.1',
    port,
    user: admin.username,
    password: admin.password,
    connectionLimit: 2,
  });
  const proc = child;
  return {
    host: '127.0.0.1',
    port,
    admin,
    async query<T>(sql: string, values: unknown[] = []): Promise<T> {
      const [rows] = await pool.query(sql, values);
      return rows as T;
    },
    async canLogin(username: string, password: string): Promise<boolean> {
      try {
        const c = await mysql.createConnection({ host: '127.0.0.1', port, user: username, password });
        await c.query('SELECT 1');
        await c.end();
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
        throw err;
      }
    },
    async stop(): Promise<void> {
      await pool.end().catch(() => undefined);
      const gone = new Promise<void>((resolve) => {
        if (proc.exitCode !== null) resolve();
        else proc.once('exit', () => resolve());
      });
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForSocket(socket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await mysql.createConnection({ socketPath: socket, user: 'root' });
      await c.end();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
