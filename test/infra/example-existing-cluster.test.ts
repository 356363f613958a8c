import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHOP, shopStage } from '../../examples/existing-cluster/config.js';
import { buildExampleApp, type ExistingClusterStack } from '../../examples/existing-cluster/stack.js';
import { strict } from '../../infra/constructs/automation/ops-automation.js';
import { OpsAutomation, parseStage, type StageConfigInput } from '../../infra/index.js';
import { auditAcknowledgements } from '../support/nag-audit.js';

/**
 * Issue 20: the automation as a construct any CDK app can hold. The example app
 * (examples/existing-cluster) references a team's existing VPC, EKS cluster, zones, buckets, key
 * and database by their ids and synthesises offline with the cdk-nag packs our stages run (a
 * finding fails synth). The expected ids below are the example's inputs (existing.ts), written
 * again here by hand; the expected pieces are the runbooks and functions the README lists.
 */

let app: App;
let stack: ExistingClusterStack;
let template: Template;
let assembly: ReturnType<App['synth']>;

beforeAll(() => {
  ({ app, stack } = buildExampleApp({ context: { 'aws:cdk:bundling-stacks': [] } }));
  assembly = app.synth();
  template = Template.fromStack(stack);
});

type Resource = { Type: string; Properties?: Record<string, unknown> };
const resources = (): Resource[] => Object.values(template.toJSON().Resources as Record<string, Resource>);

describe('example app: the automation on an existing VPC and cluster', () => {
  it('synthesises offline with cdk-nag, one stack, every wildcard acknowledgement naming its actions', () => {
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(['shop-ops-automation']);
    expect(auditAcknowledgements(app)).toEqual([]);
    // No annotation of any level (a cdk-nag finding would have failed synth already).
    expect(assembly.stacks.flatMap((s) => s.messages.map((m) => `${m.level} ${m.id}`))).toEqual([]);
  });

  it('has every runbook state machine, the intake, the Slack endpoint and the audit store', () => {
    const machines = resources()
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => r.Properties?.StateMachineName)
      .sort();
    expect(machines).toEqual([
      'ops-shop-rotate-secret',
      'ops-shop-scale-node-group',
      'ops-shop-snapshot-volume',
      'ops-shop-update-dns',
      'ops-shop-verify-backups',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ops-shop-intake' });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ops-shop-slack' });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ops-shop-kube' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'ops-shop-audit' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'ops-shop-intake-guards' });
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::Events::Rule', { Name: 'ops-shop-cloudtrail-write-calls' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 5 * * ? *)',
    });
  });

  it('creates no platform resource: no network, cluster, node group, database, zone, trail or registry', () => {
    const platformTypes = [
      /^AWS::EC2::(VPC|Subnet|NatGateway|InternetGateway|RouteTable|Route|VPNGateway|VPCEndpoint|FlowLog)$/,
      /^AWS::EKS::(Cluster|Nodegroup|Addon|PodIdentityAssociation)$/,
      /^AWS::RDS::DB(Instance|Cluster)$/,
      /^AWS::Route53::HostedZone$/,
      /^AWS::CertificateManager::/,
      /^AWS::CloudTrail::/,
      /^AWS::ECR::/,
      /^AWS::Lambda::LayerVersion$/,
      /^Custom::AWSCDK-EKS-HelmChart$/,
    ];
    const found = resources().filter((r) => platformTypes.some((p) => p.test(r.Type)));
    expect(found.map((r) => r.Type)).toEqual([]);
    // The one bucket is the automation's own audit ledger; the existing buckets are only referenced.
    const buckets = resources().filter((r) => r.Type === 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    expect(buckets[0]?.Properties?.ObjectLockEnabled).toBe(true);
  });

  it('reaches the existing cluster: access entry, HTTPS ingress on its security group, RBAC through its kubectl provider', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'shop-eks',
      KubernetesGroups: ['ops-automation'],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0cc0000000000c001',
      FromPort: 443,
      ToPort: 443,
    });
    template.hasResourceProperties('Custom::AWSCDK-EKS-KubernetesResource', {
      ServiceToken: 'arn:aws:lambda:eu-central-1:222222222222:function:shop-eks-kubectl-provider',
      ClusterName: 'shop-eks',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-shop-kube',
      VpcConfig: {
        SubnetIds: ['subnet-0aa0000000000a001', 'subnet-0aa0000000000a002', 'subnet-0aa0000000000a003'],
      },
      Environment: {
        Variables: Match.objectLike({
          CLUSTER_NAME: 'shop-eks',
          CLUSTER_ENDPOINT: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com',
        }),
      },
    });
  });

  it('rotates the existing database secrets from inside the VPC, admitted on MySQL by the database group', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0dd0000000000d001',
      FromPort: 3306,
      ToPort: 3306,
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: 'arn:aws:secretsmanager:eu-central-1:222222222222:secret:shop/rds/master-Ab12Cd',
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: 'arn:aws:secretsmanager:eu-central-1:222222222222:secret:shop/rds/app-user-Ef34Gh',
    });
  });

  it('changes records only in the allow-listed existing zone, and imports nothing from another stack', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('hostedzone/Z0123456789ABCDEFGHIJ');
    // The private zone is passed but not allow-listed: update-dns gets no permission on it.
    expect(json).not.toContain('Z0987654321ABCDEFGHIJ');
    expect(json).not.toContain('Fn::ImportValue');
  });

  it('writes verify-backups reports to the existing backup bucket, under verify-backups/ only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':s3:::shop-backups-222222222222/verify-backups/*'],
              ],
            },
          }),
        ]),
      },
    });
  });
});

describe('OpsAutomation: a missing reference the configuration needs is a clear error', () => {
  const stageWith = (patch: (input: StageConfigInput) => StageConfigInput) =>
    parseStage(patch(structuredClone(SHOP)), 'shop');
  const minimal = (scope: Stack) => ({
    backupBucket: s3.Bucket.fromBucketName(scope, 'Backups', 'shop-backups'),
    dataKey: kms.Key.fromKeyArn(scope, 'Key', 'arn:aws:kms:eu-central-1:222222222222:key/k'),
  });

  it('names Velero: no bucket passed and none configured', () => {
    const scope = new Stack(new App(), 'S');
    expect(() => new OpsAutomation(scope, 'Ops', { stage: shopStage(), ...minimal(scope) })).toThrow(
      /pass veleroBucket, or name the bucket in automation\.backupVerification\.velero\.bucketName/,
    );
  });

  it('names the database secrets that rotate from inside the VPC when vpc and database are missing', () => {
    const scope = new Stack(new App(), 'S');
    expect(
      () =>
        new OpsAutomation(scope, 'Ops', {
          stage: shopStage(),
          ...minimal(scope),
          veleroBucket: s3.Bucket.fromBucketName(scope, 'Velero', 'shop-velero'),
        }),
    ).toThrow(/database secrets \(shop\/rds\/app-user, shop\/rds\/master\) rotate from inside the VPC/);
  });

  it('names the RDS restore test when it is on and the database is missing', () => {
    const scope = new Stack(new App(), 'S');
    const stage = stageWith((input) => {
      const automation = input.automation;
      return {
        ...input,
        automation: {
          ...automation,
          backupVerification: {
            ...automation.backupVerification,
            velero: { bucketName: 'shop-velero' },
            rdsRestoreTest: { enabled: true },
          },
        },
      };
    });
    expect(() => new OpsAutomation(scope, 'Ops', { stage, ...minimal(scope) })).toThrow(
      /rdsRestoreTest\.enabled restores into the VPC and reads the master secret: pass vpc and database/,
    );
  });
});

describe("OpsAutomation: the DNS runbook's zones", () => {
  it('takes any number of allow-listed zones: its state machine may change records in each of them', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const base = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-central-1' } });
    const names = ['a.shop.example.com', 'b.shop.example.com', 'c.shop.example.com'];
    const zones = names.map((zoneName, i) =>
      route53.HostedZone.fromHostedZoneAttributes(base, `Z${i}`, {
        zoneName,
        hostedZoneId: `Z0000000000000000${i}`,
      }),
    );
    new OpsAutomation(base, 'Ops', {
      stage: stageWithZones(names),
      zones,
      ...shopReferences(base),
    });
    // Every IAM statement that allows route53:ChangeResourceRecordSets, and the zones it names.
    const statements = Object.values(Template.fromStack(base).findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const changing = statements.filter((st) =>
      [st.Action].flat().includes('route53:ChangeResourceRecordSets'),
    );
    const named = JSON.stringify(changing.map((st) => st.Resource));
    // By hand: the three zone ids given above, one hosted-zone ARN each.
    for (const id of ['Z00000000000000000', 'Z00000000000000001', 'Z00000000000000002'])
      expect(named).toContain(`:route53:::hostedzone/${id}`);
  });
});

describe("OpsAutomation: the backup verification's database", () => {
  const rdsResources = (databaseInstance?: string) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const base = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-central-1' } });
    const input = structuredClone(SHOP);
    const stage = parseStage(
      {
        ...input,
        automation: {
          ...input.automation,
          backupVerification: {
            ...input.automation.backupVerification,
            ...(databaseInstance ? { databaseInstance } : {}),
          },
        },
      },
      'shop',
    );
    new OpsAutomation(base, 'Ops', {
      stage,
      ...shopReferences(base),
    });
    return JSON.stringify(Template.fromStack(base).findResources('AWS::IAM::Policy'));
  };

  it('reads the snapshots of the instance the stage names (a team with its own database)', () => {
    const policies = rdsResources('shop-orders');
    expect(policies).toContain(':rds:eu-central-1:222222222222:db:shop-orders');
    expect(policies).not.toContain(':db:shop-platform');
  });

  it('defaults to the name our platform gives its database, <stage>-platform', () => {
    expect(rdsResources()).toContain(':rds:eu-central-1:222222222222:db:shop-platform');
  });
});

/** The example stage with these allow-listed zones. */
/** The shop's existing buckets, key, VPC and database, by reference, as an adopter passes them. */
function shopReferences(scope: Stack) {
  return {
    backupBucket: s3.Bucket.fromBucketName(scope, 'Backups', 'shop-backups'),
    veleroBucket: s3.Bucket.fromBucketName(scope, 'Velero', 'shop-velero'),
    dataKey: kms.Key.fromKeyArn(scope, 'Key', 'arn:aws:kms:eu-central-1:222222222222:key/k'),
    vpc: ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-central-1a'],
      privateSubnetIds: ['subnet-0123456789abcdef0'],
    }),
    database: {
      masterSecret: secretsmanager.Secret.fromSecretNameV2(scope, 'Master', 'shop/rds/master'),
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(scope, 'DbSg', 'sg-0123456789abcdef0'),
    },
  };
}

function stageWithZones(zoneNames: string[]) {
  const input = structuredClone(SHOP);
  return parseStage(
    {
      ...input,
      automation: {
        ...input.automation,
        allowLists: {
          ...input.automation.allowLists,
          hostedZones: zoneNames.map((zoneName) => ({ zoneName, records: [zoneName] })),
        },
      },
    },
    'shop',
  );
}

describe("strict: what stands behind the runbook infra's platform type", () => {
  it('passes members through, defined or undefined, and names a member that is not there', () => {
    const view = strict({ vpc: undefined, dataKey: 'k', describe: () => 'view' }, 'the refs');
    expect(view.dataKey).toBe('k');
    expect(view.vpc).toBeUndefined();
    expect(view.describe()).toBe('view');
    expect(() => (view as unknown as Record<string, unknown>).trail).toThrow(
      'the refs have no "trail": add it to OpsPlatformRefs and pass it',
    );
  });
});
