import { describe, expect, it } from 'vitest';
import { CheckVolumeContentEvent } from '../../../runbooks/verify-backups/steps/check-volume-content.js';

/**
 * The EBS content check's event, case by case with answers written by hand. The same cases pass on
 * the schema's classic-zod build and on its zod/mini build (issue 17).
 */
describe('CheckVolumeContentEvent', () => {
  it('reads 16 sample blocks by default and keeps what collect added to the snapshot', () => {
    expect(
      CheckVolumeContentEvent.parse({ snapshot: { id: 'snap-0a1b', sizeGiB: 20, startTime: 't' } }),
    ).toEqual({
      snapshot: { id: 'snap-0a1b', sizeGiB: 20, startTime: 't' },
      sampleBlocks: 16,
    });
    expect(CheckVolumeContentEvent.parse({ snapshot: { id: 'snap-0a1b' }, sampleBlocks: 2 })).toEqual({
      snapshot: { id: 'snap-0a1b' },
      sampleBlocks: 2,
    });
    expect(
      CheckVolumeContentEvent.parse({ snapshot: { id: 'snap-0a1b' }, sampleBlocks: 1000 }).sampleBlocks,
    ).toBe(1000);
  });

  it.each([
    [{ snapshot: { id: 'vol-0a1b' } }, 'snapshot.id', 'an EBS snapshot id (snap-…)'],
    [{ snapshot: { id: 'snap-XYZ' } }, 'snapshot.id', 'an EBS snapshot id (snap-…)'],
    [{ snapshot: { id: 'snap-0a1b', sizeGiB: 0 } }, 'snapshot.sizeGiB', undefined],
    [{ snapshot: { id: 'snap-0a1b', sizeGiB: 1.5 } }, 'snapshot.sizeGiB', undefined],
    [{ snapshot: { id: 'snap-0a1b' }, sampleBlocks: 1 }, 'sampleBlocks', undefined],
    [{ snapshot: { id: 'snap-0a1b' }, sampleBlocks: 1001 }, 'sampleBlocks', undefined],
    [{ snapshot: { id: 'snap-0a1b' }, sampleBlocks: 8.5 }, 'sampleBlocks', undefined],
    [{ snapshot: { id: 'snap-0a1b' }, sampleBlocks: '8' }, 'sampleBlocks', undefined],
    [{}, 'snapshot', undefined],
  ])('refuses %j at %s', (event, path, message) => {
    const result = CheckVolumeContentEvent.safeParse(event);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    if (message) expect(issue?.message).toBe(message);
  });
});
