import * as path from 'node:path';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, Loader } from 'esbuild';
import { preparePackageCopies, splitAlias } from './package-aliases.js';

/**
 * The esbuild API options equal to the command line `NodejsFunction` runs for these bundling
 * options (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js, `buildEsbuildArgs`):
 * `esbuild --bundle <entry> --target --platform=node --format --outfile=index.{mjs,js} --minify
 * --sourcemap --sources-content --external: --loader: --define: --log-level --keep-names --tsconfig
 * --banner:js --footer:js --main-fields --inject:`, run in the project root.
 *
 * It fails closed: an option set here that it does not translate (command hooks, node modules,
 * pre-compilation, extra esbuild args, Docker…) throws, so the smoke test can never quietly build
 * something other than what synth builds. The bundle test also compares one function's output
 * byte for byte with the file CDK itself writes. It lives in infra/ because the build of the
 * packages a function loads on first use (./first-use.ts, run by CDK's after-bundling hook) takes
 * the same options.
 */
const TRANSLATED = new Set<keyof nodejs.BundlingOptions>([
  'format',
  'target',
  'mainFields',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'banner',
  'footer',
  'logLevel',
  'externalModules',
  'loader',
  'define',
  'keepNames',
  'tsconfig',
  'inject',
  'esbuildArgs',
]);

/** The `esbuildArgs` the smoke test translates (CDK writes `--alias: 'a=b'` as `--alias:a=b`). */
function aliasesOf(args: nodejs.BundlingOptions['esbuildArgs']): Record<string, string> {
  const alias: Record<string, string> = {};
  for (const [key, value] of Object.entries(args ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (key !== '--alias' || typeof one !== 'string') {
        throw new Error(
          `esbuildArgs ${key} is not translated by the smoke test: add it to infra/bundling/esbuild-options.ts`,
        );
      }
      const { name, target } = splitAlias(one);
      alias[name] = target;
    }
  }
  return alias;
}

export interface BundleBuild {
  /** Options shared by every entry built with these bundling options. */
  readonly options: BuildOptions;
  /** The file name CDK gives the bundle (`index.mjs` for ESM, `index.js` otherwise). */
  readonly outFile: string;
}

export function esbuildOptionsFor(
  bundling: nodejs.BundlingOptions,
  runtimeName: string,
  projectRoot: string,
): BundleBuild {
  for (const [key, value] of Object.entries(bundling)) {
    if (value !== undefined && !TRANSLATED.has(key as keyof nodejs.BundlingOptions)) {
      throw new Error(
        `bundling option ${key} is not translated by the smoke test: add it to infra/bundling/esbuild-options.ts`,
      );
    }
  }
  if (bundling.externalModules === undefined) {
    // CDK's default externals depend on the runtime and a feature flag: name them explicitly instead.
    throw new Error('bundling.externalModules must be set explicitly for the smoke test to mirror synth');
  }
  // BUNDLING aliases the SDK clients and the Datadog client to rewritten copies (./sdk-clients.ts,
  // ./datadog-client.ts), made before any build.
  preparePackageCopies(projectRoot);
  const esm = bundling.format === 'esm';
  const runtimeMajor = /nodejs(\d+)/.exec(runtimeName)?.[1];
  if (!bundling.target && !runtimeMajor)
    throw new Error(`cannot derive an esbuild target from ${runtimeName}`);
  const sourceMapEnabled = bundling.sourceMapMode ?? bundling.sourceMap;
  const mode = bundling.sourceMapMode;
  const options: BuildOptions = {
    absWorkingDir: projectRoot,
    bundle: true,
    write: true,
    platform: 'node',
    target: bundling.target ?? `node${runtimeMajor}`,
    ...(bundling.format ? { format: bundling.format } : {}),
    ...(bundling.minify ? { minify: true } : {}),
    // `--sourcemap` alone is esbuild's linked mode, which the API spells `true`.
    ...(sourceMapEnabled ? { sourcemap: mode === undefined || mode === 'default' ? true : mode } : {}),
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    external: [...bundling.externalModules],
    // CDK types loaders as strings; esbuild rejects an unknown one when it builds.
    ...(bundling.loader ? { loader: { ...bundling.loader } as Record<string, Loader> } : {}),
    ...(bundling.define ? { define: { ...bundling.define } } : {}),
    ...(bundling.logLevel ? { logLevel: bundling.logLevel } : {}),
    ...(bundling.keepNames ? { keepNames: true } : {}),
    ...(bundling.tsconfig ? { tsconfig: path.resolve(projectRoot, bundling.tsconfig) } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.inject ? { inject: [...bundling.inject] } : {}),
    ...(bundling.esbuildArgs ? { alias: aliasesOf(bundling.esbuildArgs) } : {}),
    ...(esm ? { outExtension: { '.js': '.mjs' } } : {}),
  };
  return { options, outFile: esm ? 'index.mjs' : 'index.js' };
}
