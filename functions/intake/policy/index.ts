import { RUNBOOK_PLUGINS, type RunbookPlugin } from '../../../runbooks/registry.js';
import { autoScaling } from './autoscaling.js';
import { datadogMonitor } from './datadog.js';
import { requestedRun } from './manual.js';
import { schedule } from './schedule.js';
import { securityCalls } from './security-calls.js';
import { sweepFindings } from './sweep.js';
import type { PolicyRule, StartVerdict, Verdict } from './types.js';

export * from './types.js';

/**
 * The shipped policy, in order: the first rule whose verdict is not `not-applicable` decides.
 * The union of the runbooks' own rules (runbooks/<name>/policy.ts, in registry order) between the
 * cross-cutting rules: explicit requests and security notifications first, so nothing else can
 * swallow them (only a runbook's incident rules come before them, and what they start is told too);
 * the generic Datadog, Auto Scaling, schedule and sweep-finding rules last. The runbooks' rules
 * match disjoint events (each names its own CloudTrail calls or event source).
 */
/** An incident rule as the intake runs it: any start it decides is told as well. */
function toldAsWell(rule: PolicyRule): PolicyRule {
  return {
    name: rule.name,
    description: rule.description,
    evaluate(signal, ctx) {
      const out = rule.evaluate(signal, ctx);
      if (Array.isArray(out)) return out.map((v: StartVerdict) => ({ ...v, alsoNotify: true }));
      const v = out as Verdict;
      return v.verdict === 'start' ? { ...v, alsoNotify: true } : v;
    },
  };
}

export function policyRules(runbooks: readonly RunbookPlugin[]): readonly PolicyRule[] {
  return [
    requestedRun,
    ...runbooks.flatMap((p) => (p.incidentRules ?? []).map(toldAsWell)),
    securityCalls,
    ...runbooks.flatMap((p) => p.rules),
    datadogMonitor,
    autoScaling,
    schedule,
    sweepFindings,
  ];
}

export const DEFAULT_RULES: readonly PolicyRule[] = policyRules(RUNBOOK_PLUGINS);
