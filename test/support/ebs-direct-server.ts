import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the EBS direct APIs' two read calls, over real HTTP on 127.0.0.1, serving snapshots
 * made from image files (e.g. what `mkfs` wrote). It behaves as the API reference and AWS's model
 * (botocore `ebs/2019-11-02`) say:
 * - `GET /snapshots/{snapshotId}/blocks[?maxResults=100..10000&pageToken=]` lists only the blocks
 *   that hold data (an all-zero 512 KiB block is never listed), with BlockSize 524288, VolumeSize
 *   in GiB, ExpiryTime and a NextToken when there are more;
 * - `GET /snapshots/{snapshotId}/blocks/{blockIndex}?blockToken=` returns the block's bytes with
 *   `x-amz-Checksum` (base64 SHA-256), `x-amz-Checksum-Algorithm: SHA256`, `x-amz-Data-Length`;
 * - refuses what the real API refuses: a request without a SigV4 Authorization header (403), an
 *   unknown path or query parameter, a maxResults out of range, a bad or foreign block token, an
 *   unknown page token (400 ValidationException with its Reason), an unknown snapshot (404).
 * Test knobs: `corruptBlock` (data changed, checksum of the original, as a bit flip in transit or at
 * rest would look), `throttleFirst` (the first N requests answer RequestThrottledException),
 * `denyAll` (AccessDeniedException), `volumeSizeGiB` (serve only that much of the image).
 */

export const EBS_BLOCK_SIZE = 524_288;
const ZERO_BLOCK = Buffer.alloc(EBS_BLOCK_SIZE);

export interface SnapshotSource {
  readonly image: string;
  /** Defaults to the image size rounded up to whole GiB. Blocks beyond it are not served. */
  readonly volumeSizeGiB?: number;
  /** Serve this block's data (an index, or the last written one) with one byte changed, under the original data's checksum. */
  readonly corruptBlock?: number | 'last';
}

export interface EbsDirectServer {
  readonly endpoint: string;
  readonly requests: {
    method: string;
    path: string;
    status: number;
    /** Path and query as received, and the request headers (to check signatures against an oracle). */
    url: string;
    headers: Record<string, string>;
  }[];
  /** The next `n` requests (for one snapshot, or any) are throttled (RequestThrottledException, RESOURCE_LEVEL_THROTTLE). */
  throttle(n: number, snapshotId?: string): void;
  /** Requests (for one snapshot, or all) are denied from now on, or no longer. */
  deny(on: boolean, snapshotId?: string): void;
  /** Serve (or replace) a snapshot from an image. */
  serve(snapshotId: string, source: SnapshotSource): Promise<void>;
  /** Written (listed) block indexes of a snapshot. */
  written(snapshotId: string): number[];
  stop(): Promise<void>;
}

interface Loaded {
  readonly blocks: Map<number, { data: Buffer; checksum: string }>;
  readonly volumeSizeGiB: number;
  readonly tokens: Map<string, number>;
}

async function load(source: SnapshotSource): Promise<Omit<Loaded, 'tokens'>> {
  const fh = await open(source.image, 'r');
  try {
    const { size } = await fh.stat();
    const volumeSizeGiB = source.volumeSizeGiB ?? Math.max(1, Math.ceil(size / 1024 ** 3));
    const end = Math.min(size, volumeSizeGiB * 1024 ** 3);
    const blocks = new Map<number, { data: Buffer; checksum: string }>();
    // Read in large chunks into one buffer: zero blocks cost no allocation (images are mostly sparse).
    const chunk = Buffer.allocUnsafe(32 * EBS_BLOCK_SIZE);
    for (let at = 0; at < end; at += chunk.length) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, end - at), at);
      chunk.fill(0, bytesRead);
      for (let o = 0; o < bytesRead; o += EBS_BLOCK_SIZE) {
        const view = chunk.subarray(o, o + EBS_BLOCK_SIZE);
        if (view.equals(ZERO_BLOCK)) continue;
        const data = Buffer.from(view);
        blocks.set((at + o) / EBS_BLOCK_SIZE, {
          data,
          checksum: createHash('sha256').update(data).digest('base64'),
        });
      }
    }
    const corrupt = source.corruptBlock === 'last' ? Math.max(...blocks.keys()) : source.corruptBlock;
    if (corrupt !== undefined) {
      const block = blocks.get(corrupt);
      if (!block) throw new Error(`corruptBlock ${corrupt} is not a written block of ${source.image}`);
      block.data[1234] = (block.data[1234] ?? 0) ^ 0xff;
    }
    return { blocks, volumeSizeGiB };
  } finally {
    await fh.close();
  }
}

function error(res: ServerResponse, status: number, code: string, message: string, reason?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': code });
  res.end(JSON.stringify({ Message: message, ...(reason ? { Reason: reason } : {}) }));
}

export async function startEbsDirectServer(
  snapshots: Record<string, SnapshotSource>,
): Promise<EbsDirectServer> {
  const loaded = new Map<string, Loaded>();
  for (const [id, source] of Object.entries(snapshots)) {
    if (!/^snap-[0-9a-f]+$/.test(id)) throw new Error(`not a snapshot id: ${id}`);
    loaded.set(id, { ...(await load(source)), tokens: new Map() });
  }
  const requests: EbsDirectServer['requests'] = [];
  let throttled = 0;
  let throttledFor: string | undefined;
  let denied = false;
  let deniedFor: string | undefined;
  const pages = new Map<string, { snapshotId: string; start: number }>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, f: () => void) => {
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        status,
        url: req.url ?? '',
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
        ),
      });
      f();
    };
    const fail = (status: number, code: string, message: string, reason?: string) =>
      reply(status, () => error(res, status, code, message, reason));

    if (
      !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/ebs\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(
        req.headers.authorization ?? '',
      )
    )
      return fail(
        403,
        'AccessDeniedException',
        'Missing or malformed SigV4 Authorization header',
        'UNAUTHORIZED_ACCOUNT',
      );
    if (req.method !== 'GET') return fail(405, 'ValidationException', `method ${req.method} not allowed`);
    const target = /^\/snapshots\/([^/]+)\//.exec(url.pathname)?.[1];
    if (throttled > 0 && (throttledFor === undefined || throttledFor === target)) {
      throttled--;
      return fail(400, 'RequestThrottledException', 'Rate exceeded', 'RESOURCE_LEVEL_THROTTLE');
    }
    if (denied && (deniedFor === undefined || deniedFor === target))
      return fail(
        403,
        'AccessDeniedException',
        'User is not authorized to perform: ebs:ListSnapshotBlocks',
        'UNAUTHORIZED_ACCOUNT',
      );

    const list = /^\/snapshots\/([^/]+)\/blocks$/.exec(url.pathname);
    const get = /^\/snapshots\/([^/]+)\/blocks\/(\d+)$/.exec(url.pathname);
    const allowed = list
      ? ['maxResults', 'pageToken', 'startingBlockIndex']
      : get
        ? ['blockToken']
        : undefined;
    if (!allowed) return fail(404, 'ResourceNotFoundException', `no route for ${url.pathname}`);
    for (const key of url.searchParams.keys())
      if (!allowed.includes(key))
        return fail(400, 'ValidationException', `unknown parameter ${key}`, 'INVALID_PARAMETER_VALUE');
    const snapshotId = decodeURIComponent((list ?? get)?.[1] ?? '');
    if (!/^snap-[0-9a-f]+$/.test(snapshotId))
      return fail(400, 'ValidationException', `invalid snapshot id ${snapshotId}`, 'INVALID_SNAPSHOT_ID');
    const snap = loaded.get(snapshotId);
    if (!snap)
      return fail(404, 'ResourceNotFoundException', `snapshot ${snapshotId} not found`, 'SNAPSHOT_NOT_FOUND');

    if (list) {
      const max = Number(url.searchParams.get('maxResults') ?? '10000');
      if (!Number.isInteger(max) || max < 100 || max > 10000)
        return fail(400, 'ValidationException', 'maxResults must be 100..10000', 'INVALID_PARAMETER_VALUE');
      let start = Number(url.searchParams.get('startingBlockIndex') ?? '0');
      const pageToken = url.searchParams.get('pageToken');
      if (pageToken !== null) {
        const page = pages.get(pageToken);
        if (!page || page.snapshotId !== snapshotId)
          return fail(400, 'ValidationException', 'invalid page token', 'INVALID_PAGE_TOKEN');
        start = page.start;
      }
      const indexes = [...snap.blocks.keys()].filter((i) => i >= start).sort((a, b) => a - b);
      const chunk = indexes.slice(0, max);
      const Blocks = chunk.map((i) => {
        const token = randomBytes(24).toString('base64');
        snap.tokens.set(token, i);
        return { BlockIndex: i, BlockToken: token };
      });
      let NextToken: string | undefined;
      const next = indexes[max];
      if (next !== undefined) {
        NextToken = randomBytes(24).toString('base64');
        pages.set(NextToken, { snapshotId, start: next });
      }
      return reply(200, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            Blocks,
            BlockSize: EBS_BLOCK_SIZE,
            VolumeSize: snap.volumeSizeGiB,
            // rest-json timestamps: epoch seconds.
            ExpiryTime: Math.floor(Date.now() / 1000) + 600,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
      });
    }

    const index = Number(get?.[2]);
    const token = url.searchParams.get('blockToken');
    if (!token || snap.tokens.get(token) !== index)
      return fail(400, 'ValidationException', 'invalid block token', 'INVALID_BLOCK_TOKEN');
    const block = snap.blocks.get(index);
    if (!block) return fail(400, 'ValidationException', `block ${index} holds no data`, 'INVALID_BLOCK');
    return reply(200, () => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'x-amz-Checksum': block.checksum,
        'x-amz-Checksum-Algorithm': 'SHA256',
        'x-amz-Data-Length': String(block.data.length),
      });
      res.end(block.data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    throttle: (n, snapshotId) => {
      throttled = n;
      throttledFor = snapshotId;
    },
    deny: (on, snapshotId) => {
      denied = on;
      deniedFor = snapshotId;
    },
    serve: async (id, source) => {
      loaded.set(id, { ...(await load(source)), tokens: new Map() });
    },
    written: (id) => [...(loaded.get(id)?.blocks.keys() ?? [])].sort((a, b) => a - b),
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
