import { describe, expect, it } from 'vitest';
import { read, runbookFolders, sourceFiles } from './source-tree.js';

/**
 * Issue 20's measure of "one folder per runbook": for each runbook, the non-test source files
 * outside runbooks/<name>/ whose text names it (comments included: a name in a comment is still
 * something to keep in step), not counting config/ and the example app's stage (a stage names
 * what it allows), the registry, tests, samples and READMEs. Adding a runbook must not mean
 * touching the rest of the product: at most 1 such file (issue 20 asked for 2; before it, 8 to 23).
 *
 * Runbook names and files come from the tree itself (directories under runbooks/, a grep of
 * every source file), never from the registry under test.
 */

const LIMIT = 1;
const NOT_COUNTED = [
  /^test\//,
  /^config\//,
  /^events\/samples\//,
  /^examples\/.*\/cdk\.out\//,
  /^examples\/[^/]+\/config\.ts$/,
  // Developer tools' configuration at the root (e.g. which modules mutation testing covers): no
  // runbook needs a line there to work.
  /^[^/]+\.config\.(ts|mts|mjs|js)$/,
  /^runbooks\/registry\.ts$/,
];

function namingFiles(runbook: string): string[] {
  // The name as a whole word: `update-dns` but not `update-dns-zone` style longer names of other things.
  const pattern = new RegExp(`(?<![A-Za-z0-9-])${runbook}(?![A-Za-z0-9])`);
  return sourceFiles()
    .filter((f) => !NOT_COUNTED.some((re) => re.test(f)))
    .filter((f) => !f.startsWith(`runbooks/${runbook}/`))
    .filter((f) => pattern.test(read(f)))
    .sort();
}

describe('architecture: each runbook lives in its own folder', () => {
  const runbooks = runbookFolders();

  it('finds the runbook folders and the files inside them name their runbook (the count works)', () => {
    expect(runbooks).toEqual(
      expect.arrayContaining([
        'rotate-secret',
        'scale-node-group',
        'snapshot-volume',
        'update-dns',
        'verify-backups',
      ]),
    );
    for (const runbook of runbooks) {
      const own = sourceFiles().filter((f) => f.startsWith(`runbooks/${runbook}/`));
      expect(
        own.some((f) => read(f).includes(`'${runbook}'`)),
        `${runbook} declares its name`,
      ).toBe(true);
    }
  });

  it.each(runbookFolders())('%s has the plugin shape: spec, plugin, workflow, README', (runbook) => {
    const own = new Set(sourceFiles().filter((f) => f.startsWith(`runbooks/${runbook}/`)));
    for (const file of ['spec.ts', 'plugin.ts', 'workflow.ts']) {
      expect(own.has(`runbooks/${runbook}/${file}`), `runbooks/${runbook}/${file}`).toBe(true);
    }
    expect(read(`runbooks/${runbook}/README.md`).length).toBeGreaterThan(200);
  });

  it.each(runbookFolders())('%s is named by at most 1 source file outside its folder', (runbook) => {
    const outside = namingFiles(runbook);
    expect(
      outside.length,
      `files outside runbooks/${runbook}/ naming it:\n${outside.join('\n')}`,
    ).toBeLessThanOrEqual(LIMIT);
  });
});
