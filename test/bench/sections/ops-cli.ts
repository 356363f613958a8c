import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type BenchCheck, type BenchRow, type BenchSection, median } from '../types.js';

/**
 * `ops` start-up (issue 17: "ops commands start in ≤ 2× `node -e 0`"): the pre-built command
 * (dist/ops.mjs, rebuilt first) in fresh Node processes, interleaved run by run with the baseline
 * `node -e 0` so machine load hits both alike. Medians of RUNS runs each.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const RUNS = 25;
const SAMPLE = 'events/samples/cloudtrail/secretsmanager-getsecretvalue-sso-user.json';

const COMMANDS: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'ops --version': ['bin/ops.mjs', '--version'],
  'ops --help': ['bin/ops.mjs', '--help'],
  'ops list': ['bin/ops.mjs', 'list'],
  'ops plan <event>': ['bin/ops.mjs', 'plan', SAMPLE],
};

export async function run(): Promise<BenchSection> {
  execFileSync(process.execPath, [join(ROOT, 'bin', 'build.mjs')], { stdio: 'pipe' });
  // Ratios grow with the machine's load (a busy 2-core machine stretches the longer commands more): say it.
  const loadBefore = loadavg()[0] ?? 0;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
  for (let i = 0; i < RUNS + 1; i++) {
    for (const [name, args] of Object.entries(COMMANDS)) {
      const started = performance.now();
      const out = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = performance.now() - started;
      if (out.status !== 0) throw new Error(`${name} exited ${out.status}: ${out.stderr}`);
      if (out.stderr.length > 0)
        throw new Error(`${name} wrote to stderr (not the built command?): ${out.stderr}`);
      // The first round warms the file cache and Node's compile cache; it is not counted.
      if (i > 0) times[name]?.push(ms);
    }
  }
  const loadAfter = loadavg()[0] ?? 0;
  const base = median(times['node -e 0'] ?? []);
  // Every command against the baseline, with the goal; `node -e 0` itself is the baseline column.
  const rows: BenchRow[] = Object.entries(times)
    .filter(([name]) => name !== 'node -e 0')
    .map(([name, xs]) => ({
      name,
      value: Math.round(median(xs)),
      unit: 'ms',
      baseline: { name: 'node -e 0', value: Math.round(base) },
      goal: { op: '≤', ratio: 2 },
      note: `median of ${RUNS} interleaved runs; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
    }));
  const missed = rows.filter((r) => r.value > 2 * (r.baseline?.value ?? 0)).map((r) => r.name);
  const checks: BenchCheck[] = [
    {
      name: 'every ops command starts in ≤ 2× node -e 0 (issue 17)',
      ok: missed.length === 0,
      detail:
        missed.length === 0
          ? `all ${rows.length} within 2× node -e 0 (${Math.round(base)} ms)`
          : `over 2× node -e 0 (${Math.round(base)} ms): ${missed.join(', ')}`,
    },
  ];
  return { title: 'ops command start-up (pre-built dist/ops.mjs)', rows, checks };
}
