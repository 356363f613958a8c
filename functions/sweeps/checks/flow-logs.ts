import { DescribeFlowLogsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SweepFinding } from '../../../events/sources/sweep/schema.js';
import { allPages } from '../core.js';

/**
 * VPCs of the stage without an active flow log (issue 14 sweep 4, second half): DescribeFlowLogs for each
 * configured VPC; a flow log that exists but is not `ACTIVE` does not count.
 */
export async function missingFlowLogs(
  ec2: EC2Client,
  vpcIds: readonly string[],
  now: Date,
): Promise<SweepFinding[]> {
  const findings: SweepFinding[] = [];
  for (const vpcId of vpcIds) {
    const logs = await allPages(
      'ec2:DescribeFlowLogs',
      (token) =>
        ec2.send(
          new DescribeFlowLogsCommand({
            Filter: [{ Name: 'resource-id', Values: [vpcId] }],
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      (p) => p.FlowLogs,
      (p) => p.NextToken,
    );
    const active = logs.filter((l) => l.FlowLogStatus === 'ACTIVE');
    if (active.length > 0) continue;
    const states = logs.map((l) => `${l.FlowLogId ?? '?'} ${l.FlowLogStatus ?? 'unknown'}`);
    findings.push({
      check: 'flow-logs',
      condition: 'flow-logs-missing',
      resource: { type: 'flow-log', id: vpcId, attributes: { vpcId } },
      observedAt: now.toISOString(),
      summary: `VPC ${vpcId} has no active flow log${states.length ? ` (${states.join(', ')})` : ''}`,
      facts: { vpcId, flowLogs: states },
    });
  }
  return findings;
}
