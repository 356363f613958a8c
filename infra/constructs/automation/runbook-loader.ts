import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunbookWorkflowPlugin } from '../../../runbooks/build.js';
import { RUNBOOK_PLUGINS, type RunbookPlugin } from '../../../runbooks/registry.js';
import { REPO_ROOT } from '../ops-function.js';

/**
 * The CDK side of the registry, found by convention (issue 20: one folder + ONE registry line).
 *
 * `runbooks/registry.ts` is the only list of runbooks, and it is pure (it goes into Lambda bundles).
 * Infra finds each registered runbook's CDK side in the runbook's own folder: the file `infra.ts`
 * when the folder has one, else `workflow.ts`, and in it the exported `RunbookWorkflowPlugin` whose
 * `name` is the runbook's. The modules are imported at synth time (a dynamic import per runbook,
 * awaited once when infra is first imported), so no Lambda bundle and no pure file ever imports them.
 * A runbook without its CDK side fails synthesis naming the runbook and the file it expected.
 */

/** Where runbook folders live, relative to the repository root. */
export const RUNBOOKS_ROOT = 'runbooks';

/** The files that may hold a runbook's CDK side, in the order they are looked for. */
const CDK_FILES = ['infra.ts', 'workflow.ts'] as const;

/** A registered runbook with its CDK side. */
export interface LoadedRunbook {
  readonly plugin: RunbookPlugin;
  readonly workflow: RunbookWorkflowPlugin;
}

export interface LoadOptions {
  /**
   * Folders (relative to the repository root) holding runbook folders, searched in order. Default:
   * `runbooks`. A test whose fixture runbook lives elsewhere adds that folder.
   */
  readonly roots?: readonly string[];
}

export class RunbookLoadError extends Error {
  override readonly name = 'RunbookLoadError';
}

const isWorkflowPlugin = (value: unknown, name: string): value is RunbookWorkflowPlugin =>
  typeof value === 'object' &&
  value !== null &&
  (value as { name?: unknown }).name === name &&
  typeof (value as { build?: unknown }).build === 'function';

/** The CDK side of one registered runbook, from its folder. */
export async function loadRunbook(plugin: RunbookPlugin, options: LoadOptions = {}): Promise<LoadedRunbook> {
  const name = plugin.spec.name;
  const roots = options.roots ?? [RUNBOOKS_ROOT];
  const candidates = roots.flatMap((root) => CDK_FILES.map((file) => `${root}/${name}/${file}`));
  const file = candidates.find((c) => existsSync(path.join(REPO_ROOT, c)));
  if (!file) {
    throw new RunbookLoadError(
      `runbook "${name}" is registered (runbooks/registry.ts) but has no CDK side: expected ` +
        `${roots.map((r) => `${r}/${name}/workflow.ts`).join(' or ')} (or infra.ts beside it) ` +
        `exporting a RunbookWorkflowPlugin named "${name}"`,
    );
  }
  // A path computed at synth time: nothing for a bundler to follow (and no Lambda bundle imports this file).
  const module = (await import(/* @vite-ignore */ pathToFileURL(path.join(REPO_ROOT, file)).href)) as Record<
    string,
    unknown
  >;
  const found = Object.values(module).filter((v) => isWorkflowPlugin(v, name));
  if (found.length !== 1) {
    throw new RunbookLoadError(
      `runbook "${name}": ${file} must export exactly one RunbookWorkflowPlugin named "${name}" (found ${found.length})`,
    );
  }
  return { plugin, workflow: found[0] as RunbookWorkflowPlugin };
}

/** The CDK side of every runbook given, in their order (the order infra builds them in). */
export function loadRunbooks(
  plugins: readonly RunbookPlugin[],
  options: LoadOptions = {},
): Promise<LoadedRunbook[]> {
  return Promise.all(plugins.map((p) => loadRunbook(p, options)));
}

/** The shipped registry with its CDK side, loaded once when infra is first imported. */
export const SHIPPED_RUNBOOKS: readonly LoadedRunbook[] = await loadRunbooks(
  RUNBOOK_PLUGINS as unknown as readonly RunbookPlugin[],
);
