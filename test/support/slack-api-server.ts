import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Slack, over real HTTP on 127.0.0.1: the Web API (`/api/<method>`, what
 * `@slack/web-api`'s WebClient calls when `slackApiUrl` points here) and `response_url`s
 * (`/respond/<anything>`). Every request is recorded with its parsed body so tests assert what
 * was sent. `chat.postMessage` returns increasing message timestamps; `usergroups.users.list`
 * answers from `userGroups`; `failNext(method, error)` makes the next call of a method fail
 * the way Slack does (`{ ok: false, error }`).
 *
 *   const slack = await startSlackApiServer({ userGroups: { S0ONCALL01: ['U0ONCALL01'] } });
 *   new SlackApi({ token: async () => 'xoxb-test', apiUrl: slack.apiUrl, responseUrlOrigins: [slack.origin] });
 */
export interface SlackCall {
  /** Web API method (`chat.postMessage`) or `response_url` for a response URL. */
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body: Record<string, unknown>;
}

export interface SlackApiServer {
  readonly origin: string;
  /** Base URL for WebClient's `slackApiUrl` (trailing slash). */
  readonly apiUrl: string;
  readonly calls: SlackCall[];
  /** A fresh response_url on this server. */
  responseUrl(id?: string): string;
  callsOf(method: string): SlackCall[];
  failNext(method: string, error: string): void;
  /** Resolves when `predicate` holds for the recorded calls (checked on every new call). */
  waitFor(predicate: (calls: readonly SlackCall[]) => boolean, timeoutMs?: number): Promise<void>;
  setUserGroup(id: string, members: string[]): void;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // WebClient form-encodes nested arguments (blocks) as JSON strings.
    out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return out;
}

export async function startSlackApiServer(
  options: { userGroups?: Record<string, string[]> } = {},
): Promise<SlackApiServer> {
  const calls: SlackCall[] = [];
  const failures = new Map<string, string[]>();
  const groups = new Map(Object.entries(options.userGroups ?? {}));
  const waiters = new Set<() => void>();
  let ts = 1_700_000_000;

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://local');
    const isApi = url.pathname.startsWith('/api/');
    const method = isApi ? url.pathname.slice('/api/'.length) : 'response_url';
    const body = parseBody(raw, req.headers['content-type']);
    calls.push({ method, path: url.pathname, authorization: req.headers.authorization, body });
    for (const w of [...waiters]) w();
    res.setHeader('content-type', 'application/json');
    const failure = failures.get(method)?.shift();
    if (failure) {
      res.end(JSON.stringify({ ok: false, error: failure }));
      return;
    }
    if (!isApi) {
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    switch (method) {
      case 'chat.postMessage':
        ts += 1;
        res.end(JSON.stringify({ ok: true, channel: body.channel, ts: `${ts}.000100` }));
        return;
      case 'chat.update':
        res.end(JSON.stringify({ ok: true, channel: body.channel, ts: body.ts }));
        return;
      case 'usergroups.users.list':
        res.end(JSON.stringify({ ok: true, users: groups.get(String(body.usergroup)) ?? [] }));
        return;
      default:
        res.end(JSON.stringify({ ok: true }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let responses = 0;

  return {
    origin,
    apiUrl: `${origin}/api/`,
    calls,
    responseUrl: (id) => `${origin}/respond/${id ?? ++responses}`,
    callsOf: (method) => calls.filter((c) => c.method === method),
    failNext(method, error) {
      failures.set(method, [...(failures.get(method) ?? []), error]);
    },
    waitFor(predicate, timeoutMs = 10_000) {
      if (predicate(calls)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(calls)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`Slack calls never matched; got ${calls.map((c) => c.method).join(', ') || 'none'}`),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    setUserGroup(id, members) {
      groups.set(id, members);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
