import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import shim, { deflate, gzip } from '../../../functions/shared/pako-zlib.js';

/**
 * The stand-in for pako (functions/shared/pako-zlib.ts) against pako itself, the package it
 * replaces in the bundles: what the Datadog client does with the result (`Buffer.from(result.buffer)`)
 * must give bytes that pako reads back to the input, of exactly the length pako's own result has
 * its buffer. Compressed bytes may differ between the two implementations; what they decode to may not.
 */
const pako = createRequire(import.meta.url)('pako') as {
  gzip(data: string | Uint8Array): Uint8Array;
  deflate(data: string | Uint8Array): Uint8Array;
  ungzip(data: Uint8Array, options: { to: 'string' }): string;
  inflate(data: Uint8Array, options: { to: 'string' }): string;
};

const BODIES = [
  '',
  '{"series":[{"metric":"ops.run","points":[[1765000000,1]],"tags":["runbook:update-dns"]}]}',
  'accents é, ü and emoji 🚀 in UTF-8',
  'x'.repeat(200_000),
];

describe('pako-zlib', () => {
  const WAYS = [
    ['gzip', gzip, (bytes: Uint8Array) => pako.ungzip(bytes, { to: 'string' }), pako.gzip],
    ['deflate', deflate, (bytes: Uint8Array) => pako.inflate(bytes, { to: 'string' }), pako.deflate],
  ] as const;
  it.each(
    WAYS.flatMap(([name, ours, back, theirs]) =>
      BODIES.map((body) => [name, body.slice(0, 40), body, ours, back, theirs] as const),
    ),
  )(
    '%s of %j: pako reads it back, and its buffer is the data',
    (_, __, body, compress, decompress, pakos) => {
      const result = compress(body);
      const sent = Buffer.from(result.buffer);
      expect(sent.length).toBe(result.length);
      expect(decompress(sent)).toBe(body);
      // The same kind of result as pako's own: a Uint8Array whose buffer holds exactly it.
      const theirs = pakos(body);
      expect(theirs.buffer.byteLength).toBe(theirs.length);
      expect(result).toBeInstanceOf(Uint8Array);
    },
  );

  it('takes bytes as pako does', () => {
    const bytes = new TextEncoder().encode('bytes, not text');
    expect(pako.ungzip(gzip(bytes), { to: 'string' })).toBe('bytes, not text');
    expect(pako.inflate(deflate(bytes), { to: 'string' })).toBe('bytes, not text');
  });

  it('has the default export the client reads through CommonJS interop', () => {
    expect(shim.gzip).toBe(gzip);
    expect(shim.deflate).toBe(deflate);
  });
});
