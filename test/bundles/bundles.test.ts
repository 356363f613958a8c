import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OpsFunction } from '../../infra/constructs/ops-function.js';
import { appFunctions, lambdaEnvironment } from './app-functions.js';
import { type AwsRefuser, REFUSAL_MARKER, startAwsRefuser } from './aws-refuser.js';
import { SAMPLES } from './samples.js';

/**
 * Bundle smoke test (testing ladder, rung 6): every function of the synthesised app (all stages),
 * built with its own bundling options exactly as synth builds it, loaded in a fresh Node process
 * the way the Lambda runtime loads it, with the environment from its template, and invoked once
 * with a sample event. AWS is a local server that refuses every call; only loopback is reachable.
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

beforeAll(async () => {
  aws = await startAwsRefuser();
  for (const result of await functions.buildAll(bundles)) {
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  }
});

afterAll(async () => {
  await aws?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bundles: every function of the app', () => {
  it('finds the functions of every stage, each with a sample event', () => {
    expect(deployed.length).toBeGreaterThanOrEqual(10);
    const missing = [...new Set(deployed.map((d) => d.entry))].filter((e) => !SAMPLES[e]);
    expect(missing, 'add a sample event to test/bundles/samples.ts').toEqual([]);
  });

  it('builds what CDK builds: one function bundled by NodejsFunction itself is byte-identical', () => {
    // publish carries the Datadog client: its `cross-fetch` is aliased through `esbuildArgs`.
    const entry = 'runbooks/verify-backups/steps/handlers/publish.ts';
    const cdkApp = new App({ outdir: join(work, 'cdk-one') });
    const stack = new Stack(cdkApp, 'One', { env: { account: '111111111111', region: 'eu-west-1' } });
    // CDK bundles while it constructs the function, and announces it on stderr: keep that line
    // out of the test output, and nothing else.
    const said: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      said.push(String(chunk));
      return true;
    });
    let fn: OpsFunction;
    try {
      fn = new OpsFunction(stack, 'Fn', { entry, service: 'smoke' });
      cdkApp.synth();
    } finally {
      spy.mockRestore();
    }
    expect(said.join('').trim()).toBe('Bundling asset One/Fn/Code/Stage...');
    const code = stack.resolve((fn.node.defaultChild as unknown as { code: { s3Key: string } }).code);
    const assetDir = join(work, 'cdk-one', `asset.${String(code.s3Key).replace(/\.zip$/, '')}`);
    const buildKey = JSON.stringify({ runtime: 'nodejs22.x', bundling: fn.bundlingOptions });
    expect(builds.has(buildKey), 'the app builds this entry with the same options').toBe(true);
    const ours = readFileSync(join(bundleDir(buildKey, entry), 'index.mjs'), 'utf8');
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toBe(ours);
  });

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
      for (const line of logLines) {
        expect(line.function_request_id, context).toBe(env.SMOKE_REQUEST_ID);
        expect(line.correlationId, context).toBe(sample.correlationId ?? env.SMOKE_REQUEST_ID);
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
          expect(`${result.error?.message}\n${result.error?.stack}`, context).toContain(REFUSAL_MARKER);
        }
      }
    },
  );
});
