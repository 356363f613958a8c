import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATADOG_CLIENT_MODULES } from '../../../functions/shared/datadog-modules.js';
import { MYSQL_MODULES } from '../../../runbooks/rotate-secret/steps/mysql-modules.js';

/**
 * A function's `loadOnFirstUse` list names the modules its code loads with `import()` (built beside
 * its bundle, infra/bundling/first-use.ts). A module the code imports that the list misses is left out
 * of the asset, and its first use fails in AWS (the smoke test's sample may never reach it). The
 * oracle is the code's own text: every `import('<package>…')` of the module that loads them.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const importsIn = (file: string) =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bimport\(\s*'([^'.][^']*)'\s*\)/g)].map((m) => m[1]);

describe('first-use module lists', () => {
  it('name every module functions/shared/datadog.ts loads with import()', () => {
    expect(importsIn('functions/shared/datadog.ts').sort()).toEqual([...DATADOG_CLIENT_MODULES].sort());
  });

  it('name every module the rotation’s MySQL client loads with import()', () => {
    expect(importsIn('runbooks/rotate-secret/steps/mysql.ts').sort()).toEqual([...MYSQL_MODULES].sort());
  });
});
