import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { WEBHOOK_TOKEN_HEADER } from '../../../config/datadog-wiring.js';
import { esbuildOptionsFor } from '../../../infra/bundling/esbuild-options.js';
import { BUNDLING, REPO_ROOT } from '../../../infra/constructs/ops-function.js';
import { appFunctions, type Deployed, lambdaEnvironment } from '../../bundles/app-functions.js';
import { STAND_IN_SECRET, STAND_IN_SECRET_STRING, startAwsRefuser } from '../../bundles/aws-refuser.js';
import { SAMPLES } from '../../bundles/samples.js';
import { startWebApiFake } from '../../bundles/web-api-fake.js';
import { signedHeaders } from '../../integration/slack-harness.js';
import { type KubeAtWork, kubeAtWork } from '../kube-at-work.js';
import { type RotationAtWork, rotationAtWork } from '../rotation-at-work.js';
import { type BenchCheck, type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Cold load of every function (issue 17: "each function's cold load ≤ 1.2× `node -e
 * "require('@aws-sdk/client-ssm')"`"). The functions are the bundle smoke test's (test/bundles/
 * app-functions.ts: every distinct deployment of the synthesised app, built with its own bundling
 * options as synth builds it). A cold load is a whole fresh process, timed from spawn to exit:
 * `node` with the function's template environment (`NODE_OPTIONS=--enable-source-maps` as
 * deployed) runs test/bundles/invoke.mjs, which imports the bundle the way the Lambda runtime does
 * and invokes the handler once with the smoke test's sample event, against local fakes: the smoke
 * test's AWS stand-in in its `answer` mode, served over HTTPS as AWS endpoints are (so the SDK
 * loads `node:https` and makes a TLS handshake, as in Lambda; over plain HTTP its `import('node:http')`
 * also loaded undici through that module's lazy `WebSocket` getter, which no deployed function does) (every call succeeds with a minimal valid reply, so the
 * first invocation runs our code to its end instead of stopping at a refusal, and formats no error
 * stack: with `--enable-source-maps` the first formatted stack decodes the whole bundle's source
 * map), and a local Slack/Datadog HTTPS stand-in (test/bundles/web-api-fake.ts; a refused
 * connection there was retried with back-off, which measured the back-off, not our code). The baseline is the yardstick, `node -e "require('@aws-sdk/client-ssm')"`
 * (resolved from this project's node_modules), run right before each function, round by round
 * (baseline, f1, baseline, f2, …), so machine load hits both alike. The first round warms the file
 * cache and is not counted. Each function's figure is its median against the median of the
 * baselines run right before it.
 */

const ROUNDS = Number(process.env.COLD_LOAD_ROUNDS ?? 9);
/** Comma-separated substrings of entries to measure, while working on a few (default: all). */
const ONLY = (process.env.COLD_LOAD_ONLY ?? '').split(',').filter(Boolean);
const GOAL = 1.2;
const INVOKE = join(REPO_ROOT, 'test', 'bundles', 'invoke.mjs');
const BASELINE = 'node -e "require(\'@aws-sdk/client-ssm\')"';
/**
 * A folder for one more cold load of each function after the timed rounds, under V8's CPU profiler
 * (`--cpu-prof`, one `<row>.cpuprofile` each, for Chrome DevTools or any `.cpuprofile` reader), with
 * the bundles they ran (a `bench-cold-load-` folder, source maps included). The profiled load is not counted.
 */
const PROFILE_DIR = process.env.COLD_LOAD_CPU_PROFILE;

/**
 * Reference rows, with the same baseline and no goal: functions that are not the app's, bundled with
 * BUNDLING and loaded the same way (test/bench/cold-load-reference/), to show how much of the 1.2×
 * budget the chosen packages spend before any code of ours. `COLD_LOAD_ONLY=reference` runs only them.
 */
const REFERENCES: ReadonlyArray<{ readonly entry: string; readonly name: string }> = [
  { entry: 'one-call.ts', name: 'reference: the yardstick’s client, bundled, one GetParameter' },
  { entry: 'one-call-logged.ts', name: 'reference: the same, with the Powertools logger' },
  {
    entry: 'secret-and-record.ts',
    name: 'reference: two clients (a secret read, a DynamoDB put), with the logger',
  },
  {
    entry: 'secret-and-slack-post.ts',
    name: 'reference: a secret read and one Slack post (the app’s Slack client), with the logger',
  },
];

/** A deployment of a reference entry, as the app's functions are deployed (OpsFunction's environment). */
function referenceDeployment(entry: string): Deployed {
  const name = `reference-${entry.replace(/\.ts$/, '')}`;
  return {
    id: name,
    path: name,
    entry: `test/bench/cold-load-reference/${entry}`,
    buildKey: 'reference',
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    region: 'eu-west-1',
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: name,
      POWERTOOLS_METRICS_NAMESPACE: 'OpsAutomation',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
    functionName: name,
    memory: 512,
    loadOnFirstUse: [],
  };
}

interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly output: string;
}

/** A whole process, spawn to exit (async: the AWS stand-in answers from this process meanwhile). */
function timeProcess(args: string[], env: Record<string, string>, cwd: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ ms: performance.now() - started, code, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

/**
 * Short row name: the entry without `functions/` and `.ts`, and the stage where an entry is built
 * once per stage (a function that reads its stage carries that stage's configuration, config/deployed.ts).
 */
const nameOf = (d: Deployed, all: readonly Deployed[]) => {
  const name = d.entry.replace(/^functions\//, '').replace(/\.ts$/, '');
  const perStage = all.filter((o) => o.entry === d.entry).length > 1;
  return perStage ? `${name} [${d.environment.STAGE ?? d.id.split('/')[0]}]` : name;
};

const SLACK_ENDPOINT = 'functions/slack/handler.ts';
const KUBE = 'functions/kube/handler.ts';
const ROTATION = 'runbooks/rotate-secret/steps/handler.ts';

/**
 * The Slack endpoint's sample as Slack would send it: signed with the signing secret the AWS stand-in
 * returns, at the current time (the Slack tests' own `signedHeaders`: HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with node:crypto, not the code under test). The smoke test's own sample
 * carries a signature of zeros, which the endpoint refuses after reading its secret: that measured
 * the refusal alone.
 */
function signedSlackRequest(event: unknown): unknown {
  const request = event as { body: string; headers: Record<string, string> };
  return {
    ...request,
    headers: {
      ...request.headers,
      ...signedHeaders(request.body, Date.now(), STAND_IN_SECRET.signingSecret),
    },
  };
}

const DATADOG_WEBHOOK = 'functions/intake/webhook-handler.ts';

/**
 * The Datadog webhook's sample as Datadog sends it, with the shared token in its header: the value of
 * the token's secret, which the AWS stand-in returns for every secret. The smoke test's own sample
 * sends no such header, which the webhook refuses (401) after reading the secret.
 */
function authenticWebhook(event: unknown): unknown {
  const request = event as { headers: Record<string, string> };
  return { ...request, headers: { ...request.headers, [WEBHOOK_TOKEN_HEADER]: STAND_IN_SECRET_STRING } };
}

/**
 * A sample the bench sends as its source would, not as the smoke test's refusal case: the event (made
 * afresh before each load), and the environment when the function's real counterpart is a stand-in
 * of the bench's own (the kube function's cluster).
 */
interface SentAs {
  event(sample: unknown): unknown;
  environment?(env: Record<string, string>): Record<string, string>;
}

/** The samples sent as their source would, by entry; the two at work need their stand-ins first. */
function samplesSentAs(kube?: KubeAtWork, rotation?: RotationAtWork): Readonly<Record<string, SentAs>> {
  return {
    [SLACK_ENDPOINT]: { event: signedSlackRequest },
    [DATADOG_WEBHOOK]: { event: authenticWebhook },
    ...(kube ? { [KUBE]: kube } : {}),
    ...(rotation ? { [ROTATION]: rotation } : {}),
  };
}

/** The first invocation's calls to the stand-ins, for a row's note: each on the cold path (client, TLS, reply). */
const callsNote = (calls: readonly string[] = []) =>
  calls.length === 0
    ? 'no call to AWS, Slack or Datadog'
    : `${calls.length} ${calls.length === 1 ? 'call' : 'calls'}: ${calls.join(', ')}`;

export async function run(): Promise<BenchSection> {
  const loadBefore = loadavg()[0] ?? 0;
  // Under the profiler the bundles stay beside the profiles: their source maps name the code.
  const work = mkdtempSync(join(PROFILE_DIR ?? tmpdir(), 'bench-cold-load-'));
  const web = await startWebApiFake();
  // The rotation function's own secret, answered as Secrets Manager does (../rotation-at-work.ts).
  let rotation: RotationAtWork | undefined;
  const aws = await startAwsRefuser('answer', {
    tls: web.tls,
    answers: (operation, input) => rotation?.answer(operation, input),
  });
  let kube: KubeAtWork | undefined;
  try {
    const functions = appFunctions(join(work, 'cdk.out'));
    const bundles = join(work, 'bundles');
    for (const result of await functions.buildAll(bundles)) {
      if (result.errors.length > 0) throw new Error(`esbuild: ${JSON.stringify(result.errors)}`);
    }
    const references = REFERENCES.map((r) => ({ ...r, d: referenceDeployment(r.entry) }));
    const { options, outFile } = esbuildOptionsFor(BUNDLING, 'nodejs22.x', REPO_ROOT);
    const referenceBuild = await build({
      ...options,
      entryPoints: references.map(({ d }) => ({
        in: join(REPO_ROOT, d.entry),
        out: join(d.id, outFile.replace(/\.m?js$/, '')),
      })),
      outdir: join(work, 'reference'),
    });
    if (referenceBuild.errors.length > 0)
      throw new Error(`esbuild: ${JSON.stringify(referenceBuild.errors)}`);
    const chosen = [...functions.deployed, ...references.map(({ d }) => d)].filter(
      (d) => ONLY.length === 0 || ONLY.some((o) => d.entry.includes(o)),
    );
    const referenceName = new Map(references.map(({ d, name }) => [d.id, name]));
    // The kube function restarts an allow-listed workload on the Kubernetes stand-in (../kube-at-work.ts).
    const kubeDeployment = chosen.find((d) => d.entry === KUBE);
    kube = kubeDeployment ? await kubeAtWork(kubeDeployment) : undefined;
    const rotationDeployment = chosen.find((d) => d.entry === ROTATION);
    rotation = rotationDeployment ? rotationAtWork(rotationDeployment) : undefined;
    const sentAs = samplesSentAs(kube, rotation);
    const targets = chosen.map((d, i) => {
      const reference = referenceName.has(d.id);
      const sample = reference ? { event: {} } : SAMPLES[d.entry];
      if (!sample) throw new Error(`no sample event for ${d.entry} in test/bundles/samples.ts`);
      const taskRoot = reference
        ? join(work, 'reference', d.id)
        : functions.bundleDir(bundles, d.buildKey, d.entry);
      const eventFile = join(work, `event-${i}.json`);
      const resultFile = join(work, `result-${i}.json`);
      // Written before each load: the Slack endpoint's is signed afresh (samplesSentAs).
      const sent = sentAs[d.entry];
      const writeEvent = () =>
        writeFileSync(eventFile, JSON.stringify(sent ? sent.event(sample.event) : sample.event));
      const lambdaEnv = lambdaEnvironment(d, {
        taskRoot,
        accessKeyId: `AKIABENCH${String(i).padStart(11, '0')}`,
        requestId: `bench-request-${i}`,
        awsEndpoint: aws.url,
      });
      const env = sent?.environment?.(lambdaEnv) ?? lambdaEnv;
      env.SMOKE_WEB_API_PORT = String(web.port);
      env.NODE_EXTRA_CA_CERTS = web.caFile;
      return {
        d,
        taskRoot,
        env,
        writeEvent,
        args: [INVOKE, taskRoot, d.handler, eventFile, resultFile],
        resultFile,
      };
    });
    const baselineEnv = { PATH: targets[0]?.env.PATH ?? '', LANG: 'en_US.UTF-8', TZ: ':UTC' };
    const baselineArgs = ['-e', "require('@aws-sdk/client-ssm')"];
    const times = targets.map(() => ({
      fn: [] as number[],
      base: [] as number[],
      loaded: [] as number[],
      invoke: [] as number[],
      cpu: [] as number[],
      /** How the first invocation ended (the same every round): returned, or the error it threw. */
      ended: '',
      /** The calls it made to the stand-ins (AWS operations, Slack/Datadog paths), in order. */
      calls: [] as string[],
    }));
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [i, t] of targets.entries()) {
        const base = await timeProcess(baselineArgs, baselineEnv, REPO_ROOT);
        if (base.code !== 0) throw new Error(`${BASELINE} exited ${base.code}: ${base.output}`);
        t.writeEvent();
        const awsBefore = aws.calls.length;
        const webBefore = web.requests.length;
        const kubeBefore = kube?.requests().length ?? 0;
        const fn = await timeProcess(t.args, t.env, t.taskRoot);
        if (fn.code !== 0) throw new Error(`${t.d.id} exited ${fn.code}: ${fn.output.slice(0, 2000)}`);
        const calls = [
          ...aws.calls.slice(awsBefore).map((c) => `${c.service} ${c.operation}`),
          ...web.requests.slice(webBefore).map((r) => `${r.host}${r.path}`),
          ...(kube?.requests().slice(kubeBefore) ?? []),
        ];
        // Only a load that reached the handler's invocation counts (its end may be our own refusal).
        const result = JSON.parse(readFileSync(t.resultFile, 'utf8')) as {
          phase: string;
          ok?: boolean;
          cpuMs: number;
          error?: { name?: string };
          loadedAt: number;
          doneAt: number;
        };
        if (result.phase !== 'invoke') {
          throw new Error(`${t.d.id} did not load: ${JSON.stringify(result.error).slice(0, 2000)}`);
        }
        const timing = times[i];
        if (timing) {
          timing.ended = result.ok ? 'returned' : `threw ${result.error?.name ?? 'an error'}`;
          timing.calls = calls;
        }
        if (round > 0) {
          times[i]?.fn.push(fn.ms);
          times[i]?.base.push(base.ms);
          times[i]?.loaded.push(result.loadedAt);
          times[i]?.invoke.push(result.doneAt - result.loadedAt);
          times[i]?.cpu.push(result.cpuMs);
        }
      }
    }
    if (PROFILE_DIR) {
      for (const t of targets) {
        t.writeEvent();
        const name = nameOf(t.d, chosen).replace(/[^\w.-]+/g, '_');
        const profiled = await timeProcess(
          [`--cpu-prof`, `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`, ...t.args],
          t.env,
          t.taskRoot,
        );
        if (profiled.code !== 0) throw new Error(`${t.d.id} exited ${profiled.code} under the profiler`);
      }
    }
    const rows: BenchRow[] = [];
    const checks: BenchCheck[] = [];
    for (const [i, t] of targets.entries()) {
      const fn = median(times[i]?.fn ?? []);
      const base = median(times[i]?.base ?? []);
      const ratio = fn / base;
      // Where the time goes: the handler module ready (ms after the process started), and the first
      // invocation (against the answering stand-ins); the process's CPU time (user + system), which
      // machine load disturbs less than wall time, to compare two builds of one function.
      const where = `median of ${ROUNDS} rounds; module ready at ${median(times[i]?.loaded ?? []).toFixed(0)} ms, first invocation ${median(times[i]?.invoke ?? []).toFixed(0)} ms (${times[i]?.ended}); process CPU ${median(times[i]?.cpu ?? []).toFixed(0)} ms; ${callsNote(times[i]?.calls)}`;
      const row = {
        value: Math.round(fn),
        unit: 'ms',
        baseline: { name: BASELINE, value: Math.round(base) },
      };
      const reference = referenceName.get(t.d.id);
      if (reference) {
        rows.push({ name: reference, ...row, note: `not a function of the app (no goal); ${where}` });
        continue;
      }
      rows.push({ name: nameOf(t.d, chosen), ...row, note: where, goal: { op: '≤', ratio: GOAL } });
      checks.push({
        name: `${nameOf(t.d, chosen)} cold load ≤ ${GOAL}× ${BASELINE} (issue 17)`,
        ok: ratio <= GOAL,
        detail: `${fn.toFixed(0)} ms vs ${base.toFixed(0)} ms (${ratio.toFixed(2)}×)`,
      });
    }
    const loadAfter = loadavg()[0] ?? 0;
    return {
      title: `Cold load per function: fresh process, import + first invocation, vs ${BASELINE} (load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)})`,
      rows,
      checks,
    };
  } finally {
    await kube?.close();
    await aws.close();
    await web.close();
    if (!PROFILE_DIR) rmSync(work, { recursive: true, force: true });
  }
}
