import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { OpsFunction, REPO_ROOT } from '../../infra/constructs/ops-function.js';
import { type AwsRefuser, REFUSAL_MARKER, startAwsRefuser } from './aws-refuser.js';
import { esbuildOptionsFor } from './esbuild-options.js';
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

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** The one template function to invoke for each distinct deployment of an entry. */
interface Deployed {
  readonly id: string;
  readonly path: string;
  readonly entry: string;
  readonly buildKey: string;
  readonly handler: string;
  readonly runtime: string;
  readonly region: string;
  readonly environment: Record<string, string>;
  readonly functionName: string;
  readonly memory: number;
}

/** Intrinsics in a function's environment, resolved to the kind of value AWS would put there. */
function resolveValue(value: unknown, resources: Record<string, Resource>, region: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const [fn, arg] = Object.entries(value)[0] ?? [];
    if (fn === 'Ref' && typeof arg === 'string') {
      const type = resources[arg]?.Type;
      if (type === 'AWS::StepFunctions::StateMachine') {
        return `arn:aws:states:${region}:111111111111:stateMachine:${arg}`;
      }
      if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${region}:111111111111:${arg}`;
      if (type === 'AWS::SQS::Queue') return `https://sqs.${region}.amazonaws.com/111111111111/${arg}`;
      return arg.toLowerCase();
    }
    if (fn === 'Fn::Join' && Array.isArray(arg)) {
      const [sep, parts] = arg as [string, unknown[]];
      return parts.map((p) => resolveValue(p, resources, region)).join(sep);
    }
    if (fn === 'Fn::ImportValue') {
      // What the platform stack exports, by the attribute its export name carries.
      const name = resolveValue(arg, resources, region);
      if (/Endpoint/.test(name)) return `https://0123456789ABCDEF.gr7.${region}.eks.amazonaws.com`;
      if (/CertificateAuthority/.test(name)) {
        return Buffer.from('-----BEGIN CERTIFICATE-----\nsmoke\n-----END CERTIFICATE-----\n').toString(
          'base64',
        );
      }
      return `arn:aws:secretsmanager:${region}:111111111111:secret:imported-${name.slice(-12)}`;
    }
    if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `${arg[0]}-${arg[1]}`.toLowerCase();
  }
  throw new Error(`environment value ${JSON.stringify(value)} is not resolved by the smoke test`);
}

// ---- the app, as synth builds it (bundling skipped here: the test builds each entry once) --------
const { app } = buildApp({
  nag: false,
  appProps: { outdir: join(work, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } },
});
const assembly = app.synth();
const opsFunctions = app.node.findAll().filter((c): c is OpsFunction => c instanceof OpsFunction);
const builds = new Map<
  string,
  { bundling: OpsFunction['bundlingOptions']; runtime: string; entries: Set<string> }
>();
const deployedByKey = new Map<string, Deployed>();
for (const fn of opsFunctions) {
  const stack = Stack.of(fn);
  const template = (assembly.getStackArtifact(stack.artifactId) as CloudFormationStackArtifact).template as {
    Resources: Record<string, Resource>;
  };
  const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
  const props = template.Resources[logicalId]?.Properties ?? {};
  const runtime = String(props.Runtime);
  const buildKey = JSON.stringify({ runtime, bundling: fn.bundlingOptions });
  const group = builds.get(buildKey) ?? { bundling: fn.bundlingOptions, runtime, entries: new Set<string>() };
  group.entries.add(fn.entryFile);
  builds.set(buildKey, group);
  const variables =
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, resolveValue(v, template.Resources, stack.region)]),
  );
  // Datadog's layer wraps the handler (DD_LAMBDA_HANDLER names ours); the layer is not ours to load.
  const handler = environment.DD_LAMBDA_HANDLER ?? String(props.Handler);
  const deployed: Deployed = {
    id: `${fn.node.path}`,
    path: fn.node.path,
    entry: fn.entryFile,
    buildKey,
    handler,
    runtime,
    region: stack.region,
    environment,
    functionName: typeof props.FunctionName === 'string' ? props.FunctionName : logicalId,
    memory: Number(props.MemorySize ?? 128),
  };
  // One bundle with one handler loads the same way in every stage: invoke it once (the last
  // stage found: prod, where Datadog wraps the handler), to keep the test within its time.
  deployedByKey.set(JSON.stringify([fn.entryFile, buildKey, handler]), deployed);
}
const deployed = [...deployedByKey.values()].sort((a, b) => a.id.localeCompare(b.id));
const slug = (entry: string) => entry.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-');
const bundleDir = (buildKey: string, entry: string) =>
  join(work, 'bundles', String([...builds.keys()].indexOf(buildKey)), slug(entry));

let aws: AwsRefuser;

beforeAll(async () => {
  aws = await startAwsRefuser();
  // One esbuild call per distinct set of options, all entries at once (no splitting: each entry
  // is bundled on its own, as a single-entry build would bundle it).
  await Promise.all(
    [...builds.entries()].map(async ([key, group]) => {
      const { options, outFile } = esbuildOptionsFor(group.bundling, group.runtime, REPO_ROOT);
      const result = await build({
        ...options,
        entryPoints: [...group.entries].map((entry) => ({
          in: join(REPO_ROOT, entry),
          out: join(String([...builds.keys()].indexOf(key)), slug(entry), outFile.replace(/\.m?js$/, '')),
        })),
        outdir: join(work, 'bundles'),
      });
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
    }),
  );
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
    const entry = 'functions/steps/verify-backups/handlers/evaluate.ts';
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
      const env: Record<string, string> = {
        // What the Lambda runtime sets (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
        PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`,
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        LAMBDA_TASK_ROOT: taskRoot,
        _HANDLER: d.handler,
        AWS_EXECUTION_ENV: `AWS_Lambda_${d.runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: d.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memory),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${d.functionName}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: d.region,
        AWS_DEFAULT_REGION: d.region,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: 'smoke-secret',
        AWS_SESSION_TOKEN: 'smoke-session',
        // Every AWS client of the bundle talks to the refusing stand-in.
        AWS_ENDPOINT_URL: aws.url,
        SMOKE_REQUEST_ID: `smoke-request-${i}`,
        // The function's own variables, NODE_OPTIONS=--enable-source-maps among them.
        ...d.environment,
      };
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
