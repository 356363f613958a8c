import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COPIES, placeCopy } from './package-copy.js';

/**
 * The AWS SDK clients as esbuild can tree-shake them (issue 17).
 *
 * Each `@aws-sdk/client-*` keeps its whole service's serialisation schemas in one module,
 * `dist-es/schemas/schemas_0.js`: one `export var <Shape>$ = [...]` per shape and operation, whose
 * trait objects use computed keys naming module constants (`{ [_xN]: "Min" }`, with
 * `const _xN = "xmlName"`). esbuild cannot prove a computed key free of side effects (a key is
 * converted with `toString`), so it keeps every schema, and every bundle that sends one EC2 call
 * carried all of EC2: 1.3 MB of source, about 550 KB minified, compiled at every cold start.
 *
 * Here each client the project depends on is copied (its `package.json` and `dist-es`) into
 * `node_modules/.cache/`, with that one module rewritten by `literalSchemaKeys`: each computed key
 * that names a module-level string constant becomes that string, written as a literal. Nothing
 * else changes, and the schemas are the same values (test/unit/infra/sdk-clients.test.ts holds each
 * rewritten module to the client's own, export by export). BUNDLING aliases each client to its copy,
 * so esbuild drops the schemas a function never reaches. The copies are made once per client
 * version and rewrite, under a name holding both, and moved into place whole, so builds running at
 * the same time never see half a copy.
 */

/** Where the copies live (./package-copy.ts). */
const CACHE = join(COPIES, 'sdk-clients');
const SCHEMAS = join('dist-es', 'schemas', 'schemas_0.js');

export interface Rewritten {
  readonly text: string;
  /** Computed keys written as literals. */
  readonly replaced: number;
  /** Computed keys left as they were: their name is not a module-level string constant. */
  readonly left: number;
}

/**
 * `schemas_0.js` with every computed key `[_name]:` whose `_name` is declared at module level as
 * `const _name = "…";` written as that string literal. The constants stay declared (other
 * expressions use them).
 */
export function literalSchemaKeys(source: string): Rewritten {
  const constants = new Map<string, string>();
  // Both groups are in every match of this pattern.
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    constants.set(name as string, literal as string);
  }
  let replaced = 0;
  let left = 0;
  const text = source.replace(/([{,]\s*)\[(\w+)\]:/g, (whole, before: string, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) {
      left++;
      return whole;
    }
    replaced++;
    return `${before}${literal}:`;
  });
  return { text, replaced, left };
}

interface Client {
  readonly name: string;
  /** The name without its scope (`client-ec2`): the start of its copy's folder name. */
  readonly stem: string;
  readonly version: string;
  readonly source: string;
  /** The copy's directory, relative to the project root. */
  readonly copy: string;
  /** Its ES module entry, relative to the project root (`./…`), as esbuild's `--alias` takes it. */
  readonly entry: string;
}

/**
 * One name per rewrite: an edit of this file makes new copies instead of reusing old ones. Its own
 * text, not the function's `toString()`, which depends on what compiled it (tsx or vitest).
 */
const REWRITE = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex')
  .slice(0, 12);

function clientsOf(projectRoot: string): Client[] {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => name.startsWith('@aws-sdk/client-'))
    .sort()
    .map((name) => {
      const source = join(projectRoot, 'node_modules', name);
      const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
        version: string;
        module?: string;
      };
      if (pkg.module !== './dist-es/index.js') {
        throw new Error(
          `${name}: its ES module entry is ${pkg.module}, not ./dist-es/index.js; sdk-clients.ts needs a look`,
        );
      }
      const stem = name.replace('@aws-sdk/', '');
      const copy = join(CACHE, `${stem}-${pkg.version}-${REWRITE}`);
      return {
        name,
        stem,
        version: pkg.version,
        source,
        copy,
        entry: `./${join(copy, 'dist-es', 'index.js')}`,
      };
    });
}

/** `--alias` values for BUNDLING: each SDK client the project depends on, to its rewritten copy. */
export function sdkClientAliases(projectRoot: string): string[] {
  return clientsOf(projectRoot).map((client) => `${client.name}=${client.entry}`);
}

const prepared = new Set<string>();

/**
 * Makes the copies `sdkClientAliases` names, where they are missing. Every build through BUNDLING
 * runs it first: synth (infra/constructs/ops-function.ts) and the builds of the smoke test,
 * the benchmarks and the first-use packages (./esbuild-options.ts).
 */
export function prepareSdkClients(projectRoot: string): void {
  if (prepared.has(projectRoot)) return;
  for (const client of clientsOf(projectRoot)) {
    const target = join(projectRoot, client.copy);
    if (existsSync(target)) continue;
    const { text, replaced } = literalSchemaKeys(readFileSync(join(client.source, SCHEMAS), 'utf8'));
    if (replaced === 0) {
      throw new Error(
        `${client.name}@${client.version}: no computed schema key found to rewrite; sdk-clients.ts needs a look`,
      );
    }
    // Copies of this client made by another version of it or of this file are no longer named.
    const older = new RegExp(`^${client.stem}-\\d+\\.\\d+\\.\\d+-[0-9a-f]{12}$`);
    placeCopy(
      target,
      (staging) => {
        cpSync(join(client.source, 'package.json'), join(staging, 'package.json'));
        cpSync(join(client.source, 'dist-es'), join(staging, 'dist-es'), { recursive: true });
        writeFileSync(join(staging, SCHEMAS), text);
      },
      older,
    );
  }
  prepared.add(projectRoot);
}
