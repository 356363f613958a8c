import { allowed, defineRunbook, refused } from '../plugin.js';
import { guardrailAllowed, restoreGuardrailRule } from './policy.js';
import { RestoreGuardrailParameters, restoreGuardrail } from './spec.js';

/**
 * restore-guardrail as a plugin: its spec; its rule is an incident rule (it repairs what a security
 * notification reports, and the intake evaluates it before them, telling the incident as well); its
 * allow-list is the same check its first step runs (policy.ts).
 */
export const restoreGuardrailPlugin = defineRunbook({
  spec: restoreGuardrail,
  rules: [],
  incidentRules: [restoreGuardrailRule],
  allowList(params, automation) {
    const parsed = RestoreGuardrailParameters.safeParse(params);
    if (!parsed.success) return refused('the guardrail parameters are not valid');
    const v = guardrailAllowed(parsed.data, automation.restoreGuardrail);
    return v.allowed ? allowed(v.detail) : refused(v.detail);
  },
});
