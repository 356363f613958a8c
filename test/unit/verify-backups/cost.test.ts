import { describe, expect, it } from 'vitest';
import { estimateRestoreCostUsd } from '../../../runbooks/verify-backups/cost.js';
import { pollWithin } from '../../../runbooks/verify-backups/workflow.js';

describe('verify-backups RDS restore budget', () => {
  it('estimates one run as the hourly price over the whole time budget, billed at least 10 minutes', () => {
    // By hand: $0.016/h × 60 min = $0.016 → $0.02 rounded up; × 5 min billed as 10 → $0.0027 → $0.01.
    expect(estimateRestoreCostUsd('db.t4g.micro', 60)).toBe(0.02);
    expect(estimateRestoreCostUsd('db.t4g.micro', 5)).toBe(0.01);
    // $0.171/h × 120 min = $0.342 → $0.35.
    expect(estimateRestoreCostUsd('db.m5.large', 120)).toBe(0.35);
    expect(estimateRestoreCostUsd('db.x2iedn.32xlarge', 60)).toBeUndefined();
  });

  it('fits the database poll into the time budget, keeping 5 minutes for the checks and the delete', () => {
    // By hand for 30 min: 25 min of waits of 2, 3, 4.5, 5, 5, 5 (= 24.5) → 6 polls.
    expect(pollWithin(30).maxPolls).toBe(6);
    expect(pollWithin(15).maxPolls).toBe(3);
    const p = pollWithin(180);
    expect([p.firstWait.toSeconds(), p.maxWait.toSeconds(), p.backoff]).toEqual([120, 300, 1.5]);
  });
});
