import { fact, NOT_APPLICABLE, type PolicyRule, reject, runReason, start } from './types.js';

/**
 * A schedule tick that does not name its runbook itself (see `requested-run`) → the runbook and
 * parameters its configuration lists, looked up by the schedule's name.
 */
export const schedule: PolicyRule = {
  name: 'schedule',
  description: 'a schedule tick → the runbook its configuration names (e.g. the daily backup verification)',
  evaluate(signal, ctx) {
    if (signal.source !== 'schedule' || signal.request) return NOT_APPLICABLE;
    const name = fact(signal, 'scheduleName', 'ruleName', 'schedule') ?? signal.resource.id;
    const configured = ctx.automation.schedules.find((s) => s.name === name);
    if (!configured)
      return reject(`schedule "${name}" is not configured in stage ${ctx.stage} and names no runbook`);
    return start(
      configured.runbook,
      { reason: runReason(`schedule ${name}`), ...configured.parameters },
      `schedule ${name} fired`,
    );
  },
};
