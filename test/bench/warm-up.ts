import { median } from './types.js';

/** When a warm-up may stop: pass times have stopped falling. */
export interface SteadyRule {
  /** Never steady before this many passes. */
  readonly min: number;
  /** Compare the median of the last `window` passes with the median of the `window` before them. */
  readonly window: number;
  /** Steady when the last window's median is no more than this fraction below the one before. */
  readonly tolerance: number;
}

/**
 * Whether a series of pass times (oldest first) has stopped falling under `rule`. JIT-compiled code
 * speeds up in steps as V8 tiers it up; a window's median, not a single pass, so one slow pass (a
 * garbage collection) neither ends the warm-up nor prolongs it.
 */
export function steady(passes: readonly number[], rule: SteadyRule): boolean {
  if (passes.length < Math.max(rule.min, 2 * rule.window)) return false;
  const last = median(passes.slice(-rule.window));
  const before = median(passes.slice(-2 * rule.window, -rule.window));
  return last >= before * (1 - rule.tolerance);
}
