import type { StageConfig } from '../../config/index.js';
import { CommandFailedError, UsageError } from './io.js';

export type StageLoader = (name: string) => StageConfig;

/** How a command gets its stage: the loader, and every configured stage name (for error messages). */
export interface StageSource {
  readonly loadStage: StageLoader;
  readonly stageNames: () => readonly string[];
}

/**
 * The stage a command works on. An unknown name is a usage error (exit 2); a stage whose
 * configuration does not validate is a failure (exit 1) that lists every bad field, as synth does.
 * This module imports nothing from config/ at run time (a ConfigError is known by its name), so a
 * command whose stage comes from the build's snapshot never loads the stage schemas.
 */
export function stageFor(name: string, source: StageSource): StageConfig {
  try {
    return source.loadStage(name);
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ConfigError')) throw err;
    if (!source.stageNames().includes(name)) throw new UsageError(err.message);
    throw new CommandFailedError(err.message);
  }
}
