/**
 * Pure readers of the on-disk structures the EBS content check recognises: the partition table
 * (MBR, or GPT behind its protective MBR) and the ext4 and XFS superblocks. Functions of bytes
 * only, no I/O; every offset is from the public format documentation, cited at each reader:
 * - MBR: 4 entries of 16 bytes at 446, boot signature 0x55 0xAA at 510 (UEFI spec 2.10, 5.2.1).
 * - GPT: header "EFI PART" at LBA 1, entries' LBA at 72, count at 80, entry size at 84; each entry
 *   has its type GUID at 0, first LBA at 32, last LBA at 40 (UEFI spec 2.10, 5.3.2 and 5.3.3).
 * - ext4: superblock at byte 1024 of the filesystem, little-endian; s_blocks_count_lo at 0x4,
 *   s_log_block_size at 0x18, s_magic 0xEF53 at 0x38, s_state at 0x3A (bit 1 = cleanly unmounted,
 *   bit 2 = errors detected), s_feature_incompat at 0x60 (0x80 = 64bit), s_blocks_count_hi at 0x150
 *   (kernel.org ext4 disk layout, "The Super Block").
 * - XFS: superblock at byte 0 of the filesystem, big-endian; "XFSB" at 0, sb_blocksize at 4,
 *   sb_dblocks at 8, sb_inprogress at 126 (XFS Algorithms & Data Structures, "Superblocks").
 * EBS exposes 512-byte logical sectors, so LBAs are counted in 512-byte units.
 */

export const SECTOR = 512;

export interface Partition {
  readonly index: number;
  /** Byte offset on the volume. */
  readonly offset: number;
  readonly size: number;
  /** MBR type byte (hex) or GPT type GUID. */
  readonly type: string;
}

export type PartitionTable =
  | { readonly kind: 'gpt'; readonly partitions: readonly Partition[] }
  | { readonly kind: 'mbr'; readonly partitions: readonly Partition[] }
  | { readonly kind: 'none' };

/** Where the GPT entries live, from its header at LBA 1; undefined when there is no GPT header. */
export function gptEntriesLocation(
  lba1: Buffer,
): { offset: number; count: number; entrySize: number } | undefined {
  if (lba1.length < 92 || lba1.toString('latin1', 0, 8) !== 'EFI PART') return undefined;
  const entriesLba = Number(lba1.readBigUInt64LE(72));
  const count = lba1.readUInt32LE(80);
  const entrySize = lba1.readUInt32LE(84);
  return { offset: entriesLba * SECTOR, count, entrySize };
}

function guid(b: Buffer): string {
  const hex = (s: number, e: number, le: boolean) => {
    const part = Buffer.from(b.subarray(s, e));
    return (le ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)]
    .join('-')
    .toUpperCase();
}

/** The used entries of a GPT partition entry array (zero type GUID = unused). */
export function parseGptEntries(entries: Buffer, count: number, entrySize: number): Partition[] {
  const out: Partition[] = [];
  if (entrySize < 128) return out;
  for (let i = 0; i < count && (i + 1) * entrySize <= entries.length; i++) {
    const e = entries.subarray(i * entrySize, (i + 1) * entrySize);
    if (e.subarray(0, 16).every((x) => x === 0)) continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    if (last < first) continue;
    out.push({ index: i + 1, offset: first * SECTOR, size: (last - first + 1) * SECTOR, type: guid(e) });
  }
  return out;
}

/**
 * The partition table of sector 0 (and LBA 1): `gpt` when the MBR is protective (type 0xEE) and
 * LBA 1 says "EFI PART" (entries still to be read), `mbr` with its primary partitions, or `none`
 * (a filesystem on the whole device, as EBS CSI volumes usually are).
 */
export function parsePartitionTable(
  head: Buffer,
): { kind: 'gpt-header'; entries: { offset: number; count: number; entrySize: number } } | PartitionTable {
  if (head.length < 2 * SECTOR || head[510] !== 0x55 || head[511] !== 0xaa) return { kind: 'none' };
  const types = [0, 1, 2, 3].map((i) => head[446 + i * 16 + 4] ?? 0);
  if (types.includes(0xee)) {
    const entries = gptEntriesLocation(head.subarray(SECTOR, 2 * SECTOR));
    if (entries) return { kind: 'gpt-header', entries };
  }
  // An ext4 or XFS filesystem on the whole device has no 0x55AA at 510 in practice; a FAT boot
  // sector does, and has no valid partition entries: only entries with a type and a start count.
  const partitions: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = head.subarray(446 + i * 16, 446 + (i + 1) * 16);
    const type = e[4] ?? 0;
    const start = e.readUInt32LE(8);
    const sectors = e.readUInt32LE(12);
    if (type === 0 || type === 0xee || start === 0 || sectors === 0) continue;
    if (e[0] !== 0 && e[0] !== 0x80) return { kind: 'none' };
    partitions.push({
      index: i + 1,
      offset: start * SECTOR,
      size: sectors * SECTOR,
      type: `0x${type.toString(16).padStart(2, '0')}`,
    });
  }
  return partitions.length > 0 ? { kind: 'mbr', partitions } : { kind: 'none' };
}

export interface FilesystemFacts {
  readonly type: 'ext4' | 'xfs';
  readonly blockSize: number;
  readonly blocks: number;
  /** blocks × block size. */
  readonly sizeBytes: number;
  readonly clean: boolean;
  /** Why not clean, in the format's own words. */
  readonly state: string;
}

/** Bytes of a filesystem's start the superblock readers need (XFS at 0, ext4 at 1024..2048). */
export const SUPERBLOCK_BYTES = 2048;

/** The ext4 (or ext2/3) superblock in the first 2048 bytes of a filesystem, or undefined. */
export function parseExt4(fsHead: Buffer): FilesystemFacts | undefined {
  if (fsHead.length < 2048) return undefined;
  const sb = fsHead.subarray(1024, 2048);
  if (sb.readUInt16LE(0x38) !== 0xef53) return undefined;
  const logBlock = sb.readUInt32LE(0x18);
  if (logBlock > 6) return undefined;
  const blockSize = 1024 << logBlock;
  const is64 = (sb.readUInt32LE(0x60) & 0x80) !== 0;
  const blocks = sb.readUInt32LE(0x4) + (is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
  const state = sb.readUInt16LE(0x3a);
  const clean = (state & 0x1) === 1 && (state & 0x2) === 0;
  const words = [
    state & 0x1 ? 'clean' : 'not clean',
    state & 0x2 ? 'errors detected' : undefined,
    state & 0x4 ? 'orphans being recovered' : undefined,
  ].filter(Boolean);
  return { type: 'ext4', blockSize, blocks, sizeBytes: blocks * blockSize, clean, state: words.join(', ') };
}

/** The XFS primary superblock at byte 0 of a filesystem, or undefined. */
export function parseXfs(fsHead: Buffer): FilesystemFacts | undefined {
  if (fsHead.length < 128 || fsHead.toString('latin1', 0, 4) !== 'XFSB') return undefined;
  const blockSize = fsHead.readUInt32BE(4);
  if (blockSize < 512 || blockSize > 65536) return undefined;
  const blocks = Number(fsHead.readBigUInt64BE(8));
  const inprogress = fsHead[126] ?? 0;
  return {
    type: 'xfs',
    blockSize,
    blocks,
    sizeBytes: blocks * blockSize,
    // The superblock has no clean flag; sb_inprogress is set while mkfs runs. Whether the log is
    // clean would need the log itself to be read: out of scope.
    clean: inprogress === 0,
    state: inprogress === 0 ? 'not in progress (log not inspected)' : 'mkfs in progress (sb_inprogress set)',
  };
}

/** Whichever recognised filesystem starts here. */
export function parseFilesystem(fsHead: Buffer): FilesystemFacts | undefined {
  return parseXfs(fsHead) ?? parseExt4(fsHead);
}

/** "64 MiB", "1 GiB", "1.5 GiB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
