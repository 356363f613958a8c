import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/**
 * The `fetch` our Slack and Datadog clients call (`WebClient`'s `fetch` option, the Datadog
 * configuration's `fetch`, Slack's `response_url` posts): the WHATWG calls those two libraries
 * make, over `node:https`, the HTTP stack the AWS SDK already loads in every function.
 *
 * Why not Node's own `fetch`: Node loads undici, its second HTTP stack, at the first call: about
 * 30 ms of a cold start that the function has already paid for once through the SDK (README,
 * "Cold load"; measured against node-fetch v3 and minipass-fetch too, which cost as much or more).
 * `node:http` is reached through `process.getBuiltinModule`, not an `import`: an ES module import
 * of `node:http` builds its namespace from every property, and Node 22's lazy `WebSocket` getter
 * on it loads undici too.
 *
 * What it does, and what it refuses (each held to Node's own fetch by
 * test/unit/shared/https-fetch.test.ts, against one real server):
 * - `http:` and `https:` URLs, any method, headers as a plain object or pairs;
 * - bodies: a string, bytes, or `URLSearchParams`, with fetch's default content types. FormData
 *   (Slack's file uploads, which we do not use) is refused before anything is sent;
 * - the answer's status, headers (read like fetch's `Headers`: case-insensitive, sorted, repeats
 *   joined), and body as text, JSON or bytes, decompressed from gzip, deflate or brotli;
 * - an `AbortSignal`: the request ends and the call rejects with the signal's reason, as fetch's does;
 * - a failed connection rejects with fetch's `TypeError('fetch failed')`, the cause attached.
 *
 * Where it differs on purpose:
 * - redirects (301, 302, 303, 307, 308 with a `Location`, fetch's redirect statuses) are refused in
 *   every mode, as a `TypeError` naming the target; nothing is sent there, and the connection is
 *   closed. Slack's client asks for exactly that, and a Datadog redirect would carry the API key to
 *   wherever it points;
 * - an answer larger than `maxBodyBytes` (1 MiB: Slack's and Datadog's answers to our calls are a
 *   few hundred bytes), on the wire or once decompressed, is cut off and rejected, not buffered;
 * - the answer is read whole before the call resolves, and only the methods the two libraries call
 *   are there (no `bodyUsed`, `clone()`, `blob()` or streamed `body`).
 */

type Http = typeof import('node:http');
type Https = typeof import('node:https');

export type FetchBody = string | Uint8Array | ArrayBuffer | URLSearchParams;

export interface FetchInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  // biome-ignore lint/suspicious/noExplicitAny: Slack's init type allows FormData; refused at run time.
  readonly body?: FetchBody | null | any;
  readonly redirect?: 'error' | 'follow' | 'manual';
  readonly signal?: AbortSignal | null;
}

/** The answer's headers, read the way fetch's `Headers` reads them. */
export class FetchHeaders {
  readonly #map: Map<string, string>;

  constructor(raw: readonly string[]) {
    const map = new Map<string, string>();
    // Node's `rawHeaders`: name, value, name, value… (values already trimmed by its parser).
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      const before = map.get(name);
      map.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    // fetch's Headers iterate in name order (names are unique here, so no tie).
    this.#map = new Map([...map].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string, headers: FetchHeaders) => void): void {
    for (const [name, value] of this.#map) callback(value, name, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#map.entries();
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  values(): IterableIterator<string> {
    return this.#map.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#map.entries();
  }
}

/** The answer: status, headers, and the (already received) body, readable once. */
export class FetchResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly redirected = false;
  readonly headers: FetchHeaders;
  readonly #body: Buffer;
  #used = false;

  constructor(url: string, status: number, statusText: string, headers: FetchHeaders, body: Buffer) {
    this.url = url;
    this.status = status;
    this.statusText = statusText;
    this.ok = status >= 200 && status <= 299;
    this.headers = headers;
    this.#body = body;
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#body;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.#take());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const body = this.#take();
    const copy = new ArrayBuffer(body.byteLength);
    new Uint8Array(copy).set(body);
    return copy;
  }
}

export interface FetchOptions {
  /** Agents per protocol (tests give one that trusts their own certificate). Default: Node's global agents. */
  readonly agents?: { readonly http?: HttpAgent; readonly https?: HttpsAgent };
  /** The largest answer body kept, after decompression. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

export type Fetch = (input: string | URL, init?: FetchInit) => Promise<FetchResponse>;

/** fetch's redirect statuses (WHATWG Fetch, "redirect status"): 300 and 304 are answers, not redirects. */
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/** fetch's `TypeError('fetch failed')`, with what went wrong as its cause. */
const failed = (cause: unknown) => new TypeError('fetch failed', { cause });

function encodeBody(body: FetchBody): { bytes: Buffer; type?: string } {
  if (typeof body === 'string') return { bytes: Buffer.from(body), type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) {
    return {
      bytes: Buffer.from(body.toString()),
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) };
  if (body instanceof Uint8Array)
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  throw new TypeError(
    `https-fetch: a ${Object.prototype.toString.call(body).slice(8, -1)} body is not supported (string, bytes or URLSearchParams)`,
  );
}

/** Where a redirect points, for its refusal: the target's origin (a `Location` that is not a URL says so). */
function targetOf(location: string, base: URL): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return 'a Location that is not a URL';
  }
}

function headerPairs(headers: FetchInit['headers']): [string, string][] {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers.map(([k, v]) => [String(k), String(v)]);
  if (Object.getPrototypeOf(headers) === Object.prototype) {
    return Object.entries(headers as Record<string, string>).map(([k, v]) => [k, String(v)]);
  }
  throw new TypeError('https-fetch: headers must be a plain object or [name, value] pairs');
}

/**
 * Decompresses as fetch does for `Content-Encoding` gzip, x-gzip, deflate (zlib or raw) and br.
 * `node:zlib` is loaded only for an answer that is encoded: many never are.
 */
function decoderFor(encoding: string | undefined): ((body: Buffer) => Buffer) | undefined {
  const zlib = () => process.getBuiltinModule('node:zlib') as typeof import('node:zlib');
  const flush = () => ({
    flush: zlib().constants.Z_SYNC_FLUSH,
    finishFlush: zlib().constants.Z_SYNC_FLUSH,
  });
  switch (encoding?.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return (b) => zlib().gunzipSync(b, flush());
    case 'deflate':
      // zlib-wrapped deflate (RFC 1950) opens with compression method 8 in the low 4 bits. Raw
      // deflate (RFC 1951), which servers send too, cannot: its first 3 bits are a block header,
      // and the only header with bits 0-2 clear (a stored block) pads the 4th bit with 0.
      return (b) =>
        ((b[0] ?? 0) & 0x0f) === 8 ? zlib().inflateSync(b, flush()) : zlib().inflateRawSync(b, flush());
    case 'br':
      return (b) => zlib().brotliDecompressSync(b);
    default:
      return undefined;
  }
}

export function createFetch(options: FetchOptions = {}): Fetch {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const overLimit = () => failed(new Error(`answer body over ${maxBodyBytes} bytes`));
  return (input, init = {}) =>
    new Promise<FetchResponse>((resolve, reject) => {
      const url = new URL(String(input));
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let transport: Http | Https;
      let agent: HttpAgent | HttpsAgent | undefined;
      if (url.protocol === 'https:') {
        transport = process.getBuiltinModule('node:https') as Https;
        agent = options.agents?.https;
      } else if (url.protocol === 'http:') {
        transport = process.getBuiltinModule('node:http') as Http;
        agent = options.agents?.http;
      } else {
        reject(failed(new Error(`https-fetch: ${url.protocol} URLs are not supported`)));
        return;
      }
      let pairs: [string, string][];
      let body: { bytes: Buffer; type?: string } | undefined;
      try {
        pairs = headerPairs(init.headers);
        body = init.body === undefined || init.body === null ? undefined : encodeBody(init.body as FetchBody);
      } catch (err) {
        reject(err);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of pairs) {
        const key = name.toLowerCase();
        headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
      }
      if (body?.type && !('content-type' in headers)) headers['content-type'] = body.type;
      // Node writes `content-length` itself: the body's length, or 0 for a POST or PUT without one.
      // fetch's defaults (what Node's fetch sends; brotli is read all the same).
      if (!('accept' in headers)) headers.accept = '*/*';
      if (!('accept-encoding' in headers)) headers['accept-encoding'] = 'gzip, deflate';

      // The first of resolve/reject wins (a promise settles once); the abort listener goes either way.
      const settle = (fn: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      // Node upper-cases the method, as fetch does for the standard ones, and defaults to GET.
      const requestOptions: RequestOptions = {
        ...(init.method ? { method: init.method } : {}),
        headers,
        ...(agent ? { agent } : {}),
      };
      const request = transport.request(url, requestOptions, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECT_STATUS.has(status) && location !== undefined) {
          settle(() =>
            reject(failed(new Error(`redirect refused: ${status} to ${targetOf(location, url)}`))),
          );
          // Hang up rather than read on: the connection is not reused for whatever the body holds.
          request.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > maxBodyBytes) {
            settle(() => reject(overLimit()));
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        // Also a connection cut before the body's end (Node's 'aborted' error).
        res.on('error', (err) => settle(() => reject(failed(err))));
        res.on('end', () => {
          let bytes: Buffer = Buffer.concat(chunks);
          // (Node's parser gives HEAD, 204 and 304 answers no body: decoding nothing gives nothing.)
          const decode = decoderFor(res.headers['content-encoding']);
          try {
            if (decode) bytes = decode(bytes);
          } catch (err) {
            settle(() => reject(failed(err)));
            return;
          }
          if (bytes.byteLength > maxBodyBytes) {
            settle(() => reject(overLimit()));
            return;
          }
          const answer = new FetchResponse(
            url.href,
            status,
            res.statusMessage ?? '',
            new FetchHeaders(res.rawHeaders),
            bytes,
          );
          settle(() => resolve(answer));
        });
      });
      const onAbort = () => {
        settle(() => reject(signal?.reason));
        request.destroy();
      };
      signal?.addEventListener('abort', onAbort);
      request.on('error', (err) => settle(() => reject(failed(err))));
      request.end(body?.bytes);
    });
}

/** The shared instance, over Node's global agents. */
export const fetch: Fetch = createFetch();
export default fetch;
