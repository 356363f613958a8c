import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/ops-cli.js';

/**
 * bin/ops.mjs, the launcher, in a throw-away project: a stand-in build (dist/ops.mjs prints
 * "built") and a stand-in source (bin/main.ts prints "source"), so freshness can be changed
 * without touching the repository's files.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-launcher-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(ROOT, 'bin', 'ops.mjs'), join(dir, 'bin', 'ops.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'bin', 'main.ts'),
    // TypeScript-only syntax (a type annotation): proves it went through tsx.
    "const where: string = 'source';\nprocess.stdout.write(where + '\\n');\n",
  );
  writeFileSync(join(dir, 'dist', 'ops.mjs'), "process.stdout.write('built\\n');\n");
  writeFileSync(join(dir, 'input.ts'), 'export {};\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BUILT_AT = Date.parse('2026-12-01T00:00:00Z');

function launch(manifest: { builtAt: number; inputs: string[] } | undefined, inputTime: number) {
  const path = join(dir, 'dist', 'ops-inputs.json');
  if (manifest) writeFileSync(path, JSON.stringify(manifest));
  else rmSync(path, { force: true });
  utimesSync(join(dir, 'input.ts'), inputTime / 1000, inputTime / 1000);
  const out = spawnSync(process.execPath, [join(dir, 'bin', 'ops.mjs')], {
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    encoding: 'utf8',
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('bin/ops.mjs: the pre-built command when fresh, the TypeScript otherwise', () => {
  it('runs dist/ops.mjs, silently, when no input changed since the build', () => {
    const out = launch({ builtAt: BUILT_AT, inputs: ['input.ts'] }, BUILT_AT - 60_000);

    expect(out).toEqual({ code: 0, stdout: 'built\n', stderr: '' });
  });

  it('runs the source through tsx with one line on stderr when an input is newer than the build', () => {
    const out = launch({ builtAt: BUILT_AT, inputs: ['input.ts'] }, BUILT_AT + 60_000);

    expect(out.stdout).toBe('source\n');
    expect(out.stderr).toBe(
      'ops: input.ts changed since dist/ops.mjs was built; running from source with tsx (npm run build:ops makes it fast)\n',
    );
  });

  it('does the same when there is no build, or an input is gone', () => {
    const none = launch(undefined, BUILT_AT);
    const gone = launch({ builtAt: BUILT_AT, inputs: ['input.ts', 'deleted.ts'] }, BUILT_AT - 60_000);

    expect(none.stdout).toBe('source\n');
    expect(none.stderr).toMatch(/^ops: dist\/ops\.mjs is not built; running from source/);
    expect(gone.stdout).toBe('source\n');
    expect(gone.stderr).toMatch(
      /^ops: deleted\.ts is gone since dist\/ops\.mjs was built; running from source/,
    );
  });
});
