import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatadogApi, DatadogError } from '../../../functions/shared/datadog.js';

/**
 * The Datadog client is configured with our fetch over node:https (functions/shared/datadog.ts,
 * functions/shared/https-fetch.ts), and never reaches its own `cross-fetch` (which the Lambda
 * bundles alias to the same module, so node-fetch stays out of them). Here the real library runs
 * against a real local HTTP server: the request arrives as Datadog documents it (path, DD-API-KEY,
 * JSON body, possibly compressed), and a compressed answer, an error status and a dead server come
 * back as they do over node-fetch.
 */
// The library is CommonJS loaded by Node (not through Vite), so vi.mock cannot reach its
// `require('cross-fetch')`: a stand-in goes into Node's require cache under cross-fetch's own path,
// before the library is first loaded (DatadogApi loads it on the first request). It records each
// call and fails it, so a request that went through cross-fetch instead of our fetch fails the test.
const crossFetchCalls: string[] = [];
{
  const require = createRequire(import.meta.url);
  const fromLibrary = createRequire(
    require.resolve(
      '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/http/isomorphic-fetch.js',
    ),
  );
  const crossFetch = fromLibrary.resolve('cross-fetch');
  const refused = async (input: unknown) => {
    crossFetchCalls.push(String(input));
    throw new Error('cross-fetch called: the configured fetch was not used');
  };
  require.cache[crossFetch] = {
    id: crossFetch,
    filename: crossFetch,
    loaded: true,
    exports: { fetch: refused, default: refused },
  } as unknown as NodeJS.Module;
}

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}
let server: Server;
let origin: string;
let seen: Seen[] = [];
let status = 202;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(text.toString('utf8')),
      });
      const answer =
        status < 300
          ? { status: 'ok', event: { id: 1, id_str: '7312345678901234567' } }
          : { errors: ['Forbidden'] };
      // Compressed, as Datadog answers a client that accepts gzip.
      res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(answer)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const api = (baseUrl = origin) =>
  new DatadogApi({ apiKey: async () => 'dd-api-key-0001', site: 'datadoghq.eu', baseUrl, retryDelayMs: 10 });

describe('the Datadog client over our fetch (node:https)', () => {
  it('posts an event: path, key header and JSON body as Datadog documents them; reads the compressed answer', async () => {
    seen = [];
    status = 202;
    const id = await api().postEvent({
      title: 'run started',
      text: 'smoke',
      tags: ['stage:dev'],
      alertType: 'info',
    });
    // The id as a string (ids exceed 2^53): read from the gzip-compressed answer.
    expect(id).toBe('7312345678901234567');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.path).toBe('/api/v1/events');
    expect(seen[0]?.headers['dd-api-key']).toBe('dd-api-key-0001');
    expect(seen[0]?.body).toMatchObject({ title: 'run started', tags: ['stage:dev'], alert_type: 'info' });
    expect(crossFetchCalls).toEqual([]);
  });

  it('submits a series to /api/v1/series', async () => {
    seen = [];
    status = 202;
    await api().submitMetrics([
      { name: 'ops.smoke', type: 'count', value: 1, tags: ['a:b'], timestamp: 1700000000 },
    ]);
    expect(seen[0]?.path).toBe('/api/v1/series');
    expect(seen[0]?.body).toMatchObject({
      series: [{ metric: 'ops.smoke', points: [[1700000000, 1]], tags: ['a:b'] }],
    });
  });

  it('a refused key is a DatadogError that is not retried', async () => {
    seen = [];
    status = 403;
    const err = await api()
      .postEvent({ title: 't', text: 'x', tags: [], alertType: 'info' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatadogError);
    expect((err as DatadogError).transient).toBe(false);
    expect(seen).toHaveLength(1);
    expect(crossFetchCalls).toEqual([]);
  });

  it('a server that does not answer is a transient DatadogError after the bounded retries', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const err = await api(`http://127.0.0.1:${port}`)
      .postEvent({ title: 't', text: 'x', tags: [], alertType: 'info' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatadogError);
    expect((err as DatadogError).transient).toBe(true);
    expect(crossFetchCalls).toEqual([]);
  });
});
