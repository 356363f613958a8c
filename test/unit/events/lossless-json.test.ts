import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { parseJsonLosslessly } from '../../../events/index.js';

/**
 * The Datadog webhook body parser gives exactly what lossless-json gives (the library itself is the
 * oracle here): the same value, with the same key order and the same numbers (big ids as their text),
 * or the same error. Its fast path through JSON.parse (issue 17, intake speed) must never show.
 */
const oracle = (text: string) =>
  parseLossless(text, null, (value: string) => (isSafeNumber(value) ? Number(value) : value));

function sameAsLosslessJson(text: string): void {
  let expected: unknown;
  let error: string | undefined;
  try {
    expected = oracle(text);
  } catch (err) {
    error = (err as Error).message;
  }
  if (error !== undefined) {
    expect(() => parseJsonLosslessly(text)).toThrow(error);
    return;
  }
  const got = parseJsonLosslessly(text);
  expect(got).toStrictEqual(expected);
  expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
}

/** A JSON number literal: integers of any length, fractions, exponents, negative zero. */
const numberLiteral = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
    fc.option(fc.stringMatching(/^\.[0-9]{1,22}$/), { nil: '' }),
    fc.option(fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/), { nil: '' }),
  )
  .map((parts) => parts.join(''));

/** An object text whose values are number literals, with a key maybe repeated and odd whitespace. */
const objectText = fc
  .array(
    fc.tuple(
      fc.constantFrom('a', 'b', 'id', '__proto__', 'x":1'),
      numberLiteral,
      fc.constantFrom('', ' ', '\n\t'),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map(
    (entries) =>
      `{${entries.map(([k, v, ws]) => `${JSON.stringify(k)}${ws}:${ws}${v}`).join(',')}, "list": [${entries.map(([, v]) => v).join(', ')}]}`,
  );

describe('parseJsonLosslessly: the same as lossless-json', () => {
  it('for generated JSON texts', () => {
    fc.assert(
      fc.property(fc.json(), (text) => sameAsLosslessJson(text)),
      { numRuns: 2000 },
    );
  });

  it('for numbers of every shape, repeated keys, whitespace before colons and key look-alikes', () => {
    fc.assert(
      fc.property(objectText, (text) => sameAsLosslessJson(text)),
      { numRuns: 3000 },
    );
  });

  it('for the recorded webhook bodies with big ids, repeated keys and broken text', () => {
    const body = JSON.stringify({
      id: '7281010972796602671',
      alert_id: 12345,
      date: 1722429060000,
      tags: 'runbook:scale-node-group, cluster:prod',
      title: 'time 12:31:00.000Z, ratio 1e5, ids [1234567890123456789]',
      nested: { org: { id: 11287, name: 'x' } },
    });
    const cases = [
      body,
      body.replace('12345', '7281010972796602671'),
      body.replace('12345', '9007199254740993'),
      body.replace('12345', '100000000.0000000001'),
      body.replace('12345', '1e-400'),
      body.replace('12345', '1e400'),
      body.replace('12345', '1.0'),
      body.replace('12345', '-0'),
      body.replace('"alert_id":12345', '"alert_id":12345,"alert_id":12346'),
      body.replace('"alert_id":12345', '"alert_id":12345,"alert_id":12345'),
      body.replace('"alert_id":12345', '"alert_id" :12345,"alert_id"\n:1'),
      body.replace('"name":"x"', '"name":"x","name":"y"'),
      body.slice(0, -1),
      `${body} x`,
      '7281010972796602671',
      '[1, 2]',
      '"text"',
      '',
    ];
    for (const text of cases) sameAsLosslessJson(text);
  });
});
