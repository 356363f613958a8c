import { MalformedEventError, UnrecognisedEventError } from '../../events/signal.js';
import { PlanInputError } from '../../functions/intake/plan-input.js';
import {
  normaliseOptions,
  type PlannedDecision,
  type PlanOutput,
  planSignal,
} from '../../functions/intake/plan-output.js';
import type { CommandContext, CommonOptions } from '../cli/context.js';
import { signalFromTextLazily } from '../cli/event-sources.js';
import { readInput } from '../cli/input.js';
import { CommandFailedError, EXIT, type Io, paint, type Style, table } from '../cli/io.js';
import { safeJson, sanitise } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';

const ACTION_STYLE: Record<PlannedDecision['action'], Style> = {
  start: 'green',
  notify: 'yellow',
  reject: 'red',
  ignore: 'dim',
};
const VERDICT_STYLE = { pass: 'green', block: 'red', skip: 'dim' } as const;

/**
 * `ops plan`: what the intake would decide for a recorded event, before a policy change is deployed.
 * `planEvent` (functions/intake/plan.ts) with only the event's own source loaded: same answer, faster start.
 */
export async function plan(input: string, opts: CommonOptions, ctx: CommandContext): Promise<number> {
  const stage = stageFor(opts.stage, ctx);
  const { text, label } = await readInput(ctx.io, input);
  let output: PlanOutput;
  try {
    output = planSignal(await signalFromTextLazily(text, normaliseOptions(stage)), stage);
  } catch (err) {
    const where = sanitise(label);
    if (err instanceof UnrecognisedEventError)
      throw new CommandFailedError(`${where}: unrecognised event: ${oneLine(err.message)}`);
    if (err instanceof MalformedEventError)
      throw new CommandFailedError(`${where}: malformed ${err.source} event: ${oneLine(err.message)}`);
    if (err instanceof PlanInputError) throw new CommandFailedError(`${where}: ${oneLine(err.message)}`);
    throw err;
  }
  ctx.io.out(opts.json ? safeJson(output) : renderPlan(ctx.io, output, stage.name));
  return EXIT.ok;
}

/** Error text quotes the input: one line, and no control character reaches the terminal. */
function oneLine(text: string): string {
  return sanitise(text.replace(/\s+/g, ' ').trim());
}

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The short readable summary: signal, decision(s), and each guard's verdict as a table. */
export function renderPlan(io: Pick<Io, 'colour'>, output: PlanOutput, stageName: string): string {
  const { signal } = output;
  const r = signal.resource;
  const lines: string[] = [];
  const field = (name: string, text: string) => lines.push(`${paint(io, 'bold', name.padEnd(11))}${text}`);
  field('Signal', sanitise(`${signal.kind} from ${signal.source}, severity ${signal.severity}`));
  field(
    'Resource',
    sanitise(`${r.type} ${r.id}${r.account ? ` in ${r.account}` : ''}${r.region ? ` ${r.region}` : ''}`),
  );
  field('Occurred', sanitise(signal.occurredAt));
  field('Stage', sanitise(stageName));
  for (const d of output.decisions ?? [output.decision]) {
    lines.push('');
    const what = [d.action.toUpperCase(), d.runbook].filter(Boolean).join(' ');
    const how = [d.mode, d.dryRun ? 'dry run' : undefined].filter(Boolean).join(', ');
    field(
      'Decision',
      `${paint(io, ACTION_STYLE[d.action], sanitise(what))}${how ? sanitise(` (${how})`) : ''}`,
    );
    if (d.executionName) field('Execution', sanitise(d.executionName));
    if (d.parameters) {
      const params = Object.entries(d.parameters).map(([k, v]) => `${k}=${value(v)}`);
      field('Parameters', sanitise(params.join(', ') || '(none)'));
    }
    for (const [i, reason] of d.reasons.entries()) field(i === 0 ? 'Why' : '', sanitise(reason));
    lines.push('');
    lines.push(
      table(
        io,
        ['GUARD', 'VERDICT', 'DETAIL'],
        d.guards.map((g) => [g.name, { text: g.outcome, style: VERDICT_STYLE[g.outcome] }, g.detail]),
      ),
    );
  }
  return lines.join('\n');
}
