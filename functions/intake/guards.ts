import type { AutomationConfig } from '../../config/schema.js';
import { wildcardMatch } from '../../config/wildcard.js';
import type { Signal } from '../../events/signal.js';
import { guardrailAllowed } from '../../runbooks/restore-guardrail/policy.js';
import { RestoreGuardrailParameters } from '../../runbooks/restore-guardrail/spec.js';
import type { RunbookMode, RunbookPolicyDefaults, RunbookSpec } from '../../runbooks/types.js';
import { recordAllowed } from '../../runbooks/update-dns/logic.js';
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

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Allow-lists: automation touches only the zones / records, node groups, secrets and PVC
 * namespaces the stage names. An unknown runbook has no allow-list and is blocked (fail closed).
 */
export function allowList(
  runbook: string,
  params: Record<string, unknown>,
  automation: AutomationConfig,
): GuardResult {
  const lists = automation.allowLists;
  const name = 'allow-list';
  switch (runbook) {
    case 'scale-node-group': {
      const cluster = str(params.cluster) ?? '';
      const nodegroup = str(params.nodegroup);
      const entry = lists.nodeGroups.find(
        (g) => g.cluster === cluster && (nodegroup === undefined || wildcardMatch(g.nodegroup, nodegroup)),
      );
      if (!entry) return block(name, `node group ${cluster}/${nodegroup ?? '*'} is not allow-listed`);
      return pass(
        name,
        `node group ${cluster}/${nodegroup ?? entry.nodegroup} allowed up to ${entry.ceiling} nodes`,
      );
    }
    case 'update-dns': {
      const zone = str(params.zoneName) ?? '';
      const record = str(params.recordName) ?? '';
      const z = lists.hostedZones.find((h) => h.zoneName.toLowerCase() === zone.toLowerCase());
      if (!z) return block(name, `hosted zone ${zone} is not allow-listed`);
      // The same rule as the update-dns step: DNS names compared normalised (case, trailing dot).
      if (!recordAllowed(z.records, record)) {
        return block(name, `record ${record} is not allow-listed in zone ${zone}`);
      }
      return pass(name, `record ${record} in zone ${zone} is allow-listed`);
    }
    case 'rotate-secret': {
      const secret = str(params.secretId) ?? '';
      const s = lists.secrets.find((x) => x.name === secret);
      if (!s) return block(name, `secret ${secret} is not allow-listed`);
      return pass(name, `secret ${secret} is allow-listed (${s.strategy})`);
    }
    case 'snapshot-volume': {
      if (str(params.volumeId)) {
        const { key, value } = lists.volumes.protectedTag;
        return pass(
          name,
          `volume ${String(params.volumeId)}: the workflow snapshots it only if tagged ${key}=${value}`,
        );
      }
      const ns = str(params.namespace) ?? '';
      if (!lists.volumes.pvcNamespaces.includes(ns))
        return block(name, `PVC namespace ${ns} is not allow-listed`);
      return pass(name, `PVC namespace ${ns} is allow-listed`);
    }
    case 'verify-backups':
      return pass(name, 'verify-backups only reads (its scratch restores are its own)');
    case 'restore-guardrail': {
      // The runbook's own allow-list check (runbooks/restore-guardrail/policy.ts), also run by its first step.
      const v = guardrailAllowed(RestoreGuardrailParameters.parse(params), automation.restoreGuardrail);
      return v.allowed ? pass(name, v.detail) : block(name, v.detail);
    }
    default:
      return block(name, `runbook ${runbook} has no allow-list`);
  }
}
