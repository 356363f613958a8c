import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeCopy } from '../../infra/bundling/package-copy.js';

/** placeCopy (infra/bundling/package-copy.ts): how the rewritten packages' copies are put in place. */
const work = mkdtempSync(join(tmpdir(), 'package-copy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OLDER = /^copy-\d+$/;

describe('placeCopy', () => {
  it('makes the target from what fill wrote, with the folders above it, and leaves nothing beside it', () => {
    const target = join(mkdtempSync(join(work, 'a-')), 'deep', 'copy-2');
    placeCopy(target, (staging) => writeFileSync(join(staging, 'file.js'), 'made'), OLDER);
    expect(readFileSync(join(target, 'file.js'), 'utf8')).toBe('made');
    expect(readdirSync(join(target, '..'))).toEqual(['copy-2']);
  });

  it('does nothing when the target exists: fill is not called, older copies stay', () => {
    const parent = mkdtempSync(join(work, 'b-'));
    mkdirSync(join(parent, 'copy-2'));
    mkdirSync(join(parent, 'copy-1'));
    placeCopy(
      join(parent, 'copy-2'),
      () => {
        throw new Error('fill called');
      },
      OLDER,
    );
    expect(readdirSync(parent).sort()).toEqual(['copy-1', 'copy-2']);
  });

  it('removes older copies, with what is in them, and leaves the folders the pattern does not name', () => {
    const parent = mkdtempSync(join(work, 'c-'));
    for (const old of ['copy-1', 'copy-0']) {
      mkdirSync(join(parent, old, 'dist'), { recursive: true });
      writeFileSync(join(parent, old, 'dist', 'index.js'), 'old');
    }
    mkdirSync(join(parent, 'copy-notes'));
    placeCopy(join(parent, 'copy-2'), (staging) => writeFileSync(join(staging, 'f'), ''), OLDER);
    expect(readdirSync(parent).sort()).toEqual(['copy-2', 'copy-notes']);
  });

  it('when fill fails: the error reaches the caller, and neither the target nor the staging folder is left', () => {
    const parent = mkdtempSync(join(work, 'd-'));
    mkdirSync(join(parent, 'copy-1'));
    expect(() =>
      placeCopy(
        join(parent, 'copy-2'),
        (staging) => {
          mkdirSync(join(staging, 'half'));
          writeFileSync(join(staging, 'half', 'written'), '');
          throw new Error('cannot read the package');
        },
        OLDER,
      ),
    ).toThrow('cannot read the package');
    expect(readdirSync(parent)).toEqual(['copy-1']);
  });

  it('when another build put the same copy in place meanwhile: theirs is kept, ours goes, no error', () => {
    const parent = mkdtempSync(join(work, 'e-'));
    const target = join(parent, 'copy-2');
    placeCopy(
      target,
      (staging) => {
        mkdirSync(join(staging, 'dist'));
        writeFileSync(join(staging, 'dist', 'file.js'), 'ours');
        // The other build finishes first: the move onto a folder with files in it fails.
        mkdirSync(target);
        writeFileSync(join(target, 'file.js'), 'theirs');
      },
      OLDER,
    );
    expect(readdirSync(target)).toEqual(['file.js']);
    expect(readFileSync(join(target, 'file.js'), 'utf8')).toBe('theirs');
    expect(readdirSync(parent)).toEqual(['copy-2']);
  });

  it('when the move fails and no copy is in place: the error reaches the caller, and no folder is left', () => {
    const parent = mkdtempSync(join(work, 'f-'));
    const target = join(parent, 'copy-2');
    expect(() =>
      placeCopy(
        target,
        (staging) => {
          writeFileSync(join(staging, 'file.js'), 'ours');
          // Something removes the staging folder before it is moved (a clean-up of the cache, say).
          rmSync(staging, { recursive: true });
        },
        OLDER,
      ),
    ).toThrow(/ENOENT/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
