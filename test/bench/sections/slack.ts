import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { stageDefine } from '../../../config/deployed.js';
import { loadStage } from '../../../config/index.js';
import { NO_GROUPS } from '../../../functions/slack/authz.js';
import type { EndpointDeps } from '../../../functions/slack/endpoint.js';
import { startEndpointServer } from '../../../functions/slack/local-server.js';
import { DynamoReplayGuard } from '../../../functions/slack/replay.js';
import { esbuildOptionsFor } from '../../../infra/bundling/esbuild-options.js';
import { BUNDLING, REPO_ROOT } from '../../../infra/constructs/ops-function.js';
import {
  PLATFORM_1,
  SIGNING_SECRET,
  signedHeaders,
  silentLogger,
  slashCommand,
} from '../../integration/slack-harness.js';
import { startDynalite } from '../../support/dynalite.js';
import { type BenchCheck, type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Slack endpoint benchmarks (issue 5), each next to a baseline from the same run, interleaved with it:
 * - bundle size of the endpoint, built with the product's esbuild settings; baseline: the same
 *   endpoint importing `@slack/bolt`'s index instead of its verify-request module (the worker's and
 *   the approval hook's sizes are notes to their cold loads: they have nothing to be compared with);
 * - cold load of the endpoint, worker and approval hook: a fresh Node process importing the bundle
 *   (what Lambda's init does before the first request), timed from spawn to exit; baseline: a fresh
 *   Node process importing an empty module, run before each of its runs;
 * - request → acknowledgement: signed `/ops run` requests over HTTP to the endpoint core, replay
 *   claims in dynalite, hand-over to the worker queued (as the asynchronous Invoke does);
 *   baseline: a node:http server answering 200 without doing anything, one request before each.
 */

const ENTRIES = {
  'slack endpoint': 'functions/slack/handler.ts',
  'slack worker': 'functions/slack/worker-handler.ts',
  'approval hook': 'functions/approval/handler.ts',
} as const;

/**
 * The handler bundled as synth bundles it (BUNDLING, translated as the smoke test does, with the dev
 * stage's configuration written in, as OpsFunction's `stage` does), plus `alias`.
 */
async function bundle(entry: string, outfile: string, alias?: Record<string, string>): Promise<void> {
  const { options } = esbuildOptionsFor(BUNDLING, 'nodejs22.x', REPO_ROOT);
  await build({
    ...options,
    define: stageDefine(loadStage('dev')),
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    outExtension: {},
    logLevel: 'silent',
    alias: { ...options.alias, ...alias },
  });
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? Number.NaN;

/**
 * Median time of a fresh Node process that imports `file`, whole process from spawn to exit (ms, as issue
 * 17 times cold loads), and the same for `baseline`, interleaved run by run (baseline, file, baseline,
 * file…) so machine load hits both alike.
 */
function coldLoad(file: string, baseline: string, runs: number): { ms: number; baseMs: number } {
  const times: number[] = [];
  const baseTimes: number[] = [];
  const env = {
    ...process.env,
    STAGE: 'dev',
    SLACK_TABLE_NAME: 'ops-dev-slack',
    SLACK_WORKER_FUNCTION: 'ops-dev-slack-worker',
    STATE_MACHINES: '{}',
    GUARD_TABLE_NAME: 'ops-dev-intake-guards',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  };
  const script = 'await import(process.argv[1])';
  const once = (target: string) => {
    const t = performance.now();
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script, target], {
      env,
      encoding: 'utf8',
    });
    const ms = performance.now() - t;
    if (out.status !== 0) throw new Error(`loading ${target} failed: ${out.stderr}`);
    return ms;
  };
  for (let i = 0; i < runs; i++) {
    baseTimes.push(once(baseline));
    times.push(once(file));
  }
  return { ms: median(times), baseMs: median(baseTimes) };
}

/** `n` requests to `url` and as many to `baseUrl`, alternating, one at a time: the times of each (ms). */
async function timeRequests(
  url: string,
  baseUrl: string,
  make: () => { body: string; headers: Record<string, string> },
  n: number,
): Promise<{ times: number[]; baseTimes: number[] }> {
  const times: number[] = [];
  const baseTimes: number[] = [];
  const once = async (target: string, into: number[]) => {
    const { body, headers } = make();
    const t = performance.now();
    const res = await fetch(target, { method: 'POST', headers, body });
    await res.text();
    into.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`bench request answered ${res.status}`);
  };
  for (let i = 0; i < n; i++) {
    await once(baseUrl, baseTimes);
    await once(url, times);
  }
  return { times, baseTimes };
}

export async function slackSection(
  options: { coldRuns?: number; requests?: number } = {},
): Promise<BenchSection> {
  const coldRuns = options.coldRuns ?? 7;
  const requests = options.requests ?? 200;
  const rows: BenchRow[] = [];
  const checks: BenchCheck[] = [];
  let endpointColdMs = Number.NaN;
  const dir = mkdtempSync(join(tmpdir(), 'slack-bench-'));
  try {
    // Bundle sizes and cold loads.
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    const withBoltIndex = join(dir, 'endpoint-bolt-index.mjs');
    await bundle(ENTRIES['slack endpoint'], withBoltIndex, {
      '@slack/bolt/dist/receivers/verify-request.js': resolve(
        REPO_ROOT,
        'node_modules/@slack/bolt/dist/index.js',
      ),
    });
    const boltSize = statSync(withBoltIndex).size;
    for (const [name, entry] of Object.entries(ENTRIES)) {
      const file = join(dir, `${name.replace(/ /g, '-')}.mjs`);
      await bundle(entry, file);
      const size = statSync(file).size;
      const sizes = `bundle ${Math.round(size / 1024)} KiB, ${Math.round(gzipSync(readFileSync(file)).length / 1024)} KiB gzipped`;
      // A bundle size is a figure only where it has something to be compared with: the endpoint's, against
      // the same endpoint importing Bolt's index. The others' sizes are a note to their cold load.
      if (name === 'slack endpoint')
        rows.push({
          name: `${name}: bundle (minified ESM)`,
          value: Math.round(size / 1024),
          unit: 'KiB',
          note: `${Math.round(gzipSync(readFileSync(file)).length / 1024)} KiB gzipped`,
          baseline: { name: 'same, importing @slack/bolt index', value: Math.round(boltSize / 1024) },
        });
      const cold = coldLoad(file, empty, coldRuns);
      if (name === 'slack endpoint') endpointColdMs = cold.ms;
      rows.push({
        name: `${name}: cold load (fresh process, spawn to exit, median of ${coldRuns})`,
        value: Math.round(cold.ms),
        unit: 'ms',
        baseline: { name: 'same, importing an empty module', value: Math.round(cold.baseMs) },
        ...(name === 'slack endpoint' ? {} : { note: sizes }),
      });
    }

    // Request → acknowledgement.
    const db = await startDynalite([{ name: 'slack', partitionKey: 'pk' }]);
    const stage = loadStage('dev');
    const queued: unknown[] = [];
    const deps: EndpointDeps = {
      stage: stage.name,
      slack: stage.automation.slack,
      signingSecret: async () => SIGNING_SECRET,
      replay: new DynamoReplayGuard(db.doc, 'slack'),
      groups: NO_GROUPS,
      dispatch: async (job) => void queued.push(job),
      logger: silentLogger,
      nowMs: Date.now,
    };
    const endpoint = await startEndpointServer(deps);
    const plain = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
    try {
      const make = () => {
        const body = slashCommand(
          'run verify-backups',
          PLATFORM_1,
          'https://hooks.slack.com/commands/T0/1/x',
        );
        return { body, headers: signedHeaders(body, Date.now()) };
      };
      const { times: acks, baseTimes: base } = await timeRequests(endpoint.url, plainUrl, make, requests);
      checks.push({
        name: 'every signed request acknowledged and handed over exactly once',
        ok: queued.length === requests,
        detail: `${queued.length} jobs queued for ${requests} requests`,
      });
      const p95 = percentile(acks, 95);
      checks.push({
        name: "cold load + p95 acknowledgement inside Slack's 3 s",
        ok: endpointColdMs + p95 < 3000,
        detail: `${Math.round(endpointColdMs)} ms + ${p95.toFixed(1)} ms (Lambda's own init and one Secrets Manager read come on top)`,
      });
      rows.push({
        name: `request → ack, p50 (${requests} signed /ops run, replay claim in dynalite)`,
        value: Number(median(acks).toFixed(2)),
        unit: 'ms',
        baseline: { name: 'empty node:http 200', value: Number(median(base).toFixed(2)) },
      });
      rows.push({
        name: 'request → ack, p95',
        value: Number(percentile(acks, 95).toFixed(2)),
        unit: 'ms',
        baseline: { name: 'empty node:http 200', value: Number(percentile(base, 95).toFixed(2)) },
        note: "Slack's limit is 3000 ms; Lambda adds its cold start (above) and one Secrets Manager read",
      });
    } finally {
      await endpoint.close();
      plain.closeAllConnections();
      await new Promise<void>((r) => plain.close(() => r()));
      await db.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { title: 'Slack endpoint (issue 5)', rows, checks };
}

/** `npm run bench -- slack`. */
export const run = (): Promise<BenchSection> => slackSection();
