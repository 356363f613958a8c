import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFresh, evaluateItem } from '../../../runbooks/verify-backups/logic.js';
import { evaluateStep } from '../../../runbooks/verify-backups/steps/evaluate.js';
import { ebsItem, HOUR, KEY_ARN, NOW, point, SETTINGS } from './fixtures.js';

describe('verify-backups rules: properties over many inputs', () => {
  it('freshness is exactly "age ≤ RPO" for any age and RPO', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 * 3600 }),
        fc.integer({ min: 1, max: 400 }),
        (ageSeconds, rpo) => {
          const item = ebsItem({
            latestCompleted: point({ createdAt: new Date(NOW - ageSeconds * 1000).toISOString() }),
          });
          const verdict = checkFresh(item, { ...SETTINGS.classes.ebs, rpoHours: rpo }, 5, NOW).verdict;
          expect(verdict).toBe(ageSeconds * 1000 <= rpo * HOUR ? 'pass' : 'fail');
        },
      ),
    );
  });

  it('a backup missing any one fact never passes', () => {
    const facts = ['createdAt', 'encrypted', 'kmsKeyId'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...facts), (missing) => {
        const p = { ...point() };
        delete p[missing];
        expect(evaluateItem(ebsItem({ latestCompleted: p, newest: p }), SETTINGS, NOW).verdict).toBe('fail');
      }),
    );
  });

  it('the evaluate step rejects malformed input instead of judging it', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(() =>
          evaluateStep(
            {
              item: junk,
              settings: SETTINGS,
              keyArn: KEY_ARN,
              plan: { ebs: false, rds: false, skipped: '' },
            } as never,
            new Date(NOW),
          ),
        ).toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
