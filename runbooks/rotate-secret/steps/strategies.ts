import { randomBytes } from 'node:crypto';
import { escape as sqlString } from 'sql-escaper';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import {
  DatabaseLoginError,
  MalformedSecretError,
  RotationConfigError,
  RotationStateError,
} from './errors.js';
import { type Database, type DbCredentials, run } from './mysql.js';
import { type MysqlSecret, MysqlSecretSchema, parseSecret, TokenSecretSchema } from './secret-values.js';
import { CURRENT, type SecretStore } from './secrets.js';
import type { RotationSettings, StrategyName } from './settings.js';

/**
 * The three ways a secret is rotated. A strategy knows how to build the next value, how to
 * make a system accept it (setSecret) and how to prove a value works (testSecret, and the
 * runbook's verification of AWSCURRENT). Values travel as strings and are parsed here, so a
 * malformed secret is reported by field name, never printed.
 */

export interface StrategyContext {
  /** Secret name (for messages). */
  readonly secret: string;
  readonly store: SecretStore;
  readonly db: Database;
  readonly settings: RotationSettings;
  readonly logger: OpsLogger;
}

export interface SetInput {
  readonly current: string;
  readonly pending: string;
  readonly previous?: string | undefined;
}

export interface RotationStrategy {
  readonly name: StrategyName;
  /** The next value, built from AWSCURRENT's (every field kept, the credential replaced). */
  next(current: string, ctx: StrategyContext): Promise<string>;
  /** Makes the target system accept the pending value. Safe to run again. */
  set(values: SetInput, ctx: StrategyContext): Promise<void>;
  /** Throws MalformedSecretError unless `value` has the shape this strategy needs (no I/O). */
  validate(value: string, label: string, ctx: StrategyContext): void;
  /** Throws unless `value` works now (`label` names it in the error). */
  test(value: string, label: string, ctx: StrategyContext): Promise<void>;
}

const asDb = (s: MysqlSecret): DbCredentials => ({
  host: s.host,
  port: s.port,
  username: s.username,
  password: s.password,
  dbname: s.dbname,
});

function mysqlValue(raw: string, label: string, ctx: StrategyContext): MysqlSecret {
  return parseSecret(MysqlSecretSchema, raw, { secret: ctx.secret, label });
}

async function newPassword(ctx: StrategyContext): Promise<string> {
  return await ctx.store.randomPassword(ctx.settings.password);
}

async function testMysql(raw: string, label: string, ctx: StrategyContext): Promise<void> {
  const value = mysqlValue(raw, label, ctx);
  await ctx.db.check(asDb(value), label === 'AWSPENDING' ? 'pending' : 'current');
}

/** RDS MySQL, one user: the user's own password changes; AWSPREVIOUS stops working. */
export const singleUser: RotationStrategy = {
  name: 'mysql-single-user',

  async next(current, ctx) {
    const value = mysqlValue(current, 'AWSCURRENT', ctx);
    return JSON.stringify({ ...value, password: await newPassword(ctx) });
  },

  async set({ current, pending, previous }, ctx) {
    const c = mysqlValue(current, 'AWSCURRENT', ctx);
    const p = mysqlValue(pending, 'AWSPENDING', ctx);
    if (p.username !== c.username || p.host !== c.host) {
      throw new RotationStateError(
        `AWSPENDING of ${ctx.secret} names user ${p.username}@${p.host} but AWSCURRENT names ${c.username}@${c.host}`,
      );
    }
    if (await ctx.db.works(asDb(p), 'pending')) {
      ctx.logger.info('pending password is already set', { secret: ctx.secret, user: p.username });
      return;
    }
    // Log in with what the database accepts now: AWSCURRENT, or AWSPREVIOUS when an earlier
    // rotation changed the password but did not finish.
    const candidates: [MysqlSecret, 'current' | 'previous'][] = [[c, 'current']];
    if (previous) {
      const prev = MysqlSecretSchema.safeParse(safeJson(previous));
      if (prev.success && prev.data.username === c.username && prev.data.host === c.host) {
        candidates.push([prev.data, 'previous']);
      }
    }
    for (const [cred, role] of candidates) {
      if (!(await ctx.db.works(asDb(cred), role))) continue;
      const conn = await ctx.db.connect(asDb(cred), role);
      try {
        // A user changes its own password without privileges: MySQL 5.7+/8 through ALTER USER USER(),
        // MariaDB through SET PASSWORD (its ALTER USER needs the CREATE USER privilege).
        const [{ version }] = await run<[{ version: string }]>(
          conn,
          'SELECT VERSION() AS version',
          [],
          'version query',
        );
        const sql = /mariadb/i.test(version)
          ? 'SET PASSWORD = PASSWORD(?)'
          : 'ALTER USER USER() IDENTIFIED BY ?';
        await run(conn, sql, [p.password], `password change of ${c.username}`);
      } finally {
        await conn.end().catch(() => undefined);
      }
      ctx.logger.info('password changed', { secret: ctx.secret, user: c.username, loggedInWith: role });
      return;
    }
    throw new DatabaseLoginError(
      `none of AWSPENDING, AWSCURRENT or AWSPREVIOUS of ${ctx.secret} can log in as ${c.username}@${c.host}: the password was changed outside rotation; set it back to AWSCURRENT's (or store the working one as AWSCURRENT) and rotate again`,
      'current',
    );
  },

  validate: (value, label, ctx) => void mysqlValue(value, label, ctx),
  test: testMysql,
};

/** The other user of an alternating pair: `app` ↔ `app_clone`. */
export function alternateUser(username: string): string {
  const alt = username.endsWith('_clone') ? username.slice(0, -'_clone'.length) : `${username}_clone`;
  if (alt.length > 32) {
    throw new RotationConfigError(
      `user name ${alt} is longer than MySQL's 32 characters: shorten ${username}`,
    );
  }
  return alt;
}

/**
 * Rewrites one `SHOW GRANTS` row of `from` into the same grant for `to` (`?`-free SQL), or
 * `undefined` for rows that grant nothing to copy (bare USAGE). Drops `IDENTIFIED BY PASSWORD`
 * (MariaDB prints the hash there) and keeps `WITH GRANT OPTION` / `WITH ADMIN OPTION`.
 */
export function copyGrant(
  row: string,
  from: { user: string; host: string },
  to: { user: string; host: string },
): string | undefined {
  const q = '[`\'"]?';
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const grantee = new RegExp(` TO ${q}${esc(from.user)}${q}@${q}${esc(from.host)}${q}`, 'g');
  let match: RegExpExecArray | null = null;
  for (let m = grantee.exec(row); m; m = grantee.exec(row)) match = m;
  if (!match) return undefined;
  const head = row.slice(0, match.index);
  const tail = row.slice(match.index + match[0].length);
  if (/^GRANT USAGE ON \*\.\*$/i.test(head.trim())) return undefined;
  const option = /WITH (GRANT|ADMIN) OPTION/i.exec(tail)?.[0] ?? '';
  // mysql2's own string escape (its `sql-escaper`), without loading mysql2 to build a statement.
  return `${head} TO ${sqlString(to.user)}@${sqlString(to.host)}${option ? ` ${option}` : ''}`;
}

/**
 * RDS MySQL, alternating users: each rotation sets a new password on the *other* user of the
 * pair (created from the master secret with the same grants), then makes it AWSCURRENT. The
 * user in AWSPREVIOUS keeps working, so connections opened before the switch never see a
 * changed password.
 */
export const alternatingUsers: RotationStrategy = {
  name: 'mysql-alternating-users',

  async next(current, ctx) {
    const value = mysqlValue(current, 'AWSCURRENT', ctx);
    return JSON.stringify({
      ...value,
      username: alternateUser(value.username),
      password: await newPassword(ctx),
    });
  },

  async set({ current, pending }, ctx) {
    const c = mysqlValue(current, 'AWSCURRENT', ctx);
    const p = mysqlValue(pending, 'AWSPENDING', ctx);
    if (p.username !== alternateUser(c.username) || p.host !== c.host) {
      throw new RotationStateError(
        `AWSPENDING of ${ctx.secret} names ${p.username}@${p.host}; expected ${alternateUser(c.username)}@${c.host}`,
      );
    }
    const masterArn = ctx.settings.masterSecretArn ?? c.masterarn;
    if (!masterArn) {
      throw new RotationConfigError(
        `no master secret for ${ctx.secret}: set MASTER_SECRET_ARN on the function or masterarn in the secret`,
      );
    }
    const master = parseSecret(MysqlSecretSchema, await ctx.store.value(masterArn, { stage: CURRENT }), {
      secret: masterArn,
      label: 'AWSCURRENT',
    });
    if (master.host !== c.host) {
      throw new RotationConfigError(
        `the master secret is for ${master.host}, but ${ctx.secret} is for ${c.host}: they must be the same database`,
      );
    }
    // Every statement below is idempotent, so the step is simply run in full again after a crash
    // (a shortcut on "pending already logs in" could skip grants a crash left uncopied).
    const conn = await ctx.db.connect({ ...asDb(master), dbname: undefined }, 'master');
    try {
      const hosts = await run<{ Host: string }[]>(
        conn,
        'SELECT Host FROM mysql.user WHERE User = ?',
        [c.username],
        `lookup of user ${c.username}`,
      );
      if (hosts.length === 0) {
        throw new RotationStateError(`user ${c.username} of AWSCURRENT does not exist on ${c.host}`);
      }
      for (const { Host: host } of hosts) {
        await run(
          conn,
          'CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?',
          [p.username, host, p.password],
          `creation of ${p.username}`,
        );
        const rows = await run<Record<string, string>[]>(
          conn,
          'SHOW GRANTS FOR ?@?',
          [c.username, host],
          `grants of ${c.username}`,
        );
        for (const row of rows) {
          const grant = copyGrant(
            Object.values(row)[0] ?? '',
            { user: c.username, host },
            { user: p.username, host },
          );
          if (grant) await run(conn, grant, [], `grant copy to ${p.username}`);
        }
        // Password last: once the pending password logs in, the user has every grant.
        await run(
          conn,
          'ALTER USER ?@? IDENTIFIED BY ?',
          [p.username, host, p.password],
          `password change of ${p.username}`,
        );
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
    ctx.logger.info('alternate user ready', { secret: ctx.secret, user: p.username, copiedFrom: c.username });
  },

  validate: (value, label, ctx) => void mysqlValue(value, label, ctx),
  test: testMysql,
};

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function tokenOf(raw: string, label: string, ctx: StrategyContext): string {
  const value = parseSecret(TokenSecretSchema, raw, { secret: ctx.secret, label });
  const token = value[ctx.settings.token.field];
  if (typeof token !== 'string' || token.length < 16) {
    throw new MalformedSecretError(
      `${label} of secret ${ctx.secret} has no token of at least 16 characters in field ${ctx.settings.token.field}`,
    );
  }
  return token;
}

/**
 * A generic random secret (API tokens): a new value from the configured generator
 * (GetRandomPassword with the configured exclusions, or hex / base64url from the system CSPRNG).
 * No system to update; the consumers pick the new value up when they are restarted.
 */
export const randomToken: RotationStrategy = {
  name: 'random',

  async next(current, ctx) {
    const value = parseSecret(TokenSecretSchema, current, { secret: ctx.secret, label: 'AWSCURRENT' });
    const { generator, length, field } = ctx.settings.token;
    let token: string;
    if (generator === 'secrets-manager') {
      token = await ctx.store.randomPassword({ ...ctx.settings.password, length });
    } else {
      token = randomBytes(length)
        .toString(generator === 'hex' ? 'hex' : 'base64url')
        .slice(0, length);
    }
    return JSON.stringify({ ...value, [field]: token });
  },

  async set({ pending }, ctx) {
    tokenOf(pending, 'AWSPENDING', ctx);
  },

  validate: (value, label, ctx) => void tokenOf(value, label, ctx),

  async test(value, label, ctx) {
    tokenOf(value, label, ctx);
  },
};

export const STRATEGY_BY_NAME: Readonly<Record<StrategyName, RotationStrategy>> = {
  'mysql-single-user': singleUser,
  'mysql-alternating-users': alternatingUsers,
  random: randomToken,
};
