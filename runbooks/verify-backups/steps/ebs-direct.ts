import {
  EBSClient,
  type EBSServiceException,
  GetSnapshotBlockCommand,
  ListSnapshotBlocksCommand,
} from '@aws-sdk/client-ebs';
import type { AwsCredentialIdentity } from '@smithy/types';

/**
 * The two read calls of the EBS direct APIs the content check needs, behind a small interface, and
 * one implementation over the AWS SDK v3 client (`@aws-sdk/client-ebs`).
 *
 * The wire shapes are those of the API reference
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

export interface SdkEbsDirectOptions {
  readonly region: string;
  /** Defaults to the SDK's credential chain. */
  readonly credentials?: AwsCredentialIdentity;
  /** Defaults to the SDK's (AWS_ENDPOINT_URL_EBS, AWS_ENDPOINT_URL, else AWS's); tests point it at a stand-in. */
  readonly endpoint?: string;
  /** Per request. */
  readonly timeoutMs?: number;
}

/** An SDK error as an EbsDirectError: its name is the code, Reason comes from the body. */
function asEbsError(err: unknown): unknown {
  const e = err as Partial<EBSServiceException> & { Reason?: string };
  const status = e.$metadata?.httpStatusCode;
  if (typeof e.name !== 'string' || status === undefined) return err;
  return new EbsDirectError(e.name, `${e.name}: ${e.message ?? ''}`, status, e.Reason);
}

export class SdkEbsDirect implements EbsDirect {
  private readonly client: EBSClient;

  constructor(options: SdkEbsDirectOptions) {
    this.client = new EBSClient({
      region: options.region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      // The content check retries throttling and server errors itself (EbsDirectError.retryable),
      // within the Lambda's deadline: one attempt per call here, so the two do not multiply.
      maxAttempts: 1,
      requestHandler: { requestTimeout: options.timeoutMs ?? 30_000 },
    });
  }

  async listSnapshotBlocks(input: {
    snapshotId: string;
    maxResults?: number;
    nextToken?: string;
  }): Promise<ListSnapshotBlocksOutput> {
    const out = await this.client
      .send(
        new ListSnapshotBlocksCommand({
          SnapshotId: input.snapshotId,
          ...(input.maxResults !== undefined ? { MaxResults: input.maxResults } : {}),
          ...(input.nextToken ? { NextToken: input.nextToken } : {}),
        }),
      )
      .catch((err: unknown) => {
        throw asEbsError(err);
      });
    return {
      Blocks: (out.Blocks ?? []).map((b) => ({
        BlockIndex: b.BlockIndex ?? 0,
        BlockToken: b.BlockToken ?? '',
      })),
      BlockSize: out.BlockSize ?? 0,
      VolumeSize: out.VolumeSize ?? 0,
      ...(out.ExpiryTime ? { ExpiryTime: out.ExpiryTime.toISOString() } : {}),
      ...(out.NextToken ? { NextToken: out.NextToken } : {}),
    };
  }

  async getSnapshotBlock(input: {
    snapshotId: string;
    blockIndex: number;
    blockToken: string;
  }): Promise<SnapshotBlock> {
    const out = await this.client
      .send(
        new GetSnapshotBlockCommand({
          SnapshotId: input.snapshotId,
          BlockIndex: input.blockIndex,
          BlockToken: input.blockToken,
        }),
      )
      .catch((err: unknown) => {
        throw asEbsError(err);
      });
    const data = out.BlockData ? Buffer.from(await out.BlockData.transformToByteArray()) : Buffer.alloc(0);
    return {
      data,
      checksum: out.Checksum ?? '',
      checksumAlgorithm: out.ChecksumAlgorithm ?? '',
      dataLength: out.DataLength ?? data.length,
    };
  }
}
