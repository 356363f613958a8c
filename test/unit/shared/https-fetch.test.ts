import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, fetch as ours } from '../../../functions/shared/https-fetch.js';
import { selfSignedCert } from '../../support/self-signed-cert.js';

/**
 * functions/shared/https-fetch.ts against Node's own fetch (undici, the WHATWG implementation Node
 * ships) as the oracle: the same request to the same real server, through both, must arrive the
 * same (method, path, content type and length, body bytes) and be read back the same (status,
 * status text, headers, body), or fail the same way (error type, message, cause code). Where ours
 * deliberately differs (a redirect is refused in every mode; a body over the limit), the test says
 * so and checks the server saw nothing it should not.
 */

interface Arrival {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly contentLength: string | undefined;
  readonly accept: string | undefined;
  readonly acceptEncoding: string | undefined;
  readonly repeated: string | undefined;
  /** Every header name but those only Node's fetch sends (user-agent, accept-language, sec-fetch-mode). */
  readonly names: string;
  readonly body: string;
}
const FETCH_ONLY = new Set(['user-agent', 'accept-language', 'sec-fetch-mode']);
/** Paths whose connection the server saw closed (a client that stops reading must hang up). */
let closed: string[] = [];
const pathsOf = new WeakMap<Socket, string[]>();

let arrivals: Arrival[] = [];
let server: Server;
let origin = '';
let elsewhere: Server;
let elsewhereOrigin = '';
let elsewhereHits = 0;

const LARGE = 'x'.repeat(200_000);
const UNICODE = 'Grüße, 世界 — ✓';
/** 50 KB that gzip makes about 100 bytes: small on the wire, over a 1,000-byte limit once read. */
const BOMB = gzipSync('z'.repeat(50_000));

function route(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const json = JSON.stringify({ ok: true, text: UNICODE, n: 7312345678901234567n.toString() });
  const status = /^\/status\/(\d{3})(\/located)?$/.exec(path ?? '');
  if (status) {
    res.writeHead(Number(status[1]), status[2] ? { location: `${elsewhereOrigin}/stolen` } : {});
    res.end(`status ${status[1]}`);
    return;
  }
  // The connection's close, not the answer's: a kept-alive connection stays open after an answer.
  // One listener per connection (a kept-alive one serves many requests), naming every path it served.
  const served = pathsOf.get(req.socket);
  if (served) served.push(path ?? '');
  else {
    const paths = [path ?? ''];
    pathsOf.set(req.socket, paths);
    req.socket.once('close', () => closed.push(...paths));
  }
  switch (path) {
    case '/gzip-cut': {
      // The first half of a gzip stream: Node's fetch reads what is there.
      const whole = gzipSync(LARGE);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(whole.subarray(0, whole.byteLength >> 1));
      return;
    }
    case '/x-gzip':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'x-gzip' });
      res.end(gzipSync(json));
      return;
    case '/gzip-bad':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end('this is not gzip at all');
      return;
    case '/bomb':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(BOMB);
      return;
    case '/exact': {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('e'.repeat(n));
      return;
    }
    case '/empty-gzip':
      res.writeHead(204, { 'content-encoding': 'gzip' });
      res.end();
      return;
    case '/gzip':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(json));
      return;
    case '/deflate':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' });
      res.end(deflateSync(json));
      return;
    case '/deflate-raw':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' });
      res.end(deflateRawSync(json));
      return;
    case '/br':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' });
      res.end(brotliCompressSync(json));
      return;
    case '/large':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(LARGE);
      return;
    case '/binary':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from([0, 1, 2, 253, 254, 255]));
      return;
    case '/limited':
      res.writeHead(429, 'Too Many Requests', { 'retry-after': '3', 'content-type': 'application/json' });
      res.end('{"ok":false,"error":"ratelimited"}');
      return;
    case '/broken':
      res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain' });
      res.end('down');
      return;
    case '/empty':
      res.writeHead(204, { 'x-note': 'nothing' });
      res.end();
      return;
    case '/repeats':
      res.setHeader('X-Zeta', 'last');
      res.setHeader('x-alpha', ['one', 'two']);
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.writeHead(200);
      res.end('repeats');
      return;
    case '/bad-redirect':
      res.writeHead(302, { location: 'http://[' });
      res.end();
      return;
    case '/redirect':
      res.writeHead(302, { location: `${elsewhereOrigin}/stolen` });
      res.end();
      return;
    case '/endless': {
      // A body that never ends: only a client that stops at its limit gets an answer.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const more = () => {
        if (!res.destroyed && res.write('y'.repeat(16_384))) setImmediate(more);
        else if (!res.destroyed) res.once('drain', more);
      };
      more();
      return;
    }
    case '/cut':
      // Promises 100 bytes, sends 10, and drops the connection.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('0123456789', () => res.destroy());
      return;
    case '/silent':
      // Never answers: the caller's signal must end it.
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          method: req.method,
          length: body.byteLength,
          sha: body.toString('base64').slice(0, 64),
        }),
      );
  }
}

function listen(s: Server): Promise<string> {
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      arrivals.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        contentLength: req.headers['content-length'],
        accept: req.headers.accept,
        acceptEncoding: req.headers['accept-encoding'],
        repeated: req.headers['x-dup'] as string | undefined,
        names: Object.keys(req.headers)
          .filter((n) => !FETCH_ONLY.has(n))
          .sort()
          .join(','),
        body: body.toString('base64'),
      });
      route(req, body, res);
    });
  });
  origin = await listen(server);
  elsewhere = createServer((_req, res) => {
    elsewhereHits++;
    res.end('stolen');
  });
  elsewhereOrigin = await listen(elsewhere);
});
afterAll(async () => {
  server.closeAllConnections();
  elsewhere.closeAllConnections();
  await Promise.all([
    new Promise<void>((resolve) => server.close(() => resolve())),
    new Promise<void>((resolve) => elsewhere.close(() => resolve())),
  ]);
});

type AnyFetch = (
  url: string,
  init?: Record<string, unknown>,
) => Promise<{
  status: number;
  statusText: string;
  ok: boolean;
  url: string;
  redirected: boolean;
  headers: {
    forEach(cb: (value: string, name: string) => void): void;
    get(name: string): string | null;
    entries(): Iterable<[string, string]>;
    keys(): Iterable<string>;
    values(): Iterable<string>;
    [Symbol.iterator](): Iterator<[string, string]>;
  };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;
const node = globalThis.fetch as unknown as AnyFetch;
const mine = ours as unknown as AnyFetch;

/**
 * What a reader sees of an answer. Left out: `date`, which differs between two requests, and the
 * hop-by-hop `connection` and `keep-alive`, which describe the socket (Node's server closes one
 * after a HEAD from undici and keeps Node's agent's), not the answer.
 */
const IGNORED = new Set(['date', 'connection', 'keep-alive']);
async function seen(f: AnyFetch, url: string, init?: Record<string, unknown>) {
  const res = await f(url, init);
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!IGNORED.has(name)) headers.push([name, value]);
  });
  // Every way of reading the headers, each with the ignored ones taken out by position.
  const names = [...res.headers.keys()];
  const kept = (_: unknown, i: number) => !IGNORED.has(names[i] ?? '');
  const body = await res.text();
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    url: res.url,
    redirected: res.redirected,
    headers,
    entries: [...res.headers.entries()].filter(kept),
    iterated: [...res.headers].filter(kept),
    keys: names.filter(kept),
    values: [...res.headers.values()].filter(kept),
    body,
  };
}

/** The same request through both; each arrival and each answer must be equal. */
async function both(path: string, init?: Record<string, unknown>) {
  arrivals = [];
  const theirs = await seen(node, `${origin}${path}`, init);
  const [arrivedTheirs] = arrivals;
  arrivals = [];
  const mineSeen = await seen(mine, `${origin}${path}`, init);
  const [arrivedMine] = arrivals;
  return { theirs, mine: mineSeen, arrivedTheirs, arrivedMine };
}

async function failure(p: Promise<unknown>) {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; message?: string; cause?: { code?: string } } | undefined;
  return { name: err?.name, message: err?.message, cause: err?.cause?.code };
}

describe('https-fetch against Node fetch: the request arrives the same', () => {
  it.each([
    ['a GET', '/echo', undefined],
    [
      'a JSON POST (Slack response_url, Datadog)',
      '/echo',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: UNICODE }),
      },
    ],
    ['a string POST with no content type', '/echo', { method: 'POST', body: UNICODE }],
    [
      'a form POST (Slack WebClient)',
      '/echo',
      { method: 'POST', body: new URLSearchParams({ channel: 'C1', text: UNICODE }) },
    ],
    ['a bytes PUT', '/echo', { method: 'PUT', body: new Uint8Array([1, 2, 3, 250]) }],
    ['an empty POST', '/echo', { method: 'POST' }],
    ['a DELETE with headers as pairs', '/echo?x=1', { method: 'DELETE', headers: [['x-one', '1']] }],
    ['an ArrayBuffer POST', '/echo', { method: 'POST', body: new Uint8Array([5, 6, 7, 8]).buffer }],
    ['a POST with a null body', '/echo', { method: 'POST', body: null }],
    [
      'a repeated header, joined',
      '/echo',
      {
        headers: [
          ['x-dup', '1'],
          ['X-Dup', '2'],
        ],
      },
    ],
    [
      "the caller's Accept and Accept-Encoding kept (the Datadog client sets its own)",
      '/echo',
      { headers: { Accept: 'application/json', 'Accept-Encoding': 'identity' } },
    ],
  ])('%s', async (_what, path, init) => {
    const r = await both(path, init);
    expect(r.arrivedMine).toEqual(r.arrivedTheirs);
    expect(r.mine).toEqual(r.theirs);
  });
});

describe('https-fetch against Node fetch: the answer reads the same', () => {
  it.each([
    ['gzip', '/gzip'],
    ['x-gzip', '/x-gzip'],
    ['deflate (zlib)', '/deflate'],
    ['deflate (raw)', '/deflate-raw'],
    ['brotli', '/br'],
    ['a large body', '/large'],
    ['429 with Retry-After', '/limited'],
    ['503', '/broken'],
    ['204 with no body', '/empty'],
    ['repeated and mixed-case headers', '/repeats'],
    ['299, the last ok status', '/status/299'],
    ['201 with a Location: an answer, not a redirect', '/status/201/located'],
    ['300 with a Location: not a redirect status', '/status/300/located'],
    ['302 without a Location', '/status/302'],
    ['a gzip body cut in half, read as far as it goes', '/gzip-cut'],
    ['204 marked gzip, with no body', '/empty-gzip'],
  ])('%s', async (_what, path) => {
    const r = await both(path);
    expect(r.mine).toEqual(r.theirs);
  });

  it('a HEAD answer has no body, as with Node fetch', async () => {
    const r = await both('/gzip', { method: 'HEAD' });
    expect(r.mine).toEqual(r.theirs);
    expect(r.mine.body).toBe('');
  });

  it('bytes come back byte for byte, and a body reads once', async () => {
    const [a, b] = await Promise.all([mine(`${origin}/binary`), node(`${origin}/binary`)]);
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(new Uint8Array(await b.arrayBuffer()));
    expect(await failure(a.text())).toEqual(await failure(b.text()));
  });

  it('headers are read case-insensitively', async () => {
    const res = await ours(`${origin}/limited`);
    expect(res.headers.get('Retry-After')).toBe('3');
    expect(res.headers.has('RETRY-AFTER')).toBe(true);
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
  });
});

describe('https-fetch against Node fetch: failures are the same', () => {
  it('a connection refused: TypeError "fetch failed" with the cause code', async () => {
    const dead = createServer();
    const url = await listen(dead);
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const theirs = await failure(node(url));
    expect(theirs.cause).toBe('ECONNREFUSED');
    expect(await failure(mine(url))).toEqual(theirs);
  });

  it('an answer cut short fails: a TypeError, whether at the call or at the read', async () => {
    const read = (f: AnyFetch) => f(`${origin}/cut`).then((res) => res.text());
    const theirs = await failure(read(node));
    expect(theirs.name).toBe('TypeError');
    expect((await failure(read(mine))).name).toBe(theirs.name);
  });

  it('a timeout signal rejects with its own reason (TimeoutError)', async () => {
    const theirs = await failure(node(`${origin}/silent`, { signal: AbortSignal.timeout(50) }));
    expect(theirs.name).toBe('TimeoutError');
    expect(await failure(mine(`${origin}/silent`, { signal: AbortSignal.timeout(50) }))).toEqual(theirs);
  });

  it('an aborted signal rejects before anything is sent', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop here'));
    arrivals = [];
    const theirs = await failure(node(`${origin}/echo`, { signal: controller.signal }));
    expect(await failure(mine(`${origin}/echo`, { signal: controller.signal }))).toEqual(theirs);
    expect(theirs.message).toBe('stop here');
    expect(arrivals).toEqual([]);
  });

  it("redirect: 'error' rejects as Node fetch does, and the target is never reached", async () => {
    elsewhereHits = 0;
    const theirs = await failure(node(`${origin}/redirect`, { redirect: 'error' }));
    const mineFailed = await failure(mine(`${origin}/redirect`, { redirect: 'error' }));
    expect(mineFailed.name).toBe(theirs.name);
    expect(mineFailed.message).toBe(theirs.message);
    expect(elsewhereHits).toBe(0);
  });

  it('deliberately unlike Node fetch: a redirect is refused in every mode, naming its target', async () => {
    elsewhereHits = 0;
    closed = [];
    // Node fetch follows it (the oracle shows the difference is ours)…
    const followed = await node(`${origin}/redirect`);
    expect(await followed.text()).toBe('stolen');
    expect(elsewhereHits).toBe(1);
    // …ours does not: a Datadog redirect would carry the API key.
    const refused = await failure(mine(`${origin}/redirect`));
    expect(refused).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    const err = await ours(`${origin}/redirect`).catch((e: Error) => e);
    // It hangs up rather than read on (the server sees the connection close)…
    await expect.poll(() => closed, { timeout: 2000 }).toContain('/redirect');
    expect(String((err as { cause?: Error }).cause?.message)).toBe(
      `redirect refused: 302 to ${elsewhereOrigin}`,
    );
    expect(elsewhereHits).toBe(1);
  });

  it("308 with redirect: 'error' is refused by both, and the target is never reached", async () => {
    elsewhereHits = 0;
    const theirs = await failure(node(`${origin}/status/308/located`, { redirect: 'error' }));
    expect(theirs.name).toBe('TypeError');
    const mineFailed = await failure(mine(`${origin}/status/308/located`, { redirect: 'error' }));
    expect(mineFailed.name).toBe(theirs.name);
    expect(elsewhereHits).toBe(0);
  });

  it('a redirect whose Location is not a URL is refused like any other, not thrown out of the call', async () => {
    const theirs = await failure(node(`${origin}/bad-redirect`, { redirect: 'error' }));
    expect(theirs.name).toBe('TypeError');
    const err = await ours(`${origin}/bad-redirect`).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as { cause?: Error }).cause?.message).toBe(
      'redirect refused: 302 to a Location that is not a URL',
    );
  });

  it('a body marked gzip that is not gzip fails both: a TypeError', async () => {
    const read = (f: AnyFetch) => f(`${origin}/gzip-bad`).then((res) => res.text());
    const theirs = await failure(read(node));
    expect(theirs.name).toBe('TypeError');
    expect((await failure(read(mine))).name).toBe(theirs.name);
  });

  it('headers that are neither a plain object nor pairs are refused before anything is sent', async () => {
    arrivals = [];
    for (const headers of [new Map([['x-one', '1']]), new Headers({ 'x-one': '1' })]) {
      const err = await ours(`${origin}/echo`, { headers: headers as never }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(
        'https-fetch: headers must be a plain object or [name, value] pairs',
      );
    }
    expect(arrivals).toEqual([]);
  });

  it('after an answer or a refusal, no abort listener is left on the signal', async () => {
    const controller = new AbortController();
    await (await ours(`${origin}/echo`, { signal: controller.signal })).text();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await ours(`${origin}/redirect`, { signal: controller.signal }).catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an aborted request hangs up: the server sees the connection close', async () => {
    closed = [];
    await failure(mine(`${origin}/silent`, { signal: AbortSignal.timeout(50) }));
    await expect.poll(() => closed, { timeout: 2000 }).toContain('/silent');
  });

  it('a FormData body is refused before anything is sent', async () => {
    arrivals = [];
    const form = new FormData();
    form.set('file', 'x');
    const err = await failure(mine(`${origin}/echo`, { method: 'POST', body: form }));
    expect(err.name).toBe('TypeError');
    expect(err.message).toMatch(/FormData body is not supported/);
    expect(arrivals).toEqual([]);
  });

  it('an answer of exactly the limit is kept; one byte more is not', async () => {
    const small = createFetch({ maxBodyBytes: 1000 });
    expect((await (await small(`${origin}/exact?n=1000`)).text()).length).toBe(1000);
    const err = await small(`${origin}/exact?n=1001`).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as { cause?: Error }).cause?.message).toBe('answer body over 1000 bytes');
  });

  it('a small compressed answer that decompresses past the limit is rejected', async () => {
    expect(BOMB.byteLength).toBeLessThan(1000);
    const small = createFetch({ maxBodyBytes: 1000 });
    const err = await small(`${origin}/bomb`).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as { cause?: Error }).cause?.message).toBe('answer body over 1000 bytes');
  });

  it('an answer over the size limit is rejected, compressed or not', async () => {
    const small = createFetch({ maxBodyBytes: 1000 }) as unknown as AnyFetch;
    expect(await failure(small(`${origin}/large`))).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
    });
    // /gzip is 80 bytes on the wire, more once decompressed.
    const tiny = createFetch({ maxBodyBytes: 60 }) as unknown as AnyFetch;
    expect(await failure(tiny(`${origin}/gzip`))).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
    });
    expect(await (await small(`${origin}/gzip`)).text()).toContain(UNICODE);
    // A body that never ends is cut off at the limit, not read to its end, and the connection closed.
    closed = [];
    expect(await failure(small(`${origin}/endless`))).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
    });
    await expect.poll(() => closed, { timeout: 2000 }).toContain('/endless');
  });

  it('a URL that is neither http nor https is refused, and says why', async () => {
    const err = await ours('file:///etc/passwd').catch((e: Error) => e);
    expect((err as { cause?: Error }).cause?.message).toBe('https-fetch: file: URLs are not supported');
    expect(await failure(mine('file:///etc/passwd'))).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
    });
  });
});

describe('https-fetch over TLS', () => {
  let tls: Server;
  let tlsOrigin = '';
  let cert = '';
  beforeAll(async () => {
    const pair = selfSignedCert('https-fetch-test', ['IP:127.0.0.1']);
    cert = pair.cert;
    tls = createTlsServer(pair, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync('{"ok":true}'));
    });
    tlsOrigin = (await listen(tls)).replace('http:', 'https:');
  });
  afterAll(async () => {
    tls.closeAllConnections();
    await new Promise<void>((resolve) => tls.close(() => resolve()));
  });

  it('an untrusted certificate is refused with the same cause code as Node fetch', async () => {
    const theirs = await failure(node(tlsOrigin));
    expect(theirs.cause).toBeTruthy();
    expect(await failure(mine(tlsOrigin))).toEqual(theirs);
  });

  it('a trusted certificate (the agent given) answers', async () => {
    const trusting = createFetch({ agents: { https: new HttpsAgent({ ca: cert }) } });
    const res = await trusting(tlsOrigin);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
