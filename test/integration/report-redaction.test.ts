import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clearRegisteredSecretValues,
  REDACTED,
  redact,
  redactingJsonReplacer,
  redactString,
  registerSecretValue,
} from '../../functions/shared/redact.js';

/** Secret-looking values: long enough to be credible, from the characters real tokens use. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9+/=_-]{12,60}$/);

/** Arbitrary JSON-like structures with `hole` placed somewhere inside a string. */
function embedding(hole: string) {
  const leaf = fc.oneof(
    fc.constant(hole),
    fc.string().map((s) => `${s}${hole}${s}`),
    fc.string(),
    fc.integer(),
    fc.boolean(),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,12}$/), tie('tree'), { maxKeys: 4 }),
    ),
  }));
  // Always at least one occurrence, at a random depth.
  return fc
    .tuple(tree, fc.stringMatching(/^[a-z][a-zA-Z]{0,12}$/))
    .map(([t, key]) => ({ [key]: [t, `x ${hole} y`] }));
}

describe('redaction: what every log line, Slack message, Datadog event and audit record passes through', () => {
  afterEach(() => clearRegisteredSecretValues());

  it('a registered secret value never survives, wherever it sits in whatever structure', () => {
    fc.assert(
      fc.property(
        secretValue.chain((secret) => fc.tuple(fc.constant(secret), embedding(secret))),
        ([secret, value]) => {
          // Prepare
          clearRegisteredSecretValues();
          registerSecretValue(secret);

          // Act
          const out = JSON.stringify(redact(value));

          // Assess
          expect(out).not.toContain(secret);
          expect(out).toContain(REDACTED);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('values under sensitive keys are replaced whole; keys that only name a secret are kept', () => {
    // Act
    const out = redact({
      password: 'hunter2hunter2',
      db: {
        masterPassword: 'x',
        SecretString: '{"password":"p"}',
        secretName: 'dev/rds/app-user',
        secretId: 'dev/rds/app-user',
      },
      approval: { taskToken: 'AQ', api_key: 'k', responseUrl: 'https://example.invalid/x' },
      botTokenSecretName: 'ops/dev/slack/bot-token',
      resourceKey: 'vol-0abc',
    });

    // Assess
    expect(out).toEqual({
      password: REDACTED,
      db: {
        masterPassword: REDACTED,
        SecretString: REDACTED,
        secretName: 'dev/rds/app-user',
        secretId: 'dev/rds/app-user',
      },
      approval: { taskToken: REDACTED, api_key: REDACTED, responseUrl: REDACTED },
      botTokenSecretName: 'ops/dev/slack/bot-token',
      resourceKey: 'vol-0abc',
    });
  });

  it('credential shapes are cut out of free text', () => {
    const cases = [
      'token xoxb-1234567890-0987654321-AbCdEfGhIjKl here',
      'reply to https://hooks.slack.com/actions/T000/123/AbCdEf please',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
      'key AKIAIOSFODNN7EXAMPLE leaked',
      `task ${'AQCEAAAAKgAAAAMAAAAA'.padEnd(120, 'Zx9')} waiting`,
      'mysql://app:S3cretPassw0rd@db.internal:3306/app',
      'password=S3cretPassw0rd&user=app',
      '{"password": "S3cretPassw0rd"}',
    ];
    for (const text of cases) {
      const out = redactString(text);
      expect(out, text).toContain(REDACTED);
      for (const secret of [
        'xoxb-1234567890',
        'hooks.slack.com/actions',
        'eyJhbGci',
        'AKIAIOSFODNN7EXAMPLE',
        'AQCEAAAA',
        'S3cretPassw0rd',
      ]) {
        expect(out, text).not.toContain(secret);
      }
    }
  });

  it('ordinary operational text is left alone', () => {
    const text =
      'Node group dev-platform/dev-platform-a scaled from 4 to 6 (request 5f1b6c2e-8a3d-4f7e-9b0a-1c2d3e4f5a6b)';
    expect(redactString(text)).toBe(text);
  });

  it('the logger replacer applies the same rules to keys and to strings', () => {
    // Prepare
    registerSecretValue('abcdefghijkl-secret');

    // Act
    const line = JSON.stringify(
      {
        message: 'x',
        password: 'p4ssw0rd-value',
        note: 'has abcdefghijkl-secret inside',
        secretName: 'ops/dev/x',
      },
      redactingJsonReplacer,
    );

    // Assess
    expect(JSON.parse(line)).toEqual({
      message: 'x',
      password: REDACTED,
      note: `has ${REDACTED} inside`,
      secretName: 'ops/dev/x',
    });
  });
});
