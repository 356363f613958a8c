// Loads one Lambda bundle the way the Node.js runtime does and invokes its handler once.
// Run in a fresh process by test/bundles/bundles.test.ts:
//   node invoke.mjs <task root> <handler, e.g. index.handler> <event.json> <result.json>
// The process environment is the function's own (from the synthesised template) plus what Lambda
// sets, so NODE_OPTIONS=--enable-source-maps comes from the template like in AWS.
// Only loopback connections are allowed: a bundle that tries to reach the internet fails here
// (the cold-load benchmark sends them to its local Slack/Datadog stand-in instead).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSpec, eventFile, resultFile] = process.argv.slice(2);
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', undefined]);
const WEB_API_PORT = process.env.SMOKE_WEB_API_PORT ? Number(process.env.SMOKE_WEB_API_PORT) : undefined;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(...args) {
  const first = args[0];
  const host = Array.isArray(first)
    ? first[0]?.host
    : typeof first === 'object' && first !== null
      ? first.path
        ? undefined
        : first.host
      : typeof args[1] === 'string'
        ? args[1]
        : undefined;
  if (!LOOPBACK.has(host)) {
    // The cold-load benchmark's Slack/Datadog stand-in (test/bundles/web-api-fake.ts): the TLS
    // handshake still names the real host, and the process trusts the fake's certificate.
    if (WEB_API_PORT && typeof first === 'object' && first !== null && !Array.isArray(first)) {
      return connect.call(this, { ...first, host: '127.0.0.1', port: WEB_API_PORT }, ...args.slice(1));
    }
    throw new Error(`bundle smoke test: outbound connection to ${host} refused`);
  }
  return connect.apply(this, args);
};

const describe = (e) => ({
  name: e?.name,
  message: String(e?.message ?? e),
  code: e?.code,
  httpStatusCode: e?.$metadata?.httpStatusCode,
  stack: String(e?.stack ?? ''),
});
let loadedAt;
const finish = (result) => {
  // Milliseconds since this process started (performance.timeOrigin): the cold-load benchmark
  // splits its whole-process time into start + import, and the first invocation.
  const doneAt = performance.now();
  // CPU time of the whole process so far (user + system, µs): less sensitive to machine load than wall time.
  const { user, system } = process.cpuUsage();
  writeFileSync(
    resultFile,
    JSON.stringify({
      node: process.versions.node,
      loadedAt,
      doneAt,
      cpuMs: (user + system) / 1000,
      ...result,
    }),
  );
  // Lambda freezes the sandbox after the response; open keep-alive sockets must not hold us here.
  process.exit(0);
};

const dot = handlerSpec.lastIndexOf('.');
const moduleName = handlerSpec.slice(0, dot);
const exportName = handlerSpec.slice(dot + 1);
// The runtime looks for <module>.js, .mjs, then .cjs in the task root.
const file = ['.js', '.mjs', '.cjs'].map((ext) => join(taskRoot, moduleName + ext)).find(existsSync);
if (!file)
  finish({ phase: 'load', ok: false, error: { message: `no ${moduleName}.{js,mjs,cjs} in ${taskRoot}` } });

let mod;
try {
  mod = await import(pathToFileURL(file).href);
  loadedAt = performance.now();
} catch (e) {
  finish({ phase: 'load', ok: false, error: describe(e) });
}
const handler = mod?.[exportName];
if (typeof handler !== 'function') {
  finish({ phase: 'load', ok: false, error: { message: `${file} exports no function ${exportName}` } });
}

const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const deadline = Date.now() + 30_000;
const context = {
  awsRequestId: process.env.SMOKE_REQUEST_ID,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:111111111111:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: 'smoke',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
try {
  const value = await handler(event, context);
  finish({ phase: 'invoke', ok: true, value: value ?? null });
} catch (e) {
  finish({ phase: 'invoke', ok: false, error: describe(e) });
}
