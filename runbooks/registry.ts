import { restoreGuardrail } from './restore-guardrail/spec.js';
import { rotateSecret } from './rotate-secret/spec.js';
import { scaleNodeGroup } from './scale-node-group/spec.js';
import { snapshotVolume } from './snapshot-volume/spec.js';
import type { RunbookSpec } from './types.js';
import { updateDns } from './update-dns/spec.js';
import { verifyBackups } from './verify-backups/spec.js';

export type { RunbookInput, RunbookMode, RunbookPolicyDefaults, RunbookSpec, RunResult } from './types.js';

/** Every runbook the product ships. The intake, `ops list`, Slack and infra iterate over this. */
export const RUNBOOKS = [
  snapshotVolume,
  scaleNodeGroup,
  updateDns,
  rotateSecret,
  verifyBackups,
  restoreGuardrail,
] as const;

export type RunbookName = (typeof RUNBOOKS)[number]['name'];

const byName = new Map<string, RunbookSpec>(RUNBOOKS.map((r) => [r.name, r as unknown as RunbookSpec]));

export function findRunbook(name: string): RunbookSpec | undefined {
  return byName.get(name);
}

export function runbookNames(): string[] {
  return RUNBOOKS.map((r) => r.name);
}
