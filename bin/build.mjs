#!/usr/bin/env node
// Builds the `ops` command once (`npm run build:ops`; `npm ci` runs it through `prepare`), so each
// call starts on plain Node instead of compiling TypeScript with tsx. Output: dist/ops.mjs (+ chunks),
// and dist/ops-inputs.json, the source files it was built from, which bin/ops.mjs checks for freshness.
// Our TypeScript, commander and zod are bundled, split per command; other packages stay in node_modules.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install without dev dependencies: bin/ops.mjs then says it runs from source.
  console.error('build-ops: esbuild is not installed; ops will run from source');
  process.exit(0);
}
const outdir = join(root, 'dist');
// commander and zod are bundled in: one file to load instead of dozens of ESM modules at every start
// (zod alone is ~80). No package this command loads from node_modules takes our zod schemas (the
// Powertools parser, which would, is not in its import graph), so one zod copy is all there is.
// Every other package, the AWS SDK above all, stays in node_modules and loads only with the command
// that needs it.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'zod']);
const external = Object.keys({
  ...pkg.dependencies,
  ...pkg.devDependencies,
  ...pkg.optionalDependencies,
}).filter((name) => !BUNDLED.has(name));
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// The snapshot (bin/cli/prebuilt.ts): every valid stage as loadStage returns it and `ops list`'s rows,
// computed once here by the same source, so `ops list` and the stage of every command need no zod at
// start. Built to a throw-away module, run, and embedded below as JSON text.
const snapshotFile = join(outdir, `.snapshot-${process.pid}.mjs`);
const snapshotBuild = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bin/cli/snapshot.ts'],
  outfile: snapshotFile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  metafile: true,
  logLevel: 'warning',
});
let snapshot;
try {
  snapshot = (await import(pathToFileURL(snapshotFile).href)).buildSnapshot();
} finally {
  rmSync(snapshotFile, { force: true });
}

// commander imports node:child_process at its top for executable subcommands, which ops has none of;
// loading it costs every start ~4 ms of CPU (about 0.15x of `node -e 0`, measured interleaved), so
// commander gets a stand-in that loads the module only if a spawn ever happens.
const lazyChildProcess = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'commander')}`)
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents:
        "export default { spawn: (...args) => process.getBuiltinModule('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

// Node builds an ESM facade for a built-in module imported with `import`, and filling it reads every
// export, lazy getters included: `node:fs` loads fs/promises, streams and readline, `node:process` opens
// stdin, `node:util` loads parseArgs, workers… (about 0.3x of `node -e 0` for the five commander and ops
// import, measured). Bundled code gets the module from `process.getBuiltinModule` instead: for an `import`,
// a module exporting each name as a pure read, so the bundle keeps only the names it uses; for a
// `require` (commander is CommonJS), the module object itself.
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'delete', 'import', 'export', 'function', 'class', 'new', 'var', 'let']);
const builtinsWithoutFacades = {
  name: 'builtins-without-facades',
  setup(build) {
    build.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!isBuiltin(name) || args.namespace === 'builtin') return undefined;
      // One stand-in per importing file: shared, it would become a chunk of its own (one more file to load).
      const kind = args.kind === 'require-call' ? 'cjs' : 'esm';
      return { path: `node:${name}|${kind}|${relative(root, args.importer)}`, namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const [name, kind] = args.path.split('|');
      const get = `process.getBuiltinModule(${JSON.stringify(name)})`;
      if (kind === 'cjs') return { contents: `module.exports = ${get};`, loader: 'js' };
      // Names are listed without reading them (a getter such as fs.promises stays unread).
      const names = Object.getOwnPropertyNames(require(name)).filter(
        (n) => IDENTIFIER.test(n) && !RESERVED.has(n),
      );
      const lines = [`const m = ${get};`, 'export default m;'];
      for (const n of names) lines.push(`export const ${n} = /* @__PURE__ */ (() => m.${n})();`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

// `ops plan` is one file of its own, dist/plan.cjs, built without splitting: each ES module costs a start
// about 1 ms to resolve, read and link, and split, a plan loaded a dozen shared chunks. Unsplit, esbuild
// keeps a dynamically imported module in the same file and runs it on its first import, so each event
// source's schemas are still built only for an event of that source. It bundles its own zod and
// lossless-json (no schema crosses to the rest of ops: a stage arrives as plain data). dist/plan.mjs runs
// it through bin/cli/cached-script.ts, with V8's code cache taken after a run over every sample below.
// A plan hashes one execution name, and loading node:crypto for it cost 3-7 ms: in dist/plan.cjs the
// import resolves to bin/cli/plan-crypto.ts, SHA-256 of a string in JavaScript, node:crypto for the rest.
const planCrypto = {
  name: 'plan-crypto',
  setup(build) {
    const standIn = join(root, 'bin', 'cli', 'plan-crypto.ts');
    build.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: standIn }));
  },
};
const PLAN_BUNDLED = new Set([...BUNDLED, 'lossless-json', '@noble/hashes']);
const planResult = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bin/commands/plan.ts'],
  plugins: [planCrypto, builtinsWithoutFacades],
  outfile: join(outdir, 'plan.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  external: external.filter((name) => !PLAN_BUNDLED.has(name)),
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// `plan` loads dist/plan.cjs through the code cache: dist/plan.mjs on its own, and inlined into dist/ops.mjs.
const PLAN_LOADER = [
  "import { fileURLToPath } from 'node:url';",
  "import { loadCachedScript } from './bin/cli/cached-script.ts';",
  "export const { plan } = loadCachedScript(fileURLToPath(new URL('./plan.cjs', import.meta.url))).exports;",
].join('\n');
const planLoader = await esbuild.build({
  absWorkingDir: root,
  stdin: {
    contents: PLAN_LOADER,
    resolveDir: root,
    sourcefile: 'virtual:plan-loader.js', // not a file: left out of ops-inputs.json
  },
  outfile: join(outdir, 'plan.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  metafile: true,
  logLevel: 'warning',
});

// The other commands, and the stage configuration for a stage the snapshot lacks: each its own file
// (dist/<name>.mjs), sharing chunks among themselves only; each loads its packages (the AWS SDK…) when
// it runs. They hand the main program only plain data and errors known by name and exit code.
const ELSEWHERE = ['replay', 'list', 'history', 'serve', 'doctor'];
const commands = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    ...Object.fromEntries(ELSEWHERE.map((name) => [name, `bin/commands/${name}.ts`])),
    config: 'config/index.ts',
  },
  plugins: [builtinsWithoutFacades],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// The main program (commander, the command table, the snapshot) is one file with no import of ours:
// every ES module a start loads costs it about 1 ms. `ops plan` is loaded from dist/plan.cjs by the
// same loader as dist/plan.mjs, inlined; the other commands and config/ are the files above.
const mainOnly = {
  name: 'main-only',
  setup(build) {
    const fromOps = (args) => args.importer === join(root, 'bin', 'ops.ts');
    build.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
      if (!fromOps(args)) return undefined;
      const name = args.path.slice('./commands/'.length, -'.js'.length);
      if (name === 'plan') return { path: 'plan', namespace: 'plan-loader' };
      return ELSEWHERE.includes(name) ? { path: `./${name}.mjs`, external: true } : undefined;
    });
    build.onResolve({ filter: /^\.\.\/config\/index\.js$/ }, (args) =>
      fromOps(args) ? { path: './config.mjs', external: true } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'plan-loader' }, () => ({
      contents: PLAN_LOADER,
      resolveDir: root,
      loader: 'js',
    }));
  },
};
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { ops: 'bin/main.ts' },
  plugins: [lazyChildProcess, mainOnly, builtinsWithoutFacades],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  // Minified: less to parse at every start; the source map keeps stack traces readable.
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { __OPS_SNAPSHOT__: JSON.stringify(JSON.stringify(snapshot)) },
});
const inputs = [
  ...new Set(
    [result, commands, planResult, planLoader, snapshotBuild].flatMap((build) =>
      Object.keys(build.metafile.inputs),
    ),
  ),
]
  // Files only: not node_modules, nor the plugin's virtual module (`namespace:path`).
  .filter((p) => !p.split('/').includes('node_modules') && !p.includes(':'))
  .sort();
mkdirSync(outdir, { recursive: true });
writeFileSync(
  join(outdir, 'ops-inputs.json'),
  `${JSON.stringify({ builtAt: Date.now(), inputs }, null, 2)}\n`,
);
// The code cache for dist/plan.cjs (see bin/cli/cached-script.ts): every sample in events/samples planned
// once, in both outputs, so the functions a plan runs are compiled here and kept, and a start compiles
// almost nothing. The cache is written as this process exits. A sample that does not plan is no error:
// the error path is compiled too.
// As bin/main.ts runs it: zod without its compiled parsers (else the cache would hold the compiler's code,
// which a plan never runs, and miss the plain parsers, which it does).
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig ?? {}, { jitless: true });
const { plan } = await import(pathToFileURL(join(outdir, 'plan.mjs')).href);
const quiet = { out() {}, err() {}, colour: false, env: {}, readStdin: async () => '' };
const stage = snapshot.stages.dev;
const context = { io: quiet, loadStage: () => stage, stageNames: () => snapshot.names };
// Without the samples (an install that left them out), no cache is made here: the first plan makes it.
const sampleDir = join(root, 'events', 'samples');
const samples = existsSync(sampleDir)
  ? readdirSync(sampleDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => join(entry.parentPath, entry.name))
  : [];
for (const sample of samples)
  for (const json of [false, true])
    await plan(sample, { stage: 'dev', json }, context).catch(() => undefined);

console.error(`build-ops: dist/ops.mjs from ${inputs.length} source files (${relative(root, outdir)}/)`);
