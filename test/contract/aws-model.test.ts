import { describe, expect, it } from 'vitest';
import {
  requestProblems,
  responseProblems,
  resultPathProblem,
  serviceModel,
  sfnMemberName,
  unCapitalize,
} from '../support/aws-model.js';

/**
 * The naming rule and the model checks, on pairs written by hand from outside this code: the Step
 * Functions guide ("AWS SDK service integrations", API naming conventions: `StateMachineArn`,
 * `Filters` for EC2's `Filter.N`, `EqualsValue`), AWS re:Post ("step function dynamodb query with
 * boolean filter": `BOOL` must be written `Bool`), and the Java v2 code generator's `unCapitalize`.
 */
describe('contract: Step Functions names for AWS SDK members (Java v2 code generator)', () => {
  it('lower-cases a leading acronym as Utils.unCapitalize does', () => {
    expect(unCapitalize('DBSnapshots')).toBe('dbSnapshots');
    expect(unCapitalize('TTL')).toBe('ttl');
    expect(unCapitalize('BOOL')).toBe('bool');
    expect(unCapitalize('VpcId')).toBe('vpcId');
    expect(unCapitalize('MultiAZ')).toBe('multiAZ');
    expect(unCapitalize('SSESpecification')).toBe('sseSpecification');
  });

  it('gives the names the Step Functions guide and re:Post show', () => {
    expect(sfnMemberName('StateMachineArn')).toBe('StateMachineArn');
    expect(sfnMemberName('Equals')).toBe('EqualsValue');
    expect(sfnMemberName('BOOL')).toBe('Bool');
    expect(sfnMemberName('TTL')).toBe('Ttl');
    expect(sfnMemberName('DBInstanceIdentifier')).toBe('DbInstanceIdentifier');
    expect(sfnMemberName('Default')).toBe('DefaultValue');
  });

  it('finds those members in the models under those names', () => {
    // Prepare / Act / Assess: straight from the docs' examples.
    expect(requestProblems('sfn', 'startSyncExecution', { StateMachineArn: 'arn:x' })).toEqual([]);
    expect(serviceModel('guardduty').members('Condition').has('EqualsValue')).toBe(true);
    expect(serviceModel('dynamodb').members('AttributeValue').has('Bool')).toBe(true);
    expect(
      requestProblems('ec2', 'describeLaunchTemplateVersions', { Filters: [{ Name: 'n', Values: ['v'] }] }),
    ).toEqual([]);
    expect(requestProblems('ec2', 'describeLaunchTemplateVersions', { Filter: [] })[0]).toContain(
      'not a member',
    );
  });
});

describe('contract: a request checked against the model refuses what AWS would refuse', () => {
  const change = {
    HostedZoneId: 'Z1',
    ChangeBatch: {
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'a.example.com.',
            Type: 'A',
            Ttl: 60,
            ResourceRecords: [{ Value: '10.0.0.1' }],
          },
        },
      ],
    },
  };

  it('accepts a well-formed Route 53 change', () => {
    expect(requestProblems('route53', 'changeResourceRecordSets', change)).toEqual([]);
  });

  it('names the path of an unknown member, with the name Step Functions expects', () => {
    const [problem] = requestProblems('route53', 'changeResourceRecordSets', {
      ...change,
      ChangeBatch: {
        Changes: [
          { ...change.ChangeBatch.Changes[0], ResourceRecordSet: { Name: 'a.', Type: 'A', TTL: 60 } },
        ],
      },
    });
    expect(problem).toContain(
      'route53:changeResourceRecordSets.ChangeBatch.Changes[0].ResourceRecordSet.TTL',
    );
    expect(problem).toContain('Step Functions calls it Ttl');
  });

  it('refuses a missing required member, a wrong type and a value outside the enum', () => {
    const { HostedZoneId: _dropped, ...noZone } = change;
    expect(requestProblems('route53', 'changeResourceRecordSets', noZone)).toEqual([
      'route53:changeResourceRecordSets.HostedZoneId: required by ChangeResourceRecordSetsRequest, missing',
    ]);
    expect(requestProblems('ec2', 'describeVolumes', { VolumeIds: 'vol-1' })[0]).toContain('expected a list');
    expect(requestProblems('ssm', 'putParameter', { Name: 'n', Value: 'v', Overwrite: 'yes' })[0]).toContain(
      'expected a boolean',
    );
    expect(requestProblems('ssm', 'putParameter', { Name: 'n', Value: 'v', Type: 'Text' })[0]).toContain(
      'is not one of',
    );
  });

  it('refuses EC2 DryRun, which the Java v2 SDK (so Step Functions) does not have', () => {
    expect(requestProblems('ec2', 'describeVolumes', { DryRun: true })[0]).toContain('not a member');
  });

  it("checks a definition's path keys by name only", () => {
    expect(requestProblems('route53', 'getChange', { 'Id.$': '$.change.id' }, { paths: true })).toEqual([]);
    expect(requestProblems('route53', 'getChange', { 'ID.$': '$.change.id' }, { paths: true })[0]).toContain(
      'not a member',
    );
  });

  it('refuses an action the service does not have', () => {
    expect(() => requestProblems('route53', 'changeRecordSets', {})).toThrow('is not an action of Route 53');
  });

  it('checks result fields read back, and what a fake returns', () => {
    expect(resultPathProblem('ec2', 'describeSnapshots', '$.Snapshots[0].State')).toBeUndefined();
    expect(
      resultPathProblem('rds', 'describeDBInstances', '$.DbInstances[0].Endpoint.Address'),
    ).toBeUndefined();
    expect(resultPathProblem('rds', 'describeDBInstances', '$.DBInstances[0]')).toContain('not a member');
    expect(resultPathProblem('ec2', 'describeSnapshots', '$.Snapshots.State')).toContain('has no field');
    expect(
      responseProblems('route53', 'getChange', { ChangeInfo: { Id: '/change/1', Status: 'INSYNC' } }),
    ).toEqual([]);
    expect(
      responseProblems('route53', 'getChange', { ChangeInfo: { Id: '/change/1', State: 'INSYNC' } })[0],
    ).toContain('not a member');
  });
});
