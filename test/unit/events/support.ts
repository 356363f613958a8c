import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Reads the recorded payloads in events/samples/ exactly as they are on disk. */

export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../events/samples');

/** Every sample payload file, as `<source>/<file>` (docs such as SOURCES.md / FORMATS.md excluded). */
export function listSampleFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.md')) out.push(relative(SAMPLES_DIR, path));
    }
  };
  walk(SAMPLES_DIR);
  return out.sort();
}

export function sampleText(file: string): string {
  return readFileSync(join(SAMPLES_DIR, file), 'utf8');
}

export function sampleJson(file: string): unknown {
  return JSON.parse(sampleText(file));
}

/** `get(event, 'detail.requestParameters.name')`: a value inside a sample, for expectations derived from it. */
export function get(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function getString(value: unknown, path: string): string {
  const found = get(value, path);
  if (typeof found !== 'string') throw new Error(`sample has no string at ${path}`);
  return found;
}

export function isoOf(value: string): string {
  return new Date(value).toISOString();
}
