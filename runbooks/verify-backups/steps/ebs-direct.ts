import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The two read calls of the EBS direct APIs the content check needs, behind a small interface, and
 * one implementation over HTTPS signed with SigV4. `@aws-sdk/client-ebs` is not a dependency of
 * this project yet; when it is, an adapter over its `ListSnapshotBlocksCommand` /
 * `GetSnapshotBlockCommand` can replace `HttpEbsDirect` without touching the check.
 *
 * Paths, query names, response headers and error codes are those of the API reference
 * (https://docs.aws.amazon.com/ebs/latest/APIReference/API_ListSnapshotBlocks.html and
 * .../API_GetSnapshotBlock.html), as AWS's own model states them (botocore `ebs/2019-11-02`):
 *   GET /snapshots/{snapshotId}/blocks?maxResults=&pageToken=&startingBlockIndex=
 *   GET /snapshots/{snapshotId}/blocks/{blockIndex}?blockToken=
 *   → body = block data; headers x-amz-Checksum, x-amz-Checksum-Algorithm, x-amz-Data-Length.
 * Errors are rest-json: `x-amzn-ErrorType` names the code, the body has Message and Reason.
 */

export interface SnapshotBlockRef {
  readonly BlockIndex: number;
  readonly BlockToken: string;
}

export interface ListSnapshotBlocksOutput {
  readonly Blocks: readonly SnapshotBlockRef[];
  /** Bytes per block (524288). */
  readonly BlockSize: number;
  /** GiB. */
  readonly VolumeSize: number;
  readonly ExpiryTime?: string;
  readonly NextToken?: string;
}

export interface SnapshotBlock {
  readonly data: Buffer;
  readonly checksum: string;
  readonly checksumAlgorithm: string;
  readonly dataLength: number;
}

export interface EbsDirect {
  listSnapshotBlocks(input: {
    snapshotId: string;
    maxResults?: number;
    nextToken?: string;
  }): Promise<ListSnapshotBlocksOutput>;
  getSnapshotBlock(input: {
    snapshotId: string;
    blockIndex: number;
    blockToken: string;
  }): Promise<SnapshotBlock>;
}

/** An error the EBS direct API returned: its code (`RequestThrottledException`), reason and status. */
export class EbsDirectError extends Error {
  override readonly name = 'EbsDirectError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
  }
  get throttled(): boolean {
    return (
      this.code === 'RequestThrottledException' || this.code === 'ThrottlingException' || this.status === 429
    );
  }
  /** Throttling and server errors are worth a retry; everything else is the answer. */
  get retryable(): boolean {
    return this.throttled || this.status >= 500;
  }
}

export interface HttpEbsDirectOptions {
  readonly region: string;
  readonly credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
  /** Defaults to https://ebs.<region>.amazonaws.com; tests point it at a local stand-in. */
  readonly endpoint?: string;
  /** Per request. */
  readonly timeoutMs?: number;
}

export class HttpEbsDirect implements EbsDirect {
  private readonly endpoint: URL;
  private readonly signer: SignatureV4;

  constructor(private readonly options: HttpEbsDirectOptions) {
    this.endpoint = new URL(options.endpoint ?? `https://ebs.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: 'ebs',
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  private async send(path: string, query: Record<string, string>): Promise<Response> {
    const request = new HttpRequest({
      method: 'GET',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port ? { port: Number(this.endpoint.port) } : {}),
      path,
      query,
      headers: { host: this.endpoint.host },
    });
    const signed = await this.signer.sign(request);
    const url = new URL(path, this.endpoint);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers = Object.fromEntries(
      Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'),
    );
    const response = await fetch(url, {
      method: 'GET',
      headers,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    if (!response.ok) {
      const text = await response.text();
      let body: { Message?: string; message?: string; Reason?: string } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not JSON (a proxy's page): the status says enough.
      }
      const code = (response.headers.get('x-amzn-errortype') ?? `Http${response.status}`).split(':')[0] ?? '';
      throw new EbsDirectError(
        code,
        `${code}: ${body.Message ?? body.message ?? (text.slice(0, 200) || response.statusText)}`,
        response.status,
        body.Reason,
      );
    }
    return response;
  }

  async listSnapshotBlocks(input: {
    snapshotId: string;
    maxResults?: number;
    nextToken?: string;
  }): Promise<ListSnapshotBlocksOutput> {
    const query: Record<string, string> = {};
    if (input.maxResults !== undefined) query.maxResults = String(input.maxResults);
    if (input.nextToken) query.pageToken = input.nextToken;
    const res = await this.send(`/snapshots/${encodeURIComponent(input.snapshotId)}/blocks`, query);
    const body = (await res.json()) as {
      Blocks?: SnapshotBlockRef[];
      BlockSize?: number;
      VolumeSize?: number;
      ExpiryTime?: number | string;
      NextToken?: string;
    };
    return {
      Blocks: body.Blocks ?? [],
      BlockSize: body.BlockSize ?? 0,
      VolumeSize: body.VolumeSize ?? 0,
      ...(body.ExpiryTime !== undefined
        ? {
            ExpiryTime:
              typeof body.ExpiryTime === 'number'
                ? new Date(body.ExpiryTime * 1000).toISOString()
                : body.ExpiryTime,
          }
        : {}),
      ...(body.NextToken ? { NextToken: body.NextToken } : {}),
    };
  }

  async getSnapshotBlock(input: {
    snapshotId: string;
    blockIndex: number;
    blockToken: string;
  }): Promise<SnapshotBlock> {
    const res = await this.send(
      `/snapshots/${encodeURIComponent(input.snapshotId)}/blocks/${input.blockIndex}`,
      { blockToken: input.blockToken },
    );
    const data = Buffer.from(await res.arrayBuffer());
    return {
      data,
      checksum: res.headers.get('x-amz-checksum') ?? '',
      checksumAlgorithm: res.headers.get('x-amz-checksum-algorithm') ?? '',
      dataLength: Number(res.headers.get('x-amz-data-length') ?? data.length),
    };
  }
}
