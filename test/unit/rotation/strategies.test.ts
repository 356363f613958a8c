import { describe, expect, it } from 'vitest';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import type { Database } from '../../../runbooks/rotate-secret/steps/mysql.js';
import type { SecretStore } from '../../../runbooks/rotate-secret/steps/secrets.js';
import { parseSettings } from '../../../runbooks/rotate-secret/steps/settings.js';
import {
  alternateUser,
  alternatingUsers,
  copyGrant,
  randomToken,
  STRATEGY_BY_NAME,
  type StrategyContext,
  singleUser,
} from '../../../runbooks/rotate-secret/steps/strategies.js';

/**
 * The strategies' pure parts, with hand-written inputs and answers: the alternating pair's user
 * names (MySQL allows 32 characters) and the random token's shape check (at least 16 characters in
 * the configured field).
 */

function ctx(field = 'apiToken'): StrategyContext {
  return {
    secret: 'partner',
    store: {} as SecretStore,
    db: {} as Database,
    settings: parseSettings({ ROTATION_STRATEGY: 'random', TOKEN_FIELD: field, TOKEN_LENGTH: '32' }),
    logger: {} as OpsLogger,
  };
}

describe('alternateUser', () => {
  it('pairs app with app_clone, both ways', () => {
    expect(alternateUser('app')).toBe('app_clone');
    expect(alternateUser('app_clone')).toBe('app');
  });

  it('accepts a pair name of exactly 32 characters and refuses 33, naming both', () => {
    // Prepare: 26 + "_clone" = 32; 27 + "_clone" = 33
    const ok = 'a'.repeat(26);
    const long = 'b'.repeat(27);

    // Act / Assess
    expect(alternateUser(ok)).toBe(`${ok}_clone`);
    expect(() => alternateUser(long)).toThrow(
      `user name ${long}_clone is longer than MySQL's 32 characters: shorten ${long}`,
    );
  });
});

describe('randomToken: the shape of a token', () => {
  it('accepts 16 characters in the configured field and refuses 15, naming the label, secret and field', () => {
    expect(() =>
      randomToken.validate(JSON.stringify({ apiToken: 'x'.repeat(16) }), 'AWSCURRENT', ctx()),
    ).not.toThrow();
    expect(() =>
      randomToken.validate(JSON.stringify({ apiToken: 'x'.repeat(15) }), 'AWSPENDING', ctx()),
    ).toThrow('AWSPENDING of secret partner has no token of at least 16 characters in field apiToken');
  });

  it('refuses a token that is not a string, and reads the configured field only', () => {
    expect(() => randomToken.validate(JSON.stringify({ apiToken: 1234567890 }), 'AWSCURRENT', ctx())).toThrow(
      'has no token',
    );
    expect(() =>
      randomToken.validate(JSON.stringify({ apiToken: 'x'.repeat(20) }), 'AWSCURRENT', ctx('token')),
    ).toThrow('AWSCURRENT of secret partner has no token of at least 16 characters in field token');
  });

  it('set and test accept a well-formed pending value and refuse a malformed one', async () => {
    const good = JSON.stringify({ apiToken: 'y'.repeat(20) });
    const bad = JSON.stringify({ apiToken: 'short' });
    await expect(randomToken.set({ current: good, pending: good }, ctx())).resolves.toBeUndefined();
    await expect(randomToken.set({ current: good, pending: bad }, ctx())).rejects.toThrow(
      'AWSPENDING of secret partner',
    );
    await expect(randomToken.test(bad, 'AWSCURRENT', ctx())).rejects.toThrow('AWSCURRENT of secret partner');
  });
});

/** A database that must not be reached: these checks come before any login. */
const unreachable = new Proxy({} as Database, {
  get: () => () => {
    throw new Error('the database was reached');
  },
});

function mysqlCtx(master?: Record<string, unknown>): StrategyContext {
  return {
    ...ctx(),
    db: unreachable,
    store: {
      value: async () => (master ? JSON.stringify(master) : undefined),
    } as unknown as SecretStore,
    settings: parseSettings({
      ROTATION_STRATEGY: 'mysql-alternating-users',
      MASTER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master-AbCdEf',
    }),
  };
}

const secret = (username: string, host = 'db.internal') =>
  JSON.stringify({ engine: 'mysql', host, port: 3306, username, password: `pw-of-${username}` });

describe('mysql strategies: a pending value for another user or database is refused before any login', () => {
  it('single user: AWSPENDING must name the same user and host as AWSCURRENT', async () => {
    await expect(
      singleUser.set({ current: secret('app'), pending: secret('admin') }, mysqlCtx()),
    ).rejects.toThrow(
      'AWSPENDING of partner names user admin@db.internal but AWSCURRENT names app@db.internal',
    );
    await expect(
      singleUser.set({ current: secret('app'), pending: secret('app', 'other.internal') }, mysqlCtx()),
    ).rejects.toThrow(
      'AWSPENDING of partner names user app@other.internal but AWSCURRENT names app@db.internal',
    );
  });

  it('alternating users: AWSPENDING must name the other user of the pair on the same host', async () => {
    await expect(
      alternatingUsers.set({ current: secret('app'), pending: secret('app') }, mysqlCtx()),
    ).rejects.toThrow('AWSPENDING of partner names app@db.internal; expected app_clone@db.internal');
    await expect(
      alternatingUsers.set(
        { current: secret('app'), pending: secret('app_clone', 'other.internal') },
        mysqlCtx(),
      ),
    ).rejects.toThrow('AWSPENDING of partner names app_clone@other.internal; expected app_clone@db.internal');
  });

  it('alternating users: a master secret for another database is refused', async () => {
    await expect(
      alternatingUsers.set(
        { current: secret('app'), pending: secret('app_clone') },
        mysqlCtx({ host: 'elsewhere.internal', username: 'admin', password: 'pw-admin' }),
      ),
    ).rejects.toThrow(
      'the master secret is for elsewhere.internal, but partner is for db.internal: they must be the same database',
    );
  });
});

describe('copyGrant: user names with characters special in a regular expression', () => {
  it('copies the grant of a user named app.v2 (the dot matched literally), and not of appxv2', () => {
    const from = { user: 'app.v2', host: '10.0.%' };
    const to = { user: 'app.v2_clone', host: '10.0.%' };
    expect(copyGrant('GRANT SELECT ON `app`.* TO `app.v2`@`10.0.%`', from, to)).toBe(
      "GRANT SELECT ON `app`.* TO 'app.v2_clone'@'10.0.%'",
    );
    expect(copyGrant('GRANT SELECT ON `app`.* TO `appxv2`@`10.0.%`', from, to)).toBeUndefined();
  });

  it('keeps a row that grants more than USAGE ON *.* (only the bare USAGE row grants nothing)', () => {
    const from = { user: 'app', host: '%' };
    const to = { user: 'app_clone', host: '%' };
    expect(copyGrant('GRANT SELECT, USAGE ON *.* TO `app`@`%`', from, to)).toBe(
      "GRANT SELECT, USAGE ON *.* TO 'app_clone'@'%'",
    );
  });
});

describe('the strategies name the value at fault: AWSCURRENT, AWSPENDING, or the master secret', () => {
  const malformed = JSON.stringify({ engine: 'mysql', username: 'app', password: 'pw-of-app' });
  const master = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:master-AbCdEf';

  it('next reads AWSCURRENT (mysql strategies and the random token)', async () => {
    await expect(singleUser.next(malformed, mysqlCtx())).rejects.toThrow(
      'AWSCURRENT of secret partner is malformed (host: invalid_type)',
    );
    await expect(alternatingUsers.next(malformed, mysqlCtx())).rejects.toThrow(
      'AWSCURRENT of secret partner is malformed (host: invalid_type)',
    );
    await expect(randomToken.next('not json', ctx())).rejects.toThrow(
      /^AWSCURRENT of secret partner is not JSON$/,
    );
  });

  it('set names AWSCURRENT or AWSPENDING, whichever is malformed, before any login', async () => {
    for (const strategy of [singleUser, alternatingUsers]) {
      await expect(strategy.set({ current: malformed, pending: secret('app') }, mysqlCtx())).rejects.toThrow(
        'AWSCURRENT of secret partner is malformed (host: invalid_type)',
      );
      await expect(strategy.set({ current: secret('app'), pending: malformed }, mysqlCtx())).rejects.toThrow(
        'AWSPENDING of secret partner is malformed (host: invalid_type)',
      );
    }
  });

  it("alternating users: a malformed master secret is named by its ARN as that secret's AWSCURRENT", async () => {
    await expect(
      alternatingUsers.set(
        { current: secret('app'), pending: secret('app_clone') },
        mysqlCtx({ username: 'admin', password: 'pw-admin' }),
      ),
    ).rejects.toThrow(`AWSCURRENT of secret ${master} is malformed (host: invalid_type)`);
    await expect(
      alternatingUsers.set({ current: secret('app'), pending: secret('app_clone') }, mysqlCtx()),
    ).rejects.toThrow(`AWSCURRENT of secret ${master} has no value`);
  });

  it('validate passes the label through (the protocol validates AWSCURRENT before writing anything)', () => {
    expect(() => singleUser.validate(malformed, 'AWSCURRENT', mysqlCtx())).toThrow(
      'AWSCURRENT of secret partner is malformed',
    );
    expect(() => alternatingUsers.validate(malformed, 'AWSPENDING', mysqlCtx())).toThrow(
      'AWSPENDING of secret partner is malformed',
    );
    expect(() => singleUser.validate(secret('app'), 'AWSCURRENT', mysqlCtx())).not.toThrow();
  });
});

describe('randomToken.next: the configured generator, length and field', () => {
  const settingsCtx = (generator: string, store: Partial<SecretStore> = {}): StrategyContext => ({
    ...ctx(),
    store: store as SecretStore,
    settings: parseSettings({
      ROTATION_STRATEGY: 'random',
      TOKEN_FIELD: 'apiToken',
      TOKEN_LENGTH: '24',
      TOKEN_GENERATOR: generator,
      PASSWORD_LENGTH: '64',
      EXCLUDE_CHARACTERS: 'xyz',
    }),
  });
  const current = JSON.stringify({ apiToken: 'o'.repeat(20), partner: 'acme' });

  it('hex: 24 hexadecimal characters in the field, every other field kept', async () => {
    const next = JSON.parse(await randomToken.next(current, settingsCtx('hex'))) as Record<string, string>;
    expect(next.partner).toBe('acme');
    expect(next.apiToken).toMatch(/^[0-9a-f]{24}$/);
  });

  it('base64url: 24 URL-safe characters, not only hexadecimal ones', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const next = JSON.parse(await randomToken.next(current, settingsCtx('base64url'))) as Record<
          string,
          string
        >;
        return next.apiToken as string;
      }),
    );
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // 96 characters all in [0-9a-f] has a chance of (16/64)^96: a hex encoding would be caught.
    expect(tokens.join('')).toMatch(/[g-zA-Z_-]/);
  });

  it('secrets-manager: GetRandomPassword with the token length (not the password length) and the exclusions', async () => {
    const asked: unknown[] = [];
    const store = {
      randomPassword: async (options: unknown) => {
        asked.push(options);
        return 'R'.repeat(24);
      },
    };
    const next = JSON.parse(await randomToken.next(current, settingsCtx('secrets-manager', store))) as Record<
      string,
      string
    >;
    expect(next).toEqual({ apiToken: 'R'.repeat(24), partner: 'acme' });
    expect(asked).toEqual([{ length: 24, excludeCharacters: 'xyz', excludePunctuation: false }]);
  });
});

describe('copyGrant: what the tail of a row may add', () => {
  it('a database named "WITH GRANT OPTION" never gives the clone the grant option (only the text after the grantee counts)', () => {
    const from = { user: 'application_user', host: '%' };
    const to = { user: 'application_user_clone', host: '%' };
    expect(copyGrant('GRANT SELECT ON `WITH GRANT OPTION`.* TO `application_user`@`%`', from, to)).toBe(
      "GRANT SELECT ON `WITH GRANT OPTION`.* TO 'application_user_clone'@'%'",
    );
    expect(
      copyGrant(
        'GRANT SELECT ON `WITH GRANT OPTION`.* TO `application_user`@`%` WITH GRANT OPTION',
        from,
        to,
      ),
    ).toBe("GRANT SELECT ON `WITH GRANT OPTION`.* TO 'application_user_clone'@'%' WITH GRANT OPTION");
  });

  it('keeps WITH ADMIN OPTION of a role grant, and the option as the server spelled it', () => {
    const from = { user: 'app', host: '%' };
    const to = { user: 'app_clone', host: '%' };
    expect(copyGrant('GRANT `reader` TO `app`@`%` WITH ADMIN OPTION', from, to)).toBe(
      "GRANT `reader` TO 'app_clone'@'%' WITH ADMIN OPTION",
    );
    expect(copyGrant('GRANT SELECT ON `app`.* TO `app`@`%` with grant option', from, to)).toBe(
      "GRANT SELECT ON `app`.* TO 'app_clone'@'%' with grant option",
    );
  });

  it('drops USAGE ON *.* whatever the case, but keeps USAGE on one database', () => {
    const from = { user: 'app', host: '%' };
    const to = { user: 'app_clone', host: '%' };
    expect(copyGrant('grant usage on *.* TO `app`@`%`', from, to)).toBeUndefined();
    expect(copyGrant('GRANT USAGE ON `app`.* TO `app`@`%`', from, to)).toBe(
      "GRANT USAGE ON `app`.* TO 'app_clone'@'%'",
    );
  });

  it('the grantee is matched with or without quotes, and only for the same host', () => {
    const from = { user: 'app', host: '10.0.0.%' };
    const to = { user: 'app_clone', host: '10.0.0.%' };
    expect(copyGrant('GRANT SELECT ON app.* TO app@10.0.0.%', from, to)).toBe(
      "GRANT SELECT ON app.* TO 'app_clone'@'10.0.0.%'",
    );
    expect(copyGrant('GRANT SELECT ON `app`.* TO "app"@"10.0.0.%"', from, to)).toBe(
      "GRANT SELECT ON `app`.* TO 'app_clone'@'10.0.0.%'",
    );
    expect(copyGrant('GRANT SELECT ON `app`.* TO `app`@`%`', from, to)).toBeUndefined();
  });
});

describe('randomToken: a value that is not a JSON object is named by label and secret', () => {
  it('validate, set and test name the value at fault', async () => {
    expect(() => randomToken.validate('not json', 'AWSCURRENT', ctx())).toThrow(
      /^AWSCURRENT of secret partner is not JSON$/,
    );
    await expect(randomToken.set({ current: '{}', pending: '[1]' }, ctx())).rejects.toThrow(
      /^AWSPENDING of secret partner is malformed \(\(root\): invalid_type\)$/,
    );
    await expect(randomToken.test('not json', 'AWSPENDING', ctx())).rejects.toThrow(
      /^AWSPENDING of secret partner is not JSON$/,
    );
  });
});

describe('the strategies carry the names the configuration selects them by', () => {
  it('mysql-single-user, mysql-alternating-users, random', () => {
    expect(STRATEGY_BY_NAME['mysql-single-user'].name).toBe('mysql-single-user');
    expect(STRATEGY_BY_NAME['mysql-alternating-users'].name).toBe('mysql-alternating-users');
    expect(STRATEGY_BY_NAME.random.name).toBe('random');
  });
});

describe('copyGrant: the bare USAGE row however it is spaced', () => {
  it('is dropped with spaces before the grantee too', () => {
    const from = { user: 'app', host: '%' };
    const to = { user: 'app_clone', host: '%' };
    expect(copyGrant('GRANT USAGE ON *.*  TO `app`@`%`', from, to)).toBeUndefined();
  });
});
