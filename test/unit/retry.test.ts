import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatadogApi, DatadogError } from '../../functions/shared/datadog.js';
import { SlackApi, SlackError } from '../../functions/shared/slack.js';

/**
 * The bounded retries of Slack replies and Datadog calls (p-retry through functions/shared/retry.ts),
 * over real HTTP to a local server that answers with a scripted status: an outage costs exactly
 * `maxRetries + 1` requests and a known time; a refusal that retrying cannot fix costs one.
 */
let server: Server;
let origin: string;
let statuses: number[] = [];
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(hits, statuses.length - 1)] ?? 200;
      hits++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '{"status":"ok","event":{"id_str":"1"}}' : '{"errors":["no"]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const script = (...s: number[]) => {
  statuses = s;
  hits = 0;
};

describe('bounded retries: Slack response_url', () => {
  const slack = () =>
    new SlackApi({ token: async () => 'xoxb-test', responseUrlOrigins: [origin], retryDelayMs: 20 });

  it('retries an outage twice, waiting 20 then 40 ms, then gives up with a transient error', async () => {
    script(503);
    const started = Date.now();
    const err = await slack()
      .respond(`${origin}/respond/1`, { text: 'hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackError);
    expect((err as SlackError).transient).toBe(true);
    expect(hits).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops at the first refusal retrying cannot fix', async () => {
    script(404);
    const err = await slack()
      .respond(`${origin}/respond/2`, { text: 'hi' })
      .catch((e: unknown) => e);
    expect((err as SlackError).code).toBe('http_404');
    expect((err as SlackError).transient).toBe(false);
    expect(hits).toBe(1);
  });

  it('succeeds on the attempt after a blip', async () => {
    script(500, 200);
    await slack().respond(`${origin}/respond/3`, { text: 'hi' });
    expect(hits).toBe(2);
  });
});

describe('bounded retries: Datadog', () => {
  const datadog = () =>
    new DatadogApi({ apiKey: async () => 'dd-key', site: 'datadoghq.eu', baseUrl: origin, retryDelayMs: 20 });
  const event = { title: 't', text: 'x', tags: [], alertType: 'info' } as const;

  it('makes maxRetries + 1 requests through an outage, then a transient DatadogError', async () => {
    script(500);
    const err = await datadog()
      .postEvent(event)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatadogError);
    expect((err as DatadogError).transient).toBe(true);
    expect(hits).toBe(datadog().maxAttempts);
  });

  it('does not retry a rejected key', async () => {
    script(403);
    const err = await datadog()
      .postEvent(event)
      .catch((e: unknown) => e);
    expect((err as DatadogError).code).toBe('http_403');
    expect(hits).toBe(1);
  });
});
