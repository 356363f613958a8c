import type { CommandContext, CommonOptions } from '../cli/context.js';
import { CommandFailedError, EXIT, type Io, paint, table } from '../cli/io.js';
import { safeJson, sanitise } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';
import { awsDoctorClients } from '../doctor/aws.js';
import { type Check, type DoctorClients, runDoctor } from '../doctor/checks.js';

export function renderDoctor(io: Pick<Io, 'colour'>, heading: string, checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.ok);
  const lines = [
    sanitise(heading),
    '',
    table(
      io,
      ['CHECK', 'STATUS', 'DETAIL'],
      checks.map((c) => [
        c.name,
        c.ok ? { text: 'ok', style: 'green' } : { text: 'MISSING', style: 'red' },
        c.detail,
      ]),
    ),
  ];
  if (failed.length === 0) {
    lines.push('', paint(io, 'green', `All ${checks.length} checks passed.`));
  } else {
    lines.push('', paint(io, 'red', `${failed.length} of ${checks.length} checks failed. To fix:`));
    for (const c of failed)
      lines.push(`  ${paint(io, 'bold', sanitise(c.name))}: ${sanitise(c.fix ?? c.detail)}`);
  }
  return lines.join('\n');
}

/** `ops doctor`: the deployed stage's prerequisites, read-only; exit 1 when anything is missing. */
export async function doctor(
  opts: CommonOptions,
  ctx: CommandContext & { readonly doctorClients?: (region: string) => DoctorClients },
): Promise<number> {
  const stage = stageFor(opts.stage, ctx);
  const owned = ctx.doctorClients ? undefined : awsDoctorClients(stage.region, ctx.io.env);
  const clients = ctx.doctorClients?.(stage.region) ?? (owned as DoctorClients);
  try {
    if (owned) {
      try {
        await owned.secretsManager.config.credentials();
      } catch {
        throw new CommandFailedError(
          `no AWS credentials found: sign in to account ${stage.account} (e.g. aws sso login, AWS_PROFILE) to check stage ${stage.name}`,
        );
      }
    }
    const checks = await runDoctor(stage, clients);
    if (opts.json)
      ctx.io.out(
        safeJson({
          stage: stage.name,
          account: stage.account,
          region: stage.region,
          ok: checks.every((c) => c.ok),
          checks,
        }),
      );
    else
      ctx.io.out(
        renderDoctor(ctx.io, `Stage ${stage.name}: account ${stage.account}, ${stage.region}`, checks),
      );
    return checks.every((c) => c.ok) ? EXIT.ok : EXIT.failure;
  } finally {
    owned?.destroy();
  }
}
