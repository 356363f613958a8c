import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Where the project keeps packages rewritten for bundling (./sdk-clients.ts, ./datadog-client.ts):
 * inside node_modules, so the copies' own imports resolve to the project's packages. `npm ci`
 * removes them and the next build makes them again.
 */
export const COPIES = join('node_modules', '.cache', 'ops-automation');

/**
 * Makes `target` once: `fill` writes it in a staging folder beside it, which is then moved into
 * place whole, so builds running at the same time never see half a copy. Afterwards, the other
 * folders beside it that `older` names (older versions of the same copy) are removed; folders with
 * any other name are left.
 */
export function placeCopy(target: string, fill: (staging: string) => void, older: RegExp): void {
  if (existsSync(target)) return;
  const staging = `${target}.${process.pid}.${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  try {
    renameSync(staging, target);
  } catch (err) {
    // Another build made the same copy meanwhile: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw err;
  }
  for (const old of readdirSync(dirname(target))) {
    if (older.test(old) && old !== basename(target)) {
      rmSync(join(dirname(target), old), { recursive: true, force: true });
    }
  }
}
