import { createHash } from 'node:crypto';
import pRetry from 'p-retry';
import * as z from '../../../functions/shared/zod-mini.js';
import {
  type FilesystemFacts,
  formatSize,
  type Partition,
  parseFilesystem,
  parseGptEntries,
  parsePartitionTable,
  SECTOR,
  SUPERBLOCK_BYTES,
} from '../disk-format.js';
import { type EbsDirect, EbsDirectError, type SnapshotBlockRef } from './ebs-direct.js';

/**
 * The EBS content check (issue 15): read the newest snapshot through the EBS direct APIs, with no
 * volume and no instance. It lists the snapshot's written blocks, reads the partition table and the
 * filesystem superblocks (ext4, XFS), samples blocks across the volume (the first and the last
 * written block always), checks every block it reads against the SHA-256 the API sends with it, and
 * judges: a recognised filesystem, clean, no larger than its partition or volume. Every problem
 * (missing permission, persistent throttling, a snapshot that does not exist, a bad checksum, an
 * empty volume, running out of time) ends as a failed observation with its reason: this function
 * throws only on a bad event. It creates nothing, so nothing is ever left behind.
 */

export const CheckVolumeContentEvent = z.object({
  /** The newest completed recovery point, as collect normalised it (`id`, `sizeGiB`). */
  snapshot: z.looseObject({
    id: z.string().check(z.regex(/^snap-[0-9a-f]+$/, 'an EBS snapshot id (snap-…)')),
    /** VolumeSize as DescribeSnapshots reported it, cross-checked with the block listing. */
    sizeGiB: z.optional(z.number().check(z.int(), z.positive())),
  }),
  /** Blocks to read in all, structural reads included (at least the first and the last). */
  sampleBlocks: z._default(z.number().check(z.int(), z.minimum(2), z.maximum(1000)), 16),
});
export type CheckVolumeContentEvent = z.input<typeof CheckVolumeContentEvent>;

export interface FilesystemReport extends FilesystemFacts {
  /** `whole volume` or `partition 2`. */
  readonly where: string;
  readonly containerBytes: number;
}

export interface ContentObservation {
  readonly kind: 'ebs-content';
  readonly snapshotId: string;
  readonly verdict: 'verified' | 'failed';
  readonly reason: string;
  readonly volumeSizeGiB?: number;
  readonly blocksListed?: number;
  readonly blocksRead: number;
  readonly partitionTable?: 'gpt' | 'mbr' | 'none';
  readonly filesystems: readonly FilesystemReport[];
}

export interface ContentCheckDeps {
  readonly ebs: EbsDirect;
  /** Back-off for throttled calls; bounded. Tests shorten it. */
  readonly retry?: { retries: number; minTimeoutMs: number; maxTimeoutMs: number };
  /** Epoch ms after which no new call starts (the Lambda's remaining time, minus a margin). */
  readonly deadline?: number;
  readonly now?: () => number;
}

/** Ends the check with a verdict (never thrown out of checkVolumeContent). */
class ContentCheckFailed extends Error {
  override readonly name = 'ContentCheckFailed';
}

const MAX_LIST_PAGES = 1000;
const MAX_PARTITIONS = 16;

export function describeEbsError(err: unknown, call: string): string {
  if (err instanceof EbsDirectError) {
    const reason = err.reason ? ` (${err.reason})` : '';
    if (err.code === 'AccessDeniedException')
      return `${call} was denied${reason}: missing ebs permission or KMS grant`;
    if (err.code === 'ResourceNotFoundException') return `${call}: snapshot not found${reason}`;
    if (err.throttled) return `${call} still throttled after bounded retries${reason}`;
    return `${call} failed: ${err.message}${reason}`;
  }
  if (err instanceof Error) return `${call} failed: ${err.name}: ${err.message}`.slice(0, 300);
  return `${call} failed: ${String(err)}`.slice(0, 300);
}

export async function checkVolumeContent(
  event: CheckVolumeContentEvent,
  deps: ContentCheckDeps,
): Promise<ContentObservation> {
  const e = CheckVolumeContentEvent.parse(event);
  const now = deps.now ?? Date.now;
  const retry = deps.retry ?? { retries: 5, minTimeoutMs: 250, maxTimeoutMs: 4000 };
  const cache = new Map<number, Buffer>();
  const filesystems: FilesystemReport[] = [];
  const state: {
    blockSize: number;
    volumeSizeGiB?: number;
    blocksListed?: number;
    table?: 'gpt' | 'mbr' | 'none';
    blocksRead: number;
  } = { blockSize: 0, blocksRead: 0 };

  const call = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (deps.deadline !== undefined && now() >= deps.deadline)
      throw new ContentCheckFailed(`ran out of time before ${name} (${state.blocksRead} blocks read)`);
    try {
      return await pRetry(fn, {
        retries: retry.retries,
        minTimeout: retry.minTimeoutMs,
        maxTimeout: retry.maxTimeoutMs,
        factor: 2,
        shouldRetry: ({ error }) =>
          error instanceof EbsDirectError &&
          error.retryable &&
          (deps.deadline === undefined || now() < deps.deadline),
      });
    } catch (err) {
      throw new ContentCheckFailed(describeEbsError(err, name));
    }
  };

  const observation = (verdict: 'verified' | 'failed', reason: string): ContentObservation => ({
    kind: 'ebs-content',
    snapshotId: e.snapshot.id,
    verdict,
    reason,
    ...(state.volumeSizeGiB !== undefined ? { volumeSizeGiB: state.volumeSizeGiB } : {}),
    ...(state.blocksListed !== undefined ? { blocksListed: state.blocksListed } : {}),
    blocksRead: state.blocksRead,
    ...(state.table ? { partitionTable: state.table } : {}),
    filesystems,
  });

  try {
    // 1. Every written block (ListSnapshotBlocks omits blocks never written: they read as zeros).
    const listed = new Map<number, string>();
    let token: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_LIST_PAGES) throw new ContentCheckFailed(`more than ${MAX_LIST_PAGES} listing pages`);
      const page = await call('ListSnapshotBlocks', () =>
        deps.ebs.listSnapshotBlocks({
          snapshotId: e.snapshot.id,
          maxResults: 10000,
          ...(token ? { nextToken: token } : {}),
        }),
      );
      state.blockSize = page.BlockSize;
      state.volumeSizeGiB = page.VolumeSize;
      for (const b of page.Blocks as SnapshotBlockRef[]) listed.set(b.BlockIndex, b.BlockToken);
      token = page.NextToken;
    } while (token);
    state.blocksListed = listed.size;
    const blockSize = state.blockSize;
    if (!Number.isInteger(blockSize) || blockSize < SECTOR * 4)
      throw new ContentCheckFailed(`ListSnapshotBlocks gave an unusable block size ${blockSize}`);
    const volumeBytes = (state.volumeSizeGiB ?? 0) * 1024 ** 3;
    if (e.snapshot.sizeGiB !== undefined && state.volumeSizeGiB !== e.snapshot.sizeGiB)
      throw new ContentCheckFailed(
        `the snapshot is listed as ${state.volumeSizeGiB} GiB, but DescribeSnapshots said ${e.snapshot.sizeGiB} GiB`,
      );
    const indexes = [...listed.keys()].sort((a, b) => a - b);
    if (indexes.length === 0)
      throw new ContentCheckFailed('the volume is all zeros: the snapshot holds no written block');

    // 2. Reading: a block not listed is zeros; a listed one must match the API's SHA-256.
    const block = async (index: number): Promise<Buffer> => {
      const hit = cache.get(index);
      if (hit) return hit;
      const blockToken = listed.get(index);
      let data: Buffer;
      if (blockToken === undefined) {
        data = Buffer.alloc(blockSize);
      } else {
        const got = await call(`GetSnapshotBlock ${index}`, () =>
          deps.ebs.getSnapshotBlock({ snapshotId: e.snapshot.id, blockIndex: index, blockToken }),
        );
        state.blocksRead++;
        if (got.checksumAlgorithm !== 'SHA256')
          throw new ContentCheckFailed(
            `block ${index}: checksum algorithm ${got.checksumAlgorithm || 'missing'}, expected SHA256`,
          );
        if (got.data.length !== got.dataLength || got.data.length !== blockSize)
          throw new ContentCheckFailed(
            `block ${index}: ${got.data.length} bytes received, ${got.dataLength} announced, block size ${blockSize}`,
          );
        const actual = createHash('sha256').update(got.data).digest('base64');
        if (actual !== got.checksum)
          throw new ContentCheckFailed(
            `block ${index}: checksum mismatch (the data read does not match the SHA-256 EBS sent with it)`,
          );
        data = got.data;
      }
      cache.set(index, data);
      return data;
    };
    const read = async (offset: number, length: number): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for (let i = Math.floor(offset / blockSize); i * blockSize < offset + length; i++)
        parts.push(await block(i));
      const first = Math.floor(offset / blockSize) * blockSize;
      return Buffer.concat(parts).subarray(offset - first, offset - first + length);
    };

    // 3. Partition table, then a superblock per candidate.
    const head = await read(0, SUPERBLOCK_BYTES);
    const parsed = parsePartitionTable(head);
    let containers: { where: string; offset: number; size: number }[];
    if (parsed.kind === 'gpt-header') {
      state.table = 'gpt';
      const { offset, count, entrySize } = parsed.entries;
      const bytes = Math.min(count, 128) * entrySize;
      if (entrySize < 128 || entrySize > 1024 || offset + bytes > volumeBytes)
        throw new ContentCheckFailed(
          `the GPT header points at an impossible entry array (${count} × ${entrySize} at ${offset})`,
        );
      const parts: Partition[] = parseGptEntries(await read(offset, bytes), Math.min(count, 128), entrySize);
      containers = parts
        .slice(0, MAX_PARTITIONS)
        .map((p) => ({ where: `partition ${p.index}`, offset: p.offset, size: p.size }));
    } else if (parsed.kind === 'mbr') {
      state.table = 'mbr';
      containers = parsed.partitions.map((p) => ({
        where: `partition ${p.index}`,
        offset: p.offset,
        size: p.size,
      }));
    } else {
      state.table = 'none';
      containers = [{ where: 'whole volume', offset: 0, size: volumeBytes }];
    }
    const problems: string[] = [];
    for (const c of containers) {
      if (c.offset + c.size > volumeBytes) {
        problems.push(`${c.where} ends beyond the ${formatSize(volumeBytes)} volume`);
        continue;
      }
      const fs = parseFilesystem(await read(c.offset, SUPERBLOCK_BYTES));
      if (!fs) continue;
      filesystems.push({ ...fs, where: c.where, containerBytes: c.size });
      if (!fs.clean) problems.push(`${fs.type} on the ${c.where} is ${fs.state}`);
      if (fs.sizeBytes <= 0) problems.push(`${fs.type} on the ${c.where} reports size 0`);
      if (fs.sizeBytes > c.size)
        problems.push(
          `${fs.type} on the ${c.where} says ${formatSize(fs.sizeBytes)}, larger than its ${formatSize(c.size)} container: truncated`,
        );
    }

    // 4. The sample: first and last written block always, the rest spread evenly over the listing.
    const wanted = new Set<number>([indexes[0] as number, indexes[indexes.length - 1] as number]);
    const alreadyRead = [...cache.keys()].filter((i) => listed.has(i) && !wanted.has(i)).length;
    const spare = Math.max(0, e.sampleBlocks - alreadyRead - wanted.size);
    for (let i = 1; i <= spare && wanted.size < indexes.length; i++) {
      wanted.add(indexes[Math.round((i * (indexes.length - 1)) / (spare + 1))] as number);
    }
    for (const index of [...wanted].sort((a, b) => a - b)) await block(index);

    if (filesystems.length === 0) {
      const table =
        state.table === 'none'
          ? 'no partition table'
          : `${state.table} with ${containers.length} partition(s)`;
      problems.unshift(`no ext4 or XFS filesystem recognised (${table})`);
    }
    const read_ = `${state.blocksRead} of ${indexes.length} written blocks read, checksums match`;
    if (problems.length > 0) return observation('failed', `${problems.join('; ')} (${read_})`);
    const what = filesystems
      .map(
        (f) =>
          `${f.type}, ${formatSize(f.sizeBytes)}, ${f.type === 'xfs' ? 'superblock consistent (log not read)' : 'clean'}${state.table === 'none' ? '' : ` (${f.where})`}`,
      )
      .join('; ');
    return observation('verified', `content verified: ${what}, ${state.blocksRead} blocks read`);
  } catch (err) {
    if (err instanceof ContentCheckFailed) return observation('failed', err.message);
    throw err;
  }
}
