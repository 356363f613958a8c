#!/usr/bin/env node
// `ops` / `npx ops …`: runs the pre-built command (dist/ops.mjs, from `npm run build:ops`, which
// `npm ci` runs) when it is newer than every source file it was built from; otherwise runs the
// TypeScript through tsx in this same process, after one line on stderr saying so.
// Built-ins through `process.getBuiltinModule`: an `import` of one makes Node fill an ESM facade, reading
// every export (fs.promises, and with it streams and readline), which cost each start about 0.1x of
// `node -e 0` here.
const { readFileSync, statSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { dirname, join, sep } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');

// Node 22's on-disk compile cache: the second start of a command skips compiling its modules again.
module.enableCompileCache?.();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Why the build cannot be used (a one-line reason), or undefined when it is fresh. */
function staleness() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'dist', 'ops-inputs.json'), 'utf8'));
  } catch {
    return 'dist/ops.mjs is not built';
  }
  // One stat per input (~125): the paths are joined by hand, path.join's normalising cost the loop a third.
  const prefix = `${root}${sep}`;
  for (const input of manifest.inputs) {
    const stat = statSync(prefix + input, { throwIfNoEntry: false });
    if (stat === undefined) return `${input} is gone since dist/ops.mjs was built`;
    if (stat.mtimeMs > manifest.builtAt) return `${input} changed since dist/ops.mjs was built`;
  }
  return undefined;
}

const reason = process.env.OPS_FROM_SOURCE ? 'OPS_FROM_SOURCE is set' : staleness();
if (reason === undefined) {
  await import(pathToFileURL(join(root, 'dist', 'ops.mjs')).href);
} else {
  if (!process.env.OPS_FROM_SOURCE)
    process.stderr.write(`ops: ${reason}; running from source with tsx (npm run build:ops makes it fast)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'bin', 'main.ts')).href);
}
