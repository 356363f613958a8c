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

/**
 * V8 rejects a cache made under other V8 flags or another Node; one file per set of them, so a run with,
 * say, `--cpu-prof` does not replace the cache every plain run uses (and the next plain run its).
 * FNV-1a: node:crypto costs a start more than the whole cache saves on a short key.
 */
function cacheKey(): string {
  const setting = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(
    '\0',
  );
  let hash = 0x811c9dc5;
  for (let i = 0; i < setting.length; i++) hash = Math.imul(hash ^ setting.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function loadCachedScript(file: string): CachedScript {
  const fs = process.getBuiltinModule('node:fs');
  const vm = process.getBuiltinModule('node:vm');
  const { createRequire } = process.getBuiltinModule('node:module');
  const cacheFile = `${file}.${cacheKey()}.cache`;
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
