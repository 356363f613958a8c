import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Rooms (DESIGN.md): examples/ is the last room. Its files import only infra/ (the adopter's
 * surface, infra/index.ts) and packages, and nothing outside examples/ except tests imports it.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLES = join(ROOT, 'examples');
const PRODUCT_ROOMS = ['events', 'config', 'runbooks', 'functions', 'infra', 'bin'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'cdk.out' ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] as string);
}

describe('examples: room boundaries', () => {
  const files = sourceFiles(EXAMPLES);

  it('finds the example app', () => {
    expect(files.map((f) => relative(EXAMPLES, f))).toEqual(
      expect.arrayContaining(['existing-cluster/app.ts', 'existing-cluster/stack.ts']),
    );
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))(
    '%s imports only examples/, infra/ and packages',
    (_n, file) => {
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(ROOT, resolve(dirname(file), specifier));
        expect(
          target.startsWith('examples/') || target.startsWith('infra/'),
          `${specifier} reaches ${target}`,
        ).toBe(true);
      }
    },
  );

  it('no product room imports examples/', () => {
    const offenders = PRODUCT_ROOMS.flatMap((room) => sourceFiles(join(ROOT, room))).filter((file) =>
      importsOf(file).some(
        (s) => s.startsWith('.') && relative(ROOT, resolve(dirname(file), s)).startsWith('examples/'),
      ),
    );
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
