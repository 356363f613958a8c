import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalSchemaKeys, prepareSdkClients, sdkClientAliases } from '../../infra/bundling/sdk-clients.js';
import { REPO_ROOT } from '../../infra/constructs/ops-function.js';

/**
 * The SDK clients' rewritten schemas (infra/bundling/sdk-clients.ts) against the clients' own. The
 * oracle is each client's unmodified `dist-es/schemas/schemas_0.js` from node_modules: both modules
 * are loaded (each bundled as it is, unminified, since their extensionless imports are not Node's),
 * and every export of the copy must be the same value as the original's, read the same way the SDK
 * reads a schema: arrays, trait objects (key order included), and the thunks that point at other
 * schemas, followed to what they return.
 */

const work = mkdtempSync(join(tmpdir(), 'sdk-clients-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CLIENTS = sdkClientAliases(REPO_ROOT).map((alias) => {
  const [name = '', entry = ''] = alias.split('=');
  return { name, copy: join(REPO_ROOT, entry.replace(/dist-es\/index\.js$/, '')) };
});

beforeAll(() => prepareSdkClients(REPO_ROOT));

async function load(schemas: string, label: string): Promise<Record<string, unknown>> {
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(schemas)};`, resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const file = join(work, `${label}.mjs`);
  writeFileSync(file, result.outputFiles[0]?.text ?? '');
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/**
 * A schema export as plain JSON: another export by its name, a thunk by what it returns, a class by
 * its name. A value met again on the way is named by its path, so a recursive shape ends.
 */
function canonical(exports: Record<string, unknown>): Record<string, string> {
  const names = new Map<unknown, string>();
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'object' && value !== null) names.set(value, name);
  }
  const walk = (value: unknown, top: boolean, seen: Map<unknown, string>, path: string): unknown => {
    if (typeof value === 'function') {
      if (value.length === 0 && value.name === '') return { thunk: walk(value(), false, seen, `${path}()`) };
      return { function: value.name };
    }
    if (typeof value !== 'object' || value === null) return value;
    if (!top && names.has(value)) return { export: names.get(value) };
    if (seen.has(value)) return { seen: seen.get(value) };
    seen.set(value, path);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, false, seen, `${path}[${i}]`));
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, false, seen, `${path}.${k}`)]),
    );
  };
  return Object.fromEntries(
    Object.entries(exports).map(([name, value]) => [
      name,
      JSON.stringify(walk(value, true, new Map(), name)),
    ]),
  );
}

describe('SDK clients with literal schema keys', () => {
  it('covers every SDK client the project depends on', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const clients = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@aws-sdk/client-'));
    expect(CLIENTS.map((c) => c.name).sort()).toEqual(clients.sort());
    expect(clients).toContain('@aws-sdk/client-ec2');
  });

  it.each(CLIENTS)('$name: every computed key is written as a literal', ({ name }) => {
    const source = readFileSync(
      join(REPO_ROOT, 'node_modules', name, 'dist-es/schemas/schemas_0.js'),
      'utf8',
    );
    const { text, replaced, left } = literalSchemaKeys(source);
    expect(replaced).toBeGreaterThan(0);
    expect(left).toBe(0);
    expect(text).not.toMatch(/[{,]\s*\[\w+\]:/);
  });

  it.each(CLIENTS)(
    '$name: the copy’s schemas are the client’s own, export by export',
    async ({ name, copy }) => {
      const slug = name.replace('@aws-sdk/', '');
      const original = canonical(
        await load(join(REPO_ROOT, 'node_modules', name, 'dist-es/schemas/schemas_0.js'), `${slug}-original`),
      );
      const rewritten = canonical(await load(join(copy, 'dist-es/schemas/schemas_0.js'), `${slug}-copy`));
      expect(Object.keys(rewritten)).toEqual(Object.keys(original));
      expect(Object.keys(original).length).toBeGreaterThan(10);
      const differing = Object.keys(original).filter((key) => rewritten[key] !== original[key]);
      expect(differing).toEqual([]);
    },
    60_000,
  );

  it.each(CLIENTS)(
    '$name: the copy is the client’s package.json and dist-es, byte for byte but its schemas',
    ({ name, copy }) => {
      const original = join(REPO_ROOT, 'node_modules', name);
      const files = (root: string) =>
        readdirSync(join(root, 'dist-es'), { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => relative(root, join(entry.parentPath, entry.name)))
          .sort();
      expect(files(copy)).toEqual(files(original));
      const differing = ['package.json', ...files(original)].filter(
        (file) => !readFileSync(join(copy, file)).equals(readFileSync(join(original, file))),
      );
      expect(differing).toEqual(['dist-es/schemas/schemas_0.js']);
    },
  );
});
