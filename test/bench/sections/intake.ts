import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { loadStage } from '../../../config/index.js';
import type { Signal } from '../../../events/signal.js';
import { processSignal } from '../../../functions/intake/core.js';
import { decide } from '../../../functions/intake/decide.js';
import { planEvent, signalFromText } from '../../../functions/intake/plan.js';
import { BUNDLING, REPO_ROOT } from '../../../infra/constructs/ops-function.js';
import { startDynalite } from '../../support/dynalite.js';
import { intakeOnDynalite, pool, volumeDetached } from '../intake-fixtures.js';
import { type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Intake (issue 2):
 * - decisions per second on the pure path (`decide` on normalised signals; `planEvent` = normalise +
 *   decide on raw text, what `ops plan` runs), and with the guard store on dynalite (decide → admit →
 *   StartExecution on a faked Step Functions client), sequential and 16 in flight;
 * - the intake handler bundled with the product's settings (infra/constructs/ops-function.ts BUNDLING)
 *   next to a naive bundle of the same handler (CommonJS, not minified, default main fields), built in
 *   the same run: size and cold load (a fresh Node process importing the bundle).
 */
const dev = loadStage('dev');
const ctx = { stage: dev.name, automation: dev.automation };
const SAMPLES = join(REPO_ROOT, 'events/samples');

function sampleTexts(): string[] {
  const texts: string[] = [];
  for (const dir of readdirSync(SAMPLES)) {
    if (dir === 'slack' || dir.includes('.')) continue;
    for (const f of readdirSync(join(SAMPLES, dir)).filter(
      (x) => x.endsWith('.json') && !x.includes('template'),
    )) {
      texts.push(readFileSync(join(SAMPLES, dir, f), 'utf8'));
    }
  }
  return texts;
}

/** Calls `fn` over and over for about `ms` milliseconds; returns calls per second. */
function rate(fn: (i: number) => void, ms = 1500): number {
  for (let i = 0; i < 200; i++) fn(i); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let k = 0; k < 50; k++) fn(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

async function throughput(): Promise<BenchRow[]> {
  const texts = sampleTexts();
  const signals: Signal[] = texts.map((t) =>
    signalFromText(t, { automationRolePrefix: dev.automation.automationRolePrefix }),
  );
  const pure = rate((i) => decide(signals[i % signals.length] as Signal, ctx));
  const plan = rate((i) => planEvent(texts[i % texts.length] as string, dev));

  const db = await startDynalite();
  const rows: BenchRow[] = [
    {
      name: `decide(): pure path, ${signals.length} recorded signals round-robin`,
      value: Math.round(pure),
      unit: 'decisions/s',
    },
    {
      name: 'planEvent(): normalise + decide from raw text (ops plan)',
      value: Math.round(plan),
      unit: 'decisions/s',
    },
  ];
  try {
    for (const [label, concurrency] of [
      ['sequential', 1],
      ['16 in flight', 16],
    ] as const) {
      const { deps, started, restore } = await intakeOnDynalite(db, dev, `bench-${concurrency}`);
      try {
        const count = 1500;
        const base = Date.parse('2026-11-22T10:00:00Z');
        const events = Array.from({ length: count }, (_, i) =>
          volumeDetached(i, new Date(base + i * 100), 10_000 + i),
        );
        const signals2 = events.map((e) => signalFromText(JSON.stringify((e as { event: unknown }).event)));
        const t = performance.now();
        await pool(signals2, concurrency, async (s) => void (await processSignal(s, deps)));
        const seconds = (performance.now() - t) / 1000;
        if (started.length !== count) throw new Error(`expected ${count} starts, got ${started.length}`);
        rows.push({
          name: `with guard store on dynalite (${label}): every decision a start through all guards`,
          value: Math.round(count / seconds),
          unit: 'decisions/s',
          note: 'dynalite is an in-memory JS server on the same 2 cores; real DynamoDB adds ~5–10 ms per request',
        });
      } finally {
        restore();
      }
    }
  } finally {
    await db.stop();
  }
  return rows;
}

/** Median wall time for a fresh Node process to import `file` (ms), measured inside that process. */
function coldLoad(file: string, runs = 7): number {
  const env = {
    PATH: process.env.PATH,
    STAGE: 'dev',
    STATE_MACHINES: '{}',
    GUARD_TABLE_NAME: 'bench',
    WEBHOOK_TOKEN_SECRET_NAME: 'bench',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'intake',
  };
  const script = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});console.log(performance.now()-t)`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`loading ${file} failed: ${out.stderr}`);
    times.push(Number(out.stdout.trim()));
  }
  return median(times);
}

async function bundles(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-bench-'));
  const entry = join(REPO_ROOT, 'functions/intake/handler.ts');
  try {
    const ours = join(dir, 'ours', 'index.mjs');
    await build({
      entryPoints: [entry],
      outfile: ours,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLING.target ?? 'node22',
      mainFields: [...(BUNDLING.mainFields ?? [])],
      minify: BUNDLING.minify ?? false,
      sourcemap: BUNDLING.sourceMap ? 'external' : false,
      sourcesContent: BUNDLING.sourcesContent ?? true,
      banner: { js: BUNDLING.banner ?? '' },
      external: [...(BUNDLING.externalModules ?? [])],
      logLevel: 'silent',
    });
    const naive = join(dir, 'naive', 'index.js');
    await build({
      entryPoints: [entry],
      outfile: naive,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });
    const size = (f: string) => statSync(f).size / 1024;
    const gz = (f: string) => Math.round(gzipSync(readFileSync(f)).length / 1024);
    return [
      {
        name: 'intake handler bundle (our settings: ESM, minified, module-first)',
        value: Math.round(size(ours)),
        unit: 'KiB',
        baseline: { name: 'naive CJS bundle of the same handler', value: Math.round(size(naive)) },
        note: `${gz(ours)} vs ${gz(naive)} KiB gzipped; source map kept beside it, not counted`,
      },
      {
        name: 'intake handler cold load (fresh process import, median of 7)',
        value: Math.round(coldLoad(ours)),
        unit: 'ms',
        baseline: { name: 'naive CJS bundle', value: Math.round(coldLoad(naive)) },
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchSection> {
  return {
    title: 'Intake: decisions and bundle (issue 2)',
    rows: [...(await throughput()), ...(await bundles())],
  };
}
