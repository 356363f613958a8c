import { buildFirstUse, type FirstUseBuild } from './first-use.js';

/**
 * `node --import tsx infra/bundling/first-use-cli.ts <spec> <outputDir>`: what CDK's after-bundling
 * hook runs (infra/constructs/ops-function.ts). `<spec>` is the build without its output directory,
 * as base64url JSON (a shell passes it untouched).
 */
const [encoded, outputDir] = process.argv.slice(2);
if (!encoded || !outputDir) {
  console.error('usage: first-use-cli.ts <base64url spec> <outputDir>');
  process.exit(2);
}
const spec = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Omit<
  FirstUseBuild,
  'outputDir'
>;
const result = await buildFirstUse({ ...spec, outputDir });
if (result.errors.length > 0 || result.warnings.length > 0) process.exit(1);
