import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import type { FunctionFactory, RunbookPlatform, RunbookWorkflowPlugin } from '../build.js';
import type { WorkflowHooks } from '../workflow-kit.js';
import { MYSQL_MODULES } from './steps/mysql-modules.js';
import { type RotatableSecret, RotateSecretWorkflow } from './workflow.js';

type AllowedSecret = StageConfig['automation']['allowLists']['secrets'][number];

export interface SecretRotationProps {
  /** The product's one way to define a Lambda (infra's OpsFunction and its shared grants). */
  readonly functions: FunctionFactory;
  /** Resource-name prefix, e.g. `ops-dev`: function and role names start with it (loop protection). */
  readonly namePrefix: string;
  /** The stage's allow-listed secrets: each gets its own rotation function and schedule. */
  readonly secrets: readonly AllowedSecret[];
  /** Secrets the platform created, by name (their ARNs and KMS keys are known; others are imported by name). */
  readonly knownSecrets?: Readonly<Record<string, secretsmanager.ISecret>>;
  /** Master secret for the alternating-users strategy (the platform's `<stage>/rds/master`). */
  readonly masterSecret?: secretsmanager.ISecret;
  /** Where database rotation functions run, and the database's security group they may reach. */
  readonly vpc?: ec2.IVpc;
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;
  readonly databasePort?: number;
}

const DATABASE_STRATEGIES = new Set(['mysql-single-user', 'mysql-alternating-users']);

/**
 * One Secrets Manager rotation function per allow-listed secret (runbooks/rotate-secret/steps/handler.ts),
 * each with a rotation schedule. Least privilege: a function may read and stage versions of its
 * own secret only (+ read the master secret for alternating users); database functions run in
 * the VPC's private subnets behind one security group whose only egress is the database
 * security group on the MySQL port and HTTPS (Secrets Manager API); the database admits that
 * group on the MySQL port. `rotatable` is what the rotate-secret workflow needs per secret.
 */
export class SecretRotation extends Construct {
  readonly functions: Record<string, lambda.Function> = {};
  readonly rotatable: RotatableSecret[] = [];
  readonly securityGroup?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SecretRotationProps) {
    super(scope, id);
    const port = props.databasePort ?? 3306;
    const needsDatabase = props.secrets.some((s) => DATABASE_STRATEGIES.has(s.strategy));
    if (needsDatabase && props.vpc && props.databaseSecurityGroup) {
      const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `${props.namePrefix} rotation functions: MySQL to the database, HTTPS to Secrets Manager`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(
        ec2.Peer.securityGroupId(props.databaseSecurityGroup.securityGroupId),
        ec2.Port.tcp(port),
        'MySQL to the platform database',
      );
      sg.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'Secrets Manager API (through the NAT gateway)',
      );
      // The rule lives in this stack (the platform stack must not depend on the automation stack).
      new ec2.CfnSecurityGroupIngress(this, 'DatabaseIngress', {
        groupId: props.databaseSecurityGroup.securityGroupId,
        sourceSecurityGroupId: sg.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `${props.namePrefix} rotation functions`,
      });
      this.securityGroup = sg;
    }

    props.secrets.forEach((allowed, index) => {
      const slug = allowed.name.replace(/[^A-Za-z0-9-]/g, '-').toLowerCase();
      const name = `${props.namePrefix}-rotation-${slug}`.slice(0, 64);
      const database = DATABASE_STRATEGIES.has(allowed.strategy);
      if (database && !this.securityGroup) {
        throw new Error(
          `secret ${allowed.name} uses ${allowed.strategy}: its rotation function needs the platform's VPC and database security group`,
        );
      }
      if (allowed.strategy === 'mysql-alternating-users' && !props.masterSecret) {
        throw new Error(`secret ${allowed.name} alternates users: the master secret is needed`);
      }
      // Platform secrets are referenced by complete ARN *without* their KMS key: a key grant would
      // write this stack's role into the platform's key policy (a cycle). The key is granted on
      // the role's side below instead, through Secrets Manager only.
      const known = props.knownSecrets?.[allowed.name];
      const secret = known
        ? secretsmanager.Secret.fromSecretAttributes(this, `Secret${index}`, {
            secretCompleteArn: known.secretArn,
          })
        : secretsmanager.Secret.fromSecretNameV2(this, `Secret${index}`, allowed.name);

      const role = new iam.Role(this, `Role${index}`, {
        roleName: name,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Rotation function of ${allowed.name}`,
        managedPolicies: [props.functions.xrayWritePolicy(this)],
      });
      const environment: Record<string, string> = {
        ROTATION_STRATEGY: allowed.strategy,
        SECRET_ID: allowed.name,
        PASSWORD_LENGTH: String(allowed.rotation.passwordLength),
        EXCLUDE_CHARACTERS: allowed.rotation.excludeCharacters,
        TOKEN_FIELD: allowed.rotation.tokenField,
        TOKEN_GENERATOR: allowed.rotation.generator,
        TOKEN_LENGTH: String(allowed.rotation.tokenLength),
        DB_TLS: 'required',
      };
      if (allowed.strategy === 'mysql-alternating-users' && props.masterSecret) {
        environment.MASTER_SECRET_ARN = props.masterSecret.secretArn;
      }
      const fn = props.functions.create(this, `Function${index}`, {
        entry: 'runbooks/rotate-secret/steps/handler.ts',
        service: 'rotation',
        loadOnFirstUse: MYSQL_MODULES,
        functionName: name,
        description: `Rotates ${allowed.name} (${allowed.strategy}); verify / recover for the rotate-secret runbook`,
        role,
        timeout: Duration.seconds(60),
        environment,
        ...(database && props.vpc && this.securityGroup
          ? {
              vpc: props.vpc,
              vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
              securityGroups: [this.securityGroup],
            }
          : {}),
      });
      if (database)
        props.functions.grantVpcNetworkInterfaces(role, 'the rotation security group of this construct');
      const keys = [known?.encryptionKey];
      if (allowed.strategy === 'mysql-alternating-users' && props.masterSecret) {
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            resources: [props.masterSecret.secretArn],
          }),
        );
        keys.push(props.masterSecret.encryptionKey);
      }
      const keyArns = [...new Set(keys.flatMap((k) => (k ? [k.keyArn] : [])))];
      if (keyArns.length > 0) {
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
            resources: keyArns,
            conditions: {
              StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
            },
          }),
        );
      }

      // The schedule grants the function its own secret only (Describe / Get / Put / UpdateVersionStage),
      // the secret's KMS key through Secrets Manager, GetRandomPassword, and Secrets Manager's invoke.
      new secretsmanager.RotationSchedule(this, `Schedule${index}`, {
        secret,
        rotationLambda: fn,
        automaticallyAfter: Duration.days(allowed.rotation.everyDays),
        rotateImmediatelyOnUpdate: false,
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:GetRandomPassword has no resource (it generates a string and touches no secret); ENI reads (ec2:DescribeNetworkInterfaces) support no resource-level permissions.',
      });
      this.functions[allowed.name] = fn;
      this.rotatable.push({
        name: allowed.name,
        arn: `arn:${Stack.of(this).partition}:secretsmanager:${Stack.of(this).region}:${Stack.of(this).account}:secret:${allowed.name}-??????`,
        strategy: allowed.strategy,
        rotationFunction: fn,
        restartWorkloads: allowed.restartWorkloads,
      });
    });
  }
}

export interface RotateSecretInfraProps {
  readonly stage: StageConfig;
  readonly namePrefix: string;
  readonly hooks: WorkflowHooks;
  readonly platform: RunbookPlatform;
  readonly functions: FunctionFactory;
  readonly approvalTimeout: Duration;
  /**
   * The in-VPC kube function (KubeAccess) the restart step invokes; its allow-list and RBAC hold
   * every secret's restartWorkloads. Without it no restart is wired.
   */
  readonly kubeFunction?: lambda.IFunction;
}

/**
 * The rotate-secret runbook of one stage: the rotation functions (above) and its state machine.
 * Its restart step invokes the shared in-VPC kube function (infra's KubeAccess), which
 * holds the cluster access: the state machine itself has none.
 */
export class RotateSecretInfra extends Construct {
  readonly rotation: SecretRotation;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RotateSecretInfraProps) {
    super(scope, id);
    const { stage, platform, namePrefix } = props;
    const allowed = stage.automation.allowLists.secrets;
    // Guarded: the platform's fields are the contract; a stage without them still synthesises.
    const knownSecrets: Record<string, secretsmanager.ISecret> = {};
    if (platform.appUserSecret) knownSecrets[`${stage.name}/rds/app-user`] = platform.appUserSecret;
    if (platform.masterSecret) knownSecrets[`${stage.name}/rds/master`] = platform.masterSecret;
    this.rotation = new SecretRotation(this, 'Rotation', {
      functions: props.functions,
      namePrefix,
      secrets: allowed,
      knownSecrets,
      ...(platform.masterSecret ? { masterSecret: platform.masterSecret } : {}),
      ...(platform.vpc ? { vpc: platform.vpc } : {}),
      ...(platform.databaseSecurityGroup ? { databaseSecurityGroup: platform.databaseSecurityGroup } : {}),
    });

    const kubeFunction = props.kubeFunction;
    const wf = new RotateSecretWorkflow(this, 'Workflow', {
      namePrefix,
      hooks: props.hooks,
      approvalTimeout: props.approvalTimeout,
      roleName: `${namePrefix}-rotate-secret`,
      // Without the kube function no restart can be wired: the workflow then reports "no workloads configured".
      secrets: kubeFunction
        ? this.rotation.rotatable
        : this.rotation.rotatable.map((s) => ({ ...s, restartWorkloads: [] })),
      ...(kubeFunction ? { kubeFunction } : {}),
    });
    this.stateMachine = wf.stateMachine;
  }
}

/** rotate-secret's infra: only for a stage with allow-listed secrets (none: no state machine). */
export const rotateSecretWorkflow: RunbookWorkflowPlugin = {
  name: 'rotate-secret',
  /** After a rotation it restarts each allow-listed secret's consumers (`restartWorkloads`). */
  kubeAccess: (stage) => ({
    restartWorkloads: stage.automation.allowLists.secrets.flatMap((s) => s.restartWorkloads),
  }),
  build(scope, ctx) {
    if (ctx.stage.automation.allowLists.secrets.length === 0) return undefined;
    return new RotateSecretInfra(scope, 'RotateSecret', {
      stage: ctx.stage,
      namePrefix: ctx.namePrefix,
      hooks: ctx.hooks,
      platform: ctx.platform,
      functions: ctx.functions,
      approvalTimeout: ctx.approvalTimeout,
      ...(ctx.kube ? { kubeFunction: ctx.kube.function } : {}),
    }).stateMachine;
  },
};
