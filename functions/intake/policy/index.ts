import { RUNBOOK_PLUGINS, type RunbookPlugin } from '../../../runbooks/registry.js';
import { autoScaling } from './autoscaling.js';
import { datadogMonitor } from './datadog.js';
import { requestedRun } from './manual.js';
import { schedule } from './schedule.js';
import { securityCalls } from './security-calls.js';
import type { PolicyRule } from './types.js';

export * from './types.js';

/**
 * The shipped policy, in order: the first rule whose verdict is not `not-applicable` decides.
 * The union of the runbooks' own rules (runbooks/<name>/policy.ts, in registry order) between the
 * cross-cutting rules: explicit requests and security notifications first, so nothing else can
 * swallow them; the generic Datadog, Auto Scaling and schedule rules last. The runbooks' rules
 * match disjoint events (each names its own CloudTrail calls or event source).
 */
export function policyRules(runbooks: readonly RunbookPlugin[]): readonly PolicyRule[] {
  return [
    requestedRun,
    securityCalls,
    ...runbooks.flatMap((p) => p.rules),
    datadogMonitor,
    autoScaling,
    schedule,
  ];
}

export const DEFAULT_RULES: readonly PolicyRule[] = policyRules(RUNBOOK_PLUGINS);
