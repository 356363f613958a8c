import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Vitest global set-up: build dist/ops.mjs once, before any test file spawns `bin/ops.mjs`. */
export default function buildOps(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'build.mjs')], {
    stdio: 'pipe',
  });
}
