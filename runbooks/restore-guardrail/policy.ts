import type { RestoreGuardrailConfig } from '../../config/schema.js';
import { wildcardMatch } from '../../config/wildcard.js';
import type { Signal } from '../../events/signal.js';
import { NOT_APPLICABLE, type PolicyRule, runReason, type StartVerdict } from '../policy.js';
import { RestoreGuardrailParameters } from './spec.js';

/**
 * The runbook's two pure decisions about an incident, shared by the intake (its policy rule and its
 * allow-list guard, functions/intake/) and by the workflow's first step (logic.ts), so that what the
 * intake promises and what the run does cannot drift apart:
 * - `guardrailRequest`: which guardrail a security-relevant CloudTrail signal took away, as parameters;
 * - `guardrailAllowed`: whether the stage's allow-lists make that resource the platform's own.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/** The parameters (before validation) that undo what `signal` did, or undefined if it took no guardrail away. */
export function guardrailRequest(signal: Signal): Record<string, unknown> | undefined {
  if (signal.source !== 'cloudtrail') return undefined;
  const d = signal.details;
  if (str(d.errorCode)) return undefined; // AWS refused the call: nothing to put back.
  const account = signal.resource.account;
  // A sweep finding names the call whose effect it found (`causedBy`, events/sources/sweep `decidedAs`):
  // the same guardrail is missing, so the same repair follows.
  const eventName = str(d.causedBy) ?? str(d.eventName);
  switch (eventName) {
    case 'StopLogging':
      return { guardrail: 'trail-logging', target: str(d.trailName) ?? signal.resource.id };
    case 'DeleteFlowLogs':
      return { guardrail: 'flow-logs' };
    case 'ModifySnapshotAttribute':
    case 'ModifyImageAttribute':
    case 'ModifyDBSnapshotAttribute':
    case 'ModifyDBClusterSnapshotAttribute': {
      if (d.madePublic !== true && strs(d.sharedWith).length === 0) return undefined;
      const kind = {
        ModifySnapshotAttribute: 'ebs-snapshot',
        ModifyImageAttribute: 'ami',
        ModifyDBSnapshotAttribute: 'db-snapshot',
        ModifyDBClusterSnapshotAttribute: 'db-cluster-snapshot',
      }[eventName];
      return {
        guardrail: 'snapshot-sharing',
        kind,
        target: signal.resource.id,
        ...(account ? { account } : {}),
      };
    }
    case 'AuthorizeSecurityGroupIngress': {
      if (d.worldOpen !== true) return undefined;
      const ruleIds = strs(d.worldOpenRuleIds);
      return {
        guardrail: 'security-group-ingress',
        target: signal.resource.id,
        ...(ruleIds.length > 0 ? { ruleIds } : {}),
      };
    }
    case 'PutBucketPolicy':
    case 'PutBucketAcl':
    case 'DeleteBucketPublicAccessBlock':
    case 'DeletePublicAccessBlock':
      if (d.madePublic !== true) return undefined;
      return { guardrail: 'bucket-public-access', target: signal.resource.id };
    default:
      return undefined;
  }
}

export interface AllowVerdict {
  readonly allowed: boolean;
  readonly detail: string;
}

/** Whether the stage's restore-guardrail allow-lists name this resource as the platform's own. */
export function guardrailAllowed(p: RestoreGuardrailParameters, cfg: RestoreGuardrailConfig): AllowVerdict {
  const target = p.target ?? '';
  const yes = (detail: string): AllowVerdict => ({ allowed: true, detail });
  const no = (detail: string): AllowVerdict => ({ allowed: false, detail });
  switch (p.guardrail) {
    case 'trail-logging':
      return cfg.trails.includes(target)
        ? yes(`trail ${target} is the platform's`)
        : no(`trail ${target} is not allow-listed`);
    case 'flow-logs':
      return cfg.flowLogs
        ? yes("the stage VPC's flow log is checked, and recreated if it is gone")
        : no('restoring the stage VPC flow log is turned off (restoreGuardrail.flowLogs)');
    case 'snapshot-sharing': {
      if (cfg.snapshotOwners.length === 0) return no('no snapshot owner is allow-listed');
      if (p.account !== undefined && !cfg.snapshotOwners.includes(p.account)) {
        return no(`${p.kind} ${target} belongs to account ${p.account}, which is not an allow-listed owner`);
      }
      return yes(`${p.kind} ${target} of ${p.account ?? 'the stage account'} is the platform's`);
    }
    case 'security-group-ingress':
      return cfg.securityGroups.includes(target)
        ? yes(`security group ${target} is protected`)
        : no(`security group ${target} is not allow-listed`);
    case 'bucket-public-access':
      return cfg.buckets.some((b) => wildcardMatch(b, target))
        ? yes(`bucket ${target} is the platform's`)
        : no(`bucket ${target} is not allow-listed`);
    default:
      return no(`unknown guardrail ${String(p.guardrail)}`);
  }
}

/**
 * A critical defence-evasion or data-exposure call on one of the platform's own guardrails (allow-listed
 * in `restoreGuardrail`) → start restore-guardrail AND tell people, with the same words the security
 * notification uses (`ctx.securityNotice`). Anything else (another account's snapshot, a bucket not on
 * the list, a refused attempt, a trail deleted rather than stopped) is left to the security
 * notifications: notify only. An incident rule: the intake evaluates it before them.
 */
export const restoreGuardrailRule: PolicyRule = {
  name: 'restore-guardrail',
  description:
    'trail logging stopped, flow log deleted, snapshot/AMI/DB snapshot shared, world-open ingress, bucket opened — on an ' +
    'allow-listed platform resource → restore-guardrail, and notify critical (not allow-listed: security-calls notifies)',
  evaluate(signal, ctx) {
    const request = guardrailRequest(signal);
    if (!request) return NOT_APPLICABLE;
    const told = ctx.securityNotice?.(signal);
    if (told?.severity !== 'critical') return NOT_APPLICABLE;
    const headline = told.reasons.join('; ');
    const parameters = { ...request, reason: runReason(headline) };
    const parsed = RestoreGuardrailParameters.safeParse(parameters);
    if (!parsed.success) return NOT_APPLICABLE;
    const allowed = guardrailAllowed(parsed.data, ctx.automation.restoreGuardrail);
    if (!allowed.allowed) return NOT_APPLICABLE;
    const verdict: StartVerdict = {
      verdict: 'start',
      runbook: 'restore-guardrail',
      parameters,
      reasons: [...told.reasons, `restore-guardrail started: ${allowed.detail}`],
      alsoNotify: true,
    };
    return verdict;
  },
};
