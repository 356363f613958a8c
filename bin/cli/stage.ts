import { ConfigError, loadStage, type StageConfig, stageNames } from '../../config/index.js';
import { CommandFailedError, UsageError } from './io.js';

export type StageLoader = (name: string) => StageConfig;

/**
 * The stage a command works on. An unknown name is a usage error (exit 2); a stage whose
 * configuration does not validate is a failure (exit 1) that lists every bad field, as synth does.
 */
export function stageFor(name: string, load: StageLoader = loadStage): StageConfig {
  try {
    return load(name);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (!stageNames().includes(name)) throw new UsageError(err.message);
    throw new CommandFailedError(err.message);
  }
}
