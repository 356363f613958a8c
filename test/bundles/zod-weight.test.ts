import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLING, REPO_ROOT } from '../../infra/constructs/ops-function.js';
import { esbuildOptionsFor } from './esbuild-options.js';

/**
 * What zod costs a Lambda (issue 17). `import { z } from 'zod'` binds zod's namespace object as a
 * value, so esbuild must keep everything it exports, including `z.locales`: the error messages of
 * every language, about 350 KiB of a minified bundle, parsed at every cold start. The star import
 * (`import * as z from 'zod'`, enforced by Biome's noRestrictedImports in biome.json) lets esbuild
 * keep only what is used: the English messages zod installs for itself.
 *
 * The oracle is esbuild's own account of what it put in the bundle (the metafile), for functions
 * whose code reaches zod through events/, config/, functions/ and runbooks/.
 */
const ENTRIES = [
  'functions/intake/handler.ts',
  'functions/slack/handler.ts',
  'runbooks/verify-backups/steps/handlers/collect.ts',
];

describe('zod in the Lambda bundles', () => {
  it.each(ENTRIES)('%s carries zod’s English messages and no other locale', async (entry) => {
    const { options } = esbuildOptionsFor(BUNDLING, 'nodejs22.x', REPO_ROOT);
    const result = await build({
      ...options,
      entryPoints: [join(REPO_ROOT, entry)],
      outdir: join(REPO_ROOT, 'cdk.out', 'zod-weight'),
      write: false,
      sourcemap: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {});
    const locales = inputs
      .filter(([file, { bytesInOutput }]) => /node_modules\/zod\/.*locales\//.test(file) && bytesInOutput > 0)
      .map(([file]) => file.replace(/.*node_modules\/zod\//, ''));
    expect(locales).toEqual(['v4/locales/en.js']);
    const zodBytes = inputs
      .filter(([file]) => file.includes('node_modules/zod/'))
      .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);
    // With every locale it was about 445 KiB; without them, about 100 KiB.
    expect(zodBytes).toBeLessThan(200 * 1024);
  });
});
