/**
 * A hand-written price table for the RDS restore test's cost estimate, shown in each report. It
 * is an estimate, not a bill: on-demand instance hours only (storage, I/O and snapshot reads are
 * extra and small for a one-hour scratch instance).
 *
 * Source: Amazon RDS for MySQL pricing page (https://aws.amazon.com/rds/mysql/pricing/), on-demand,
 * Single-AZ, US East (N. Virginia), USD per instance-hour, as written down on 2026-12-07. Other
 * regions are typically 5–15 % dearer. Update the table and PRICE_SOURCE together.
 */
export const PRICE_SOURCE = 'RDS MySQL on-demand, Single-AZ, us-east-1, prices of 2026-12-07';

export const RDS_HOURLY_USD: Readonly<Record<string, number>> = {
  'db.t4g.micro': 0.016,
  'db.t4g.small': 0.032,
  'db.t4g.medium': 0.065,
  'db.t4g.large': 0.129,
  'db.t3.micro': 0.017,
  'db.t3.small': 0.034,
  'db.t3.medium': 0.068,
  'db.t3.large': 0.136,
  'db.m6g.large': 0.152,
  'db.m5.large': 0.171,
  'db.r6g.large': 0.215,
  'db.r5.large': 0.24,
};

/** RDS bills instance time per second with a 10-minute minimum. */
const MIN_BILLED_MINUTES = 10;

/**
 * The most one run should cost: the instance class's hourly price for the whole time budget
 * (the instance is deleted by then on every path), rounded up to the cent. Undefined when the
 * class is not in the table.
 */
export function estimateRestoreCostUsd(instanceClass: string, maxMinutes: number): number | undefined {
  const hourly = RDS_HOURLY_USD[instanceClass];
  if (hourly === undefined) return undefined;
  const minutes = Math.max(maxMinutes, MIN_BILLED_MINUTES);
  return Math.ceil(((hourly * minutes) / 60) * 100) / 100;
}
