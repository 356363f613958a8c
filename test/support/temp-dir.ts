import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global set-up: one temporary folder for the whole run, removed when it ends. A CDK app
 * synthesised without an outdir writes a `cdk.out*` folder under the temporary folder (≈ 60 MB
 * each, the kubectl layer included) and nothing removes it: runs on this machine had filled /tmp
 * with tens of gigabytes. The test workers are started after this and inherit TMPDIR.
 */
export default function tempDir(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'ops-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
