import { NOT_APPLICABLE, type PolicyRule, runReason, start } from './types.js';

/**
 * An explicit request to run a named runbook (Slack `/ops run …`, the `ops` command line, or a
 * schedule whose target input names its runbook) → that runbook with the requested parameters.
 * Nothing is trusted because it was asked for: the schema, allow-lists, mode and every guard still apply.
 */
export const requestedRun: PolicyRule = {
  name: 'requested-run',
  description: 'an explicit request (Slack, CLI, schedule input) → the runbook it names, through every guard',
  evaluate(signal) {
    const request = signal.request;
    if (!request) return NOT_APPLICABLE;
    return start(
      request.runbook,
      { reason: runReason(`${signal.source} request by ${request.requestedBy}`), ...request.parameters },
      `${signal.source} request by ${request.requestedBy}`,
    );
  },
};
