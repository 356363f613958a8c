import type { StageConfig } from '../../config/index.js';
import type { ListRow } from '../commands/list-rows.js';

/**
 * What bin/build.mjs computes once from the source and writes into the pre-built command, so a command
 * need not load, build and run the zod schemas of the stage config (and `ops list` the runbooks) at
 * every start: every stage that validates, as `loadStage` returns it, and `ops list`'s rows for it.
 * bin/ops.mjs runs the build only while it is newer than every source file it was built from, so the
 * snapshot is as fresh as the code around it; from source (tsx) there is none and everything is computed.
 */
export interface OpsSnapshot {
  /** Every configured stage name, valid or not. */
  readonly names: readonly string[];
  readonly stages: Readonly<Record<string, StageConfig>>;
  readonly lists: Readonly<Record<string, readonly ListRow[]>>;
}

/** Replaced by the build (esbuild `define`) with the snapshot as JSON text; undeclared from source. */
declare const __OPS_SNAPSHOT__: string | undefined;

export function prebuilt(): OpsSnapshot | undefined {
  return typeof __OPS_SNAPSHOT__ === 'string' ? (JSON.parse(__OPS_SNAPSHOT__) as OpsSnapshot) : undefined;
}
