import type { SFNClient } from '@aws-sdk/client-sfn';
import type { AutomationConfig } from '../../config/schema.js';
import type { Signal } from '../../events/signal.js';
import { withGuard } from '../intake/decision.js';
import { admit, type Decision, decide, type GuardStore, start } from '../intake/index.js';
import type { IntakePort, RequestOptions } from './worker.js';

/**
 * The intake as the Slack worker uses it: the intake's own decide → admit → start, so a Slack
 * request meets the same policy, allow-lists, kill switch, de-duplication, lock, rate limit and
 * circuit breaker as an event. `--dry-run` can only make a decision safer: it turns a live
 * start into a dry run, never the other way round.
 */
function withRequestedDryRun(options: RequestOptions, d: Decision): Decision {
  if (d.action !== 'start' || d.dryRun || !options.dryRun) return d;
  return withGuard(
    { ...d, dryRun: true },
    { name: 'dry-run', outcome: 'pass', detail: 'requested with --dry-run' },
  );
}

export interface LiveIntakeDeps {
  readonly stage: string;
  readonly automation: AutomationConfig;
  readonly store: GuardStore;
  readonly sfn: SFNClient;
  readonly stateMachines: Readonly<Record<string, string>>;
}

export function liveIntake(deps: LiveIntakeDeps): IntakePort {
  const ctx = { stage: deps.stage, automation: deps.automation };
  const plan = (signal: Signal, options: RequestOptions) =>
    decide(signal, ctx).map((d) => withRequestedDryRun(options, d));
  return {
    plan,
    async submit(signal, options) {
      const out = [];
      for (const planned of plan(signal, options)) {
        const admission = await admit(planned, deps.store, ctx);
        out.push(await start(signal, admission, deps));
      }
      return out;
    },
  };
}

/** No AWS (`ops serve` without credentials): plans are real, starts are described, nothing runs. */
export function offlineIntake(stage: string, automation: AutomationConfig): IntakePort {
  const ctx = { stage, automation };
  const plan = (signal: Signal, options: RequestOptions) =>
    decide(signal, ctx).map((d) => withRequestedDryRun(options, d));
  return { plan, submit: async (signal, options) => plan(signal, options).map((decision) => ({ decision })) };
}
