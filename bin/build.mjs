#!/usr/bin/env node
// Builds the `ops` command once (`npm run build:ops`; `npm ci` runs it through `prepare`), so each
// call starts on plain Node instead of compiling TypeScript with tsx. Output: dist/ops.mjs (+ chunks),
// and dist/ops-inputs.json, the source files it was built from, which bin/ops.mjs checks for freshness.
// Our TypeScript, commander and zod are bundled, split per command; other packages stay in node_modules.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { ops: 'bin/main.ts' },
  plugins: [lazyChildProcess],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  chunkNames: 'chunks/[name]-[hash]',
  // Minified: less to parse at every start; the source map keeps stack traces readable.
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { __OPS_SNAPSHOT__: JSON.stringify(JSON.stringify(snapshot)) },
});
const inputs = [
  ...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(snapshotBuild.metafile.inputs)]),
]
  // Files only: not node_modules, nor the plugin's virtual module (`namespace:path`).
  .filter((p) => !p.split('/').includes('node_modules') && !p.includes(':'))
  .sort();
mkdirSync(outdir, { recursive: true });
writeFileSync(
  join(outdir, 'ops-inputs.json'),
  `${JSON.stringify({ builtAt: Date.now(), inputs }, null, 2)}\n`,
);
console.error(`build-ops: dist/ops.mjs from ${inputs.length} source files (${relative(root, outdir)}/)`);
