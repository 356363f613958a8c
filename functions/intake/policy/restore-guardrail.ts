import { guardrailAllowed, guardrailRequest } from '../../../runbooks/restore-guardrail/policy.js';
import { RestoreGuardrailParameters } from '../../../runbooks/restore-guardrail/spec.js';
import { securityCalls } from './security-calls.js';
import { NOT_APPLICABLE, type PolicyRule, runReason, type StartVerdict } from './types.js';

/**
 * A critical defence-evasion or data-exposure call on one of the platform's own guardrails (allow-listed
 * in `restoreGuardrail`) → start restore-guardrail AND tell people, with the same words the
 * security-calls notification uses. Anything else (another account's snapshot, a bucket not on the list,
 * a refused attempt, a trail deleted rather than stopped) is left to security-calls: notify only.
 * The decisions themselves are the runbook's (runbooks/restore-guardrail/policy.ts); this is the hook.
 */
export const restoreGuardrailRule: PolicyRule = {
  name: 'restore-guardrail',
  description:
    'trail logging stopped, flow log deleted, snapshot/AMI/DB snapshot shared, world-open ingress, bucket opened — on an ' +
    'allow-listed platform resource → restore-guardrail, and notify critical (not allow-listed: security-calls notifies)',
  evaluate(signal, ctx) {
    const request = guardrailRequest(signal);
    if (!request) return NOT_APPLICABLE;
    const told = securityCalls.evaluate(signal, ctx);
    if (Array.isArray(told) || !('severity' in told) || told.severity !== 'critical') return NOT_APPLICABLE;
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
