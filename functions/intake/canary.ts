import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CanaryDetail } from '../../events/index.js';
import type { OpsLogger } from '../shared/powertools.js';

/**
 * A rule canary's arrival, recorded as one CloudWatch metric per rule (Powertools EMF, namespace
 * `OpsAutomation`, dimensions `service` = intake and `rule` = the rule's full name). The automation
 * stack's canary alarm for the rule reads exactly this metric and fires when it stays missing.
 */
export const CANARY_METRIC = 'CanaryArrived';
export const CANARY_RULE_DIMENSION = 'rule';

export interface CanaryDeps {
  readonly metrics?: Pick<Metrics, 'singleMetric'>;
  readonly logger: OpsLogger;
}

/** Records the canary and does nothing else: no policy, no guard, no start, no notification. */
export function recordCanary(canary: CanaryDetail, deps: CanaryDeps): void {
  deps.logger.debug('rule canary arrived', { rule: canary.rule, scheduledTime: canary.scheduledTime });
  if (!deps.metrics) return;
  const m = deps.metrics.singleMetric();
  m.addDimension(CANARY_RULE_DIMENSION, canary.rule);
  m.addMetric(CANARY_METRIC, MetricUnit.Count, 1);
}
