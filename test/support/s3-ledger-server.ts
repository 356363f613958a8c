import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * The audit ledger bucket as an S3 stand-in over real HTTP (path-style, one bucket), so both the
 * test process and a spawned `ops history` read and write the same objects. It keeps the
 * guarantees the real bucket has, as S3 itself answers them:
 * - the bucket policy denies a PutObject without `If-None-Match` (403 AccessDenied);
 * - `If-None-Match: *` on an existing key answers 412 PreconditionFailed;
 * - Object Lock (and no s3:DeleteObject) refuses every delete (403 AccessDenied).
 * Reads: GetObject and ListObjectsV2 (prefix, one page). Anything else is a 501, so code that
 * starts needing more fails loudly here.

 */
export interface LedgerServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** Latest version per key. */
  readonly objects: Map<string, string>;
  client(): S3Client;
  stop(): Promise<void>;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
  );
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  // aws-chunked (streaming checksum trailer): `<hex size>\r\n<data>\r\n ... 0\r\n<trailer>\r\n\r\n`.
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return raw;
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol).split(';')[0] as string, 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

export async function startLedgerServer(bucket = 'ops-dev-audit-ledger'): Promise<LedgerServer> {
  const objects = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const [, name, ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      if (name !== bucket) return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${keys
            .map(
              (k) =>
                `<Contents><Key>${xmlEscape(k)}</Key><Size>${Buffer.byteLength(objects.get(k) as string)}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
            )
            .join('')}</ListBucketResult>`,
        );
      }
      if (req.method === 'GET' && key) {
        const text = objects.get(key);
        if (text === undefined) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      if (req.method === 'PUT' && key) {
        const text = await body(req);
        if (req.headers['if-none-match'] !== '*')
          return error(
            res,
            403,
            'AccessDenied',
            'bucket policy: a PutObject without If-None-Match is denied',
          );
        if (objects.has(key))
          return error(
            res,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          );
        objects.set(key, text);
        res.writeHead(200, { etag: '"local"' });
        return res.end();
      }
      if (req.method === 'DELETE')
        return error(res, 403, 'AccessDenied', 'Object Lock: the object is under retention');
      return error(res, 501, 'NotImplemented', `${req.method} ${url.pathname} is not part of this stand-in`);
    })().catch((err: unknown) => error(res, 500, 'InternalError', String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    objects,
    client: () =>
      new S3Client({
        endpoint,
        forcePathStyle: true,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
