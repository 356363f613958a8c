import type { Signal } from '../../events/signal.js';
import type { IntakeDeps } from './core.js';

/**
 * A condition a sweep keeps finding (a trail still stopped, a snapshot still shared) is told once per
 * `SWEEP_REMINDER_MINUTES` per condition and resource, not at every run of the sweep: a reminder a day
 * until it is fixed. Runs are de-duplicated by execution name already; this is only for notifications.
 * If the guard store cannot say, people are told (a duplicate is better than silence).
 */
export const SWEEP_REMINDER_MINUTES = 24 * 60;

export async function firstSweepNotice(deps: IntakeDeps, signal: Signal): Promise<boolean> {
  if (signal.source !== 'sweep') return true;
  try {
    return await deps.store.claimRefusalNotice(
      'sweep',
      `${signal.kind}:${signal.resource.id}`,
      'finding',
      SWEEP_REMINDER_MINUTES,
    );
  } catch (err) {
    deps.logger.warn('sweep notice could not be de-duplicated; telling anyway', {
      error: err instanceof Error ? err.message : String(err),
    });
    return true;
  }
}
