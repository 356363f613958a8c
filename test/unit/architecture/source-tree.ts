import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and its source files as the tree holds them (read here, not from the code under test). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const SKIP_DIRS = new Set(['node_modules', '.git', 'cdk.out', '.tmp', 'coverage', 'reports', 'dist']);
const SOURCE = /\.(ts|mts|mjs|js)$/;

/** Every source file (TypeScript and JavaScript) under `dir`, as paths relative to the root. */
export function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

export function read(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

/** The runbook folders: every directory under runbooks/ (each is one runbook). */
export function runbookFolders(): string[] {
  const dir = join(ROOT, 'runbooks');
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
}

/** The module specifiers a file imports or re-exports (static and dynamic). */
export function importsOf(text: string): string[] {
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1] as string);
}

/** A relative specifier resolved to a repository path (`.js` written for a `.ts` file). */
export function resolveImport(from: string, specifier: string): string {
  const target = relative(ROOT, resolve(ROOT, dirname(from), specifier));
  return target.replace(/\.js$/, '.ts');
}
