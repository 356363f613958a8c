import { fact, NOT_APPLICABLE, notify, type PolicyRule } from './types.js';

/**
 * Sweep findings of conditions no event reports (the others are decided by their event path's rule, through
 * `decidedAs`): a secret past its rotation period, a DNS record that no longer holds what automation last
 * set. Both need a person (why did rotation stop? who changed the record?) → notify warning. Never a runbook.
 */
export const sweepFindings: PolicyRule = {
  name: 'sweep-findings',
  description:
    'sweep: secret past its rotation period, DNS record drifted from what automation last set → notify warning',
  evaluate(signal) {
    if (signal.source !== 'sweep') return NOT_APPLICABLE;
    switch (fact(signal, 'condition')) {
      case 'secret-rotation-overdue':
        return notify(
          'warning',
          `secret ${signal.resource.id} is past its rotation period: ${signal.summary}. Check its rotation ` +
            'schedule and the rotation function (a failed rotation also raises its Errors alarm).',
        );
      case 'dns-record-drifted':
        return notify(
          'warning',
          `DNS record ${signal.resource.id} no longer holds what automation last set: ${signal.summary}`,
        );
      default:
        return NOT_APPLICABLE;
    }
  },
};
