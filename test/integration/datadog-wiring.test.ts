import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/datadog-wire.js';
import { datadogWiring } from '../../config/datadog-wiring.js';
import { loadStage } from '../../config/index.js';
import { wireApis } from '../../functions/datadog-wiring/clients.js';
import { wireDatadog } from '../../functions/datadog-wiring/wire.js';

/**
 * The Datadog wiring through the real @datadog/datadog-api-client, over HTTP, against a local stand-in
 * of Datadog's Webhooks integration API (v1) and AWS integration EventBridge API (v2) that refuses what
 * Datadog refuses: requests without both keys (403), a webhook without name or url, a name outside
 * [A-Za-z0-9_-], custom headers that are not a JSON object string, an unknown encoding (400), creating
 * a webhook that exists (400), reading or updating one that does not (404). Oracle for the payload: the
 * template kept in events/samples/datadog/webhook-payload-template.json.
 */
const ROOT = join(import.meta.dirname, '../..');
const TEMPLATE = JSON.parse(
  readFileSync(join(ROOT, 'events/samples/datadog/webhook-payload-template.json'), 'utf8'),
) as unknown;
const API_KEY = 'dd-api-key-for-test';
const APP_KEY = 'dd-app-key-for-test';
const TOKEN = 'shared-webhook-token-0123456789';
const URL = 'https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/';

interface StoredWebhook {
  name: string;
  url: string;
  payload?: string;
  custom_headers?: string;
  encode_as?: string;
}
interface Hub {
  name: string;
  region: string;
}

const webhooks = new Map<string, StoredWebhook>();
const hubs = new Map<string, Hub[]>();
const calls: string[] = [];
let server: Server;
let origin: string;

function send(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function validWebhookFields(b: Partial<StoredWebhook>): string | undefined {
  if (b.custom_headers !== undefined) {
    try {
      const parsed = JSON.parse(b.custom_headers) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return 'custom_headers must be a JSON object';
    } catch {
      return 'custom_headers must be valid JSON';
    }
  }
  if (b.encode_as !== undefined && !['json', 'form'].includes(b.encode_as))
    return 'encode_as must be json or form';
  if (b.url !== undefined && !/^https?:\/\//.test(b.url)) return 'url must be a URL';
  return undefined;
}

function handle(
  method: string,
  path: string,
  body: Record<string, unknown>,
  res: import('node:http').ServerResponse,
) {
  const hook = /^\/api\/v1\/integration\/webhooks\/configuration\/webhooks(?:\/([^/]+))?$/.exec(path);
  if (hook) {
    const name = hook[1] ? decodeURIComponent(hook[1]) : undefined;
    if (method === 'POST' && !name) {
      const b = body as Partial<StoredWebhook>;
      if (typeof b.name !== 'string' || typeof b.url !== 'string')
        return send(res, 400, { errors: ['name and url are required'] });
      if (!/^[A-Za-z0-9_-]+$/.test(b.name)) return send(res, 400, { errors: ['invalid webhook name'] });
      const invalid = validWebhookFields(b);
      if (invalid) return send(res, 400, { errors: [invalid] });
      if (webhooks.has(b.name)) return send(res, 400, { errors: [`Webhook ${b.name} already exists`] });
      webhooks.set(b.name, { ...(b as StoredWebhook) });
      return send(res, 200, b);
    }
    if (name && (method === 'GET' || method === 'PUT')) {
      const existing = webhooks.get(name);
      if (!existing) return send(res, 404, { errors: ['Webhook not found'] });
      if (method === 'GET') return send(res, 200, existing);
      const invalid = validWebhookFields(body as Partial<StoredWebhook>);
      if (invalid) return send(res, 400, { errors: [invalid] });
      const updated = { ...existing, ...(body as Partial<StoredWebhook>) };
      webhooks.set(name, updated);
      return send(res, 200, updated);
    }
  }
  if (path === '/api/v2/integration/aws/event_bridge') {
    if (method === 'GET') {
      const accounts = [...hubs.entries()].map(([account_id, event_hubs]) => ({
        account_id,
        event_hubs,
        tags: [],
      }));
      return send(res, 200, {
        data: { id: 'event_bridge', type: 'event_bridge', attributes: { accounts, is_installed: true } },
      });
    }
    if (method === 'POST') {
      const data = (body.data ?? {}) as { type?: string; attributes?: Record<string, unknown> };
      const a = data.attributes ?? {};
      if (data.type !== 'event_bridge') return send(res, 400, { errors: ['data.type must be event_bridge'] });
      if (
        typeof a.account_id !== 'string' ||
        typeof a.region !== 'string' ||
        typeof a.event_generator_name !== 'string'
      )
        return send(res, 400, { errors: ['account_id, region and event_generator_name are required'] });
      // Datadog appends a suffix of its own to the generator name.
      const name = `${a.event_generator_name}-x7k2p9`;
      hubs.set(a.account_id, [...(hubs.get(a.account_id) ?? []), { name, region: a.region }]);
      return send(res, 200, {
        data: {
          type: 'event_bridge',
          attributes: { event_source_name: name, has_bus: false, region: a.region, status: 'created' },
        },
      });
    }
  }
  return send(res, 404, { errors: [`no route ${method} ${path}`] });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      calls.push(`${req.method} ${path}`);
      if (req.headers['dd-api-key'] !== API_KEY || req.headers['dd-application-key'] !== APP_KEY) {
        return send(res, 403, { errors: ['Forbidden'] });
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      handle(req.method ?? 'GET', path, raw ? (JSON.parse(raw) as Record<string, unknown>) : {}, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  webhooks.clear();
  hubs.clear();
  calls.length = 0;
});

const dev = loadStage('dev');
const wiring = datadogWiring(dev);
const apis = (appKey = APP_KEY) =>
  wireApis({ apiKey: API_KEY, appKey, site: 'datadoghq.eu', baseUrl: origin });

describe('datadog wiring: webhook and EventBridge source, through the Datadog API client', () => {
  it('creates the webhook with the URL, the token header and the payload template the normaliser reads', async () => {
    // Act
    const steps = await wireDatadog(apis(), { wiring, webhookUrl: URL, token: TOKEN });

    // Assess
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'webhook:created',
      'event-source:manual',
      'event-bus:manual',
    ]);
    const stored = webhooks.get('ops-automation-dev');
    expect(stored?.url).toBe(URL);
    // The header the intake authenticates (HTTP header names are case-insensitive).
    const headers = Object.entries(JSON.parse(stored?.custom_headers ?? '{}') as Record<string, string>);
    expect(headers.map(([k, v]) => [k.toLowerCase(), v])).toEqual([['x-ops-webhook-token', TOKEN]]);
    expect(JSON.parse(stored?.payload ?? '{}')).toEqual(TEMPLATE);
    expect(stored?.encode_as).toBe('json');
  });

  it('creates the event source once, reports its full name, and prints the one manual AWS command', async () => {
    const steps = await wireDatadog(apis(), { wiring, webhookUrl: URL, token: TOKEN });
    const source = 'aws.partner/datadog.com/ops-automation-dev-x7k2p9';
    expect(hubs.get(dev.account)).toEqual([{ name: 'ops-automation-dev-x7k2p9', region: dev.region }]);
    expect(steps[1]?.detail).toContain(`set it to ${source}`);
    expect(steps[2]?.command).toBe(
      `aws events create-event-bus --region ${dev.region} --name ${source} --event-source-name ${source}`,
    );
  });

  it('is idempotent: a second run updates the webhook in place and creates no second source', async () => {
    await wireDatadog(apis(), { wiring, webhookUrl: URL, token: TOKEN });
    const second = await wireDatadog(apis(), { wiring, webhookUrl: `${URL}v2`, token: TOKEN });

    expect(second[0]).toMatchObject({ step: 'webhook', status: 'updated' });
    expect(webhooks.size).toBe(1);
    expect(webhooks.get('ops-automation-dev')?.url).toBe(`${URL}v2`);
    expect(calls.filter((c) => c === 'POST /api/v2/integration/aws/event_bridge')).toHaveLength(1);
    expect(
      calls.filter((c) => c === 'POST /api/v1/integration/webhooks/configuration/webhooks'),
    ).toHaveLength(1);
  });

  it('reports the source unchanged once the config names it', async () => {
    await wireDatadog(apis(), { wiring, webhookUrl: URL, token: TOKEN });
    const named = { ...wiring, partnerEventBusName: 'aws.partner/datadog.com/ops-automation-dev-x7k2p9' };
    const steps = await wireDatadog(apis(), { wiring: named, webhookUrl: URL, token: TOKEN });
    expect(steps[1]).toMatchObject({ status: 'unchanged', detail: named.partnerEventBusName });
  });

  it('skips the webhook, saying why, until the stack is deployed and the token has a value', async () => {
    const noUrl = await wireDatadog(apis(), { wiring, webhookUrl: undefined, token: TOKEN });
    expect(noUrl[0]).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('/ops/dev/datadog/webhook-url'),
    });
    const noToken = await wireDatadog(apis(), { wiring, webhookUrl: URL, token: undefined });
    expect(noToken[0]).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining(wiring.tokenSecretName),
    });
    expect(calls.filter((c) => c.includes('/webhooks'))).toHaveLength(0);
  });

  it('fails a step with the HTTP status, never the keys or the token, when Datadog refuses the keys', async () => {
    const steps = await wireDatadog(apis('wrong-app-key'), { wiring, webhookUrl: URL, token: TOKEN });
    expect(steps[0]).toMatchObject({ status: 'failed', detail: expect.stringContaining('403') });
    expect(steps[1]).toMatchObject({ status: 'failed' });
    const text = JSON.stringify(steps);
    for (const secret of [TOKEN, API_KEY, APP_KEY, 'wrong-app-key']) expect(text).not.toContain(secret);
  });
});

describe('bin/datadog-wire.ts: usage', () => {
  it('exits 2 with one clear line when the stage or the Datadog keys are missing', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.stubEnv('DD_API_KEY', '');
    vi.stubEnv('DD_APP_KEY', '');
    try {
      await expect(run([])).resolves.toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toMatch(/^datadog-wire: --stage is required/);
      await expect(run(['--stage', 'dev'])).resolves.toBe(2);
      expect(err.mock.calls[1]?.[0]).toBe('datadog-wire: set DD_API_KEY and DD_APP_KEY in the environment');
    } finally {
      err.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
