import { describe, expect, it } from 'vitest';
import { steady } from '../../bench/warm-up.js';

/** The intake-speed bench's end of warm-up (issue 17), on pass times written out by hand. */
const rule = { min: 10, window: 5, tolerance: 0.02 };

describe('steady: the warm-up ends when pass times stop falling', () => {
  it('is not steady before the minimum, however flat the passes', () => {
    expect(steady([10, 10, 10, 10, 10, 10, 10, 10, 10], rule)).toBe(false);
    expect(steady([10, 10, 10, 10, 10, 10, 10, 10, 10, 10], rule)).toBe(true);
    const later = { ...rule, min: 12 };
    expect(steady([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], later)).toBe(false);
    expect(steady([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], later)).toBe(true);
  });

  it('is not steady while the last five passes are more than 2% faster than the five before', () => {
    // Medians 20 (before) and 19.5 (last): 2.5% faster, still climbing.
    expect(steady([20, 20, 20, 20, 20, 19.5, 19.5, 19.5, 19.5, 19.5], rule)).toBe(false);
    // Medians 20 and 19.7: 1.5% faster, steady.
    expect(steady([20, 20, 20, 20, 20, 19.7, 19.7, 19.7, 19.7, 19.7], rule)).toBe(true);
    // Slower is steady too (the machine got busier; the code is no longer getting faster).
    expect(steady([16, 16, 16, 16, 16, 18, 18, 18, 18, 18], rule)).toBe(true);
  });

  it('compares medians, so one slow pass neither ends nor extends the warm-up', () => {
    // A garbage collection in the earlier window does not make a still-falling series look flat.
    expect(steady([25, 90, 25, 25, 25, 20, 20, 20, 20, 20], rule)).toBe(false);
    // One in the last window does not hold a flat series back.
    expect(steady([16, 16, 16, 16, 16, 16, 40, 16, 16, 16], rule)).toBe(true);
    // Nor does one fast pass (a lull on the shared machine) in the last window.
    expect(steady([16, 16, 16, 16, 16, 16, 16, 14, 16, 16], rule)).toBe(true);
  });

  it('looks only at the last two windows of a long series', () => {
    const early = [100, 60, 40, 30, 25, 22, 20, 19, 18, 17];
    expect(steady([...early, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16], rule)).toBe(true);
    expect(steady([...early, 17, 17, 17, 17, 17, 15, 15, 15, 15, 15], rule)).toBe(false);
  });
});
