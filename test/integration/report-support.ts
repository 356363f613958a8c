import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { AuditStore } from '../../functions/audit/store.js';
import { DatadogApi } from '../../functions/shared/datadog.js';
import { SlackApi } from '../../functions/shared/slack.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

/**
 * What the reporting tests share: local HTTP servers standing in for Slack and Datadog (every
 * request recorded with its path, headers and parsed body), the audit table in dynalite, an
 * in-memory S3 ledger that enforces what the real bucket does (Object Lock: no overwrite, no
 * delete; the bucket policy: every put must be conditional), and a capture of everything the
 * process writes to stdout / the console.
 */

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: Record<string, unknown>;
}

export interface FakeApi {
  readonly url: string;
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Answer every request with this HTTP status from now on (undefined = normal answers). */
  failWith(status: number | undefined): void;
  paths(): string[];
  stop(): Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  // Datadog's v1 series endpoint is sent as text/json.
  if (contentType?.includes('json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  return out;
}

async function startFake(answer: (req: RecordedRequest, count: number) => unknown): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  let failing: number | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        raw,
        body: parseBody(raw, req.headers['content-type']),
      };
      requests.push(recorded);
      if (failing !== undefined) {
        res.statusCode = failing;
        res.setHeader('content-type', 'application/json');
        res.end('{"errors":["unavailable"]}');
        return;
      }
      res.statusCode = recorded.path.startsWith('/api/v') ? 202 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(recorded, requests.length)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    requests,
    failWith: (status) => {
      failing = status;
    },
    paths: () => requests.map((r) => r.path),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Slack's Web API: `chat.postMessage` returns increasing timestamps; `chat.update` echoes. */
export function startSlack(): Promise<FakeApi> {
  return startFake((req, count) => {
    const channel = String(req.body.channel ?? 'C0');
    if (req.path.endsWith('/chat.postMessage'))
      return { ok: true, channel, ts: `1700000000.${String(count).padStart(6, '0')}` };
    if (req.path.endsWith('/chat.update')) return { ok: true, channel, ts: req.body.ts };
    return { ok: true };
  });
}

/** Datadog's intake: events return their id as a string beyond 2^53 (as Datadog's do), series `{ errors: [] }`. */
export function startDatadog(): Promise<FakeApi> {
  return startFake((req, count) =>
    req.path === '/api/v1/events'
      ? { status: 'ok', event: { id_str: `90071992547409${90 + count}` } }
      : { errors: [] },
  );
}

/** An origin nothing listens on: connection refused. */
export async function deadOrigin(): Promise<string> {
  const { createServer: createNet } = await import('node:net');
  const probe = createNet();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const SLACK_TOKEN = 'xoxb-1111111111-2222222222-SuperSecretBotTokenValue';
export const DD_API_KEY = '0123456789abcdef0123456789abcdef';

export function slackClient(api: Pick<FakeApi, 'url'>): SlackApi {
  return new SlackApi({
    token: async () => SLACK_TOKEN,
    apiUrl: `${api.url}/api/`,
    retryDelayMs: 5,
    timeoutMs: 2000,
  });
}

export function datadogClient(api: Pick<FakeApi, 'url'>): DatadogApi {
  return new DatadogApi({
    apiKey: async () => DD_API_KEY,
    site: 'datadoghq.eu',
    baseUrl: api.url,
    retryDelayMs: 5,
    timeoutMs: 2000,
  });
}

function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

export interface LedgerFake {
  readonly s3: S3Client;
  /** Every stored version per key (a locked version is never removed). */
  readonly objects: Map<string, string[]>;
  /** Every PutObject request the fake received, as sent (accepted or refused). */
  readonly puts: PutObjectCommandInput[];
  /** The next `count` PutObject calls fail as an S3 outage would (503 SlowDown). */
  failNextPuts(count: number): void;
  /** At most this many keys per ListObjectsV2 page (S3: up to 1,000; fewer is allowed), so paging happens. */
  setListPageSize(size: number): void;
  restore(): void;
}

/**
 * The ledger bucket at the SDK boundary, with the guarantees the real one has:
 * - the bucket policy denies a PutObject without `If-None-Match` (AccessDenied);
 * - `If-None-Match: *` on an existing key fails with 412 PreconditionFailed;
 * - Object Lock (and the role having no s3:DeleteObject) refuses every delete.
 */
export function ledgerFake(bucket: string): LedgerFake {
  const s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const mock = mockClient(s3);
  const objects = new Map<string, string[]>();
  const puts: PutObjectCommandInput[] = [];
  let failing = 0;
  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput & { Bucket: string; Key: string }) => {
    puts.push(input);
    if (failing > 0) {
      failing--;
      throw new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'slow down',
      });
    }
    if (input.Bucket !== bucket) throw s3Error('NoSuchBucket', 404, 'no such bucket');
    if (input.IfNoneMatch !== '*')
      throw s3Error('AccessDenied', 403, 'bucket policy: unconditional writes are denied');
    if (objects.has(input.Key))
      throw s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions failed');
    objects.set(input.Key, [String(input.Body)]);
    return { ETag: '"etag"', VersionId: `v${objects.size}` };
  });
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const versions = objects.get(input.Key);
    if (!versions) throw s3Error('NoSuchKey', 404, 'no such key');
    const text = versions.at(-1) ?? '';
    // The part of the SDK's stream mixin that readers use.
    return { Body: { transformToString: async () => text } as unknown as GetObjectCommandOutput['Body'] };
  });
  mock.on(DeleteObjectCommand).callsFake(() => {
    throw s3Error('AccessDenied', 403, 'Object Lock: the object is under retention');
  });
  let listPage = 1000;
  mock
    .on(ListObjectsV2Command)
    .callsFake((input: { Bucket: string; Prefix?: string; MaxKeys?: number; ContinuationToken?: string }) => {
      if (input.Bucket !== bucket) throw s3Error('NoSuchBucket', 404, 'no such bucket');
      const all = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
      // S3 answers at most MaxKeys (and at most 1,000) keys per page, continuing after the token.
      const from = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken.slice(4));
      if (input.ContinuationToken !== undefined && !input.ContinuationToken.startsWith('tok-'))
        throw s3Error('InvalidArgument', 400, 'The continuation token provided is incorrect');
      const keys = all.slice(from, from + Math.min(input.MaxKeys ?? 1000, listPage));
      const truncated = from + keys.length < all.length;
      return {
        KeyCount: keys.length,
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: `tok-${from + keys.length}` } : {}),
        // S3 leaves Contents out of an empty page.
        ...(keys.length ? { Contents: keys.map((Key) => ({ Key })) } : {}),
      };
    });
  return {
    s3,
    objects,
    puts,
    failNextPuts: (count) => {
      failing = count;
    },
    setListPageSize: (size) => {
      listPage = size;
    },
    restore: () => mock.restore(),
  };
}

/** The audit table as infra creates it: run key plus the by-resource and by-day indexes. */
export async function createAuditTable(db: LocalDynamo, name: string): Promise<void> {
  const attrs = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((n) => ({
    AttributeName: n,
    AttributeType: 'S' as const,
  }));
  await db.client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attrs,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-resource',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'by-day',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let i = 0; i < 200; i++) {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: name }));
    if (
      Table?.TableStatus === 'ACTIVE' &&
      (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

export interface AuditHarness {
  readonly db: LocalDynamo;
  readonly ledger: LedgerFake;
  readonly store: AuditStore;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startAudit(): Promise<AuditHarness> {
  const db = await startDynalite();
  const tableName = `audit-${++tableCounter}`;
  await createAuditTable(db, tableName);
  const ledger = ledgerFake('ops-dev-audit-ledger');
  const store = new AuditStore({ doc: db.doc, s3: ledger.s3, tableName, bucketName: 'ops-dev-audit-ledger' });
  return {
    db,
    ledger,
    store,
    stop: async () => {
      ledger.restore();
      await db.stop();
    },
  };
}

/**
 * Captures everything the process prints (Powertools logs and EMF metrics go through the console
 * in dev mode, and anything else through stdout), for "no secret leaves" assertions.
 */
export function captureOutput(): { lines: string[]; logger: Logger; metrics: Metrics; restore: () => void } {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const lines: string[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(record),
  );
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  const logger = new Logger({ serviceName: 'report', logLevel: 'DEBUG' });
  const metrics = new Metrics({ namespace: 'OpsAutomation', serviceName: 'report' });
  return {
    lines,
    logger,
    metrics,
    restore: () => {
      for (const s of spies) s.mockRestore();
      write.mockRestore();
      vi.unstubAllEnvs();
    },
  };
}
