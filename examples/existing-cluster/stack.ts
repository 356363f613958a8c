import { App, type AppProps, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { FEATURE_FLAGS, OpsAutomation, PlatformChecks, type StageConfig } from '../../infra/index.js';
import { shopStage } from './config.js';
import { EXISTING } from './existing.js';

export interface ExistingClusterStackProps extends StackProps {
  readonly stage: StageConfig;
  /** Look the VPC up by id (`-c vpcId=vpc-…`; needs credentials on first synth) instead of its attributes. */
  readonly lookupVpcId?: string;
}

/**
 * A team's own app: its VPC, EKS cluster, zones, buckets, key and database exist already and are
 * referenced, never created; the stack holds the ops automation only.
 */
export class ExistingClusterStack extends Stack {
  readonly ops: OpsAutomation;

  constructor(scope: Construct, id: string, props: ExistingClusterStackProps) {
    super(scope, id, props);
    const vpc = props.lookupVpcId
      ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.lookupVpcId })
      : ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
          vpcId: EXISTING.vpc.vpcId,
          availabilityZones: [...EXISTING.vpc.availabilityZones],
          privateSubnetIds: [...EXISTING.vpc.privateSubnetIds],
          privateSubnetRouteTableIds: [...EXISTING.vpc.privateSubnetRouteTableIds],
        });
    const c = EXISTING.cluster;
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: c.clusterName,
      clusterEndpoint: c.clusterEndpoint,
      clusterCertificateAuthorityData: c.clusterCertificateAuthorityData,
      clusterSecurityGroupId: c.clusterSecurityGroupId,
      vpc,
      kubectlProvider: eks.KubectlProvider.fromKubectlProviderAttributes(this, 'KubectlProvider', {
        serviceToken: c.kubectlProvider.serviceToken,
        role: iam.Role.fromRoleArn(this, 'KubectlRole', c.kubectlProvider.roleArn, { mutable: false }),
      }),
    });
    const zones = EXISTING.zones.map((z, i) =>
      route53.HostedZone.fromHostedZoneAttributes(this, `Zone${i}`, { ...z }),
    );
    const db = EXISTING.database;

    this.ops = new OpsAutomation(this, 'Ops', {
      stage: props.stage,
      vpc,
      cluster,
      zones,
      accessLogsBucket: s3.Bucket.fromBucketName(this, 'AccessLogs', EXISTING.buckets.accessLogs),
      backupBucket: s3.Bucket.fromBucketName(this, 'Backups', EXISTING.buckets.backups),
      veleroBucket: s3.Bucket.fromBucketName(this, 'Velero', EXISTING.buckets.velero),
      dataKey: kms.Key.fromKeyArn(this, 'DataKey', EXISTING.dataKeyArn),
      database: {
        masterSecret: secretsmanager.Secret.fromSecretCompleteArn(this, 'MasterSecret', db.masterSecretArn),
        appUserSecret: secretsmanager.Secret.fromSecretCompleteArn(
          this,
          'AppUserSecret',
          db.appUserSecretArn,
        ),
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSg', db.securityGroupId, {
          mutable: false,
        }),
      },
    });
  }
}

/** The example app, with the cdk-nag packs our own stages run (a finding fails synth). */
export function buildExampleApp(appProps: AppProps = {}): { app: App; stack: ExistingClusterStack } {
  const app = new App({ ...appProps, context: { ...FEATURE_FLAGS, ...appProps.context } });
  const stage = shopStage();
  const lookupVpcId = app.node.tryGetContext('vpcId') as string | undefined;
  const stack = new ExistingClusterStack(app, `${stage.name}-ops-automation`, {
    env: { account: stage.account, region: stage.region },
    stage,
    ...(lookupVpcId ? { lookupVpcId } : {}),
    description: `Ops automation for ${stage.name}, on the team's existing VPC and EKS cluster`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PlatformChecks(app));
  return { app, stack };
}
