import { execFile } from 'node:child_process';
import { type Dirent, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OpsFunction, REPO_ROOT } from '../../infra/constructs/ops-function.js';
import { MYSQL_MODULES } from '../../runbooks/rotate-secret/steps/mysql-modules.js';
import { selfSignedCert } from '../support/self-signed-cert.js';
import { appFunctions, lambdaEnvironment } from './app-functions.js';
import { type AwsRefuser, REFUSAL_MARKER, startAwsRefuser } from './aws-refuser.js';
import { SAMPLES } from './samples.js';

/**
 * Bundle smoke test (testing ladder, rung 6): every function of the synthesised app (all stages),
 * built with its own bundling options exactly as synth builds it, loaded in a fresh Node process
 * the way the Lambda runtime loads it, with the environment from its template, and invoked once
 * with a sample event. AWS is a local HTTPS server (as every AWS endpoint is: the SDK takes the
 * same `node:https` path as in Lambda, the process trusting the server's throw-away certificate
 * through `NODE_EXTRA_CA_CERTS`) that refuses every call; only loopback is reachable.
 * A missing module, an ESM/CJS mismatch, `Dynamic require of … is not supported` or a crash at
 * cold start fails here; a handler that ends in the stand-in's refusal passed its load and ran.
 */

const run = promisify(execFile);
const INVOKE = join(import.meta.dirname, 'invoke.mjs');
const work = mkdtempSync(join(tmpdir(), 'bundle-smoke-'));

// ---- the app, as synth builds it (bundling skipped here: the test builds each entry once) --------
const functions = appFunctions(join(work, 'cdk.out'));
const { builds, deployed } = functions;
const bundles = join(work, 'bundles');
const bundleDir = (buildKey: string, entry: string) => functions.bundleDir(bundles, buildKey, entry);

let aws: AwsRefuser;
const caFile = join(work, 'aws-stand-in.pem');

beforeAll(async () => {
  const tls = selfSignedCert('aws-stand-in', ['IP:127.0.0.1']);
  writeFileSync(caFile, tls.cert);
  aws = await startAwsRefuser('refuse', { tls });
  for (const result of await functions.buildAll(bundles)) {
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  }
});

afterAll(async () => {
  await aws?.close();
  rmSync(work, { recursive: true, force: true });
});

/**
 * One OpsFunction bundled by CDK itself (NodejsFunction, its hooks included) in an app of its own:
 * the function, the asset folder CDK wrote, and what CDK said on stderr while bundling (kept out of
 * the test output: it announces each bundle there).
 */
function bundledByCdk(stackName: string, props: ConstructorParameters<typeof OpsFunction>[2]) {
  const outdir = join(work, `cdk-${stackName}`);
  const cdkApp = new App({ outdir });
  const stack = new Stack(cdkApp, stackName, { env: { account: '111111111111', region: 'eu-west-1' } });
  const said: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    said.push(String(chunk));
    return true;
  });
  let fn: OpsFunction;
  try {
    fn = new OpsFunction(stack, 'Fn', props);
    cdkApp.synth();
  } finally {
    spy.mockRestore();
  }
  const code = stack.resolve((fn.node.defaultChild as unknown as { code: { s3Key: string } }).code);
  const assetDir = join(outdir, `asset.${String(code.s3Key).replace(/\.zip$/, '')}`);
  return { fn, assetDir, said: said.join('').trim() };
}

describe('bundles: every function of the app', () => {
  it('finds the functions of every stage, each with a sample event', () => {
    expect(deployed.length).toBeGreaterThanOrEqual(10);
    const missing = [...new Set(deployed.map((d) => d.entry))].filter((e) => !SAMPLES[e]);
    expect(missing, 'add a sample event to test/bundles/samples.ts').toEqual([]);
  });

  it('builds what CDK builds: one function bundled by NodejsFunction itself is byte-identical', () => {
    // publish carries the Datadog client: its `cross-fetch` is aliased through `esbuildArgs`.
    const entry = 'runbooks/verify-backups/steps/handlers/publish.ts';
    const { fn, assetDir, said } = bundledByCdk('One', { entry, service: 'smoke' });
    expect(said).toBe('Bundling asset One/Fn/Code/Stage...');
    const buildKey = JSON.stringify({ runtime: 'nodejs22.x', bundling: fn.bundlingOptions });
    expect(builds.has(buildKey), 'the app builds this entry with the same options').toBe(true);
    const ours = readFileSync(join(bundleDir(buildKey, entry), 'index.mjs'), 'utf8');
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toBe(ours);
  });

  it('builds what CDK builds beside a bundle: the first-use modules of its after-bundling hook, file for file', () => {
    // The rotation function loads mysql2 on its first connection (OpsFunction `loadOnFirstUse`):
    // CDK bundles it, then its hook builds the modules into the asset's node_modules.
    const entry = 'runbooks/rotate-secret/steps/handler.ts';
    const { fn, assetDir, said } = bundledByCdk('Two', {
      entry,
      service: 'smoke',
      loadOnFirstUse: MYSQL_MODULES,
    });
    expect(said).toBe('Bundling asset Two/Fn/Code/Stage...');
    const buildKey = JSON.stringify({ runtime: 'nodejs22.x', bundling: fn.bundlingOptions });
    expect(builds.get(buildKey)?.firstUse.get(entry), 'the app builds this entry the same way').toEqual(
      MYSQL_MODULES,
    );
    // Shared chunks are named by a hash that covers their source map, whose paths are relative to
    // the build folder (CDK's and this test's differ): compare code with the hashes named alike,
    // and the source maps by their mappings.
    const HASHED = /chunk-[A-Z0-9]{8}/g;
    const filesOf = (dir: string) =>
      (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
        .filter((f) => f.isFile())
        .map((f) => relative(dir, join(f.parentPath, f.name)))
        .sort();
    const ours = bundleDir(buildKey, entry);
    const files = filesOf(assetDir);
    expect(files.map((f) => f.replace(HASHED, 'chunk'))).toEqual(
      filesOf(ours).map((f) => f.replace(HASHED, 'chunk')),
    );
    expect(files).toEqual(
      expect.arrayContaining(['node_modules/mysql2/promise.mjs', 'node_modules/mysql2/package.json']),
    );
    const oursByName = new Map(filesOf(ours).map((f) => [f.replace(HASHED, 'chunk'), f]));
    for (const file of files) {
      const theirs = readFileSync(join(assetDir, file), 'utf8');
      const mine = readFileSync(join(ours, oursByName.get(file.replace(HASHED, 'chunk')) ?? file), 'utf8');
      if (file.endsWith('.map')) {
        const mappings = (text: string) => {
          const { mappings, names } = JSON.parse(text) as { mappings: string; names: string[] };
          return { mappings, names };
        };
        expect(mappings(theirs), file).toEqual(mappings(mine));
      } else {
        expect(theirs.replace(HASHED, 'chunk'), file).toBe(mine.replace(HASHED, 'chunk'));
      }
    }
  });

  const withFirstUse = deployed.filter((d) => d.loadOnFirstUse.length > 0);
  it('writes each stage’s configuration into the bundles that read one, and no bundle carries the configuration’s schema or sources', () => {
    // The oracle is each bundle's own source map: every source file esbuild put in it.
    const defined = (d: (typeof deployed)[number]) =>
      (JSON.parse(d.buildKey) as { bundling: { define?: Record<string, string> } }).bundling.define
        ?.OPS_STAGE_CONFIG;
    const readers = deployed.filter((d) => defined(d) !== undefined);
    expect(new Set(readers.map((d) => d.entry))).toEqual(
      new Set([
        'functions/approval/handler.ts',
        'functions/intake/handler.ts',
        'functions/intake/webhook-handler.ts',
        'functions/report/handler.ts',
        'functions/slack/handler.ts',
        'functions/slack/worker-handler.ts',
        'functions/sweeps/handler.ts',
      ]),
    );
    for (const d of deployed) {
      const dir = bundleDir(d.buildKey, d.entry);
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const config = map.sources.filter((file) =>
        /(^|\/)config\/(index|schema)\.ts$|\/config\/stages\//.test(file),
      );
      expect(config, d.id).toEqual([]);
      const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
      if (defined(d) !== undefined) {
        expect(d.environment.STAGE, d.id).toBeDefined();
        // The configuration's JSON text, as synth wrote it: the stage it runs in, first key first.
        expect(bundle.includes(`{"name":"${d.environment.STAGE}","tier":`), d.id).toBe(true);
      }
    }
  });

  it('keeps first-use modules out of the bundles that load them on first use', () => {
    expect(new Set(withFirstUse.map((d) => d.entry))).toEqual(
      new Set([
        'functions/intake/handler.ts',
        'functions/intake/webhook-handler.ts',
        'runbooks/rotate-secret/steps/handler.ts',
      ]),
    );
    for (const d of withFirstUse) {
      const bundle = readFileSync(join(bundleDir(d.buildKey, d.entry), 'index.mjs'), 'utf8');
      // esbuild left each `import()` as written (an external module), so its code is not in the file.
      for (const specifier of d.loadOnFirstUse) expect(bundle, d.id).toContain(`import("${specifier}")`);
    }
  });

  it('builds the Datadog client beside the intake’s bundles from its copy, as inside the other bundles', () => {
    const reporting = withFirstUse.filter((d) => d.loadOnFirstUse.some((s) => s.startsWith('@datadog/')));
    expect(reporting.length).toBeGreaterThan(0);
    for (const d of reporting) {
      const dir = join(bundleDir(d.buildKey, d.entry), 'node_modules');
      const sources = (readdirSync(dir, { recursive: true }) as string[])
        .filter((file) => file.endsWith('.map'))
        .flatMap(
          (file) => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { sources: string[] }).sources,
        )
        .filter((source) => source.includes('datadog-api-client'));
      expect(sources.length, d.id).toBeGreaterThan(0);
      for (const source of sources)
        expect(source, d.id).toContain('.cache/ops-automation/datadog-api-client/');
    }
  });

  it.concurrent.each(withFirstUse.map((d) => [d.id, d] as const))(
    '%s: each first-use module loads from the asset as the real package does',
    async (_, d) => {
      // A fresh Node in the task root imports each module by the name the code uses, from the
      // asset's own node_modules; the oracle is the same import from this project's node_modules:
      // the same export names, each of the same type, and `default` of the same shape. Except
      // `__esModule`: Node lists the CommonJS interop marker among a module's names, and esbuild,
      // which reads it as that marker, never writes it as an ESM export (no code reads it as one).
      // That is also why it is left out of the build's entries (infra/bundling/first-use.ts).
      const describeExports = `const out = {}; for (const s of JSON.parse(process.argv[1])) { const m = await import(s); out[s] = Object.fromEntries(Object.keys(m).filter((k) => k !== '__esModule').sort().map((k) => [k, typeof m[k] + (k === 'default' && m[k] ? ':' + Object.keys(m[k]).sort().join(',') : '')])); } console.log(JSON.stringify(out));`;
      const modules = JSON.stringify(d.loadOnFirstUse);
      const load = async (cwd: string) =>
        JSON.parse(
          (await run(process.execPath, ['--input-type=module', '-e', describeExports, modules], { cwd }))
            .stdout,
        ) as Record<string, Record<string, string>>;
      const asset = await load(bundleDir(d.buildKey, d.entry));
      const real = await load(REPO_ROOT);
      expect(asset).toEqual(real);
      for (const names of Object.values(asset)) expect(Object.keys(names).length).toBeGreaterThan(1);
    },
  );

  it.concurrent.each(deployed.map((d, i) => [d.id, d, i] as const))(
    '%s loads and runs once',
    async (_, d, i) => {
      const sample = SAMPLES[d.entry];
      if (!sample) throw new Error(`no sample event for ${d.entry}`);
      const taskRoot = bundleDir(d.buildKey, d.entry);
      const eventFile = join(work, `event-${i}.json`);
      const resultFile = join(work, `result-${i}.json`);
      writeFileSync(eventFile, JSON.stringify(sample.event));
      const accessKeyId = `AKIASMOKE${String(i).padStart(11, '0')}`;
      const env = lambdaEnvironment(d, {
        taskRoot,
        accessKeyId,
        requestId: `smoke-request-${i}`,
        awsEndpoint: aws.url,
      });
      env.NODE_EXTRA_CA_CERTS = caFile;
      const child = await run(process.execPath, [INVOKE, taskRoot, d.handler, eventFile, resultFile], {
        env,
        cwd: taskRoot,
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${d.id}: the process failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      });
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as {
        node: string;
        phase: 'load' | 'invoke';
        ok: boolean;
        value?: unknown;
        error?: { name?: string; message: string; httpStatusCode?: number; stack?: string };
      };
      const output = `${child.stdout}\n${child.stderr}`;
      const context = `${d.id} (${d.entry}): ${JSON.stringify(result.error ?? result.value)?.slice(0, 2000)}\n${output.slice(0, 4000)}`;

      // The runtime the template names is the Node that ran it.
      expect(`nodejs${result.node.split('.')[0]}.x`, context).toBe(d.runtime);
      expect(result.phase, context).toBe('invoke');
      // Errors that only a broken bundle makes, even when a handler catches and logs them.
      expect(output, context).not.toMatch(
        /Dynamic require of|Cannot find (module|package)|ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|require is not defined|__dirname is not defined|__filename is not defined|does not provide an export named|\(node:\d+\) \w*Warning/,
      );
      // Powertools' Lambda context on every log line: the request id, and a correlation id (the
      // run's execution name where the event carries one).
      const logLines = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => 'level' in l && 'service' in l);
      if (sample.logs) expect(logLines.length, context).toBeGreaterThan(0);
      // Once the intake decides a run, its lines carry the run's execution name (functions/intake/core.ts),
      // which its decision line names: in a stage where the sample starts a run (dev), not in others.
      const runs = new Set(logLines.filter((l) => l.message === 'decision').map((l) => l.executionName));
      for (const line of logLines) {
        expect(line.function_request_id, context).toBe(env.SMOKE_REQUEST_ID);
        if (!runs.has(line.correlationId)) {
          expect(line.correlationId, context).toBe(sample.correlationId ?? env.SMOKE_REQUEST_ID);
        }
      }
      const calls = aws.calls.filter((c) => c.accessKeyId === accessKeyId);
      if (sample.expect === 'returns') {
        expect(result.ok, context).toBe(true);
        expect(calls, context).toEqual([]);
      } else if (sample.expect === 'refuses') {
        expect(result.ok, context).toBe(false);
        expect(result.error?.name, context).toBe(sample.errorName);
        expect(calls, context).toEqual([]);
      } else {
        // It reached AWS with signed requests, and its only failure is the stand-in's refusal.
        expect(calls.length, context).toBeGreaterThan(0);
        expect(
          calls.every((c) => c.signed),
          context,
        ).toBe(true);
        if (!result.ok) {
          // The intake turns a guard store it cannot read into RetryLaterError (EventBridge retries it,
          // then dead-letters it); the refusal behind it is in its decision log line.
          const reported =
            result.error?.name === 'RetryLaterError'
              ? output
              : `${result.error?.message}\n${result.error?.stack}`;
          expect(reported, context).toContain(REFUSAL_MARKER);
        }
      }
    },
  );
});
