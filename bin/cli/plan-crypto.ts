/**
 * `node:crypto` as the pre-built `ops plan` sees it (bin/build.mjs resolves the import to this file in
 * dist/plan.cjs only). A plan names its start with one SHA-256 (functions/intake/execution-name.ts), and
 * loading node:crypto for it cost a start 3–7 ms, more than a tenth of `node -e 0`, measured in-process.
 * SHA-256 of a string as hex is computed by `@noble/hashes` (audited, dependency-free JavaScript; checked
 * against node:crypto and NIST's examples in test/unit/cli/plan-crypto.test.ts); anything else loads
 * node:crypto and is its answer.
 * Lambda bundles and every other command use node:crypto itself.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

type Crypto = typeof import('node:crypto');
let loaded: Crypto | undefined;
const crypto = (): Crypto => {
  loaded ??= process.getBuiltinModule('node:crypto');
  return loaded;
};

/** SHA-256 of the UTF-8 bytes of `text` (as Buffer.from(text, 'utf8') encodes it), as lowercase hex. */
export const sha256Hex = (text: string): string => bytesToHex(sha256(utf8ToBytes(text)));

/** node:crypto's one-shot `hash`: SHA-256 of a string as hex here, the rest by node:crypto. */
export const hash: Crypto['hash'] = ((algorithm: string, data: unknown, outputEncoding?: unknown) =>
  algorithm === 'sha256' && typeof data === 'string' && (outputEncoding ?? 'hex') === 'hex'
    ? sha256Hex(data)
    : (crypto().hash as (...args: unknown[]) => unknown)(algorithm, data, outputEncoding)) as Crypto['hash'];

export const createHash: Crypto['createHash'] = (...args) => crypto().createHash(...args);
