import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
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

describe('literalSchemaKeys, on small inputs', () => {
  const constants = 'const _a = "alpha";\nconst _q = "say \\"hi\\"";\nconst n0 = "ns";\n';

  it('writes a key naming a string constant as that string, with or without a space after { or ,', () => {
    const { text, replaced, left } = literalSchemaKeys(
      `${constants}var X = [{[_a]: 1, [_q]: 2}, { [_a]: 3 }];`,
    );
    expect(text.split('\n').at(-1)).toBe('var X = [{"alpha": 1, "say \\"hi\\"": 2}, { "alpha": 3 }];');
    expect([replaced, left]).toEqual([3, 0]);
  });

  it('leaves a key whose name is no module-level string constant, and counts it', () => {
    const { text, replaced, left } = literalSchemaKeys(`${constants}var X = { [n0]: 1, [_b]: 2, [_a]: 3 };`);
    expect(text.split('\n').at(-1)).toBe('var X = { [n0]: 1, [_b]: 2, "alpha": 3 };');
    expect([replaced, left]).toEqual([1, 2]);
  });

  it('touches no computed member access or array that is not an object key', () => {
    const source = `${constants}var y = c ? [_a]: d; var z = o[_a]; var w = [[_a]];`;
    expect(literalSchemaKeys(source)).toEqual({ text: source, replaced: 0, left: 0 });
  });

  it('reads only string constants declared alone on their line, as the clients declare them', () => {
    const source =
      'let x; const _c = "gamma";\nconst _d = "delta"; let y;\nconst _e = 4;\nvar X = { [_c]: 1, [_d]: 2, [_e]: 3 };';
    expect(literalSchemaKeys(source)).toEqual({ text: source, replaced: 0, left: 3 });
  });
});

describe('the copies, made in a project of their own', () => {
  /** A throw-away project whose one dependency is `client` (its files: the real package's, linked). */
  function project(client: string, pkgJson?: Record<string, unknown>): string {
    const root = mkdtempSync(join(work, 'project-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: { [client]: '*' } }));
    const dir = join(root, 'node_modules', client);
    mkdirSync(dirname(dir), { recursive: true });
    if (pkgJson) {
      mkdirSync(join(dir, 'dist-es', 'schemas'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkgJson));
      writeFileSync(join(dir, 'dist-es', 'schemas', 'schemas_0.js'), 'export var X$ = [0, "ns", "X", 0];\n');
    } else {
      symlinkSync(join(REPO_ROOT, 'node_modules', client), dir);
    }
    return root;
  }

  it('makes the cache and the copy in a project that has neither', () => {
    const root = project('@aws-sdk/client-sns');
    prepareSdkClients(root);
    const entry = sdkClientAliases(root)[0]?.split('=')[1] ?? '';
    expect(existsSync(join(root, entry))).toBe(true);
  });

  it('makes the copy the alias names, replaces older copies of that client, and leaves other folders', () => {
    const root = project('@aws-sdk/client-sns');
    const [alias = ''] = sdkClientAliases(root);
    const entry = alias.split('=')[1] ?? '';
    const version = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@aws-sdk/client-sns/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(alias).toMatch(
      new RegExp(
        `^@aws-sdk/client-sns=\\./node_modules/\\.cache/ops-automation/sdk-clients/client-sns-${version.replaceAll('.', '\\.')}-[0-9a-f]{12}/dist-es/index\\.js$`,
      ),
    );
    const cache = join(root, 'node_modules/.cache/ops-automation/sdk-clients');
    mkdirSync(join(cache, 'client-sns-0.0.1-0123456789ab', 'dist-es'), { recursive: true });
    mkdirSync(join(cache, 'client-sns-notes'), { recursive: true });
    mkdirSync(join(cache, 'client-ssm-0.0.1-0123456789ab'), { recursive: true });

    prepareSdkClients(root);

    const copy = join(root, entry.replace(/dist-es\/index\.js$/, ''));
    const original = join(REPO_ROOT, 'node_modules/@aws-sdk/client-sns');
    const schemas = 'dist-es/schemas/schemas_0.js';
    expect(readFileSync(join(copy, schemas), 'utf8')).toBe(
      literalSchemaKeys(readFileSync(join(original, schemas), 'utf8')).text,
    );
    for (const file of ['package.json', 'dist-es/index.js', 'dist-es/commands/PublishCommand.js']) {
      expect(readFileSync(join(copy, file)).equals(readFileSync(join(original, file))), file).toBe(true);
    }
    expect(readdirSync(cache).sort()).toEqual(
      [relative(cache, copy), 'client-sns-notes', 'client-ssm-0.0.1-0123456789ab'].sort(),
    );
  });

  it('refuses a client whose ES module entry is not dist-es/index.js, naming it', () => {
    const root = project('@aws-sdk/client-odd', { version: '1.0.0', module: './dist-esm/index.js' });
    expect(() => sdkClientAliases(root)).toThrow(
      '@aws-sdk/client-odd: its ES module entry is ./dist-esm/index.js, not ./dist-es/index.js; sdk-clients.ts needs a look',
    );
  });

  it('refuses a client whose schemas have no computed key to rewrite, and makes no copy of it', () => {
    const root = project('@aws-sdk/client-plain', { version: '1.0.0', module: './dist-es/index.js' });
    expect(() => prepareSdkClients(root)).toThrow(
      '@aws-sdk/client-plain@1.0.0: no computed schema key found to rewrite; sdk-clients.ts needs a look',
    );
    expect(existsSync(join(root, 'node_modules/.cache/ops-automation/sdk-clients'))).toBe(false);
  });
});
