import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventSplitter, type Piece } from '../../../bin/replay/split.js';

/**
 * The splitter behind `ops replay`: text in arbitrary chunks → one piece per event. The oracle is
 * `JSON.parse` of the whole text (the values a non-streaming reader would see), for any chunking.
 */

function split(text: string, cuts: readonly number[], max?: number): Piece[] {
  const splitter = new EventSplitter(max);
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: Piece[] = [];
  let from = 0;
  for (const p of [...points, text.length]) {
    out.push(...splitter.push(text.slice(from, p)));
    from = p;
  }
  out.push(...splitter.end());
  return out;
}

const parsed = (pieces: Piece[]) =>
  pieces.map((p) => (p.kind === 'event' ? JSON.parse(p.text) : { error: p.reason }));

// Objects with awkward strings: quotes, backslashes, brackets and braces inside strings, unicode.
const awkward = fc.string({
  unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', 'a', 'é', '\n', '😀', ' '),
});
const event = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(awkward, fc.jsonValue({ maxDepth: 3 })), {
  maxKeys: 5,
});
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('EventSplitter: streaming CloudTrail files and event streams', () => {
  it('a CloudTrail file {"Records":[…]}: each record, in order, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), cuts, fc.boolean(), (records, at, pretty) => {
        const text = JSON.stringify({ Records: records }, null, pretty ? 2 : undefined);
        const pieces = split(text, at);
        expect(parsed(pieces)).toEqual(JSON.parse(text).Records);
        expect(pieces.map((p) => p.where)).toEqual(records.map((_, i) => `Records[${i}]`));
      }),
    );
  });

  it('NDJSON, concatenated values and a top-level array: each value, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), cuts, (events, at) => {
        const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
        const concatenated = events.map((e) => JSON.stringify(e)).join('');
        const array = JSON.stringify(events);
        expect(parsed(split(ndjson, at))).toEqual(events.map((e) => JSON.parse(JSON.stringify(e))));
        expect(parsed(split(concatenated, at))).toEqual(events.map((e) => JSON.parse(JSON.stringify(e))));
        expect(parsed(split(array, at))).toEqual(JSON.parse(array));
        expect(split(ndjson, at).map((p) => p.where)).toEqual(events.map((_, i) => `line ${i + 1}`));
      }),
    );
  });

  it('keys after Records are skipped, even when they hold brackets and a Records key of their own', () => {
    const text = '{"Records":[{"a":1}],"digest":{"Records":[{"b":2}],"s":"]}"}}\n{"c":3}';

    expect(parsed(split(text, []))).toEqual([{ a: 1 }, { c: 3 }]);
  });

  it('a value still open at the end is reported as truncated, after the values before it', () => {
    const text = '{"Records":[{"a":1},{"b":"unfinished';

    const pieces = split(text, [5, 17, 30]);

    expect(pieces[0]).toEqual({ kind: 'event', text: '{"a":1}', where: 'Records[0]' });
    expect(pieces[1]).toMatchObject({ kind: 'error', where: 'Records[1]' });
    expect(pieces[1]?.kind === 'error' && pieces[1].reason).toMatch(/^truncated: .*inside a JSON string/);
    expect(pieces).toHaveLength(2);
  });

  it('a malformed value is one piece (JSON.parse names the fault) and the next line is read normally', () => {
    const text = '{"a": }\n{"b": 2}\n42\n';

    const pieces = split(text, [3]);

    expect(pieces.map((p) => p.kind === 'event' && p.text)).toEqual(['{"a": }', '{"b": 2}', '42']);
    expect(() => JSON.parse((pieces[0] as { text: string }).text)).toThrow();
  });

  it('a value longer than the limit is skipped with a reason; the values around it are kept', () => {
    const text = `{"Records":[{"a":1},{"big":"${'x'.repeat(500)}"},{"c":3}]}`;

    const pieces = split(text, [100, 200, 300], 100);

    expect(parsed(pieces)).toEqual([
      { a: 1 },
      { error: 'skipped: a JSON value longer than 100 characters is not an event' },
      { c: 3 },
    ]);
  });

  it('input that does not start with { or [ is one error, not one per line', () => {
    const pieces = split('# Notes\n\nsome {text}\n[1]\n', []);

    expect(pieces).toEqual([
      {
        kind: 'error',
        where: 'line 1',
        reason: 'not JSON events: the input starts with "# Notes\\n\\nsome {text}\\n[1]\\n"',
      },
    ]);
  });
});
