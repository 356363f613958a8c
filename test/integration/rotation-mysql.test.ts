import { createServer } from 'node:net';
import {
  InvalidRequestException,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import {
  DatabaseLoginError,
  DatabaseUnreachableError,
  MalformedSecretError,
  RotationConfigError,
  RotationStateError,
} from '../../runbooks/rotate-secret/steps/errors.js';
import {
  type CredentialRole,
  Database,
  type DbCredentials,
} from '../../runbooks/rotate-secret/steps/mysql.js';
import {
  ROTATION_STEPS,
  type RotationDeps,
  type RotationStepName,
  recoverStuck,
  rotationStep,
  verifyCurrent,
} from '../../runbooks/rotate-secret/steps/protocol.js';
import { SecretStore } from '../../runbooks/rotate-secret/steps/secrets.js';
import { parseSettings, type StrategyName } from '../../runbooks/rotate-secret/steps/settings.js';
import {
  alternatingUsers,
  copyGrant,
  type RotationStrategy,
  STRATEGY_BY_NAME,
  type StrategyContext,
  singleUser,
} from '../../runbooks/rotate-secret/steps/strategies.js';
import { captureLogger } from '../support/capture-logger.js';
import { type MariaDb, startMariaDb } from '../support/mariadb.js';
import { FakeSecretsManager } from '../support/secrets-manager-fake.js';

/**
 * The MySQL rotation strategies against a real MariaDB server (one per file), with Secrets
 * Manager faked at the SDK boundary by an in-memory model of versions and staging labels.
 */

let db: MariaDb;
let sm: FakeSecretsManager;
let capture: ReturnType<typeof captureLogger>;
const client = new SecretsManagerClient({ region: 'eu-west-1' });
let userCount = 0;

beforeAll(async () => {
  db = await startMariaDb();
  await db.query('CREATE DATABASE app');
  await db.query('CREATE TABLE app.orders (id INT PRIMARY KEY)');
  capture = captureLogger('rotation');
});

afterAll(async () => {
  capture?.restore();
  await db?.stop();
});

beforeEach(() => {
  sm = new FakeSecretsManager();
});

afterEach(() => {
  // No secret value in any log line, whatever the test did.
  const material = [...sm.secretMaterial(), db.admin.password];
  const leaks = capture.lines.filter((line) => material.some((m) => line.includes(m)));
  sm.restore();
  expect(leaks).toEqual([]);
});

async function appUser(prefix = 'app'): Promise<{ username: string; password: string }> {
  userCount += 1;
  const username = `${prefix}${userCount}`;
  const password = `Initial-${Math.random().toString(36).slice(2)}-pw`;
  await db.query('CREATE USER ?@? IDENTIFIED BY ?', [username, '%', password]);
  await db.query('GRANT SELECT, INSERT ON app.* TO ?@?', [username, '%']);
  return { username, password };
}

function mysqlSecret(user: { username: string; password: string }, extra: Record<string, unknown> = {}) {
  return { engine: 'mysql', host: '127.0.0.1', port: db.port, dbname: 'app', ...user, ...extra };
}

function depsFor(strategy: StrategyName, env: Record<string, string> = {}): RotationDeps {
  const settings = parseSettings({
    ROTATION_STRATEGY: strategy,
    DB_TLS: 'off',
    DB_CONNECT_TIMEOUT_MS: '2000',
    ...env,
  });
  return {
    store: new SecretStore(client),
    db: new Database({ tls: settings.tls, connectTimeoutMs: settings.connectTimeoutMs }),
    strategy: STRATEGY_BY_NAME[strategy],
    settings,
    logger: capture.logger,
  };
}

type Parsed = {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
  engine: string;
};

/** Secrets Manager drives the steps; `crashAfter` kills the "function" right after that step. */
function attach(deps: RotationDeps, crashAfter?: RotationStepName): void {
  sm.rotator = async (event) => {
    await rotationStep(event, deps);
    if (event.Step === crashAfter) throw new Error(`injected crash after ${crashAfter}`);
  };
}

async function rotate(secretId: string): Promise<void> {
  await client.send(new RotateSecretCommand({ SecretId: secretId }));
}

function pendingOnly(secretId: string): string[] {
  return Object.entries(sm.stages(secretId))
    .filter(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))
    .map(([id]) => id);
}

/** A new rotation attempt as the runbook makes it: RotateSecret; if refused as stuck, recover, then again. */
async function newAttempt(secretId: string, deps: RotationDeps): Promise<'direct' | 'after-recovery'> {
  attach(deps);
  try {
    await rotate(secretId);
    return 'direct';
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestException);
    await recoverStuck({ secretId }, deps);
    await rotate(secretId);
    return 'after-recovery';
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The order in which Secrets Manager invokes a rotation function's steps, written out from AWS's
 * documentation ("Rotation by Lambda function", the four steps), not taken from the code.
 */
const PROTOCOL_ORDER = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

describe('rotation protocol: the order of the steps and the test before the finish', () => {
  it('recovery runs the steps in the protocol order: createSecret, setSecret, testSecret, finishSecret', () => {
    expect(ROTATION_STEPS).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
  });

  it('testSecret logs in with the pending password: if the database does not accept it, AWSCURRENT does not move', async () => {
    // Prepare: between setSecret and testSecret someone sets the old password back on the server
    const user = await appUser();
    const arn = sm.create('dev/rds/app-test-fails', mysqlSecret(user));
    const original = Object.keys(sm.stages(arn))[0] as string;
    const deps = depsFor('mysql-single-user');
    sm.rotator = async (event) => {
      await rotationStep(event, deps);
      if (event.Step === 'setSecret') {
        await db.query('SET PASSWORD FOR ?@? = PASSWORD(?)', [user.username, '%', user.password]);
      }
    };

    // Act
    await rotate(arn);

    // Assess: testSecret failed on the login, finishSecret never ran, AWSCURRENT is the original and works
    expect(sm.rotationLog.map((r) => `${r.step}:${r.ok}`)).toEqual([
      'createSecret:true',
      'setSecret:true',
      'testSecret:false',
    ]);
    expect(sm.rotationLog.at(-1)?.error).toMatch(/rejected the pending credentials/);
    expect(sm.stages(arn)[original]).toEqual(['AWSCURRENT']);
    expect(sm.parsedAt<Parsed>(arn, 'AWSCURRENT').password).toBe(user.password);
    expect((await verifyCurrent({ secretId: arn }, deps)).works).toBe(true);
  });

  it('recovering a stuck rotation whose pending value cannot log in abandons it: AWSCURRENT does not move', async () => {
    // Prepare: an unfinished rotation whose AWSPENDING names a database the user may not use
    const user = await appUser();
    await db.query('CREATE DATABASE IF NOT EXISTS restricted');
    const arn = sm.create('dev/rds/app-stuck-unusable', mysqlSecret(user));
    const original = Object.keys(sm.stages(arn))[0] as string;
    const deps = depsFor('mysql-single-user');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;
    await client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify(mysqlSecret(user, { dbname: 'restricted' })),
        VersionStages: ['AWSPENDING'],
      }),
    );

    // Act
    const result = await recoverStuck({ secretId: arn }, deps);

    // Assess: not promoted untested; the original is still AWSCURRENT and logs in
    expect(result).toMatchObject({ outcome: 'abandoned', versionId: token });
    expect(result.reason).toMatch(/^DatabaseLoginError: .*pending/);
    expect(sm.stages(arn)[original]).toEqual(['AWSCURRENT']);
    expect(sm.stages(arn)[token] ?? []).not.toContain('AWSCURRENT');
    expect((await verifyCurrent({ secretId: arn }, deps)).works).toBe(true);
    expect(await db.canLogin(user.username, user.password)).toBe(true);
  });
});

describe('rotation (mysql-single-user): one user whose password changes', () => {
  it('makes the new password AWSCURRENT; it logs in, the old one stops working, other fields are kept', async () => {
    // Prepare
    const user = await appUser();
    const arn = sm.create('dev/rds/app-single', mysqlSecret(user));
    const oldVersion = Object.keys(sm.stages(arn))[0];
    attach(depsFor('mysql-single-user'));

    // Act
    await rotate(arn);

    // Assess
    const current = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
    expect(current).toMatchObject({ username: user.username, dbname: 'app', engine: 'mysql', port: db.port });
    expect(current.password).not.toBe(user.password);
    expect(current.password).toHaveLength(32);
    expect(current.password).not.toMatch(/[/@"'\\]/);
    expect(sm.parsedAt<Parsed>(arn, 'AWSPREVIOUS').password).toBe(user.password);
    expect(sm.stages(arn)[oldVersion as string]).toEqual(['AWSPREVIOUS']);
    expect(pendingOnly(arn)).toEqual([]);
    expect(Object.values(sm.stages(arn)).flat()).not.toContain('AWSPENDING');
    expect(await db.canLogin(user.username, current.password)).toBe(true);
    expect(await db.canLogin(user.username, user.password)).toBe(false);
  });

  it('runs every step twice without changing anything the second time', async () => {
    // Prepare: RotateSecret with no function attached only creates the empty AWSPENDING version.
    const user = await appUser();
    const arn = sm.create('dev/rds/app-rerun', mysqlSecret(user));
    const deps = depsFor('mysql-single-user');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;

    // Act + Assess: each step, then the same step again: same labels, same value, same logins
    const state = async () => {
      const value = sm.versionValue(arn, token);
      const pending = value ? (JSON.parse(value) as Parsed).password : undefined;
      return JSON.stringify([
        sm.stages(arn),
        value,
        await db.canLogin(user.username, user.password),
        pending ? await db.canLogin(user.username, pending) : null,
      ]);
    };
    for (const step of PROTOCOL_ORDER) {
      await rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token }, deps);
      const after = await state();
      await rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token }, deps);
      expect(await state()).toBe(after);
    }
    const current = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
    expect(sm.stages(arn)[token]).toEqual(['AWSCURRENT']);
    expect(await db.canLogin(user.username, current.password)).toBe(true);
    expect(await db.canLogin(user.username, user.password)).toBe(false);
  });

  it.each(PROTOCOL_ORDER)(
    'a crash after %s, then a new rotation attempt, ends with a working AWSCURRENT and no lost credential',
    async (step) => {
      // Prepare
      const user = await appUser();
      const arn = sm.create(`dev/rds/app-crash-${step}`, mysqlSecret(user));
      const deps = depsFor('mysql-single-user');
      attach(deps, step);
      await rotate(arn);
      const stuck = pendingOnly(arn);
      expect(stuck.length).toBe(step === 'finishSecret' ? 0 : 1);

      // Act
      const how = await newAttempt(arn, deps);

      // Assess
      expect(how).toBe(step === 'finishSecret' ? 'direct' : 'after-recovery');
      const current = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
      expect(await db.canLogin(user.username, current.password)).toBe(true);
      expect(pendingOnly(arn)).toEqual([]);
      expect((await verifyCurrent({ secretId: arn }, deps)).works).toBe(true);
    },
  );

  it("after a crash between setSecret and finishSecret, Secrets Manager's own re-attempt finishes with the password the database already has", async () => {
    // Prepare: the database now accepts only the pending password
    const user = await appUser();
    const arn = sm.create('dev/rds/app-reattempt', mysqlSecret(user));
    const deps = depsFor('mysql-single-user');
    attach(deps, 'setSecret');
    await rotate(arn);
    const [stuck] = pendingOnly(arn);
    const pending = JSON.parse(sm.versionValue(arn, stuck as string) as string) as Parsed;
    expect(await db.canLogin(user.username, pending.password)).toBe(true);
    expect((await verifyCurrent({ secretId: arn }, deps)).works).toBe(false);
    await expect(rotate(arn)).rejects.toThrow("A previous rotation isn't complete");

    // Act
    attach(deps);
    await sm.reattempt(arn);

    // Assess
    expect(sm.parsedAt<Parsed>(arn, 'AWSCURRENT').password).toBe(pending.password);
    expect((await verifyCurrent({ secretId: arn }, deps)).works).toBe(true);
  });

  it('sets the password with AWSPREVIOUS when an earlier rotation changed it but AWSCURRENT was restored by hand', async () => {
    // Prepare: rotate once, then someone moves AWSCURRENT back to the old version
    const user = await appUser();
    const arn = sm.create('dev/rds/app-previous', mysqlSecret(user));
    const deps = depsFor('mysql-single-user');
    attach(deps);
    await rotate(arn);
    const stages = sm.stages(arn);
    const newer = Object.keys(stages).find((id) => stages[id]?.includes('AWSCURRENT')) as string;
    const older = Object.keys(stages).find((id) => stages[id]?.includes('AWSPREVIOUS')) as string;
    sm.updateSecretVersionStage({
      SecretId: arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: older,
      RemoveFromVersionId: newer,
    });

    // Act
    await rotate(arn);

    // Assess
    const current = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
    expect(await db.canLogin(user.username, current.password)).toBe(true);
  });

  it('says clearly when no stored password logs in any more, and changes nothing', async () => {
    // Prepare
    const user = await appUser();
    const arn = sm.create('dev/rds/app-drifted', mysqlSecret(user));
    await db.query('ALTER USER ?@? IDENTIFIED BY ?', [user.username, '%', 'changed-by-hand-0001']);
    const deps = depsFor('mysql-single-user');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Act
    const attempt = rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Assess
    await expect(attempt).rejects.toThrow(DatabaseLoginError);
    await expect(attempt).rejects.toThrow(
      /none of AWSPENDING, AWSCURRENT or AWSPREVIOUS .* can log in as app\d+@127\.0\.0\.1/,
    );
    expect(await db.canLogin(user.username, 'changed-by-hand-0001')).toBe(true);
  });
});

describe('rotation (mysql-alternating-users): two users, the previous one keeps working', () => {
  async function masterSecretArn(password = db.admin.password): Promise<string> {
    return sm.create(`dev/rds/master-${Math.random().toString(36).slice(2, 8)}`, {
      engine: 'mysql',
      host: '127.0.0.1',
      port: db.port,
      username: db.admin.username,
      password,
    });
  }

  it('creates <user>_clone with the same grants, switches to it, and alternates back on the next rotation', async () => {
    // Prepare
    const user = await appUser();
    const master = await masterSecretArn();
    const arn = sm.create('dev/rds/app-alt', mysqlSecret(user, { masterarn: master }));
    attach(depsFor('mysql-alternating-users'));

    // Act: first rotation
    await rotate(arn);

    // Assess: the clone is current, the original user (AWSPREVIOUS) still logs in
    const first = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
    expect(first.username).toBe(`${user.username}_clone`);
    expect(sm.parsedAt<Parsed>(arn, 'AWSPREVIOUS')).toMatchObject(user);
    expect(await db.canLogin(first.username, first.password)).toBe(true);
    expect(await db.canLogin(user.username, user.password)).toBe(true);
    const grants = await db.query<Record<string, string>[]>('SHOW GRANTS FOR ?@?', [first.username, '%']);
    expect(grants.map((g) => Object.values(g)[0])).toContainEqual(
      `GRANT SELECT, INSERT ON \`app\`.* TO \`${first.username}\`@\`%\``,
    );

    // Act: second rotation
    await rotate(arn);

    // Assess: back to the original user with a new password; the clone (now AWSPREVIOUS) still works
    const second = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
    expect(second.username).toBe(user.username);
    expect(second.password).not.toBe(user.password);
    expect(sm.parsedAt<Parsed>(arn, 'AWSPREVIOUS')).toMatchObject({
      username: first.username,
      password: first.password,
    });
    expect(await db.canLogin(second.username, second.password)).toBe(true);
    expect(await db.canLogin(first.username, first.password)).toBe(true);
    expect(await db.canLogin(user.username, user.password)).toBe(false);
  });

  it('runs every step twice without changing anything the second time', async () => {
    // Prepare
    const user = await appUser();
    const arn = sm.create('dev/rds/app-alt-rerun', mysqlSecret(user, { masterarn: await masterSecretArn() }));
    const deps = depsFor('mysql-alternating-users');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;

    // Act + Assess
    for (const step of PROTOCOL_ORDER) {
      await rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token }, deps);
      const after = JSON.stringify([sm.stages(arn), sm.versionValue(arn, token)]);
      const grantsAfter = await db
        .query('SHOW GRANTS FOR ?@?', [`${user.username}_clone`, '%'])
        .catch(() => []);
      await rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token }, deps);
      expect(JSON.stringify([sm.stages(arn), sm.versionValue(arn, token)])).toBe(after);
      expect(await db.query('SHOW GRANTS FOR ?@?', [`${user.username}_clone`, '%']).catch(() => [])).toEqual(
        grantsAfter,
      );
    }
    expect(await db.canLogin(user.username, user.password)).toBe(true);
  });

  it.each(PROTOCOL_ORDER)(
    'a crash after %s never breaks AWSCURRENT, and a new attempt ends with both users working',
    async (step) => {
      // Prepare
      const user = await appUser();
      const arn = sm.create(
        `dev/rds/app-alt-crash-${step}`,
        mysqlSecret(user, { masterarn: await masterSecretArn() }),
      );
      const deps = depsFor('mysql-alternating-users');
      attach(deps, step);

      // Act
      await rotate(arn);
      const duringCrash = await verifyCurrent({ secretId: arn }, deps);
      await newAttempt(arn, deps);

      // Assess
      expect(duringCrash.works).toBe(true);
      const current = sm.parsedAt<Parsed>(arn, 'AWSCURRENT');
      const previous = sm.parsedAt<Parsed>(arn, 'AWSPREVIOUS');
      expect(await db.canLogin(current.username, current.password)).toBe(true);
      expect(await db.canLogin(previous.username, previous.password)).toBe(true);
      expect(pendingOnly(arn)).toEqual([]);
    },
  );

  it('rejects wrong master credentials clearly, and AWSCURRENT stays current and working', async () => {
    // Prepare
    const user = await appUser();
    const arn = sm.create(
      'dev/rds/app-alt-badmaster',
      mysqlSecret(user, { masterarn: await masterSecretArn('wrong-password-123') }),
    );
    const deps = depsFor('mysql-alternating-users');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Act
    const attempt = rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Assess
    await expect(attempt).rejects.toThrow(DatabaseLoginError);
    await expect(attempt).rejects.toThrow(`rejected the master credentials of user ${db.admin.username}`);
    expect(sm.parsedAt<Parsed>(arn, 'AWSCURRENT')).toMatchObject(user);
    expect(await db.canLogin(user.username, user.password)).toBe(true);
  });

  it('asks for a master secret when neither the function nor the secret names one', async () => {
    // Prepare
    const user = await appUser();
    const arn = sm.create('dev/rds/app-alt-nomaster', mysqlSecret(user));
    const deps = depsFor('mysql-alternating-users');
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Act + Assess
    await expect(
      rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }, deps),
    ).rejects.toThrow(/no master secret for dev\/rds\/app-alt-nomaster: set MASTER_SECRET_ARN/);
  });
});

describe('rotation: clear errors that change nothing', () => {
  async function startedRotation(value: unknown, name: string) {
    const arn = sm.create(name, value);
    sm.rotator = undefined;
    const token = (await client.send(new RotateSecretCommand({ SecretId: arn }))).VersionId as string;
    return { arn, token };
  }

  it('an unreachable database is named, with host and port', async () => {
    // Prepare
    const port = await freePort();
    const user = await appUser();
    const { arn, token } = await startedRotation(mysqlSecret(user, { port }), 'dev/rds/unreachable');
    const deps = depsFor('mysql-single-user');
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Act
    const attempt = rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }, deps);

    // Assess
    await expect(attempt).rejects.toThrow(DatabaseUnreachableError);
    await expect(attempt).rejects.toThrow(
      `cannot reach the database at 127.0.0.1:${port} as ${user.username} (ECONNREFUSED)`,
    );
    expect(sm.parsedAt<Parsed>(arn, 'AWSCURRENT').password).toBe(user.password);
  });

  it('a malformed secret is reported by field, and no pending value is written', async () => {
    // Prepare
    const { arn, token } = await startedRotation(
      { username: 'app', password: 'hunter2-but-longer' },
      'dev/rds/malformed',
    );

    // Act
    const attempt = rotationStep(
      { Step: 'createSecret', SecretId: arn, ClientRequestToken: token },
      depsFor('mysql-single-user'),
    );

    // Assess
    await expect(attempt).rejects.toThrow(MalformedSecretError);
    await expect(attempt).rejects.toThrow(
      'AWSCURRENT of secret dev/rds/malformed is malformed (host: invalid_type)',
    );
    expect(sm.versionValue(arn, token)).toBeUndefined();
  });

  it('a secret that is not JSON is reported without its content', async () => {
    const { arn, token } = await startedRotation('not-json-secret-value', 'dev/rds/not-json');
    await expect(
      rotationStep(
        { Step: 'createSecret', SecretId: arn, ClientRequestToken: token },
        depsFor('mysql-single-user'),
      ),
    ).rejects.toThrow(/^AWSCURRENT of secret dev\/rds\/not-json is not JSON$/);
  });

  it('TLS is required by default: a server without TLS is refused, not silently used in clear text', async () => {
    const user = await appUser();
    const tls = new Database({ tls: 'required', connectTimeoutMs: 2000 });
    await expect(
      tls.check(
        { host: '127.0.0.1', port: db.port, username: user.username, password: user.password },
        'current',
      ),
    ).rejects.toThrow(
      /cannot reach the database at 127\.0\.0\.1:\d+ as app\d+ \(HANDSHAKE_NO_SSL_SUPPORT, TLS required\)/,
    );
  });

  it('TLS can be turned off only toward a loopback address', async () => {
    const plain = new Database({ tls: 'off', connectTimeoutMs: 2000 });
    await expect(
      plain.check(
        { host: 'app.cluster-abc.eu-west-1.rds.amazonaws.com', port: 3306, username: 'a', password: 'b' },
        'current',
      ),
    ).rejects.toThrow(RotationConfigError);
  });

  it('refuses a secret that is not enabled for rotation, an unknown token, and a secret of another function', async () => {
    // Prepare
    const user = await appUser();
    const off = sm.create('dev/rds/not-enabled', mysqlSecret(user), { rotationEnabled: false });
    const on = sm.create('dev/rds/enabled', mysqlSecret(user));
    const token = 'a'.repeat(36);

    // Act + Assess
    await expect(
      rotationStep(
        { Step: 'createSecret', SecretId: off, ClientRequestToken: token },
        depsFor('mysql-single-user'),
      ),
    ).rejects.toThrow(new RotationConfigError('secret dev/rds/not-enabled is not enabled for rotation'));
    await expect(
      rotationStep(
        { Step: 'createSecret', SecretId: on, ClientRequestToken: token },
        depsFor('mysql-single-user'),
      ),
    ).rejects.toThrow(RotationStateError);
    await expect(
      rotationStep(
        { Step: 'createSecret', SecretId: on, ClientRequestToken: token },
        depsFor('mysql-single-user', { SECRET_ID: 'dev/rds/other' }),
      ),
    ).rejects.toThrow('this function rotates dev/rds/other only, not dev/rds/enabled');
  });

  it('the captured log shows the rotation happened (so the no-secret-in-logs check has something to read)', async () => {
    const user = await appUser();
    const arn = sm.create('dev/rds/logged', mysqlSecret(user));
    attach(depsFor('mysql-single-user'));
    const before = capture.lines.length;

    await rotate(arn);

    const lines = capture.lines.slice(before).join('\n');
    expect(lines).toContain('rotation finished: version is AWSCURRENT');
    expect(lines).toContain('dev/rds/logged');
  });
});

describe('copyGrant: one SHOW GRANTS row of the current user becomes the same grant for the other user', () => {
  const from = { user: 'app', host: '%' };
  const to = { user: 'app_clone', host: '%' };

  it.each([
    ['GRANT SELECT, INSERT ON `app`.* TO `app`@`%`', "GRANT SELECT, INSERT ON `app`.* TO 'app_clone'@'%'"],
    [
      "GRANT ALL PRIVILEGES ON `app`.* TO 'app'@'%' WITH GRANT OPTION",
      "GRANT ALL PRIVILEGES ON `app`.* TO 'app_clone'@'%' WITH GRANT OPTION",
    ],
    ['GRANT `reader`@`%` TO `app`@`%`', "GRANT `reader`@`%` TO 'app_clone'@'%'"],
    ['GRANT SELECT ON `a TO b`.* TO `app`@`%`', "GRANT SELECT ON `a TO b`.* TO 'app_clone'@'%'"],
  ])('%s', (row, expected) => {
    expect(copyGrant(row, from, to)).toBe(expected);
  });

  it('drops the bare USAGE row (and with it the password hash MariaDB prints there)', () => {
    expect(
      copyGrant("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*9F75CEF7'", from, to),
    ).toBeUndefined();
  });

  it('ignores a row that is not about the current user', () => {
    expect(copyGrant('GRANT SELECT ON `app`.* TO `other`@`%`', from, to)).toBeUndefined();
  });
});

/**
 * The strategies' own work, called directly against MariaDB (no protocol around them): what each
 * logs, which stored credentials it may log in with, what it refuses, that it closes what it
 * opened, and which statement a failure names. Expected lines and messages are written out by hand.
 */
describe('mysql strategies against MariaDB: logins, refusals, log lines, connections, failures', () => {
  interface Line {
    readonly message: string;
    readonly extra?: unknown;
  }

  function strategyCtx(
    secretName: string,
    env: Record<string, string> = {},
    database?: Database,
  ): { ctx: StrategyContext; lines: Line[] } {
    const lines: Line[] = [];
    const logger = {
      info: (message: string, extra?: unknown) => lines.push({ message, extra }),
      warn: (message: string, extra?: unknown) => lines.push({ message, extra }),
      error: (message: string, extra?: unknown) => lines.push({ message, extra }),
      debug: () => undefined,
    } as unknown as OpsLogger;
    const settings = parseSettings({ ROTATION_STRATEGY: 'mysql-single-user', DB_TLS: 'off', ...env });
    return {
      lines,
      ctx: {
        secret: secretName,
        store: new SecretStore(client),
        db: database ?? new Database({ tls: 'off', connectTimeoutMs: 2000 }),
        settings,
        logger,
      },
    };
  }

  /**
   * A Database whose session the server ends (KILL, as an operator or a failover does) right
   * before the first statement matching `before`: the statement then fails with the server's error.
   */
  class KilledBefore extends Database {
    constructor(private readonly before: RegExp) {
      super({ tls: 'off', connectTimeoutMs: 2000 });
    }

    override async connect(c: DbCredentials, role: CredentialRole) {
      const conn = await super.connect(c, role);
      const before = this.before;
      const query = conn.query.bind(conn) as (sql: string, values?: unknown[]) => Promise<unknown>;
      (conn as unknown as { query: typeof query }).query = async (sql: string, values?: unknown[]) => {
        if (before.test(sql)) {
          const [[{ id }]] = (await query('SELECT CONNECTION_ID() AS id')) as [[{ id: number }]];
          await db.query(`KILL ${Number(id)}`);
        }
        return values === undefined ? await query(sql) : await query(sql, values);
      };
      return conn;
    }
  }

  const json = (v: unknown) => JSON.stringify(v);

  /** Sessions the server still has open for `username` (waits up to 3 s for closing ones to go). */
  async function sessionsOf(username: string): Promise<number> {
    const count = async () =>
      (
        await db.query<{ n: number }[]>(
          'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?',
          [username],
        )
      )[0]?.n ?? -1;
    for (let i = 0; i < 30; i++) {
      const n = Number(await count());
      if (n === 0) return 0;
      await new Promise((r) => setTimeout(r, 100));
    }
    return Number(await count());
  }

  async function masterUser(): Promise<{ username: string; password: string; arn: string }> {
    userCount += 1;
    const username = `master${userCount}`;
    const password = `Master-${Math.random().toString(36).slice(2)}-pw`;
    await db.query('CREATE USER ?@? IDENTIFIED BY ?', [username, '%', password]);
    await db.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [username, '%']);
    const arn = sm.create(`dev/rds/${username}`, {
      engine: 'mysql',
      host: '127.0.0.1',
      port: db.port,
      username,
      password,
    });
    return { username, password, arn };
  }

  describe('single user', () => {
    it('logs "password changed" with the credential it logged in with (AWSCURRENT), and closes its session', async () => {
      // Prepare
      const user = await appUser();
      const { ctx, lines } = strategyCtx('dev/rds/s1');
      const pending = { ...user, password: 'Pending-password-0001' };

      // Act
      await singleUser.set({ current: json(mysqlSecret(user)), pending: json(mysqlSecret(pending)) }, ctx);

      // Assess
      expect(lines).toEqual([
        {
          message: 'password changed',
          extra: { secret: 'dev/rds/s1', user: user.username, loggedInWith: 'current' },
        },
      ]);
      expect(await db.canLogin(user.username, 'Pending-password-0001')).toBe(true);
      expect(await sessionsOf(user.username)).toBe(0);
    });

    it('logs "pending password is already set" and changes nothing when the pending password logs in', async () => {
      const user = await appUser();
      const { ctx, lines } = strategyCtx('dev/rds/s2');

      await singleUser.set(
        { current: json(mysqlSecret({ ...user, password: 'stale-0001' })), pending: json(mysqlSecret(user)) },
        ctx,
      );

      expect(lines).toEqual([
        { message: 'pending password is already set', extra: { secret: 'dev/rds/s2', user: user.username } },
      ]);
      expect(await db.canLogin(user.username, user.password)).toBe(true);
    });

    it('logs in with AWSPREVIOUS of the same user and host when AWSCURRENT no longer works, and says so', async () => {
      const user = await appUser();
      const { ctx, lines } = strategyCtx('dev/rds/s3');
      const current = { ...user, password: 'never-set-0001' };

      await singleUser.set(
        {
          current: json(mysqlSecret(current)),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0003' })),
          previous: json(mysqlSecret(user)),
        },
        ctx,
      );

      expect(lines).toEqual([
        {
          message: 'password changed',
          extra: { secret: 'dev/rds/s3', user: user.username, loggedInWith: 'previous' },
        },
      ]);
      expect(await db.canLogin(user.username, 'Pending-password-0003')).toBe(true);
    });

    it('never logs in with an AWSPREVIOUS that names another user: that user keeps its password', async () => {
      // Prepare: AWSCURRENT's password no longer works; AWSPREVIOUS holds the working credentials of someone else
      const user = await appUser();
      const other = await appUser('other');
      const { ctx } = strategyCtx('dev/rds/s4');
      const attempt = singleUser.set(
        {
          current: json(mysqlSecret({ ...user, password: 'never-set-0002' })),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0004' })),
          previous: json(mysqlSecret(other)),
        },
        ctx,
      );

      // Assess
      await expect(attempt).rejects.toThrow(DatabaseLoginError);
      await expect(attempt).rejects.toThrow(`can log in as ${user.username}@127.0.0.1`);
      expect(await db.canLogin(other.username, other.password)).toBe(true);
      expect(await db.canLogin(other.username, 'Pending-password-0004')).toBe(false);
      expect(await db.canLogin(user.username, user.password)).toBe(true);
    });

    it('never logs in with an AWSPREVIOUS for the same user on another host', async () => {
      const user = await appUser();
      const { ctx } = strategyCtx('dev/rds/s5');
      const attempt = singleUser.set(
        {
          current: json(mysqlSecret({ ...user, password: 'never-set-0003' })),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0005' })),
          previous: json(mysqlSecret(user, { host: 'localhost' })),
        },
        ctx,
      );

      await expect(attempt).rejects.toThrow(DatabaseLoginError);
      expect(await db.canLogin(user.username, user.password)).toBe(true);
      expect(await db.canLogin(user.username, 'Pending-password-0005')).toBe(false);
    });

    it.each([
      ['not JSON', 'previous-is-not-json'],
      ['malformed (no host)', json({ username: 'x', password: 'y' })],
    ])('an AWSPREVIOUS that is %s is skipped: the refusal is the login error', async (_what, previous) => {
      const user = await appUser();
      const { ctx } = strategyCtx('dev/rds/s6');
      const attempt = singleUser.set(
        {
          current: json(mysqlSecret({ ...user, password: 'never-set-0004' })),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0006' })),
          previous,
        },
        ctx,
      );
      await expect(attempt).rejects.toThrow(
        `none of AWSPENDING, AWSCURRENT or AWSPREVIOUS of dev/rds/s6 can log in as ${user.username}@127.0.0.1`,
      );
      // The error says which credential the database rejected: AWSCURRENT's, the one that should work.
      await expect(attempt).rejects.toMatchObject({ name: 'DatabaseLoginError', credential: 'current' });
    });

    it.each([
      [/^SELECT VERSION/, 'version query'],
      [/^SET PASSWORD/, 'password change of USER'],
    ])('a session ended before %s fails naming "%s"', async (before, what) => {
      const user = await appUser();
      const { ctx } = strategyCtx('dev/rds/s7', {}, new KilledBefore(before));
      const attempt = singleUser.set(
        {
          current: json(mysqlSecret(user)),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0007' })),
        },
        ctx,
      );
      await expect(attempt).rejects.toThrow(
        new RegExp(`^${what.replace('USER', user.username)} failed \\(\\w+\\)$`),
      );
      expect(await db.canLogin(user.username, user.password)).toBe(true);
    });

    it("on MySQL (a version without MariaDB) the user changes its own password with MySQL's ALTER USER USER() IDENTIFIED BY", async () => {
      // Prepare: the server answers the version an RDS MySQL 8 gives; the statement that follows is
      // recorded, not run (MariaDB does not know ALTER USER USER()). MySQL 8 reference manual,
      // ALTER USER: "ALTER USER USER() IDENTIFIED BY 'auth_string'" changes the current user's password.
      const user = await appUser();
      const sent: { sql: string; values: unknown }[] = [];
      class MySql8 extends Database {
        override async connect(c: DbCredentials, role: CredentialRole) {
          const conn = await super.connect(c, role);
          const query = conn.query.bind(conn) as (sql: string, values?: unknown[]) => Promise<unknown>;
          (conn as unknown as { query: typeof query }).query = async (sql: string, values?: unknown[]) => {
            if (sql === 'SELECT VERSION() AS version') return [[{ version: '8.0.36' }], []];
            if (/^(ALTER USER|SET PASSWORD)/.test(sql)) {
              sent.push({ sql, values });
              return [{ affectedRows: 0 }, []];
            }
            return values === undefined ? await query(sql) : await query(sql, values);
          };
          return conn;
        }
      }
      const { ctx } = strategyCtx('dev/rds/m8', {}, new MySql8({ tls: 'off', connectTimeoutMs: 2000 }));

      // Act
      await singleUser.set(
        {
          current: json(mysqlSecret(user)),
          pending: json(mysqlSecret({ ...user, password: 'Pending-password-0008' })),
        },
        ctx,
      );

      // Assess
      expect(sent).toEqual([{ sql: 'ALTER USER USER() IDENTIFIED BY ?', values: ['Pending-password-0008'] }]);
    });
  });

  describe('testing a value', () => {
    it.each([
      ['AWSPENDING', 'pending'],
      ['AWSCURRENT', 'current'],
    ])('a %s that cannot log in is reported as the %s credentials', async (label, role) => {
      const user = await appUser();
      const { ctx } = strategyCtx('dev/rds/t1');
      for (const strategy of [singleUser, alternatingUsers] as RotationStrategy[]) {
        await expect(
          strategy.test(json(mysqlSecret({ ...user, password: 'wrong-0001' })), label, ctx),
        ).rejects.toThrow(
          `rejected the ${role} credentials of user ${user.username} (ER_ACCESS_DENIED_ERROR)`,
        );
        await expect(strategy.test(json(mysqlSecret(user)), label, ctx)).resolves.toBeUndefined();
      }
    });
  });

  describe('alternating users', () => {
    it('logs "alternate user ready" naming the clone and its origin, and closes the master session', async () => {
      const user = await appUser();
      const master = await masterUser();
      const { ctx, lines } = strategyCtx('dev/rds/a1', { MASTER_SECRET_ARN: master.arn });
      const clone = { username: `${user.username}_clone`, password: 'Clone-password-0001' };

      await alternatingUsers.set(
        { current: json(mysqlSecret(user)), pending: json(mysqlSecret(clone)) },
        ctx,
      );

      expect(lines).toEqual([
        {
          message: 'alternate user ready',
          extra: { secret: 'dev/rds/a1', user: clone.username, copiedFrom: user.username },
        },
      ]);
      expect(await db.canLogin(clone.username, clone.password)).toBe(true);
      expect(await sessionsOf(master.username)).toBe(0);
    });

    it('copies a grant on a database whose name holds "?" as written: a copied grant has no placeholders', async () => {
      // Prepare: a legal database name with a question mark, granted to the user
      const user = await appUser();
      const master = await masterUser();
      await db.query('CREATE DATABASE IF NOT EXISTS `odd?name`');
      await db.query(`GRANT SELECT ON \`odd?name\`.* TO '${user.username}'@'%'`);
      const { ctx } = strategyCtx('dev/rds/a4', { MASTER_SECRET_ARN: master.arn });
      const clone = { username: `${user.username}_clone`, password: 'Clone-password-0004' };

      // Act
      await alternatingUsers.set(
        { current: json(mysqlSecret(user)), pending: json(mysqlSecret(clone)) },
        ctx,
      );

      // Assess
      const grants = await db.query<Record<string, string>[]>('SHOW GRANTS FOR ?@?', [clone.username, '%']);
      expect(grants.map((g) => Object.values(g)[0])).toContainEqual(
        `GRANT SELECT ON \`odd?name\`.* TO \`${clone.username}\`@\`%\``,
      );
    });

    it('refuses an AWSCURRENT user the database does not have, and creates no clone', async () => {
      const master = await masterUser();
      const { ctx } = strategyCtx('dev/rds/a2', { MASTER_SECRET_ARN: master.arn });
      const ghost = { username: 'ghost', password: 'Ghost-password-0001' };

      const attempt = alternatingUsers.set(
        {
          current: json(mysqlSecret(ghost)),
          pending: json(mysqlSecret({ username: 'ghost_clone', password: 'Clone-password-0002' })),
        },
        ctx,
      );

      await expect(attempt).rejects.toThrow(RotationStateError);
      await expect(attempt).rejects.toThrow('user ghost of AWSCURRENT does not exist on 127.0.0.1');
      expect(await db.query('SELECT User FROM mysql.user WHERE User = ?', ['ghost_clone'])).toEqual([]);
      expect(await sessionsOf(master.username)).toBe(0);
    });

    it.each([
      [/FROM mysql\.user/, 'lookup of user USER'],
      [/^CREATE USER/, 'creation of USER_clone'],
      [/^SHOW GRANTS/, 'grants of USER'],
      [/^GRANT /, 'grant copy to USER_clone'],
      [/^ALTER USER/, 'password change of USER_clone'],
    ])(
      'a master session ended before %s fails naming "%s", and AWSCURRENT still logs in',
      async (before, what) => {
        const user = await appUser();
        const master = await masterUser();
        const { ctx } = strategyCtx(
          'dev/rds/a3',
          { MASTER_SECRET_ARN: master.arn },
          new KilledBefore(before),
        );
        const attempt = alternatingUsers.set(
          {
            current: json(mysqlSecret(user)),
            pending: json(
              mysqlSecret({ username: `${user.username}_clone`, password: 'Clone-password-0003' }),
            ),
          },
          ctx,
        );
        await expect(attempt).rejects.toThrow(
          new RegExp(`^${what.replaceAll('USER', user.username)} failed \\(\\w+\\)$`),
        );
        expect(await db.canLogin(user.username, user.password)).toBe(true);
      },
    );
  });
});
