import type { AutomationConfig } from '../../config/schema.js';
import type { Signal } from '../../events/signal.js';
import { findPlugin, type RunbookPlugin } from '../../runbooks/registry.js';
import type { RunbookMode, RunbookPolicyDefaults, RunbookSpec } from '../../runbooks/types.js';
import type { GuardResult } from './decision.js';

/**
 * The static guards: pure functions of the signal, the runbook and the stage's configuration.
 * `decide` and `ops plan` run exactly these; the stateful guards (guard-store.ts) run after them.
 */

/** A runbook's shipped defaults with the stage's overrides applied. */
export interface EffectivePolicy extends RunbookPolicyDefaults {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly mode: RunbookMode;
}

export function effectivePolicy(spec: RunbookSpec, automation: AutomationConfig): EffectivePolicy {
  const o = automation.runbooks[spec.name];
  const d = spec.defaults;
  return {
    enabled: o?.enabled ?? true,
    mode: o?.mode ?? d.mode,
    windowMinutes: o?.windowMinutes ?? d.windowMinutes,
    rateLimit: o?.rateLimit ?? d.rateLimit,
    circuitBreaker: o?.circuitBreaker ?? d.circuitBreaker,
    lockMinutes: o?.lockMinutes ?? d.lockMinutes,
    dryRun: automation.dryRun || (o?.dryRun ?? false),
  };
}

const pass = (name: string, detail: string): GuardResult => ({ name, outcome: 'pass', detail });
const block = (name: string, detail: string): GuardResult => ({ name, outcome: 'block', detail });

/** Loop protection: events caused by the automation's own roles are ignored. */
export function loopProtection(signal: Signal, automation: AutomationConfig): GuardResult {
  if (signal.source === 'schedule') {
    return {
      name: 'loop-protection',
      outcome: 'skip',
      detail: "schedules are the automation's own triggers",
    };
  }
  const role = signal.actor?.roleName;
  const prefix = automation.automationRolePrefix;
  if (role?.startsWith(prefix))
    return block('loop-protection', `caused by the automation's own role ${role}`);
  if (signal.actor?.type === 'automation') {
    return block('loop-protection', `caused by the automation itself (${signal.actor.id ?? 'unknown'})`);
  }
  return pass(
    'loop-protection',
    `actor ${role ?? signal.actor?.type ?? 'unknown'} is not an automation role`,
  );
}

/**
 * Allow-lists: automation touches only what the stage names (zones / records, node groups,
 * secrets, PVC namespaces...). Each runbook's check is a function of its spec and the stage's
 * configuration (runbooks/<name>/plugin.ts); this is the one guard that calls it. An unknown
 * runbook has no allow-list and is blocked (fail closed).
 */
export function allowList(
  runbook: string,
  params: Record<string, unknown>,
  automation: AutomationConfig,
  runbooks?: readonly RunbookPlugin[],
): GuardResult {
  const name = 'allow-list';
  const plugin = runbooks ? runbooks.find((p) => p.spec.name === runbook) : findPlugin(runbook);
  if (!plugin) return block(name, `runbook ${runbook} has no allow-list`);
  const verdict = plugin.allowList(params, automation);
  return verdict.allowed ? pass(name, verdict.detail) : block(name, verdict.detail);
}
