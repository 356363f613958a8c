import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toIso } from '../../../events/sources/shared.js';

/**
 * `toIso` answers what the platform's Date answers: `new Date(value).toISOString()` for an instant from
 * 1970 to 9999, undefined otherwise. Its fast path for canonical UTC strings (issue 17, intake speed) must
 * never differ, including for fields out of range that Date rolls over (Feb 30 → Mar 2) or refuses.
 */
function platform(value: string): string | undefined {
  const date = new Date(value);
  if (!Number.isFinite(date.getTime())) return undefined;
  const year = date.getUTCFullYear();
  return year < 1970 || year > 9999 ? undefined : date.toISOString();
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('toIso: the same answer as Date', () => {
  it('for real instants, written with and without milliseconds', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString();
          expect(toIso(iso)).toBe(platform(iso));
          const seconds = `${iso.slice(0, 19)}Z`;
          expect(toIso(seconds)).toBe(platform(seconds));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('for strings of the canonical shape with any two-digit fields (impossible days, hour 24, second 60)', () => {
    const field = fc.integer({ min: 0, max: 99 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1960, max: 2105 }),
        field,
        field,
        field,
        field,
        field,
        fc.option(fc.integer({ min: 0, max: 999 })),
        (y, mo, d, h, mi, s, ms) => {
          const v = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === null ? '' : `.${pad(ms, 3)}`}Z`;
          expect(toIso(v)).toBe(platform(v));
        },
      ),
      { numRuns: 5000 },
    );
    for (const v of [
      '2024-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2000-02-29T12:00:00.000Z',
      '2026-02-30T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-12-31T23:59:60Z',
    ]) {
      expect(toIso(v)).toBe(platform(v));
    }
  });

  it('for anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (v) => {
        expect(toIso(v)).toBe(v === '' ? undefined : platform(v));
      }),
      { numRuns: 3000 },
    );
    for (const v of [
      '2026-11-22t10:00:00z',
      '2026-11-22T10:00:00+00:00',
      '2026-11-22 10:00:00Z',
      '2026-11-22T10:00:00.5Z',
    ]) {
      expect(toIso(v)).toBe(platform(v));
    }
  });
});
