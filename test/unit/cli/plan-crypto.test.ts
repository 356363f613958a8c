import { hash as nodeHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHash, hash, sha256Hex } from '../../../bin/cli/plan-crypto.js';

/**
 * The pre-built `ops plan`'s SHA-256 (bin/cli/plan-crypto.ts) against two oracles: NIST's published
 * examples (FIPS 180-2, appendix B; the same in NIST's "SHA256.pdf" example file) and node:crypto (OpenSSL)
 * for strings of every length across the block and padding boundaries and any UTF-16, lone surrogates too.
 */

describe('ops plan: SHA-256 without node:crypto', () => {
  it("gives NIST's digests for its examples", () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives what node:crypto gives for every length from 0 to 300 and for any text', () => {
    // A fixed pseudo-random sequence (xorshift): the same texts every run.
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const texts: string[] = [];
    for (let length = 0; length <= 300; length++) {
      texts.push('x'.repeat(length));
      // Any UTF-16 code unit: ASCII, multi-byte, astral halves and lone surrogates (encoded as U+FFFD).
      texts.push(String.fromCharCode(...Array.from({ length }, () => next() % 0x10000)));
    }
    texts.push(
      'dev/rds/app-user\u0000dry-run',
      'arn:aws:ec2:eu-west-1:111111111111:volume/vol-0abc\u0000revert-of:x',
    );
    for (const text of texts)
      expect(sha256Hex(text), JSON.stringify(text)).toBe(nodeHash('sha256', text, 'hex'));
  });

  it('hands every other use to node:crypto: other algorithms, encodings, buffers, createHash', () => {
    expect(hash('sha256', 'abc')).toBe(nodeHash('sha256', 'abc', 'hex'));
    expect(hash('sha1', 'abc', 'hex')).toBe(nodeHash('sha1', 'abc', 'hex'));
    expect(hash('sha256', 'abc', 'base64')).toBe(nodeHash('sha256', 'abc', 'base64'));
    expect(hash('sha256', Buffer.from('abc'), 'hex')).toBe(nodeHash('sha256', 'abc', 'hex'));
    expect(createHash('sha256').update('abc').digest('hex')).toBe(nodeHash('sha256', 'abc', 'hex'));
  });
});
