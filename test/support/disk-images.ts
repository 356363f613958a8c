import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real filesystem images for the EBS content check, made by the Debian tools (e2fsprogs,
 * xfsprogs, fdisk's sfdisk) in a throw-away folder; no root needed. Images are sparse: a 1 GiB
 * XFS costs its log (~64 MiB) on disk. The same tools are the test's oracles (dumpe2fs, xfs_db,
 * sfdisk --json), so the expected answers never come from the code under test.
 */

const MiB = 1024 ** 2;

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
}

export interface ImageDir {
  readonly dir: string;
  path(name: string): string;
  /** A sparse file of `bytes` with nothing written. */
  blank(name: string, bytes: number): string;
  ext4(name: string, bytes: number): string;
  xfs(name: string, bytes: number): string;
  /**
   * A GPT (or, with label `dos`, MBR) disk of `diskBytes` with one Linux partition at 1 MiB holding an ext4 of `fsBytes`,
   * assembled the way an AMI's disk looks: sfdisk writes the table, the filesystem (made as its
   * own image) is copied in at the partition's offset.
   */
  gptExt4(name: string, diskBytes: number, fsBytes: number, label?: 'gpt' | 'dos'): string;
  /** dumpe2fs -h, as key → value. */
  dumpe2fs(image: string): Record<string, string>;
  /** xfs_db -r -c sb -c print, as key → value. */
  xfsSb(image: string): Record<string, string>;
  /** sfdisk --json: the partitions' start and size in sectors. */
  sfdisk(image: string): { start: number; size: number; type: string }[];
  /** ext4 superblock state set the way a crashed mount leaves it (debugfs, which updates the checksum). */
  markExt4Dirty(image: string): void;
  /** XFS sb_inprogress set, as an interrupted mkfs leaves it (xfs_db expert mode). */
  markXfsInProgress(image: string): void;
  remove(): void;
}

function pairs(text: string, sep: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = sep.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1].trim()] = m[2].trim();
  }
  return out;
}

export function makeImageDir(): ImageDir {
  const dir = mkdtempSync(join(tmpdir(), 'ebs-content-'));
  const path = (name: string) => join(dir, name);
  const blank = (name: string, bytes: number) => {
    const p = path(name);
    writeFileSync(p, '');
    run('truncate', ['-s', String(bytes), p]);
    return p;
  };
  return {
    dir,
    path,
    blank,
    ext4: (name, bytes) => {
      const p = blank(name, bytes);
      run('mkfs.ext4', ['-q', '-F', p]);
      return p;
    },
    xfs: (name, bytes) => {
      const p = blank(name, bytes);
      run('mkfs.xfs', ['-q', '-f', p]);
      return p;
    },
    gptExt4: (name, diskBytes, fsBytes, label = 'gpt') => {
      const fs = blank(`${name}.part`, fsBytes);
      run('mkfs.ext4', ['-q', '-F', fs]);
      const disk = blank(name, diskBytes);
      const type = label === 'gpt' ? '0FC63DAF-8483-4772-8E79-3D69D8477DE4' : '83';
      run('sfdisk', ['-q', disk], `label: ${label}\nstart=2048, size=${fsBytes / 512}, type=${type}\n`);
      run('dd', [
        `if=${fs}`,
        `of=${disk}`,
        'bs=1M',
        `seek=${(2048 * 512) / MiB}`,
        'conv=notrunc,sparse',
        'status=none',
      ]);
      return disk;
    },
    dumpe2fs: (image) => pairs(run('dumpe2fs', ['-h', image]), /^([^:]+):\s+(.*)$/),
    xfsSb: (image) => pairs(run('xfs_db', ['-r', '-c', 'sb', '-c', 'print', image]), /^(\S+) = (.*)$/),
    sfdisk: (image) =>
      (
        JSON.parse(run('sfdisk', ['--json', image])) as {
          partitiontable: { partitions: { start: number; size: number; type: string }[] };
        }
      ).partitiontable.partitions,
    markExt4Dirty: (image) => {
      run('debugfs', ['-w', '-R', 'ssv state 0', image]);
    },
    markXfsInProgress: (image) => {
      run('xfs_db', ['-x', '-c', 'sb 0', '-c', 'write inprogress 1', image]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export { MiB };
