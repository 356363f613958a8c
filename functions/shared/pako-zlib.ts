import { deflateSync, gzipSync } from 'node:zlib';

/**
 * `pako`'s `gzip` and `deflate` over `node:zlib`, for the Datadog client (BUNDLING aliases `pako`
 * here, infra/constructs/ops-function.ts). The client requires pako at load to compress a request
 * body only when the caller sets `Content-Encoding: gzip` or `deflate` (ours never does), and
 * pako's own zlib in JavaScript was 48 KB of every bundle that reports, compiled at each cold start.
 * Node's zlib is already in the runtime.
 *
 * Like pako, each returns a `Uint8Array` over an `ArrayBuffer` of its own, exactly its length: the
 * client sends `Buffer.from(result.buffer)`, and a Buffer from zlib may be a view into a larger,
 * shared one. test/unit/shared/pako-zlib.test.ts holds both to pako itself.
 */
const owned = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

export function gzip(data: string | Uint8Array): Uint8Array {
  return owned(gzipSync(data));
}

export function deflate(data: string | Uint8Array): Uint8Array {
  return owned(deflateSync(data));
}

export default { gzip, deflate };
