import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Replayer } from '../../../bin/replay/core.js';
import { EventSplitter } from '../../../bin/replay/split.js';
import { loadStage } from '../../../config/index.js';
import { cloudTrailLogPieces, loadMix, MIX, recordText } from '../../support/cloudtrail-log.js';
import { type BenchCheck, type BenchRow, type BenchSection, median } from '../types.js';

/**
 * `ops replay` (issue 14): records per second of the replay core (streaming split → JSON.parse → CloudTrail
 * envelope → normalise → policy and static guards → tally) against plain `JSON.parse` of the same record
 * texts, interleaved round by round in this run so machine load hits both alike; then the real command on
 * a gzipped log file (start-up, gunzip and file reading included), each run after a JSON.parse round,
 * and its peak RSS against a bare `node -e`'s, measured the same way in the same rounds.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const RECORDS = 20_000;
const ROUNDS = 5;
const CLI_ROUNDS = 3;
const CHUNK = 256 * 1024;

function perSecond(records: number, ms: number): number {
  return Math.round(records / (ms / 1000));
}

export async function run(): Promise<BenchSection> {
  const stage = loadStage('dev');
  const mix = loadMix();
  const texts = Array.from({ length: RECORDS }, (_, i) => recordText(mix, i));
  const file = [...cloudTrailLogPieces(RECORDS)].join('');

  const parseOnly = (): number => {
    const started = performance.now();
    let keys = 0;
    for (const t of texts) keys += Object.keys(JSON.parse(t) as object).length;
    if (keys === 0) throw new Error('nothing parsed');
    return performance.now() - started;
  };
  let events = 0;
  const replayCore = (): number => {
    const started = performance.now();
    const replayer = new Replayer(stage);
    const splitter = new EventSplitter();
    for (let at = 0; at < file.length; at += CHUNK)
      for (const piece of splitter.push(file.slice(at, at + CHUNK))) replayer.piece('bench', piece);
    for (const piece of splitter.end()) replayer.piece('bench', piece);
    events = replayer.tally.events;
    return performance.now() - started;
  };

  // A warm-up round of each (JIT, zod schemas), not counted.
  parseOnly();
  replayCore();
  const parseMs: number[] = [];
  const replayMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    parseMs.push(parseOnly());
    replayMs.push(replayCore());
  }
  const parseRate = perSecond(RECORDS, median(parseMs));
  const replayRate = perSecond(RECORDS, median(replayMs));

  // The command as operators run it, on the same records gzipped: CLI_ROUNDS runs, each right after a
  // round of its baselines (JSON.parse of the records in this process; a bare `node -e` for peak RSS).
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  const cliRates: number[] = [];
  const cliRss: number[] = [];
  const cliParse: number[] = [];
  const bareRss: number[] = [];
  let cliEvents = 0;
  try {
    const gz = join(dir, 'log.json.gz');
    writeFileSync(gz, gzipSync(file, { level: 6 }));
    for (let r = 0; r < CLI_ROUNDS; r++) {
      cliParse.push(parseOnly());
      const bare = spawnSync(
        process.execPath,
        ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'],
        { encoding: 'utf8' },
      );
      if (bare.status !== 0) throw new Error(`node -e exited ${bare.status}: ${bare.stderr}`);
      bareRss.push(Number(bare.stdout) * 1024);
      const out = spawnSync(process.execPath, ['bin/ops.mjs', 'replay', gz, '--json', '--stats'], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (out.status !== 0) throw new Error(`ops replay exited ${out.status}: ${out.stderr}`);
      const summary = JSON.parse(out.stdout) as {
        events: number;
        stats: { eventsPerSecond: number; maxRssBytes: number };
      };
      cliRates.push(summary.stats.eventsPerSecond);
      cliRss.push(summary.stats.maxRssBytes);
      cliEvents = summary.events;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cli = { eventsPerSecond: median(cliRates), maxRssBytes: median(cliRss), events: cliEvents };
  const cliParseRate = perSecond(RECORDS, median(cliParse));

  // JSON.parse's rate is the baseline column of both throughput rows, not a figure of its own.
  const rows: BenchRow[] = [
    {
      name: 'replay core (split, parse, wrap, normalise, decide, tally)',
      value: replayRate,
      unit: 'records/s',
      baseline: { name: 'JSON.parse', value: parseRate },
      note: `${RECORDS} records, ${(file.length / 1024 / 1024).toFixed(1)} MB; medians of ${ROUNDS} interleaved rounds`,
    },
    {
      name: 'ops replay <log.json.gz> (whole command)',
      value: cli.eventsPerSecond,
      unit: 'records/s',
      baseline: { name: 'JSON.parse', value: cliParseRate },
      note: `start-up, gunzip and reading included; medians of ${CLI_ROUNDS} runs, each after a JSON.parse round`,
    },
    {
      name: 'ops replay peak RSS',
      value: Math.round(cli.maxRssBytes / 1024 / 1024),
      unit: 'MB',
      baseline: { name: 'node -e (bare process)', value: Math.round(median(bareRss) / 1024 / 1024) },
      note: 'process.resourceUsage().maxRSS of each',
    },
  ];
  const checks: BenchCheck[] = [
    {
      name: 'the replay core and the command read every record',
      ok: events === RECORDS && cli.events === RECORDS,
      detail: `core ${events}, command ${cli.events}, expected ${RECORDS} (${MIX.length} samples in the mix)`,
    },
  ];
  return { title: 'ops replay throughput (records/s vs JSON.parse of the same records)', rows, checks };
}
