import { type CloudTrailClient, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import { read } from '../core.js';

/** CloudTrail's answer for a trail that does not exist (deleted). */
const NOT_FOUND = /TrailNotFoundException/;

/**
 * Trails not logging (issue 14 sweep 4, first half): GetTrailStatus for each configured trail ARN; a trail
 * that is not logging, or no longer exists, is a finding.
 */
export async function trailsNotLogging(
  cloudtrail: Pick<CloudTrailClient, 'send'>,
  trailArns: readonly string[],
  now: Date,
): Promise<SweepFinding[]> {
  const findings: SweepFinding[] = [];
  for (const arn of trailArns) {
    const name = /:trail\/(.+)$/.exec(arn)?.[1] ?? arn;
    let state: string | undefined;
    try {
      const status = await read('cloudtrail:GetTrailStatus', () =>
        cloudtrail.send(new GetTrailStatusCommand({ Name: arn })),
      );
      if (status.IsLogging === true) continue;
      state = `is not logging (IsLogging ${String(status.IsLogging)})${status.LatestDeliveryError ? `, latest delivery error ${status.LatestDeliveryError}` : ''}`;
    } catch (err) {
      if (!NOT_FOUND.test(err instanceof Error ? `${err.message} ${String(err.cause)}` : String(err)))
        throw err;
      state = 'no longer exists (TrailNotFoundException)';
    }
    findings.push({
      check: 'trails',
      condition: 'trail-not-logging',
      resource: { type: 'trail', id: name, attributes: { trailName: name, trailArn: arn } },
      observedAt: now.toISOString(),
      summary: `trail ${name} ${state}`,
      facts: { trailName: name, trailArn: arn },
    });
  }
  return findings;
}
