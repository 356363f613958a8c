import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { deployedStage, stageDefine } from '../../../config/deployed.js';
import { ConfigError, loadStage, stageNames } from '../../../config/index.js';

/**
 * config/deployed.ts: a function's stage configuration, written into its bundle at synth. The oracle
 * is `loadStage`, which parses and checks the stage's sources, run here in the test process.
 */

const work = mkdtempSync(join(tmpdir(), 'deployed-stage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A bundle of one module that calls `deployedStage(name)`, built with `stage`'s define, run in a fresh Node. */
async function runBundled(stage: string, name: string) {
  const result = await build({
    stdin: {
      contents: `import { deployedStage } from './config/deployed.ts';
        try { console.log(JSON.stringify({ ok: deployedStage(${JSON.stringify(name)}) })); }
        catch (e) { console.log(JSON.stringify({ error: e.message })); }`,
      resolveDir: join(import.meta.dirname, '..', '..', '..'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: stageDefine(loadStage(stage)),
  });
  const file = join(work, `${stage}-${name}.mjs`);
  writeFileSync(file, result.outputFiles[0]?.text ?? '');
  const out = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as {
    ok?: unknown;
    error?: string;
  };
  return { out, inputs: Object.keys(result.metafile.inputs) };
}

describe('deployedStage', () => {
  it.each(stageNames())(
    '%s, built into a bundle: the stage loadStage reads, and no configuration source in the bundle',
    async (stage) => {
      const { out, inputs } = await runBundled(stage, stage);
      expect(out.ok).toEqual(loadStage(stage));
      expect(inputs.filter((file) => file.startsWith('config/'))).toEqual(['config/deployed.ts']);
    },
  );

  it('a bundle built for one stage refuses to start as another', async () => {
    const { out } = await runBundled('dev', 'prod');
    expect(out.error).toBe(
      'This function was built for stage "dev" but its STAGE is "prod": deploy it from its own stage\'s stack',
    );
  });

  it('unbundled (tests, ops), the stage as loadStage reads it, and its refusals', () => {
    expect(deployedStage('stage')).toEqual(loadStage('stage'));
    expect(() => deployedStage('nope')).toThrow(ConfigError);
    expect(() => deployedStage(undefined)).toThrow(/No stage given/);
  });
});
