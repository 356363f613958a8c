import type { CommandContext, CommonOptions } from '../cli/context.js';
import { type Cell, EXIT, type Io, paint, type Style, table } from '../cli/io.js';
import { safeJson, sanitise } from '../cli/sanitise.js';
import { stageFor } from '../cli/stage.js';
import { replayPaths } from '../replay/core.js';
import { LIST_LIMIT, type ReplaySummary } from '../replay/tally.js';

export interface ReplayCommandOptions extends CommonOptions {
  /** Show progress on stderr even when it is not a terminal. */
  readonly progress?: boolean;
  /** Exit 1 when any event was unreadable or malformed (default: only when a path cannot be read). */
  readonly strict?: boolean;
  /** Add elapsed time, events per second and peak memory (RSS) to the output. */
  readonly stats?: boolean;
}

/** At most this often on stderr. */
const PROGRESS_INTERVAL_MS = 250;

const ACTIONS = ['start', 'notify', 'reject', 'ignore'] as const;
const OUTCOME_STYLE: Record<string, Style> = {
  start: 'green',
  notify: 'yellow',
  reject: 'red',
  ignore: 'dim',
  malformed: 'red',
  unhandled: 'dim',
  unreadable: 'red',
};

export interface ReplayStats {
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  /** Peak resident set size of this process (process.resourceUsage().maxRSS), in bytes. */
  readonly maxRssBytes: number;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * `ops replay <path>…`: every event in CloudTrail log files, EventBridge events (one, NDJSON, concatenated,
 * or a JSON array) and directories of them, gzipped or not, through the intake's policy and static guards.
 * Exit 0 when every path was read (unreadable events are listed, not fatal); 1 when a path could not be
 * opened or read (or, with --strict, when any event was unreadable or malformed); 2 for a usage error.
 */
export async function replay(
  paths: readonly string[],
  opts: ReplayCommandOptions,
  ctx: CommandContext,
): Promise<number> {
  const stage = stageFor(opts.stage, ctx);
  const { io } = ctx;
  const showProgress = io.progress !== undefined && (opts.progress === true || io.stderrIsTTY === true);
  let last = 0;
  const started = performance.now();
  const summary = await replayPaths(paths, stage, {
    ...(io.stdinStream ? { stdin: () => (io.stdinStream as () => AsyncIterable<Uint8Array>)() } : {}),
    ...(showProgress
      ? {
          onProgress: (p) => {
            const now = performance.now();
            if (now - last < PROGRESS_INTERVAL_MS && !p.final) return;
            last = now;
            const rate = Math.round(p.events / Math.max((now - started) / 1000, 0.001));
            io.progress?.(
              sanitise(
                `replay: ${p.events} events, ${p.files} file${p.files === 1 ? '' : 's'}, ${megabytes(p.bytesRead)} read, ${rate} events/s: ${p.current}`,
              ),
            );
          },
        }
      : {}),
  });
  if (showProgress && io.stderrIsTTY) io.progress?.(undefined);
  const elapsedMs = performance.now() - started;
  const stats: ReplayStats | undefined = opts.stats
    ? {
        elapsedMs: Math.round(elapsedMs),
        eventsPerSecond: Math.round(summary.events / Math.max(elapsedMs / 1000, 0.001)),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      }
    : undefined;
  io.out(
    opts.json ? safeJson({ ...summary, ...(stats ? { stats } : {}) }) : renderReplay(io, summary, stats),
  );
  if (summary.failed.length > 0) return EXIT.failure;
  if (opts.strict && (summary.unreadable.length > 0 || summary.byOutcome.malformed > 0)) return EXIT.failure;
  return EXIT.ok;
}

function byAction(rows: Readonly<Record<string, Readonly<Record<string, number>>>>): (string | Cell)[][] {
  return Object.keys(rows)
    .sort()
    .map((name) => [
      { text: name, style: 'cyan' as const },
      ...ACTIONS.map((a) => String(rows[name]?.[a] ?? 0)),
    ]);
}

/** The human summary: totals, counts by action / policy rule / runbook / EventBridge rule, then the lists. */
export function renderReplay(io: Pick<Io, 'colour'>, s: ReplaySummary, stats?: ReplayStats): string {
  const lines: string[] = [];
  const field = (name: string, text: string) => lines.push(`${paint(io, 'bold', name.padEnd(11))}${text}`);
  field(
    'Replayed',
    `${s.events} events from ${s.files} file${s.files === 1 ? '' : 's'} (${megabytes(s.bytesRead)} read), stage ${sanitise(s.stage)}`,
  );
  field(
    'Decisions',
    `${s.decisions} (an event may have several; malformed, unhandled and unreadable have none)`,
  );
  if (stats)
    field(
      'Stats',
      `${stats.elapsedMs} ms, ${stats.eventsPerSecond} events/s, peak RSS ${megabytes(stats.maxRssBytes)}`,
    );
  lines.push('');
  lines.push(
    table(
      io,
      ['OUTCOME', 'COUNT'],
      Object.entries(s.byOutcome).map(([o, n]) => [{ text: o, style: OUTCOME_STYLE[o] }, String(n)]),
    ),
  );
  const actionHeaders = ACTIONS.map((a) => a.toUpperCase());
  lines.push('', table(io, ['POLICY RULE', ...actionHeaders], byAction(s.byRule)));
  if (Object.keys(s.byRunbook).length > 0)
    lines.push('', table(io, ['RUNBOOK', ...actionHeaders], byAction(s.byRunbook)));
  lines.push(
    '',
    table(
      io,
      ['EVENTBRIDGE RULE', 'EVENTS'],
      Object.entries(s.byEventRule)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([rule, n]) => [rule, String(n)]),
    ),
  );

  const notableCount = s.notable.length + s.notableOmitted;
  lines.push('');
  if (notableCount === 0) lines.push('Notable decisions: none (no start, no critical notification)');
  else {
    lines.push(
      `Notable decisions: ${notableCount} (starts and critical notifications${s.notableOmitted > 0 ? `; the first ${LIST_LIMIT} are listed` : ''})`,
    );
    lines.push(
      table(
        io,
        ['OCCURRED', 'DECISION', 'RESOURCE', 'WHERE', 'WHY'],
        s.notable.map((n) => [
          n.occurredAt,
          {
            text: `${n.action} ${n.runbook ?? n.severity}${n.dryRun ? ' (dry run)' : ''}`,
            style: OUTCOME_STYLE[n.action],
          },
          n.resource,
          n.where,
          n.why,
        ]),
      ),
    );
    if (s.notableOmitted > 0) lines.push(`… and ${s.notableOmitted} more`);
  }

  const unreadableCount = s.unreadable.length + s.unreadableOmitted;
  if (unreadableCount > 0) {
    lines.push(
      '',
      `Could not read: ${unreadableCount}${s.unreadableOmitted > 0 ? ` (the first ${LIST_LIMIT} are listed)` : ''}`,
    );
    lines.push(
      table(
        io,
        ['WHERE', 'REASON'],
        s.unreadable.map((u) => [u.where, u.reason]),
      ),
    );
    if (s.unreadableOmitted > 0) lines.push(`… and ${s.unreadableOmitted} more`);
  }
  if (s.failed.length > 0) {
    lines.push('', `Could not open: ${s.failed.length}`);
    lines.push(
      table(
        io,
        ['PATH', 'REASON'],
        s.failed.map((u) => [u.where, u.reason]),
      ),
    );
  }
  return lines.join('\n');
}
