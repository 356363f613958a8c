import { hash as digest } from 'node:crypto';

/** Step Functions execution names: at most 80 characters of [A-Za-z0-9-_]. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Start of the de-duplication window that `occurredAt` falls in (windows are aligned to the epoch, UTC). */
export function windowStart(occurredAt: string, windowMinutes: number): Date {
  return new Date(windowStartMs(occurredAt, windowMinutes));
}

function windowStartMs(occurredAt: string, windowMinutes: number): number {
  const t = Date.parse(occurredAt);
  if (Number.isNaN(t)) throw new Error(`occurredAt "${occurredAt}" is not a date`);
  const size = windowMinutes * 60_000;
  return Math.floor(t / size) * size;
}

/**
 * Deterministic execution name: `<runbook>-<hash(resourceKey)>-<window start>`, e.g.
 * `<runbook>-3f9a2c1b7d04-20240731T1230Z`. The same runbook, resource and window always give
 * the same name, so Step Functions itself refuses a second run (ExecutionAlreadyExists) even if the
 * guard store were bypassed. The hash keeps arbitrary resource keys (ARNs, slashes) inside the
 * allowed characters and length.
 */
export function executionName(
  runbook: string,
  resourceKey: string,
  occurredAt: string,
  windowMinutes: number,
  /**
   * What kind of run on that resource: a dry run, or the revert of an earlier execution, is a
   * different run from the live change it mirrors and must not be taken for its duplicate.
   */
  variant: { readonly dryRun?: boolean; readonly revertOf?: string } = {},
): string {
  let identity = resourceKey;
  if (variant.dryRun) identity += '\u0000dry-run';
  if (variant.revertOf) identity += `\u0000revert-of:${variant.revertOf}`;
  const hash = identityHash(identity);
  const w = windowLabel(occurredAt, windowMinutes);
  const safeRunbook = runbook.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80 - 1 - 12 - 1 - w.length);
  const name = `${safeRunbook}-${hash}-${w}`;
  if (!EXECUTION_NAME.test(name)) throw new Error(`execution name ${name} is not valid`);
  return name;
}

/**
 * Recent answers of `identityHash` and `windowLabel`: a storm names the same few resources and windows
 * again and again (issue 17, intake speed). Bounded: emptied when full, so a long-lived process keeps
 * at most LIMIT entries each.
 */
const LIMIT = 4096;
const HASHES = new Map<string, string>();
const LABELS = new Map<number, string>();

/** First 12 hex digits of SHA-256 of the identity (one-shot `crypto.hash`, Node ≥ 21.7). */
function identityHash(identity: string): string {
  let hash = HASHES.get(identity);
  if (hash === undefined) {
    hash = digest('sha256', identity, 'hex').slice(0, 12);
    if (HASHES.size >= LIMIT) HASHES.clear();
    HASHES.set(identity, hash);
  }
  return hash;
}

/** The window's start as `YYYYMMDDTHHMMZ` (UTC). */
function windowLabel(occurredAt: string, windowMinutes: number): string {
  const start = windowStartMs(occurredAt, windowMinutes);
  let label = LABELS.get(start);
  if (label === undefined) {
    label = new Date(start)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\d\d\.\d{3}Z$/, 'Z');
    if (LABELS.size >= LIMIT) LABELS.clear();
    LABELS.set(start, label);
  }
  return label;
}
