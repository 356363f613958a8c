import { Stack, Token } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { AppParametersConfig } from '../../../config/index.js';
import { acknowledgeFindings } from './acknowledge.js';
import { IrsaRole } from './irsa.js';

export interface AppParametersProps {
  readonly stageName: string;
  readonly cluster: eks.ICluster;
  /** The platform data key: every SecureString under `/app/<stage>/` is encrypted with it. */
  readonly dataKey: kms.IKey;
  /** Its alias, as operators pass it to `aws ssm put-parameter --key-id`. */
  readonly dataKeyAlias: string;
  readonly apps: readonly AppParametersConfig[];
}

/** `/app/<stage>`: the root of the stage's application parameters. */
export const appParameterRoot = (stageName: string) => `/app/${stageName}`;

/**
 * The application parameter hierarchy `/app/<stage>/<app>/…` in SSM Parameter Store.
 *
 * CloudFormation cannot create SecureString parameters, so this construct creates none: it makes
 * the hierarchy safe to use. Per configured app, a customer managed policy that reads only
 * `/app/<stage>/<app>/*` and decrypts with the data key only through SSM and only for parameters
 * of that path (SSM puts the parameter's ARN in the KMS encryption context, `PARAMETER_ARN`), and
 * an IRSA role `<stage>-app-<app>` for the app's service account with that policy. One writer
 * policy for operators and CI puts and deletes parameters under `/app/<stage>/` with the data key.
 * Workloads read with the SDK / Powertools parameters, or through External Secrets (README).
 */
export class AppParameters extends Construct {
  readonly root: string;
  readonly readPolicies: Record<string, iam.ManagedPolicy>;
  readonly roles: Record<string, iam.Role>;
  readonly writePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AppParametersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { stageName } = props;
    this.root = appParameterRoot(stageName);
    const parameterArn = (path: string) =>
      `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${path}`;
    // The resource as cdk-nag prints it in a finding (pseudo parameters in angle brackets).
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const nagParameter = (path: string) =>
      `Resource::arn:<AWS::Partition>:ssm:${region}:${account}:parameter${path}`;
    const viaSsm = { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` };
    const seen = new Set<string>();
    this.readPolicies = {};
    this.roles = {};

    for (const app of props.apps) {
      if (seen.has(app.app)) throw new Error(`${stageName}: appParameters lists "${app.app}" twice`);
      seen.add(app.app);
      const path = `${this.root}/${app.app}`;
      const policy = new iam.ManagedPolicy(this, `Read-${app.app}`, {
        managedPolicyName: `${stageName}-app-${app.app}-parameters-read`,
        description: `Reads ${path}/* (SecureString with the platform data key)`,
        statements: [
          new iam.PolicyStatement({
            sid: 'ReadOwnParameters',
            actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory'],
            resources: [parameterArn(`${path}/*`)],
          }),
          new iam.PolicyStatement({
            // GetParametersByPath is authorised on the path itself (and on a sub-path when recursive).
            sid: 'ReadOwnParametersByPath',
            actions: ['ssm:GetParametersByPath'],
            resources: [parameterArn(path), parameterArn(`${path}/*`)],
          }),
          new iam.PolicyStatement({
            sid: 'DecryptOwnParametersThroughSsm',
            actions: ['kms:Decrypt'],
            resources: [props.dataKey.keyArn],
            conditions: {
              StringEquals: viaSsm,
              StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': parameterArn(`${path}/*`) },
            },
          }),
        ],
      });
      const irsa = new IrsaRole(this, `Role-${app.app}`, {
        cluster: props.cluster,
        namespace: app.namespace,
        serviceAccount: app.serviceAccount,
        roleName: `${stageName}-app-${app.app}`,
        description: `${app.namespace}/${app.serviceAccount}: reads ${path}/* (IRSA)`,
      });
      irsa.role.addManagedPolicy(policy);
      this.readPolicies[app.app] = policy;
      this.roles[app.app] = irsa.role;
      acknowledgeFindings(
        policy,
        'AwsSolutions-IAM5',
        [nagParameter(`${path}/*`)],
        `${app.app} reads only its own parameters, whose names it chooses under ${path}/: ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:GetParametersByPath.`,
      );
    }

    this.writePolicy = new iam.ManagedPolicy(this, 'Write', {
      managedPolicyName: `${stageName}-app-parameters-write`,
      description: `Operators and CI: put/delete ${this.root}/* SecureStrings with ${props.dataKeyAlias}`,
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteStageParameters',
          actions: [
            'ssm:PutParameter',
            'ssm:DeleteParameter',
            'ssm:DeleteParameters',
            'ssm:AddTagsToResource',
            'ssm:GetParameter',
            'ssm:GetParameters',
            'ssm:GetParametersByPath',
          ],
          resources: [parameterArn(this.root), parameterArn(`${this.root}/*`)],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptStageParametersThroughSsm',
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.dataKey.keyArn],
          conditions: {
            StringEquals: viaSsm,
            StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': parameterArn(`${this.root}/*`) },
          },
        }),
      ],
    });
    acknowledgeFindings(
      this.writePolicy,
      'AwsSolutions-IAM5',
      [nagParameter(`${this.root}/*`)],
      `Operators and CI name application parameters under ${this.root}/ only: ssm:PutParameter, ssm:DeleteParameter, ssm:DeleteParameters, ssm:AddTagsToResource, ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath.`,
    );
  }
}
