import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpsLogger } from '../shared/powertools.js';
import { type EndpointDeps, handleSlackRequest } from './endpoint.js';

/**
 * The endpoint core behind a plain node:http server: what `ops serve` runs for a developer's
 * Slack app (through a tunnel), and what the integration tests send real requests to.
 * Same core, same verification, as the Lambda behind the HTTP API.
 */

/** Slack's payloads are small; anything bigger is not Slack. */
const MAX_BODY_BYTES = 64 * 1024;

export interface EndpointServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startEndpointServer(
  deps: EndpointDeps,
  options: {
    port?: number;
    host?: string;
    path?: string;
    logger?: OpsLogger;
    /** Told about every verified-or-not request and the answer sent (what `ops serve` prints). */
    onExchange?: (exchange: {
      readonly rawBody: string;
      readonly status: number;
      readonly body: string;
    }) => void;
  } = {},
): Promise<EndpointServer> {
  const path = options.path ?? '/slack/events';
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://local').pathname !== path) {
      send(404, JSON.stringify({ error: `POST ${path}` }));
      return;
    }
    try {
      const rawBody = await readBody(req);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers))
        headers[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
      const out = await handleSlackRequest({ headers, rawBody }, deps);
      send(out.statusCode, out.body, out.headers);
      options.onExchange?.({ rawBody, status: out.statusCode, body: out.body });
    } catch (err) {
      if (err instanceof BodyTooLargeError) return send(413, JSON.stringify({ error: 'body too large' }));
      deps.logger.error('Slack endpoint failed', { error: (err as Error).message });
      send(500, JSON.stringify({ error: 'internal error' }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}${path}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
