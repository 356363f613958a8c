import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStage } from '../../config/index.js';
import { Hooks } from '../../infra/constructs/automation/hooks.js';
import {
  KUBE_GROUP,
  KubeAccess,
  RESTORE_NAMESPACE_PREFIX,
} from '../../infra/constructs/automation/kube-access.js';
import { OPS_FUNCTIONS } from '../../infra/constructs/automation/runbooks.js';
import { PlatformStack } from '../../infra/stacks/platform-stack.js';
import { RotateSecretInfra } from '../../runbooks/rotate-secret/infra.js';

/**
 * The rotate-secret infra of the dev stage (two allow-listed secrets: the platform's RDS app user,
 * alternating users; a partner API token, random), synthesised beside the real platform stack
 * with cdk-nag on (a finding fails the synth).
 */

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
let template: Template;
let platformTemplate: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = loadStage('dev');
  const env = { account: stage.account, region: stage.region };
  const platform = new PlatformStack(app, 'dev-platform', { env, stage });
  const automation = new Stack(app, 'dev-automation', { env });
  automation.addStackDependency(platform);
  const hooks = new Hooks(automation, 'Hooks', { namePrefix: 'ops-dev', stage });
  const kube = new KubeAccess(automation, 'Kube', {
    namePrefix: 'ops-dev',
    cluster: platform.cluster,
    vpc: platform.vpc,
    settings: {
      restartWorkloads: stage.automation.allowLists.secrets.flatMap((s) => s.restartWorkloads),
      veleroNamespace: 'velero',
      restoreNamespacePrefix: RESTORE_NAMESPACE_PREFIX,
      autoscalerNamespace: 'kube-system',
    },
  });
  new RotateSecretInfra(automation, 'RotateSecret', {
    stage,
    namePrefix: 'ops-dev',
    hooks,
    platform,
    functions: OPS_FUNCTIONS,
    approvalTimeout: Duration.minutes(30),
    kubeFunction: kube.function,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  template = Template.fromStack(automation);
  platformTemplate = Template.fromStack(platform);
});

function policyOf(roleName: string): Statement[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } });
  const [roleId] = Object.keys(roles);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('rotate-secret infra: rotation functions and their schedule', () => {
  it('gives each allow-listed secret its own rotation function, named under the automation prefix', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-rotation-dev-rds-app-user',
      Environment: {
        Variables: Match.objectLike({
          ROTATION_STRATEGY: 'mysql-alternating-users',
          SECRET_ID: 'dev/rds/app-user',
          DB_TLS: 'required',
          MASTER_SECRET_ARN: Match.anyValue(),
          EXCLUDE_CHARACTERS: '/@"\'\\',
        }),
      },
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-rotation-dev-api-partner-token',
      Environment: { Variables: Match.objectLike({ ROTATION_STRATEGY: 'random', TOKEN_FIELD: 'token' }) },
      VpcConfig: Match.absent(),
    });
  });

  it('puts a rotation schedule on the platform app-user and master secrets and on the partner token', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { 'Fn::ImportValue': Match.stringLikeRegexp('AppUser') },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    // The master user changes its own password (single user), on a schedule that drifts from the app user's.
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { 'Fn::ImportValue': Match.stringLikeRegexp('InstanceSecretAttachment') },
      RotationRules: { ScheduleExpression: 'rate(29 days)' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-rotation-dev-rds-master',
      Environment: {
        Variables: Match.objectLike({ ROTATION_STRATEGY: 'mysql-single-user', SECRET_ID: 'dev/rds/master' }),
      },
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
    });
    // The platform's own key policy does not name automation roles (no cross-stack cycle).
    expect(JSON.stringify(platformTemplate.toJSON())).not.toContain('ops-dev-rotation');
  });

  it('lets a rotation function touch only its own secret (and read the master secret), nothing mutating on *', () => {
    const statements = policyOf('ops-dev-rotation-dev-rds-app-user');
    const secretWrites = statements.filter((s) => actions(s).includes('secretsmanager:PutSecretValue'));
    expect(secretWrites).toHaveLength(1);
    expect(JSON.stringify(secretWrites[0]?.Resource)).toContain('AppUser');
    const master = statements.find(
      (s) =>
        actions(s).includes('secretsmanager:GetSecretValue') &&
        !actions(s).includes('secretsmanager:PutSecretValue'),
    );
    expect(actions(master as Statement).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const kms = statements.find((s) => actions(s).includes('kms:Decrypt'));
    expect(kms?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
    });
    const onStar = statements
      .filter((s) => s.Resource === '*')
      .flatMap(actions)
      .sort();
    expect(onStar).toEqual(['ec2:DescribeNetworkInterfaces', 'secretsmanager:GetRandomPassword']);
  });

  it('reaches the database only: MySQL to its security group, HTTPS out, and a matching ingress rule', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([
        Match.objectLike({
          IpProtocol: 'tcp',
          FromPort: 3306,
          ToPort: 3306,
          DestinationSecurityGroupId: Match.anyValue(),
        }),
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
      ]),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 3306,
      ToPort: 3306,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('SecurityGroup') },
    });
  });
});

describe('rotate-secret infra: the runbook', () => {
  it('names the state machine and its role for loop protection, and scopes its calls to the allow-list', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'ops-dev-rotate-secret',
    });
    const statements = policyOf('ops-dev-rotate-secret');
    const rotate = statements.find(
      (s) =>
        actions(s).includes('secretsmanager:rotateSecret') ||
        actions(s).includes('secretsmanager:RotateSecret'),
    );
    expect(JSON.stringify(rotate?.Resource)).toContain('secret:dev/rds/app-user-??????');
    expect(JSON.stringify(rotate?.Resource)).toContain('secret:dev/api/partner-token-??????');
    const invoke = statements.filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke)).toMatch(/RotationFunction0/);
    expect(JSON.stringify(invoke)).toMatch(/RotationFunction1/);
  });

  it('has no cluster access of its own: the restart step invokes the in-VPC kube function', () => {
    const statements = policyOf('ops-dev-rotate-secret');
    expect(statements.flatMap(actions).filter((a) => a.startsWith('eks:'))).toEqual([]);
    const invoke = statements.filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke)).toMatch(/KubeFunction/);
    const entries = template.findResources('AWS::EKS::AccessEntry');
    expect(JSON.stringify(entries)).not.toMatch(/RotateSecretWorkflow/);
  });
});

describe('kube access: one function in the cluster VPC, an access entry without access policy, narrow RBAC', () => {
  it('runs the kube function in the private subnets behind a group that reaches only the cluster API', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ops-dev-kube',
      VpcConfig: {
        SubnetIds: Match.anyValue(),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('KubeSecurityGroup'), 'GroupId'] }],
      },
      Environment: {
        Variables: Match.objectLike({
          CLUSTER_NAME: Match.anyValue(),
          CLUSTER_ENDPOINT: Match.anyValue(),
          CLUSTER_CA: Match.anyValue(),
        }),
      },
    });
    const groups = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('ops-dev-kube') },
    });
    const [group] = Object.values(groups) as {
      Properties: { SecurityGroupEgress: Record<string, unknown>[] };
    }[];
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        DestinationSecurityGroupId: expect.anything(),
      }),
    ]);
    expect(JSON.stringify(group?.Properties.SecurityGroupEgress)).toMatch(/ClusterSecurityGroupId/);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('ClusterSecurityGroupId') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('KubeSecurityGroup'), 'GroupId'] },
    });
  });

  it('maps the kube function role to the ops-automation group, with no EKS access policy', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      KubernetesGroups: [KUBE_GROUP],
      Type: 'STANDARD',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KubeRole'), 'Arn'] },
      AccessPolicies: Match.absent(),
    });
  });

  it('deploys namespaced Roles only: get/patch on the named workloads, create/get on Velero restores, get on the autoscaler status', () => {
    const manifests = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).flatMap(
      (r) =>
        JSON.parse((r as { Properties: { Manifest: string } }).Properties.Manifest) as Record<
          string,
          unknown
        >[],
    );
    // Expected by hand from config/stages/dev.ts (restartWorkloads: app/deployment/api).
    expect(manifests.filter((m) => m.kind === 'Role')).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'ops-automation-restart', namespace: 'app' }),
        rules: [
          {
            apiGroups: ['apps'],
            resources: ['deployments'],
            resourceNames: ['api'],
            verbs: ['get', 'patch'],
          },
        ],
      }),
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'ops-automation-restores', namespace: 'velero' }),
        rules: [{ apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get'] }],
      }),
      expect.objectContaining({
        metadata: expect.objectContaining({
          name: 'ops-automation-autoscaler-status',
          namespace: 'kube-system',
        }),
        rules: [
          {
            apiGroups: [''],
            resources: ['configmaps'],
            resourceNames: ['cluster-autoscaler-status'],
            verbs: ['get'],
          },
        ],
      }),
    ]);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Role',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'RoleBinding',
    ]);
    for (const b of manifests.filter((m) => m.kind === 'RoleBinding')) {
      expect(b.subjects).toEqual([
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: KUBE_GROUP },
      ]);
    }
  });
});
