import type { Io } from './io.js';
import type { OpsSnapshot } from './prebuilt.js';
import type { StageLoader, StageSource } from './stage.js';

/** What every command gets from the program: where to write, and how stages are loaded. */
export interface CommandContext extends StageSource {
  readonly io: Io;
  readonly loadStage: StageLoader;
  /** What the build computed (the pre-built command with the default stage loader only). */
  readonly prebuilt?: OpsSnapshot;
}

/** `--stage` and `--json`, as every command declares them. */
export interface CommonOptions {
  readonly stage: string;
  readonly json?: boolean;
}
