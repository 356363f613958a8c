import { describe, expect, it } from 'vitest';
import type { Database } from '../../../functions/rotation/mysql.js';
import type { SecretStore } from '../../../functions/rotation/secrets.js';
import { parseSettings } from '../../../functions/rotation/settings.js';
import { alternateUser, randomToken, type StrategyContext } from '../../../functions/rotation/strategies.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';

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
    expect(() =>
      randomToken.validate(JSON.stringify({ apiToken: 1234567890123456789 }), 'AWSCURRENT', ctx()),
    ).toThrow('has no token');
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
