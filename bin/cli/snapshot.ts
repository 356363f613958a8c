import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadStage, stageNames } from '../../config/index.js';
import { listRows } from '../commands/list-rows.js';
import type { OpsSnapshot } from './prebuilt.js';

/**
 * The snapshot bin/build.mjs embeds in dist/ops.mjs (see prebuilt.ts). A stage that does not validate
 * is left out, so the command validates it at run time and reports every bad field as before. Throws
 * if a stage would not come back from JSON exactly as `loadStage` returns it.
 */
export function buildSnapshot(): OpsSnapshot {
  const stages: Record<string, ReturnType<typeof loadStage>> = {};
  const lists: Record<string, ReturnType<typeof listRows>> = {};
  for (const name of stageNames()) {
    let stage: ReturnType<typeof loadStage>;
    try {
      stage = loadStage(name);
    } catch (err) {
      if (err instanceof ConfigError) continue;
      throw err;
    }
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(stage)), stage))
      throw new Error(`stage ${name} does not survive JSON: it cannot be pre-built`);
    stages[name] = stage;
    lists[name] = listRows(stage);
  }
  return { names: stageNames(), stages, lists };
}
