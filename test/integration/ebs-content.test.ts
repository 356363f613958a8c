import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ContentCheckDeps,
  checkVolumeContent,
} from '../../runbooks/verify-backups/steps/check-volume-content.js';
import { SdkEbsDirect } from '../../runbooks/verify-backups/steps/ebs-direct.js';
import { type ImageDir, MiB, makeImageDir } from '../support/disk-images.js';
import { type EbsDirectServer, startEbsDirectServer } from '../support/ebs-direct-server.js';

/**
 * The EBS content check on real filesystem images (mkfs.ext4, mkfs.xfs, sfdisk), served through a
 * local EBS direct API stand-in over HTTP with real SHA-256 checksums, read by the real SigV4 HTTP
 * client. Expected sizes come from the mkfs invocation and are cross-checked with dumpe2fs, xfs_db
 * and sfdisk; nothing expected comes from the code under test.
 */

const GiB = 1024 ** 3;
const SNAP = {
  ext4: 'snap-0e4e4e4e4e4e4e401',
  xfs: 'snap-0f5f5f5f5f5f5f501',
  gpt: 'snap-0a1a1a1a1a1a1a101',
  mbr: 'snap-0a1a1a1a1a1a1a102',
  corrupt: 'snap-0c0c0c0c0c0c0c001',
  corruptHead: 'snap-0c0c0c0c0c0c0c002',
  zero: 'snap-00000000000000001',
  dirty: 'snap-0d1d1d1d1d1d1d101',
  xfsInProgress: 'snap-0d2d2d2d2d2d2d201',
  truncated: 'snap-0a2a2a2a2a2a2a201',
  noise: 'snap-0b0b0b0b0b0b0b001',
  missing: 'snap-0999999999999999f',
} as const;

describe('verify-backups EBS content check: real images through an EBS direct API stand-in', () => {
  let img: ImageDir;
  let server: EbsDirectServer;
  let deps: ContentCheckDeps;
  const image = {} as Record<
    'ext4' | 'xfs' | 'gpt' | 'mbr' | 'zero' | 'dirty' | 'xfsInProgress' | 'big' | 'noise',
    string
  >;

  beforeAll(async () => {
    img = makeImageDir();
    image.ext4 = img.ext4('ext4.img', 64 * MiB);
    image.xfs = img.xfs('xfs.img', GiB);
    image.gpt = img.gptExt4('gpt.img', 128 * MiB, 64 * MiB);
    image.mbr = img.gptExt4('mbr.img', 128 * MiB, 64 * MiB, 'dos');
    image.zero = img.blank('zero.img', 64 * MiB);
    image.dirty = img.ext4('dirty.img', 64 * MiB);
    img.markExt4Dirty(image.dirty);
    image.xfsInProgress = img.xfs('xfs-inprogress.img', 320 * MiB);
    img.markXfsInProgress(image.xfsInProgress);
    // A 2 GiB filesystem on a snapshot that only holds 1 GiB of it.
    image.big = img.ext4('big.img', 2 * GiB);
    image.noise = img.blank('noise.img', 8 * MiB);
    const { randomFillSync } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(image.noise, randomFillSync(Buffer.alloc(8 * MiB)));
    server = await startEbsDirectServer({
      [SNAP.ext4]: { image: image.ext4 },
      [SNAP.xfs]: { image: image.xfs },
      [SNAP.gpt]: { image: image.gpt },
      [SNAP.mbr]: { image: image.mbr },
      [SNAP.zero]: { image: image.zero },
      [SNAP.dirty]: { image: image.dirty },
      [SNAP.xfsInProgress]: { image: image.xfsInProgress },
      [SNAP.truncated]: { image: image.big, volumeSizeGiB: 1 },
      [SNAP.noise]: { image: image.noise },
      // The last written block is always in the sample; block 0 holds the superblock.
      [SNAP.corrupt]: { image: image.ext4, corruptBlock: 'last' },
      [SNAP.corruptHead]: { image: image.ext4, corruptBlock: 0 },
    });
    deps = {
      ebs: new SdkEbsDirect({
        region: 'eu-central-1',
        endpoint: server.endpoint,
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        },
      }),
      retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5 },
    };
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    img?.remove();
  });

  const check = (snapshotId: string, extra: { sampleBlocks?: number; expectedSizeGiB?: number } = {}) =>
    checkVolumeContent(
      {
        snapshot: { id: snapshotId, ...(extra.expectedSizeGiB ? { sizeGiB: extra.expectedSizeGiB } : {}) },
        sampleBlocks: extra.sampleBlocks ?? 8,
      },
      deps,
    );
  const readBlocks = (snapshotId: string) =>
    server.requests
      .filter((r) => r.status === 200 && r.path.startsWith(`/snapshots/${snapshotId}/blocks/`))
      .map((r) => Number(r.path.split('/').pop()));

  it('ext4 on the whole volume: recognised, clean, its mkfs size, first and last block read', async () => {
    const oracle = img.dumpe2fs(image.ext4);
    expect(oracle['Filesystem state']).toBe('clean');
    expect(Number(oracle['Block count']) * Number(oracle['Block size'])).toBe(64 * MiB);

    const out = await check(SNAP.ext4);

    expect(out.verdict).toBe('verified');
    expect(out.partitionTable).toBe('none');
    expect(out.filesystems).toMatchObject([
      {
        type: 'ext4',
        sizeBytes: 64 * MiB,
        blockSize: Number(oracle['Block size']),
        clean: true,
        where: 'whole volume',
      },
    ]);
    expect(out.reason).toBe(`content verified: ext4, 64 MiB, clean, ${out.blocksRead} blocks read`);
    const written = server.written(SNAP.ext4);
    const read = readBlocks(SNAP.ext4);
    expect(read).toContain(written[0]);
    expect(read).toContain(written[written.length - 1]);
    expect(out.blocksRead).toBe(Math.min(8, written.length));
    expect(out.blocksListed).toBe(written.length);
    expect(out.volumeSizeGiB).toBe(1);
  });

  it('the sample size is configurable, and never reads a block twice', async () => {
    const before = server.requests.length;
    const out = await check(SNAP.ext4, { sampleBlocks: 3 });
    const read = server.requests.slice(before).filter((r) => r.path.includes('/blocks/'));
    expect(out.verdict).toBe('verified');
    expect(out.blocksRead).toBe(3);
    expect(new Set(read.map((r) => r.path)).size).toBe(read.length);
  });

  it('XFS on the whole volume: recognised, its size as mkfs made it and xfs_db reports', async () => {
    const sb = img.xfsSb(image.xfs);
    expect(Number(sb.dblocks) * Number(sb.blocksize)).toBe(GiB);

    const out = await check(SNAP.xfs, { expectedSizeGiB: 1 });

    expect(out.verdict).toBe('verified');
    expect(out.filesystems).toMatchObject([
      { type: 'xfs', sizeBytes: GiB, blockSize: Number(sb.blocksize), clean: true },
    ]);
    expect(out.reason).toMatch(/^content verified: xfs, 1 GiB, /);
  });

  it('a GPT-partitioned disk (as AMI root volumes are): the partition is found where sfdisk put it', async () => {
    const [part] = img.sfdisk(image.gpt);
    expect(part?.start).toBe(2048);

    const out = await check(SNAP.gpt);

    expect(out.verdict).toBe('verified');
    expect(out.partitionTable).toBe('gpt');
    expect(out.filesystems).toMatchObject([
      { type: 'ext4', sizeBytes: 64 * MiB, where: 'partition 1', containerBytes: (part?.size ?? 0) * 512 },
    ]);
    expect(out.reason).toContain('ext4, 64 MiB, clean (partition 1)');
  });

  it('an MBR-partitioned disk: the primary partition is found where sfdisk put it', async () => {
    const [part] = img.sfdisk(image.mbr);
    expect(part?.start).toBe(2048);

    const out = await check(SNAP.mbr);

    expect(out.verdict).toBe('verified');
    expect(out.partitionTable).toBe('mbr');
    expect(out.filesystems).toMatchObject([
      { type: 'ext4', sizeBytes: 64 * MiB, where: 'partition 1', containerBytes: (part?.size ?? 0) * 512 },
    ]);
  });

  it('a corrupted block (data changed, checksum of the original) fails the check, naming the block', async () => {
    const written = server.written(SNAP.corrupt);
    const out = await check(SNAP.corrupt);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toBe(
      `block ${written[written.length - 1]}: checksum mismatch (the data read does not match the SHA-256 EBS sent with it)`,
    );
  });

  it('a corrupted superblock block fails before any filesystem is believed', async () => {
    const out = await check(SNAP.corruptHead);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toMatch(/^block 0: checksum mismatch/);
    expect(out.filesystems).toEqual([]);
  });

  it('a zeroed volume (no block ever written) fails', async () => {
    const out = await check(SNAP.zero);
    expect(out).toMatchObject({ verdict: 'failed', blocksListed: 0, blocksRead: 0 });
    expect(out.reason).toBe('the volume is all zeros: the snapshot holds no written block');
  });

  it('data that is no filesystem fails: nothing recognised', async () => {
    const out = await check(SNAP.noise);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toMatch(/^no ext4 or XFS filesystem recognised \(no partition table\)/);
  });

  it('an ext4 left not clean (as a crash leaves it) fails; dumpe2fs agrees', async () => {
    expect(img.dumpe2fs(image.dirty)['Filesystem state']).toBe('not clean');
    const out = await check(SNAP.dirty);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toMatch(/^ext4 on the whole volume is not clean/);
  });

  it('an XFS whose superblock says mkfs was interrupted fails; xfs_db agrees', async () => {
    expect(img.xfsSb(image.xfsInProgress).inprogress).toBe('1');
    const out = await check(SNAP.xfsInProgress);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toMatch(/^xfs on the whole volume is mkfs in progress/);
  });

  it('a filesystem larger than the volume the snapshot holds fails as truncated', async () => {
    const oracle = img.dumpe2fs(image.big);
    expect(Number(oracle['Block count']) * Number(oracle['Block size'])).toBe(2 * GiB);
    const out = await check(SNAP.truncated);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toMatch(
      /^ext4 on the whole volume says 2 GiB, larger than its 1 GiB container: truncated/,
    );
  });

  it('a size different from what DescribeSnapshots said fails', async () => {
    const out = await check(SNAP.ext4, { expectedSizeGiB: 8 });
    expect(out.verdict).toBe('failed');
    expect(out.reason).toBe('the snapshot is listed as 1 GiB, but DescribeSnapshots said 8 GiB');
  });

  it('throttling is retried with back-off and the check still completes', async () => {
    server.throttle(2);
    const before = server.requests.length;
    const out = await check(SNAP.ext4);
    expect(out.verdict).toBe('verified');
    expect(server.requests.slice(before, before + 2).map((r) => r.status)).toEqual([400, 400]);
  });

  it('throttling that persists ends the check with a clear reason after a bounded number of tries', async () => {
    server.throttle(1000);
    const before = server.requests.length;
    const out = await check(SNAP.ext4);
    const tries = server.requests.length - before;
    server.throttle(0);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toBe(
      'ListSnapshotBlocks still throttled after bounded retries (RESOURCE_LEVEL_THROTTLE)',
    );
    expect(tries).toBe(4); // the first try and 3 retries
  });

  it('a missing permission ends the check with a clear reason, and is not retried', async () => {
    server.deny(true);
    const before = server.requests.length;
    const out = await check(SNAP.ext4);
    server.deny(false);
    expect(out.verdict).toBe('failed');
    expect(out.reason).toBe(
      'ListSnapshotBlocks was denied (UNAUTHORIZED_ACCOUNT): missing ebs permission or KMS grant',
    );
    expect(server.requests.length - before).toBe(1);
  });

  it('a snapshot that does not exist ends with a clear reason', async () => {
    const out = await check(SNAP.missing);
    expect(out).toMatchObject({
      verdict: 'failed',
      reason: 'ListSnapshotBlocks: snapshot not found (SNAPSHOT_NOT_FOUND)',
    });
  });

  it('out of time: no new call starts after the deadline', async () => {
    const out = await checkVolumeContent(
      { snapshot: { id: SNAP.ext4 } },
      { ...deps, deadline: 0, now: () => 1 },
    );
    expect(out).toMatchObject({
      verdict: 'failed',
      reason: 'ran out of time before ListSnapshotBlocks (0 blocks read)',
    });
  });

  it('a bad event is refused before any call', async () => {
    const before = server.requests.length;
    await expect(checkVolumeContent({ snapshot: { id: 'vol-123' } }, deps)).rejects.toThrow(/snapshot id/);
    expect(server.requests.length).toBe(before);
  });
});

describe('EBS direct API stand-in: refuses what the real API refuses', () => {
  let img: ImageDir;
  let server: EbsDirectServer;
  beforeAll(async () => {
    img = makeImageDir();
    server = await startEbsDirectServer({ [SNAP.ext4]: { image: img.ext4('e.img', 64 * MiB) } });
  });
  afterAll(async () => {
    await server?.stop();
    img?.remove();
  });

  it('an unsigned request is denied; unknown parameters, bad tokens and maxResults out of range are refused', async () => {
    const unsigned = await fetch(`${server.endpoint}/snapshots/${SNAP.ext4}/blocks`);
    expect(unsigned.status).toBe(403);
    const signed = new SdkEbsDirect({
      region: 'eu-central-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    await expect(signed.listSnapshotBlocks({ snapshotId: SNAP.ext4, maxResults: 99 })).rejects.toMatchObject({
      code: 'ValidationException',
      reason: 'INVALID_PARAMETER_VALUE',
    });
    await expect(
      signed.getSnapshotBlock({ snapshotId: SNAP.ext4, blockIndex: 0, blockToken: 'AAAA' }),
    ).rejects.toMatchObject({ code: 'ValidationException', reason: 'INVALID_BLOCK_TOKEN' });
    await expect(
      signed.listSnapshotBlocks({ snapshotId: SNAP.ext4, maxResults: 100, nextToken: 'bm9wZQ==' }),
    ).rejects.toMatchObject({ code: 'ValidationException', reason: 'INVALID_PAGE_TOKEN' });
  });

  it('signs exactly what it sends, as botocore (an independent SigV4 implementation) would sign it', async () => {
    // Prepare
    const signed = new SdkEbsDirect({
      region: 'eu-central-1',
      endpoint: server.endpoint,
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        sessionToken: 'tok/en+=',
      },
    });
    const page = await signed.listSnapshotBlocks({ snapshotId: SNAP.ext4, maxResults: 100 });
    const first = page.Blocks[0];
    if (!first) throw new Error('no block listed');
    await signed.getSnapshotBlock({
      snapshotId: SNAP.ext4,
      blockIndex: first.BlockIndex,
      blockToken: first.BlockToken,
    });
    const sent = server.requests.slice(-2);
    // Act: botocore signs the same method, URL and signed headers at the same instant.
    const script = `
import json, sys, datetime, botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
out = []
for r in json.load(sys.stdin):
    amz = r['headers']['x-amz-date']
    botocore.auth.get_current_datetime = lambda amz=amz: datetime.datetime.strptime(amz, '%Y%m%dT%H%M%SZ')
    names = r['headers']['authorization'].split('SignedHeaders=')[1].split(',')[0].split(';')
    headers = {k: v for k, v in r['headers'].items() if k in names and k != 'x-amz-date'}
    req = AWSRequest(method='GET', url='http://' + r['headers']['host'] + r['url'], headers=headers)
    botocore.auth.SigV4Auth(Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'tok/en+='), 'ebs', 'eu-central-1').add_auth(req)
    out.append(req.headers['Authorization'])
print(json.dumps(out))
`;
    const { execFileSync } = await import('node:child_process');
    const expected = JSON.parse(
      execFileSync('python3', ['-c', script], { input: JSON.stringify(sent), encoding: 'utf8' }),
    ) as string[];
    // Assess
    expect(sent.map((r) => r.status)).toEqual([200, 200]);
    expect(sent.map((r) => r.headers.authorization)).toEqual(expected);
    expect(sent[1]?.headers['x-amz-security-token']).toBe('tok/en+=');
  });

  it('pages the listing with NextToken, and every written block is listed once', async () => {
    const signed = new SdkEbsDirect({
      region: 'eu-central-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const first = await signed.listSnapshotBlocks({ snapshotId: SNAP.ext4, maxResults: 100 });
    expect(first.BlockSize).toBe(524288);
    const written = server.written(SNAP.ext4);
    expect(first.Blocks.map((b) => b.BlockIndex)).toEqual(written.slice(0, 100));
  });
});
