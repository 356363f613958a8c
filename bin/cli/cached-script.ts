/**
 * Runs a CommonJS bundle of the pre-built `ops` (dist/plan.cjs) through `vm.Script` with V8's code cache
 * taken AFTER a run: it then holds the bytecode of every function that run compiled, zod's parsers
 * included, where Node's own compile cache (bin/ops.mjs) holds only what compiles before the first line
 * runs. The build writes the cache from a run over events/samples (bin/build.mjs); when V8 rejects it
 * (another Node or V8 flags) or it is missing, the process writes a fresh one as it exits, if it can.
 * Built-ins come through `process.getBuiltinModule`, so the module set here is all Node's.
 */

interface CachedScript {
  readonly exports: Record<string, unknown>;
  /** Writes the code cache now (the build, after its run over the samples). */
  readonly saveCache: () => void;
}

export function loadCachedScript(file: string): CachedScript {
  const fs = process.getBuiltinModule('node:fs');
  const vm = process.getBuiltinModule('node:vm');
  const { createRequire } = process.getBuiltinModule('node:module');
  const cacheFile = `${file}.cache`;
  const source = fs.readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The CommonJS wrapper, as Node's loader writes it (one line: stack trace line numbers stay right).
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(file), module, file, file.replace(/[/\\][^/\\]*$/, ''));
  const saveCache = () => {
    try {
      const temporary = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, cacheFile);
    } catch {
      // A read-only install: every start compiles as it goes, as before the cache.
    }
  };
  if (!cachedData || script.cachedDataRejected) process.once('exit', saveCache);
  return { exports: module.exports, saveCache };
}
