import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oneLine } from '../../../events/sources/shared.js';
import { runReason } from '../../../runbooks/policy.js';

/**
 * One-line texts (signal summaries, run reasons): every run of whitespace becomes one space, the ends are
 * trimmed, then the text is cut to its limit. The fast path for text that is already one line (issue 17,
 * intake speed) must give the same answer for every text, whatever whitespace it holds.
 */
const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();
const text = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\ufeff', '\u3000', 'a', 'b', '…'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 120 },
  )
  .map((parts) => parts.join(''));

describe('one-line texts: the same as collapsing whitespace, trimming and cutting', () => {
  it('oneLine', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 130 }), (t, max) => {
        const flat = collapse(t);
        expect(oneLine(t, max)).toBe(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
      }),
      { numRuns: 3000 },
    );
  });

  it('runReason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          text,
          text.map((t) => t.repeat(6)),
        ),
        (t) => {
          const flat = collapse(t);
          expect(runReason(t)).toBe(flat.length > 500 ? `${flat.slice(0, 497)}...` : flat || 'requested');
        },
      ),
      { numRuns: 3000 },
    );
  });
});
