import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { stageDefine } from '../../../config/deployed.js';
import { loadStage } from '../../../config/index.js';
import type { Signal } from '../../../events/signal.js';
import { processSignal } from '../../../functions/intake/core.js';
import { decide } from '../../../functions/intake/decide.js';
import { planEvent, signalFromText } from '../../../functions/intake/plan.js';
import { esbuildOptionsFor } from '../../../infra/bundling/esbuild-options.js';
import { BUNDLING, REPO_ROOT } from '../../../infra/constructs/ops-function.js';
import { startDynalite } from '../../support/dynalite.js';
import { intakeOnDynalite, pool, sampleTexts, volumeDetached } from '../intake-fixtures.js';
import { type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Intake (issue 2), each figure against a baseline interleaved with it in this run (issue 17):
 * - decisions per second on the pure path (`decide` on normalised signals, against a JSON round trip
 *   of the same signal; `planEvent` = normalise + decide on raw text, what `ops plan` runs, against
 *   JSON.parse + JSON.stringify of the same text), and with the guard store on dynalite (decide →
 *   admit → StartExecution on a faked Step Functions client), sequential and 16 in flight, against
 *   one conditional PutItem per event on the same dynalite;
 * - the intake handler bundled with the product's settings (infra/constructs/ops-function.ts BUNDLING)
 *   next to a naive bundle of the same handler (CommonJS, not minified, default main fields), built in
 *   the same run: size and cold load (a fresh Node process importing the bundle).
 */
const dev = loadStage('dev');
const ctx = { stage: dev.name, automation: dev.automation };
/**
 * Calls per second of `fn` and of its baseline `base`, interleaved in slices of 50 calls (fn, base, fn,
 * base…) for about `ms` milliseconds in all, after a warm-up of each, so machine load hits both alike.
 */
function rates(fn: (i: number) => void, base: (i: number) => void, ms = 3000): { fn: number; base: number } {
  for (let i = 0; i < 200; i++) {
    fn(i);
    base(i);
  }
  let n = 0;
  let fnMs = 0;
  let baseMs = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    let t = performance.now();
    for (let k = 0; k < 50; k++) fn(n + k);
    fnMs += performance.now() - t;
    t = performance.now();
    for (let k = 0; k < 50; k++) base(n + k);
    baseMs += performance.now() - t;
    n += 50;
  }
  return { fn: n / (fnMs / 1000), base: n / (baseMs / 1000) };
}

async function throughput(): Promise<BenchRow[]> {
  const texts = sampleTexts();
  const signals: Signal[] = texts.map((t) =>
    signalFromText(t, { automationRolePrefix: dev.automation.automationRolePrefix }),
  );
  // Baselines: the same signal through JSON.stringify + JSON.parse (a copy), the same raw text through
  // JSON.parse + JSON.stringify, each interleaved with what it is compared with.
  const pure = rates(
    (i) => decide(signals[i % signals.length] as Signal, ctx),
    (i) => JSON.parse(JSON.stringify(signals[i % signals.length])),
  );
  const plan = rates(
    (i) => planEvent(texts[i % texts.length] as string, dev),
    (i) => JSON.stringify(JSON.parse(texts[i % texts.length] as string)),
  );

  const db = await startDynalite();
  const rows: BenchRow[] = [
    {
      name: `decide(): pure path, ${signals.length} recorded signals round-robin`,
      value: Math.round(pure.fn),
      unit: 'decisions/s',
      baseline: { name: 'JSON round trip of the same signal', value: Math.round(pure.base) },
    },
    {
      name: 'planEvent(): normalise + decide from raw text (ops plan)',
      value: Math.round(plan.fn),
      unit: 'decisions/s',
      baseline: { name: 'JSON.parse + JSON.stringify of the same text', value: Math.round(plan.base) },
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
        // Baseline: one conditional PutItem per event on the same dynalite, at the same concurrency,
        // interleaved with the guard path in slices of SLICE events.
        const table = `bench-base-${concurrency}`;
        await db.createTable({ name: table, partitionKey: 'pk' });
        const SLICE = 300;
        let guardMs = 0;
        let baseMs = 0;
        for (let from = 0; from < count; from += SLICE) {
          const slice = signals2.slice(from, from + SLICE);
          let t = performance.now();
          await pool(slice, concurrency, async (s) => {
            await db.doc.send(
              new PutCommand({
                TableName: table,
                Item: { pk: `${s.correlationId}#${s.resource.id}`, at: s.occurredAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
          });
          baseMs += performance.now() - t;
          t = performance.now();
          await pool(slice, concurrency, async (s) => void (await processSignal(s, deps)));
          guardMs += performance.now() - t;
        }
        if (started.length !== count) throw new Error(`expected ${count} starts, got ${started.length}`);
        rows.push({
          name: `with guard store on dynalite (${label}): every decision a start through all guards`,
          value: Math.round(count / (guardMs / 1000)),
          unit: 'decisions/s',
          baseline: {
            name: 'one conditional PutItem per event, same dynalite and concurrency',
            value: Math.round(count / (baseMs / 1000)),
          },
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

/**
 * Median wall time for a fresh Node process to import each of `files` (ms), measured inside that process,
 * the files taking turns run by run so machine load hits them alike.
 */
function coldLoads(files: readonly string[], runs = 7): number[] {
  const env = {
    PATH: process.env.PATH,
    STAGE: 'dev',
    STATE_MACHINES: '{}',
    GUARD_TABLE_NAME: 'bench',
    WEBHOOK_TOKEN_SECRET_NAME: 'bench',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'intake',
  };
  const times: number[][] = files.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, file] of files.entries()) {
      const script = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});console.log(performance.now()-t)`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env,
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`loading ${file} failed: ${out.stderr}`);
      times[k]?.push(Number(out.stdout.trim()));
    }
  }
  return times.map((xs) => median(xs));
}

async function bundles(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-bench-'));
  const entry = join(REPO_ROOT, 'functions/intake/handler.ts');
  try {
    const ours = join(dir, 'ours', 'index.mjs');
    // The dev stage's configuration, written into both as synth writes it (OpsFunction's `stage`).
    const define = stageDefine(loadStage('dev'));
    // As synth bundles it: BUNDLING, translated to esbuild's API as the smoke test does.
    await build({
      ...esbuildOptionsFor(BUNDLING, 'nodejs22.x', REPO_ROOT).options,
      define,
      entryPoints: [entry],
      outfile: ours,
      outExtension: {},
      logLevel: 'silent',
    });
    const naive = join(dir, 'naive', 'index.js');
    await build({
      entryPoints: [entry],
      outfile: naive,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      define,
      logLevel: 'silent',
    });
    const size = (f: string) => statSync(f).size / 1024;
    const gz = (f: string) => Math.round(gzipSync(readFileSync(f)).length / 1024);
    const [naiveMs = Number.NaN, oursMs = Number.NaN] = coldLoads([naive, ours]);
    return [
      {
        name: 'intake handler bundle (our settings: ESM, minified, module-first)',
        value: Math.round(size(ours)),
        unit: 'KiB',
        baseline: { name: 'naive CJS bundle of the same handler', value: Math.round(size(naive)) },
        note: `${gz(ours)} vs ${gz(naive)} KiB gzipped; source map kept beside it, not counted`,
      },
      {
        name: 'intake handler cold load (fresh process import, median of 7, interleaved)',
        value: Math.round(oursMs),
        unit: 'ms',
        baseline: { name: 'naive CJS bundle', value: Math.round(naiveMs) },
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
