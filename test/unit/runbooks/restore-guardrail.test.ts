import { describe, expect, it } from 'vitest';
import { checkRequest, type GuardrailSettings } from '../../../runbooks/restore-guardrail/logic.js';
import { planRestore } from '../../../runbooks/restore-guardrail/plan.js';
import { RestoreGuardrailParameters, restoreGuardrail } from '../../../runbooks/restore-guardrail/spec.js';
import { RefusedError } from '../../../runbooks/shared.js';

/** restore-guardrail's parameters and its pure check / plan, against answers written by hand. */

const settings: GuardrailSettings = {
  trails: ['dev-platform-trail'],
  flowLogs: true,
  buckets: ['dev-platform-*'],
  securityGroups: ['sg-0d0e0f0a0b0c0d0e0'],
  snapshotOwners: ['111111111111'],
  trustedAccounts: [],
  optInTag: { key: 'ops-automation', value: 'enabled' },
};

describe('restore-guardrail: parameters', () => {
  it.each([
    [{ guardrail: 'trail-logging' }, 'target'],
    [{ guardrail: 'snapshot-sharing', target: 'snap-0123456789abcdef0' }, 'kind'],
    [{ guardrail: 'snapshot-sharing', kind: 'ebs-snapshot', target: 'snap-1111' }, 'not an EBS snapshot id'],
    [{ guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-de1fbCab6ccB03e6D' }, 'not an AMI id'],
    [{ guardrail: 'security-group-ingress', target: 'default' }, 'not a security group id'],
    [{ guardrail: 'bucket-public-access', target: 'Not_A_Bucket' }, 'not an S3 bucket name'],
    [
      { guardrail: 'security-group-ingress', target: 'sg-0d0e0f0a0b0c0d0e0', ruleIds: ['rule-1'] },
      'security group rule id',
    ],
  ])('refuses %j (%s)', (params, words) => {
    const r = RestoreGuardrailParameters.safeParse(params);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(words);
  });

  it('reduces a trail ARN to its name, so both spellings lock the same resource', () => {
    const byArn = RestoreGuardrailParameters.parse({
      guardrail: 'trail-logging',
      target: 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/dev-platform-trail',
    });
    const byName = RestoreGuardrailParameters.parse({
      guardrail: 'trail-logging',
      target: 'dev-platform-trail',
    });
    expect(byArn.target).toBe('dev-platform-trail');
    expect(restoreGuardrail.resourceKey(byArn)).toBe(restoreGuardrail.resourceKey(byName));
    expect(restoreGuardrail.resourceKey(byName)).toBe('trail-logging/dev-platform-trail');
  });

  it('flow-logs needs no target: the stage VPC is the only one', () => {
    const p = RestoreGuardrailParameters.parse({ guardrail: 'flow-logs' });
    expect(restoreGuardrail.resourceKey(p)).toBe('flow-logs/stage-vpc');
  });
});

describe('restore-guardrail: check and plan', () => {
  it('refuses a revert whose restore state is for another resource', () => {
    const call = () =>
      checkRequest(
        {
          guardrail: 'bucket-public-access',
          target: 'dev-platform-a',
          revertOf: 'restore-guardrail-1',
          restore: { guardrail: 'bucket-public-access', target: 'dev-platform-b', before: {} },
        },
        settings,
      );
    expect(call).toThrow(RefusedError);
    expect(call).toThrow('not bucket-public-access dev-platform-a');
  });

  it('refuses flow-logs when the stage has no platform flow log to copy', () => {
    expect(() => checkRequest({ guardrail: 'flow-logs' }, settings)).toThrow('no platform VPC flow log');
  });

  it('sees a public access block with some settings off as open, and turns all four on', () => {
    const parameters = { guardrail: 'bucket-public-access', target: 'dev-platform-a' };
    const check = checkRequest(parameters, settings);
    const plan = planRestore({
      parameters,
      settings,
      check,
      read: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
        },
      },
      executionName: 'x',
    });
    expect(plan.write).toBe('public-access-block');
    expect(plan.request).toEqual({
      Bucket: 'dev-platform-a',
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(plan.result.revert).toEqual({
      guardrail: 'bucket-public-access',
      target: 'dev-platform-a',
      before: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    });
  });

  it('treats sharing with an organisation as external to the account', () => {
    const parameters = { guardrail: 'snapshot-sharing', kind: 'ami', target: 'ami-0123456789abcdef0' };
    const check = checkRequest(parameters, settings);
    const plan = planRestore({
      parameters,
      settings,
      check,
      read: {
        LaunchPermissions: [{ OrganizationArn: 'arn:aws:organizations::999999999999:organization/o-abc' }],
      },
      executionName: 'x',
    });
    expect(plan.request).toEqual({
      ImageId: 'ami-0123456789abcdef0',
      Attribute: 'launchPermission',
      LaunchPermission: {
        Remove: [{ OrganizationArn: 'arn:aws:organizations::999999999999:organization/o-abc' }],
      },
    });
  });
});
