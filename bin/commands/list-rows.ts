import type { StageConfig } from '../../config/index.js';
import { effectivePolicy } from '../../functions/intake/guards.js';
import { RUNBOOKS } from '../../runbooks/registry.js';
import type { RunbookSpec } from '../../runbooks/types.js';

/** One runbook as `ops list` shows it in a stage (and prints it with --json, in this field order). */
export interface ListRow {
  readonly name: string;
  readonly summary: string;
  readonly stage: string;
  readonly enabled: boolean;
  readonly mode: string;
  readonly dryRun: boolean;
  readonly mutating: boolean;
  readonly revertible: boolean;
  readonly triggers: readonly string[];
}

/** The runbooks, each with its effective policy in `stage` (shipped defaults, the stage's overrides applied). */
export function listRows(stage: StageConfig): ListRow[] {
  return RUNBOOKS.map((r) => {
    const spec = r as unknown as RunbookSpec;
    const policy = effectivePolicy(spec, stage.automation);
    return {
      name: spec.name,
      summary: spec.summary,
      stage: stage.name,
      enabled: policy.enabled,
      mode: policy.mode,
      dryRun: policy.dryRun,
      mutating: spec.mutating,
      revertible: spec.revertible,
      triggers: spec.triggers,
    };
  });
}
