import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { isUnscoped, wildcardMutations } from '../support/iam.js';

/** The shared IAM assertion helper (test/support/iam.ts) on policies built for the purpose. */
function templateWith(...statements: iam.PolicyStatement[]): Template {
  const stack = new Stack(new App(), 'IamHelper', { env: { account: '111111111111', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  for (const st of statements) role.addToPolicy(st);
  return Template.fromStack(stack);
}
const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });

describe('test support iam: wildcardMutations', () => {
  it('flags a mutating action on *', () => {
    const found = wildcardMutations(
      templateWith(allow(['ec2:CreateSnapshot', 'ec2:DescribeVolumes'], ['*'])),
    );
    expect(found).toEqual([
      {
        logicalId: expect.stringMatching(/^RoleDefaultPolicy/),
        actions: ['ec2:CreateSnapshot'],
        resources: ['*'],
      },
    ]);
  });

  it('flags a type-only ARN without a condition, accepts it with a tag condition', () => {
    const arn = 'arn:aws:ec2:eu-west-1::snapshot/*';
    expect(wildcardMutations(templateWith(allow(['ec2:DeleteSnapshot'], [arn])))).toHaveLength(1);
    const tagged = allow(['ec2:DeleteSnapshot'], [arn], {
      StringEquals: { 'aws:ResourceTag/ops-automation': 'enabled' },
    });
    expect(wildcardMutations(templateWith(tagged))).toEqual([]);
  });

  it('accepts reads on *, wildcards under a named resource, and actions without resource-level permissions', () => {
    const t = templateWith(
      allow(['ec2:describeVolumes', 'logs:FilterLogEvents'], ['*']),
      allow(['s3:PutObject'], ['arn:aws:s3:::audit-bucket/runs/*']),
      allow(
        ['eks:UpdateNodegroupConfig'],
        ['arn:aws:eks:eu-west-1:111111111111:nodegroup/dev-platform/dev-platform-*/*'],
      ),
      allow(['xray:PutTraceSegments'], ['*']),
    );
    expect(wildcardMutations(t)).toEqual([]);
  });

  it('tells a named resource from a type-only ARN', () => {
    expect(isUnscoped('*')).toBe(true);
    expect(isUnscoped('arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/net/*/*')).toBe(true);
    expect(isUnscoped('arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-update-dns')).toBe(false);
    expect(isUnscoped('arn:aws:ssm:eu-west-1:111111111111:parameter/ops/dev/*')).toBe(false);
  });
});
