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
  it.each(BODIES.map((body) => [body.slice(0, 40), body]))(
    'gzip of %j: pako reads it back, and its buffer is the data',
    (_, body) => {
      const ours = gzip(body);
      const sent = Buffer.from(ours.buffer);
      expect(sent.length).toBe(ours.length);
      expect(pako.ungzip(sent, { to: 'string' })).toBe(body);
      // Same kind of result as pako's: a Uint8Array whose buffer holds exactly it.
      const theirs = pako.gzip(body);
      expect(theirs.buffer.byteLength).toBe(theirs.length);
      expect(ours).toBeInstanceOf(Uint8Array);
    },
  );

  it.each(BODIES.map((body) => [body.slice(0, 40), body]))(
    'deflate of %j: pako reads it back, and its buffer is the data',
    (_, body) => {
      const ours = deflate(body);
      const sent = Buffer.from(ours.buffer);
      expect(sent.length).toBe(ours.length);
      expect(pako.inflate(sent, { to: 'string' })).toBe(body);
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
