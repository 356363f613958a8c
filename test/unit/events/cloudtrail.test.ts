import { describe, expect, it } from 'vitest';
import { normaliseEvent, parseAssumedRoleArn } from '../../../events/index.js';
import { actorFromIdentity } from '../../../events/sources/cloudtrail/actor.js';
import { ingressCidrs, secretNameFromId } from '../../../events/sources/cloudtrail/normalise.js';
import { sampleJson } from './support.js';

/** A sample with parts of its CloudTrail record replaced. */
function withDetail(file: string, detail: Record<string, unknown>): Record<string, unknown> {
  const event = sampleJson(file) as Record<string, unknown>;
  return { ...event, detail: { ...(event.detail as Record<string, unknown>), ...detail } };
}

describe('cloudtrail actor: who made the call', () => {
  it('parses an assumed-role ARN into role and session', () => {
    expect(parseAssumedRoleArn('arn:aws:sts::123456789012:assumed-role/orders-api/i-0abc')).toEqual({
      partition: 'aws',
      account: '123456789012',
      roleName: 'orders-api',
      sessionName: 'i-0abc',
    });
    expect(parseAssumedRoleArn('arn:aws:iam::123456789012:user/alice')).toBeUndefined();
  });

  it('treats IAM Identity Center roles (AWSReservedSSO_*) as humans, named by their session', () => {
    const actor = actorFromIdentity(
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jo@example.com',
        principalId: 'AROAEXAMPLE:jo@example.com',
      },
      '198.51.100.7',
    );
    expect(actor).toMatchObject({
      type: 'human',
      roleName: 'AWSReservedSSO_Admin_0123456789abcdef',
      name: 'jo@example.com',
      id: 'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef',
      sourceIp: '198.51.100.7',
    });
  });

  it('marks the automation’s own roles as automation (loop protection) when given the prefix', () => {
    const identity = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/ops-automation-prod-scale/exec-1',
    };
    expect(actorFromIdentity(identity, undefined, 'ops-automation-').type).toBe('automation');
    expect(actorFromIdentity(identity, undefined).type).toBe('service');
  });

  it('passes the prefix through normaliseEvent', () => {
    const event = sampleJson('cloudtrail/secretsmanager-getsecretvalue-workload-role.json');
    const roleName = normaliseEvent(event).actor?.roleName ?? '';
    expect(roleName).not.toBe('');
    expect(normaliseEvent(event, { automationRolePrefix: roleName.slice(0, 4) }).actor?.type).toBe(
      'automation',
    );
  });

  it.each([
    [
      { type: 'Root', accountId: '123456789012' },
      { type: 'root', id: 'arn:aws:iam::123456789012:root' },
    ],
    [
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/al', userName: 'al' },
      { type: 'human', name: 'al' },
    ],
    [
      { type: 'FederatedUser', arn: 'arn:aws:sts::1:federated-user/bob' },
      { type: 'human', name: 'bob' },
    ],
    [
      { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' },
      { type: 'service', id: 'cloudformation.amazonaws.com' },
    ],
    [
      { type: 'IdentityCenterUser', onBehalfOf: { userId: 'u-1' } },
      { type: 'human', id: 'u-1' },
    ],
    [
      { type: 'SomethingNew', principalId: 'P1' },
      { type: 'unknown', id: 'P1' },
    ],
  ])('%o → %o', (identity, expected) => {
    expect(actorFromIdentity(identity, undefined)).toMatchObject(expected);
  });
});

describe('cloudtrail facts: what policy needs from the request', () => {
  it.each([
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders/db-credentials-a1B2c3',
      'prod/orders/db-credentials',
    ],
    ['prod/orders/db-credentials', 'prod/orders/db-credentials'],
    ['arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x-AbCdEf', 'x'],
  ])('secret %s is named %s', (secretId, name) => {
    expect(secretNameFromId(secretId)).toBe(name);
  });

  it('finds world-open ranges in every request shape, IPv6 included, and ignores egress rules', () => {
    expect(ingressCidrs({ cidrIp: '0.0.0.0/0' }, null)).toEqual(['0.0.0.0/0']);
    expect(
      ingressCidrs(
        {
          ipPermissions: {
            items: [
              {
                ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] },
                ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
              },
            ],
          },
        },
        { securityGroupRuleSet: { items: [{ cidrIpv4: '0.0.0.0/0', isEgress: true }] } },
      ),
    ).toEqual(['10.0.0.0/8', '::/0']);
  });

  it('rates an IPv6 world-open ingress as critical', () => {
    const event = withDetail('cloudtrail/ec2-authorizesecuritygroupingress-narrow-cidr.json', {
      requestParameters: {
        groupId: 'sg-0123456789abcdef0',
        ipPermissions: {
          items: [
            { ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } },
          ],
        },
      },
    });
    const signal = normaliseEvent(event);
    expect(signal.severity).toBe('critical');
    expect(signal.details).toMatchObject({ worldOpen: true, cidr: '::/0', fromPort: 443 });
  });

  it('rates a refused security-relevant call (errorCode) as a warning, not critical', () => {
    const event = withDetail('cloudtrail/cloudtrail-stoplogging.json', { errorCode: 'AccessDenied' });
    const signal = normaliseEvent(event);
    expect(signal.severity).toBe('warning');
    expect(signal.details).toMatchObject({ securityRelevant: true, errorCode: 'AccessDenied' });
    expect(signal.summary).toContain('failed: AccessDenied');
  });

  it('keeps an API call we have no specific mapping for, naming its first resource', () => {
    const event = withDetail('cloudtrail/kms-disablekey.json', {
      eventSource: 's3.amazonaws.com',
      eventName: 'PutBucketTagging',
      requestParameters: { bucketName: 'b' },
      resources: [{ ARN: 'arn:aws:s3:::b' }],
    });
    const signal = normaliseEvent(event);
    expect(signal).toMatchObject({
      kind: 'cloudtrail.api-call',
      severity: 'info',
      resource: { type: 'unknown', id: 'arn:aws:s3:::b' },
    });
  });
});
