import { afterEach, describe, expect, it } from 'vitest';
import {
  clearRegisteredSecretValues,
  REDACTED,
  redact,
  redactingJsonReplacer,
  redactString,
  registerSecretValue,
} from '../../../functions/shared/redact.js';

/**
 * Redaction, edge by edge: each row's expected output is written by hand, at the boundaries of
 * each rule (the shortest credential that is cut, the longest look-alike that is kept).
 */

const R = REDACTED;

afterEach(() => clearRegisteredSecretValues());

describe('redactString: credential shapes inside text', () => {
  it.each([
    // Slack tokens: every documented prefix, at least 8 characters after the dash
    ['xoxb-12345678', R],
    ['xoxa-12345678', R],
    ['xoxe-12345678', R],
    ['xoxo-12345678', R],
    ['xoxp-12345678', R],
    ['xoxr-12345678', R],
    ['xoxs-12345678', R],
    ['xapp-1-A0-abcd', R],
    ['xoxb-1234567', 'xoxb-1234567'],
    ['xoxc-12345678', 'xoxc-12345678'],
    ['axoxb-12345678', 'axoxb-12345678'],
    ['token: xoxb-123-456-AbCdEf end', `token: ${R} end`],
    // Slack hooks: https only, up to whitespace, quote or bracket
    ['see https://hooks.slack.com/commands/T1/2/abc now', `see ${R} now`],
    ['(https://hooks.slack.com/a/b)', `(${R})`],
    ['"https://hooks.slack-gov.com/services/x"', `"${R}"`],
    ['http://hooks.slack.com/a', 'http://hooks.slack.com/a'],
    ['https://hooks.example.com/a', 'https://hooks.example.com/a'],
    // Bearer / Basic: at least 8 credential characters
    ['Bearer abcdefgh', R],
    ['Basic dXNlcjpwYXNz', R],
    ['Bearer abcdefg', 'Bearer abcdefg'],
    ['Bearer  abcdefgh', R],
    ['Bearerabcdefgh', 'Bearerabcdefgh'],
    // AWS access key ids: the four prefixes and exactly 16 more
    ['AKIAIOSFODNN7EXAMPLE', R],
    ['ASIAIOSFODNN7EXAMPLE', R],
    ['AROAIOSFODNN7EXAMPLE', R],
    ['AIDAIOSFODNN7EXAMPLE', R],
    ['key AKIAIOSFODNN7EXAMPLE.', `key ${R}.`],
    ['AKIAIOSFODNN7EXAMPL', 'AKIAIOSFODNN7EXAMPL'],
    ['AKIAIOSFODNN7EXAMPLEX', 'AKIAIOSFODNN7EXAMPLEX'],
    ['XAKIAIOSFODNN7EXAMPLE', 'XAKIAIOSFODNN7EXAMPLE'],
    ['ABIAIOSFODNN7EXAMPLE', 'ABIAIOSFODNN7EXAMPLE'],
    // JWTs: three segments of at least 8
    ['eyJabcdefgh.abcdefgh.abcdefgh', R],
    ['eyJabcdefgh.abcdefgh.abcdefg', 'eyJabcdefgh.abcdefgh.abcdefg'],
    // Task tokens: AQ and at least 78 more
    [`AQ${'a'.repeat(78)}`, R],
    [`AQ${'a'.repeat(77)}`, `AQ${'a'.repeat(77)}`],
    // Credentials in URLs: only the password part
    ['mysql://app:s3cret@db.local/x', `mysql://app:${R}@db.local/x`],
    ['https://db.local/x@y', 'https://db.local/x@y'],
    ['x://u:pw@host', `x://u:${R}@host`],
    ['h2://u:pw@host', `h2://u:${R}@host`],
    // key = value pairs in text or serialised JSON
    ['password=abc123', `password=${R}`],
    ['PASSWORD: "abc"', `PASSWORD: "${R}"`],
    ['{"token":"abc"}', `{"token":"${R}"}`],
    ["secret='abc'", `secret='${R}'`],
    ['api-key=zzz', `api-key=${R}`],
    ['api_key=zzz', `api_key=${R}`],
    ['apikey=zzz', `apikey=${R}`],
    ['app_key=zzz', `app_key=${R}`],
    ['access-key=zzz', `access-key=${R}`],
    ['secret_key=zzz', `secret_key=${R}`],
    ['secretkey=zzz', `secretkey=${R}`],
    ['appkey=zzz', `appkey=${R}`],
    ['accesskey=zzz', `accesskey=${R}`],
    ['secretstring=zzz', `secretstring=${R}`],
    ['pwd=zzz', `pwd=${R}`],
    ['passwd=zzz', `passwd=${R}`],
    ['authorization: zzz', `authorization: ${R}`],
    ['password=abc,next=1', `password=${R},next=1`],
    ['password=abc;next', `password=${R};next`],
    ['password=abc&next', `password=${R}&next`],
    ['{password=abc}', `{password=${R}}`],
    ['password=abc next', `password=${R} next`],
    ['password = abc', `password = ${R}`],
    ['username=admin', 'username=admin'],
    ['db_password=abc', `db_password=${R}`],
    // ordinary operational text stays
    [
      'snapshot snap-0123456789abcdef0 of vol-0abc completed',
      'snapshot snap-0123456789abcdef0 of vol-0abc completed',
    ],
    [
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/rds/app-AbCdEf',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/rds/app-AbCdEf',
    ],
  ])('%j → %j', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it('cuts registered and given secret values of 6 characters or more, everywhere they occur', () => {
    registerSecretValue('abcdef');
    registerSecretValue('abcde');
    registerSecretValue(undefined);
    registerSecretValue('');
    expect(redactString('abcdef and abcdef')).toBe(`${R} and ${R}`);
    expect(redactString('abcde')).toBe('abcde');
    expect(redactString('x 123456 y', ['123456'])).toBe(`x ${R} y`);
    expect(redactString('x 12345 y', ['12345'])).toBe('x 12345 y');
    clearRegisteredSecretValues();
    expect(redactString('abcdef')).toBe('abcdef');
  });
});

describe('redact: structures', () => {
  it('replaces values under sensitive keys whole, keeps keys that only name a secret', () => {
    const input = {
      password: 'p',
      pass_word: 'p',
      'db-password': 'p',
      userPwd: 'p',
      pwdHint: 'kept',
      passphrase: 'p',
      secret: 'p',
      clientSecret: 'p',
      apiKey: 'p',
      appKey: 'p',
      privateKey: 'p',
      credentials: 'p',
      cookie: 'p',
      sessionKey: 'p',
      accessKey: 'p',
      signature: 'p',
      authorization: 'p',
      responseUrl: 'p',
      taskToken: 'p',
      secretName: 'kept',
      secret_names: ['kept'],
      secretArn: 'kept',
      secretArns: ['kept'],
      secretId: 'kept',
      secretIds: ['kept'],
      secretStage: 'kept',
      secretVersion: 'kept',
      secretVersionId: 'kept',
      secretVersionStage: 'kept',
      tokenCount: 3,
      tokenExpiry: 'kept',
      tokenExpiresAt: 5,
      tokenTtl: 60,
      tokenType: 'kept',
      secretKind: 'kept',
      resourceKey: 'kept',
      idToken: 'p',
      kindPassword: 'p',
    };
    const out = redact(input);
    for (const [key, value] of Object.entries(out)) {
      const original = (input as Record<string, unknown>)[key];
      if (original === 'p') expect(value, key).toBe(R);
      else expect(value, key).toEqual(original);
    }
  });

  it('leaves null and undefined under sensitive keys as they are (nothing to hide)', () => {
    expect(redact({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it('walks arrays and nested objects, turns Dates into ISO text and Errors into name and scrubbed message', () => {
    const err = new TypeError('login failed: password=hunter2');
    expect(
      redact({
        list: ['xoxb-12345678', { token: 'x' }, 3, true, null],
        when: new Date('2026-11-22T10:00:00Z'),
        err,
      }),
    ).toEqual({
      list: [R, { token: R }, 3, true, null],
      when: '2026-11-22T10:00:00.000Z',
      err: { name: 'TypeError', message: `login failed: password=${R}` },
    });
    expect(redact('xoxb-12345678')).toBe(R);
    expect(redact(42)).toBe(42);
    expect(redact(undefined)).toBeUndefined();
  });

  it('uses the secrets a caller passes, besides the registered ones', () => {
    expect(redact({ note: 'the value 987654 leaked' }, { secrets: ['987654'] })).toEqual({
      note: `the value ${R} leaked`,
    });
  });

  it('copies: the input is not changed', () => {
    const input = { password: 'p', nested: { note: 'xoxb-12345678' } };
    redact(input);
    expect(input).toEqual({ password: 'p', nested: { note: 'xoxb-12345678' } });
  });

  it('survives cycles and stops at depth 40; an object reached by two paths is no cycle and is kept', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Circular]' });
    const shared = { v: 1, token: 't' };
    expect(redact({ x: shared, y: shared })).toEqual({
      x: { v: 1, token: REDACTED },
      y: { v: 1, token: REDACTED },
    });
    const twice: Record<string, unknown> = { list: [] };
    (twice.list as unknown[]).push({ back: twice });
    expect(redact({ one: twice, two: twice })).toEqual({
      one: { list: [{ back: '[Circular]' }] },
      two: { list: [{ back: '[Circular]' }] },
    });

    let list: unknown = ['leaf'];
    for (let i = 0; i < 41; i++) list = [list];
    let item = redact(list) as unknown[];
    for (let i = 0; i < 40; i++) item = item[0] as unknown[];
    expect(item).toEqual(['[Truncated]']);

    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 41; i++) deep = { next: deep };
    // depth 0 … 40 are walked; the object at depth 41 is cut
    let node = redact(deep) as Record<string, unknown>;
    for (let i = 0; i < 40; i++) node = node.next as Record<string, unknown>;
    expect(node).toEqual({ next: '[Truncated]' });
  });
});

describe('redactingJsonReplacer: the logger path', () => {
  it('applies the key rule and the string rule, and nothing else', () => {
    expect(redactingJsonReplacer('password', 'x')).toBe(R);
    expect(redactingJsonReplacer('password', null)).toBeNull();
    expect(redactingJsonReplacer('password', undefined)).toBeUndefined();
    expect(redactingJsonReplacer('secretName', 'dev/rds/app')).toBe('dev/rds/app');
    expect(redactingJsonReplacer('', 'xoxb-12345678')).toBe(R);
    expect(redactingJsonReplacer('note', 'xoxb-12345678')).toBe(R);
    expect(redactingJsonReplacer('count', 5)).toBe(5);
    const obj = { password: 'x' };
    expect(redactingJsonReplacer('', obj)).toBe(obj);
    expect(JSON.stringify({ a: { password: 'x', n: 'Bearer abcdefgh' } }, redactingJsonReplacer)).toBe(
      `{"a":{"password":"${R}","n":"${R}"}}`,
    );
  });
});
