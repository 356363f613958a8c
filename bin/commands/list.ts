import { effectivePolicy } from '../../functions/intake/guards.js';
import { RUNBOOKS } from '../../runbooks/registry.js';
import type { RunbookSpec } from '../../runbooks/types.js';
import type { CommandContext, CommonOptions } from '../cli/context.js';
import { type Cell, EXIT, table } from '../cli/io.js';
import { safeJson } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';

/** `ops list`: the runbooks, their effective mode in the stage and what triggers each. */
export async function list(opts: CommonOptions, ctx: CommandContext): Promise<number> {
  const stage = stageFor(opts.stage, ctx.loadStage);
  const rows = RUNBOOKS.map((r) => {
    const spec = r as unknown as RunbookSpec;
    const policy = effectivePolicy(spec, stage.automation);
    return { spec, policy };
  });
  if (opts.json) {
    ctx.io.out(
      safeJson(
        rows.map(({ spec, policy }) => ({
          name: spec.name,
          summary: spec.summary,
          stage: stage.name,
          enabled: policy.enabled,
          mode: policy.mode,
          dryRun: policy.dryRun,
          mutating: spec.mutating,
          revertible: spec.revertible,
          triggers: spec.triggers,
        })),
      ),
    );
    return EXIT.ok;
  }
  const lines: (string | Cell)[][] = [];
  for (const { spec, policy } of rows) {
    const mode = `${policy.mode}${policy.dryRun ? ', dry run' : ''}`;
    const changes = spec.mutating ? (spec.revertible ? 'mutating, revertible' : 'mutating') : 'read-only';
    lines.push([
      { text: spec.name, style: 'cyan' },
      policy.enabled ? mode : { text: 'disabled', style: 'dim' },
      changes,
      spec.triggers[0] ?? '',
    ]);
    for (const trigger of spec.triggers.slice(1)) lines.push(['', '', '', trigger]);
  }
  ctx.io.out(table(ctx.io, ['RUNBOOK', `MODE (${stage.name})`, 'CHANGES', 'TRIGGERED BY'], lines));
  return EXIT.ok;
}
