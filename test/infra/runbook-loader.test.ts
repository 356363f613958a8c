import { describe, expect, it } from 'vitest';
import {
  loadRunbook,
  RUNBOOKS_ROOT,
  RunbookLoadError,
  SHIPPED_RUNBOOKS,
} from '../../infra/constructs/automation/runbook-loader.js';
import type { RunbookPlugin } from '../../runbooks/registry.js';
import { sayHelloPlugin } from '../fixtures/runbooks/say-hello/plugin.js';
import { runbookFolders } from '../unit/architecture/source-tree.js';

/**
 * Issue 20, one registry line: infra finds each registered runbook's CDK side in its folder by
 * convention (runbook-loader.ts). The expected runbooks come from the tree (the folders under
 * runbooks/), not from the registry under test.
 */

/** The fixture plugin under another name: a registry line whose folder is missing or wrong. */
const named = (name: string): RunbookPlugin =>
  ({ ...sayHelloPlugin, spec: { ...sayHelloPlugin.spec, name } }) as unknown as RunbookPlugin;

describe('runbook loader: the CDK side of one registry line', () => {
  it('finds the CDK side of every runbook folder, each building under its own name', () => {
    // Assess: one loaded runbook per folder under runbooks/, its workflow named like the folder.
    expect(SHIPPED_RUNBOOKS.map((r) => r.workflow.name).sort()).toEqual(runbookFolders().sort());
    for (const { plugin, workflow } of SHIPPED_RUNBOOKS) {
      expect(workflow.name).toBe(plugin.spec.name);
      expect(typeof workflow.build).toBe('function');
    }
  });

  it('finds a runbook folder outside runbooks/ when told where to look (the fixture)', async () => {
    const loaded = await loadRunbook(sayHelloPlugin as unknown as RunbookPlugin, {
      roots: [RUNBOOKS_ROOT, 'test/fixtures/runbooks'],
    });
    expect(loaded.workflow.name).toBe('say-hello');
  });

  it('refuses a registered runbook without its folder, naming the runbook and the file it expected', async () => {
    const act = loadRunbook(named('say-hello'));
    await expect(act).rejects.toBeInstanceOf(RunbookLoadError);
    await expect(act).rejects.toThrow(
      /runbook "say-hello" is registered .* expected runbooks\/say-hello\/workflow\.ts/,
    );
  });

  it('refuses a folder whose CDK side is named for another runbook', async () => {
    const act = loadRunbook(named('misnamed'), { roots: ['test/fixtures/runbooks'] });
    await expect(act).rejects.toThrow(
      'runbook "misnamed": test/fixtures/runbooks/misnamed/workflow.ts must export exactly one RunbookWorkflowPlugin named "misnamed" (found 0)',
    );
  });
});
