import type { RunbookPlugin } from './plugin.js';
import { restoreGuardrailPlugin } from './restore-guardrail/plugin.js';
import { rotateSecretPlugin } from './rotate-secret/plugin.js';
import { scaleNodeGroupPlugin } from './scale-node-group/plugin.js';
import { snapshotVolumePlugin } from './snapshot-volume/plugin.js';
import type { RunbookSpec } from './types.js';
import { updateDnsPlugin } from './update-dns/plugin.js';
import { verifyBackupsPlugin } from './verify-backups/plugin.js';

export type { AllowListVerdict, DatadogBinding, RunbookPlugin } from './plugin.js';
export type { RunbookInput, RunbookMode, RunbookPolicyDefaults, RunbookSpec, RunResult } from './types.js';

/**
 * Every runbook the product ships, one line each, and the only list of them: the intake (policy,
 * allow-lists, Datadog tags), `ops list`, Slack and infra iterate over this. Pure: safe in a Lambda
 * bundle. Infra finds each runbook's CDK side by convention in its folder (`infra.ts`, else
 * `workflow.ts`: infra/constructs/automation/runbook-loader.ts) and builds them in this order, which
 * is the order the stacks were first deployed in (construct order fixes some logical ids): append.
 */
export const RUNBOOK_PLUGINS = [
  snapshotVolumePlugin,
  scaleNodeGroupPlugin,
  updateDnsPlugin,
  restoreGuardrailPlugin,
  rotateSecretPlugin,
  verifyBackupsPlugin,
] as const;

/** The runbooks' specs, in registry order. */
export const RUNBOOKS = RUNBOOK_PLUGINS.map((p) => p.spec);

export type RunbookName = (typeof RUNBOOK_PLUGINS)[number]['spec']['name'];

const byName = new Map<string, RunbookPlugin>(
  RUNBOOK_PLUGINS.map((p) => [p.spec.name, p as unknown as RunbookPlugin]),
);

export function findPlugin(name: string): RunbookPlugin | undefined {
  return byName.get(name);
}

export function findRunbook(name: string): RunbookSpec | undefined {
  return byName.get(name)?.spec;
}

export function runbookNames(): string[] {
  return RUNBOOK_PLUGINS.map((p) => p.spec.name);
}

const TARGETS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(
    RUNBOOK_PLUGINS.map((p): [string, readonly string[]] => [p.spec.name, p.datadog?.targets ?? []]),
  ),
);

/**
 * For the Datadog normaliser: each runbook's preferred target kinds, by name (events/ knows no runbook).
 * Built once (the intake asks for every event it normalises) and frozen, so no caller can change it.
 */
export function runbookTargets(): Readonly<Record<string, readonly string[]>> {
  return TARGETS;
}
