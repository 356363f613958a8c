import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** events/ imports nothing of ours and knows nothing of AWS clients or CDK (DESIGN.md, rooms). */

const EVENTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../events');
const ALLOWED_PACKAGES = new Set(['zod', 'lossless-json', 'node:crypto']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'samples' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] as string);
}

describe('events: room boundaries', () => {
  const files = sourceFiles(EVENTS_DIR);

  it('finds the events sources', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(importsOf(join(EVENTS_DIR, 'index.ts'))).toEqual(
      expect.arrayContaining(['./signal.js', './patterns.js']),
    );
    expect(importsOf(join(EVENTS_DIR, 'signal.ts'))).toEqual(['zod']);
  });

  it.each(files.map((f) => [relative(EVENTS_DIR, f), f]))(
    '%s imports only events/ and allowed packages',
    (_name, file) => {
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          expect(relative(EVENTS_DIR, target).startsWith('..'), `${specifier} leaves events/`).toBe(false);
        } else {
          expect(ALLOWED_PACKAGES.has(specifier), `${specifier} is not allowed in events/`).toBe(true);
        }
      }
    },
  );
});
