import type * as Config from './index.js';
import type { StageConfig } from './schema.js';

/**
 * A function's stage configuration, as synth validated it (issue 17).
 *
 * Synth writes the stage's configuration into each function's bundle that reads one
 * (`OpsFunction`'s `stage`, infra/constructs/ops-function.ts): esbuild's `define` replaces
 * `OPS_STAGE_CONFIG` with the configuration's JSON text, already parsed and checked by
 * `loadStage`. esbuild then folds `typeof OPS_STAGE_CONFIG` to `"string"` and drops the other
 * branch with its `import()`, so the bundle carries neither the configuration schema nor the stage
 * files: a cold start builds no schema and parses no configuration (12–15 ms of the Slack
 * endpoint's, measured interleaved, README "Cold load").
 *
 * Everywhere else (tests, `ops`, synth itself) `OPS_STAGE_CONFIG` is not defined, and the stage
 * comes from `loadStage`, validated where it is read.
 */
declare const OPS_STAGE_CONFIG: string | undefined;

const source: typeof Config | undefined =
  typeof OPS_STAGE_CONFIG === 'string' ? undefined : await import('./index.js');

let built: StageConfig | undefined;

/** The configuration of stage `name`; a function built for another stage refuses to start. */
export function deployedStage(name: string | undefined): StageConfig {
  if (typeof OPS_STAGE_CONFIG === 'string') {
    built ??= JSON.parse(OPS_STAGE_CONFIG) as StageConfig;
    if (built.name !== name) {
      throw new Error(
        `This function was built for stage "${built.name}" but its STAGE is "${name ?? ''}": deploy it from its own stage's stack`,
      );
    }
    return built;
  }
  return (source as typeof Config).loadStage(name);
}

/** The `define` that writes `stage` into a bundle, for esbuild (and CDK's `bundling.define`). */
export function stageDefine(stage: StageConfig): Record<string, string> {
  return { OPS_STAGE_CONFIG: JSON.stringify(JSON.stringify(stage)) };
}
