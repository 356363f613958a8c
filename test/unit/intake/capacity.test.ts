import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { planEvent } from '../../../functions/intake/plan.js';

/**
 * Issue 14, capacity: only "max node group size reached" (or a scale-up refused for the group's maximum)
 * may scale a node group; a scale-up the cloud refused for capacity or quota is a capacity incident that
 * tells people the node group, the AZ and the instance types. Messages are built from cluster-autoscaler's
 * own format strings (events/samples/cluster-autoscaler/FORMATS.md) with source errors in EC2's wording
 * (EC2 API error codes reference: InsufficientInstanceCapacity, VcpuLimitExceeded; the AWS provider's
 * placeholder-cannot-be-fulfilled text). The dev stage allow-lists dev-platform-* node groups, so a wrong
 * verdict here would really start scale-node-group.
 */

const dev = loadStage('dev');
const SAMPLE = join(
  import.meta.dirname,
  '../../../events/samples/cluster-autoscaler/failedtoscaleupgroup-dev-platform.json',
);
const GROUP_B = 'eks-dev-platform-b-5d1e7f20-3c4b-9a8e-6f7d-1a2b3c4d5e6f';

function autoscalerEvent(reason: string, message: string): string {
  const event = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { detail: Record<string, unknown> };
  event.detail.reason = reason;
  event.detail.message = message;
  return JSON.stringify(event);
}

const EC2_NO_CAPACITY =
  'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1b). ' +
  'Our system will be working on provisioning additional capacity. You can currently get m6i.xlarge capacity by ' +
  'not specifying an Availability Zone in your request or choosing eu-west-1a, eu-west-1c.';
const EC2_VCPU_LIMIT =
  'You have requested more vCPU capacity than your current vCPU limit of 64 allows for the instance bucket that ' +
  'the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request ' +
  'an adjustment to this limit.';

type Case = readonly [
  name: string,
  reason: string,
  message: string,
  expected:
    | { action: 'notify'; severity: 'critical'; says: readonly string[] }
    | { action: 'start'; nodegroup: string }
    | { action: 'not-start' },
];

const CASES: readonly Case[] = [
  [
    'AWS placeholder cannot be fulfilled',
    'ScaleUpFailed',
    `Failed adding 2 nodes to group ${GROUP_B} due to placeholder-cannot-be-fulfilled; source errors: AWS cannot provision any more instances for this node group`,
    { action: 'notify', severity: 'critical', says: ['dev-platform/dev-platform-b', 'capacity incident'] },
  ],
  [
    'EC2 insufficient instance capacity (OutOfResource)',
    'ScaleUpFailed',
    `Failed adding 1 nodes to group ${GROUP_B} due to OutOfResource; source errors: ${EC2_NO_CAPACITY}`,
    {
      action: 'notify',
      severity: 'critical',
      says: ['dev-platform/dev-platform-b', 'AZ eu-west-1b', 'instance types m6i.xlarge', 'would not help'],
    },
  ],
  [
    'EC2 InsufficientInstanceCapacity error code',
    'ScaleUpFailed',
    `Failed adding 3 nodes to group ${GROUP_B} due to InsufficientInstanceCapacity; source errors: ${EC2_NO_CAPACITY}`,
    { action: 'notify', severity: 'critical', says: ['AZ eu-west-1b', 'm6i.xlarge'] },
  ],
  [
    'vCPU quota exceeded',
    'ScaleUpFailed',
    `Failed adding 4 nodes to group ${GROUP_B} due to VcpuLimitExceeded; source errors: ${EC2_VCPU_LIMIT}`,
    { action: 'notify', severity: 'critical', says: ['quota-exceeded', 'dev-platform/dev-platform-b'] },
  ],
  [
    'group maximum refused the increase',
    'FailedToScaleUpGroup',
    `Scale-up failed for group ${GROUP_B}: size increase too large - desired:5 max:4`,
    { action: 'start', nodegroup: 'dev-platform-b' },
  ],
  [
    'max node group size reached',
    'NotTriggerScaleUp',
    "pod didn't trigger scale-up: 3 max node group size reached",
    { action: 'start', nodegroup: '' },
  ],
  [
    'pods that fit nowhere (insufficient cpu, affinity)',
    'NotTriggerScaleUp',
    "pod didn't trigger scale-up: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector",
    { action: 'not-start' },
  ],
];

describe('cluster-autoscaler capacity (issue 14)', () => {
  it.each(CASES)('%s', (_name, reason, message, expected) => {
    // Act
    const d = planEvent(autoscalerEvent(reason, message), dev).decision;
    // Assess
    if (expected.action === 'not-start') {
      expect(d.action).not.toBe('start');
      return;
    }
    expect(d.action).toBe(expected.action);
    if (expected.action === 'start') {
      expect(d.runbook).toBe('scale-node-group');
      if (expected.nodegroup) expect(d.parameters).toMatchObject({ nodegroup: expected.nodegroup });
      return;
    }
    expect(d.severity).toBe(expected.severity);
    expect(d.runbook).toBeNull();
    for (const word of expected.says) expect(d.reasons.join(' ')).toContain(word);
  });
});
