import type { CommandContext, CommonOptions } from '../cli/context.js';
import { type Cell, EXIT, table } from '../cli/io.js';
import { safeJson } from '../cli/sanitise.js';
import type { ListRow } from './list-rows.js';

/**
 * `ops list`: the runbooks, their effective mode in the stage and what triggers each. The pre-built
 * command has the rows of every stage computed at build time (bin/cli/prebuilt.ts), so it loads
 * neither the stage schemas nor the runbooks; otherwise they are computed here.
 */
export async function list(opts: CommonOptions, ctx: CommandContext): Promise<number> {
  let rows: readonly ListRow[] | undefined = ctx.prebuilt?.lists[opts.stage];
  if (!rows) {
    const [{ stageFor }, { listRows }] = await Promise.all([
      import('../cli/stage.js'),
      import('./list-rows.js'),
    ]);
    rows = listRows(stageFor(opts.stage, ctx));
  }
  if (opts.json) {
    ctx.io.out(safeJson(rows));
    return EXIT.ok;
  }
  const stageName = rows[0]?.stage ?? opts.stage;
  const lines: (string | Cell)[][] = [];
  for (const row of rows) {
    const mode = `${row.mode}${row.dryRun ? ', dry run' : ''}`;
    const changes = row.mutating ? (row.revertible ? 'mutating, revertible' : 'mutating') : 'read-only';
    lines.push([
      { text: row.name, style: 'cyan' },
      row.enabled ? mode : { text: 'disabled', style: 'dim' },
      changes,
      row.triggers[0] ?? '',
    ]);
    for (const trigger of row.triggers.slice(1)) lines.push(['', '', '', trigger]);
  }
  ctx.io.out(table(ctx.io, ['RUNBOOK', `MODE (${stageName})`, 'CHANGES', 'TRIGGERED BY'], lines));
  return EXIT.ok;
}
