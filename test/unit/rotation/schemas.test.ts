import { describe, expect, it } from 'vitest';
import { OpsRequestSchema, RotationEventSchema } from '../../../runbooks/rotate-secret/steps/protocol.js';
import { MysqlSecretSchema, parseSecret } from '../../../runbooks/rotate-secret/steps/secret-values.js';
import { parseSettings } from '../../../runbooks/rotate-secret/steps/settings.js';

/**
 * The rotation function's three input shapes, case by case with answers written by hand: its
 * environment (defaults, text to numbers, refusals), a MySQL secret value (RDS's shape, unknown keys
 * kept) and the events it accepts. The same cases pass on the schemas' classic-zod build and on
 * their zod/mini build (issue 17), so the lighter build changed nothing they decide.
 */
describe('parseSettings: the function’s environment', () => {
  it('fills every default when only the strategy is set', () => {
    expect(parseSettings({ ROTATION_STRATEGY: 'mysql-single-user' })).toEqual({
      strategy: 'mysql-single-user',
      secretId: undefined,
      masterSecretArn: undefined,
      password: { length: 32, excludeCharacters: '/@"\'\\', excludePunctuation: false },
      tls: 'required',
      connectTimeoutMs: 5000,
      token: { field: 'token', generator: 'secrets-manager', length: 40 },
    });
  });

  it('reads numbers and flags from their text', () => {
    const settings = parseSettings({
      ROTATION_STRATEGY: 'random',
      SECRET_ID: 'dev/api/partner-token',
      PASSWORD_LENGTH: '64',
      EXCLUDE_PUNCTUATION: 'true',
      DB_CONNECT_TIMEOUT_MS: '100',
      TOKEN_LENGTH: '4096',
      TOKEN_GENERATOR: 'hex',
    });
    expect(settings.secretId).toBe('dev/api/partner-token');
    expect(settings.password).toEqual({ length: 64, excludeCharacters: '/@"\'\\', excludePunctuation: true });
    expect(settings.connectTimeoutMs).toBe(100);
    expect(settings.token).toEqual({ field: 'token', generator: 'hex', length: 4096 });
  });

  it.each([
    [{ ROTATION_STRATEGY: 'mysql-multi-user' }, 'ROTATION_STRATEGY'],
    [{}, 'ROTATION_STRATEGY'],
    [{ ROTATION_STRATEGY: 'random', PASSWORD_LENGTH: '15' }, 'PASSWORD_LENGTH'],
    [{ ROTATION_STRATEGY: 'random', PASSWORD_LENGTH: '4097' }, 'PASSWORD_LENGTH'],
    [{ ROTATION_STRATEGY: 'random', PASSWORD_LENGTH: '32.5' }, 'PASSWORD_LENGTH'],
    [{ ROTATION_STRATEGY: 'random', PASSWORD_LENGTH: 'long' }, 'PASSWORD_LENGTH'],
    [{ ROTATION_STRATEGY: 'random', EXCLUDE_PUNCTUATION: 'yes' }, 'EXCLUDE_PUNCTUATION'],
    [{ ROTATION_STRATEGY: 'random', DB_TLS: 'on' }, 'DB_TLS'],
    [{ ROTATION_STRATEGY: 'random', DB_CONNECT_TIMEOUT_MS: '99' }, 'DB_CONNECT_TIMEOUT_MS'],
    [{ ROTATION_STRATEGY: 'random', TOKEN_FIELD: '' }, 'TOKEN_FIELD'],
    [{ ROTATION_STRATEGY: 'random', SECRET_ID: '' }, 'SECRET_ID'],
    [{ ROTATION_STRATEGY: 'random', TOKEN_GENERATOR: 'uuid' }, 'TOKEN_GENERATOR'],
  ])('refuses %j, naming %s', (env, field) => {
    expect(() => parseSettings(env)).toThrow(
      expect.objectContaining({
        name: 'RotationSettingsError',
        message: expect.stringMatching(new RegExp(`^rotation function is misconfigured: ${field}: .+`)),
      }),
    );
  });
});

describe('MysqlSecretSchema: a MySQL secret value', () => {
  const what = { secret: 'dev/rds/app-user', label: 'AWSCURRENT' };

  it('reads RDS’s shape, port from text or number, 3306 by default, unknown keys kept', () => {
    expect(
      parseSecret(
        MysqlSecretSchema,
        JSON.stringify({
          engine: 'mysql',
          host: 'db',
          port: '3307',
          username: 'app',
          password: 'p',
          proxy: 'x',
        }),
        what,
      ),
    ).toEqual({ engine: 'mysql', host: 'db', port: 3307, username: 'app', password: 'p', proxy: 'x' });
    expect(
      parseSecret(MysqlSecretSchema, JSON.stringify({ host: 'db', username: 'app', password: 'p' }), what),
    ).toEqual({ host: 'db', port: 3306, username: 'app', password: 'p' });
  });

  it.each([
    [{ host: 'db', username: 'app', password: 'p', port: 0 }, 'port: too_small'],
    [{ host: 'db', username: 'app', password: 'p', port: 65536 }, 'port: too_big'],
    [{ host: 'db', username: 'app', password: 'p', port: 3306.5 }, 'port: invalid_type'],
    [{ host: '', username: 'app', password: 'p' }, 'host: too_small'],
    [{ host: 'db', username: 'u'.repeat(81), password: 'p' }, 'username: too_big'],
    [{ host: 'db', username: 'app' }, 'password: invalid_type'],
    [{ host: 'db', username: 'app', password: 'p', engine: 'postgres' }, 'engine: invalid_value'],
  ])('refuses %j with the field and the kind of fault, never the value', (value, fault) => {
    expect(() => parseSecret(MysqlSecretSchema, JSON.stringify(value), what)).toThrow(
      `AWSCURRENT of secret dev/rds/app-user is malformed (${fault})`,
    );
  });
});

describe('the events the function accepts', () => {
  const token = 'a'.repeat(32);

  it('a rotation step with a 32–64 character token', () => {
    expect(
      RotationEventSchema.safeParse({ Step: 'createSecret', SecretId: 's', ClientRequestToken: token })
        .success,
    ).toBe(true);
    expect(
      RotationEventSchema.safeParse({
        Step: 'createSecret',
        SecretId: 's',
        ClientRequestToken: 'a'.repeat(31),
      }).success,
    ).toBe(false);
    expect(
      RotationEventSchema.safeParse({
        Step: 'createSecret',
        SecretId: 's',
        ClientRequestToken: 'a'.repeat(65),
      }).success,
    ).toBe(false);
    expect(
      RotationEventSchema.safeParse({ Step: 'rotate', SecretId: 's', ClientRequestToken: token }).success,
    ).toBe(false);
    expect(
      RotationEventSchema.safeParse({ Step: 'setSecret', SecretId: '', ClientRequestToken: token }).success,
    ).toBe(false);
  });

  it('the runbook’s verify and recover requests', () => {
    expect(OpsRequestSchema.parse({ action: 'verify', secretId: 's', expectVersionId: token })).toEqual({
      action: 'verify',
      secretId: 's',
      expectVersionId: token,
    });
    expect(OpsRequestSchema.parse({ action: 'recover', secretId: 's' })).toEqual({
      action: 'recover',
      secretId: 's',
    });
    expect(
      OpsRequestSchema.safeParse({ action: 'verify', secretId: 's', expectVersionId: 'short' }).success,
    ).toBe(false);
    expect(OpsRequestSchema.safeParse({ action: 'delete', secretId: 's' }).success).toBe(false);
    expect(OpsRequestSchema.safeParse({ action: 'recover' }).success).toBe(false);
  });
});
