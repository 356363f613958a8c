import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { OpenSearchConfig } from '../../../config/index.js';
import { retentionAtLeast } from './network.js';

export const OPENSEARCH_MASTER_USER = 'platform-admin';
const HTTPS = 443;

export interface PlatformSearchProps {
  readonly stageName: string;
  readonly config: OpenSearchConfig;
  readonly vpc: ec2.IVpc;
  /** The stage's AZs, in order: the domain uses the first private subnet of each it needs. */
  readonly availabilityZones: readonly string[];
  /** Only this security group (the cluster's: nodes and pods) may open HTTPS to the domain. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** Encrypts the domain at rest and its master user secret. */
  readonly dataKey: kms.IKey;
  /** Encrypts its log groups. */
  readonly logsKey: kms.IKey;
  readonly retain: boolean;
}

/**
 * Amazon OpenSearch Service domain `<stage>-search` (issue 19) in the private subnets: encrypted at rest
 * with the platform data key, node-to-node encryption, HTTPS only with a TLS 1.2+ policy, fine-grained
 * access control whose master user's password is generated in Secrets Manager
 * (`ops/<stage>/opensearch/master-user`, data key), audit/slow/error logs to KMS-encrypted log
 * groups, and a security group that admits HTTPS from the cluster only. With `zoneAwareness` the data
 * nodes and dedicated masters spread over the three AZs.
 */
export class PlatformSearch extends Construct {
  readonly domain: opensearch.Domain;
  readonly securityGroup: ec2.SecurityGroup;
  readonly masterUserSecret: secretsmanager.Secret;
  readonly logGroups: Record<'audit' | 'slowSearch' | 'slowIndex' | 'app', logs.LogGroup>;

  constructor(scope: Construct, id: string, props: PlatformSearchProps) {
    super(scope, id);
    const { config: c, stageName } = props;
    const stack = Stack.of(this);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const domainName = `${stageName}-search`;
    const azCount = c.zoneAwareness ? 3 : 1;
    if (props.availabilityZones.length < azCount) {
      throw new Error(`${stageName}: platform.opensearch.zoneAwareness needs three availability zones`);
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${domainName}: HTTPS from the EKS cluster only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(HTTPS),
      'OpenSearch HTTPS from EKS nodes and pods',
    );

    this.masterUserSecret = new secretsmanager.Secret(this, 'MasterUser', {
      secretName: `ops/${stageName}/opensearch/master-user`,
      description: `${domainName}: fine-grained access control master user`,
      encryptionKey: props.dataKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: OPENSEARCH_MASTER_USER }),
        generateStringKey: 'password',
        passwordLength: 32,
        // OpenSearch master passwords need upper, lower, digit and special characters; avoid quoting trouble.
        excludeCharacters: '"\'\\/@ `',
        requireEachIncludedType: true,
      },
      removalPolicy,
    });
    Validations.of(this.masterUserSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `The ${domainName} master user is a break-glass login of fine-grained access control; changing it needs the domain's own API (UpdateDomainConfig), which a Secrets Manager rotation function would have to call, so it is rotated by that documented operator step instead.`,
    });

    const logGroup = (logId: string, suffix: string) =>
      new logs.LogGroup(this, logId, {
        logGroupName: `/platform/${stageName}/opensearch/${suffix}`,
        encryptionKey: props.logsKey,
        retention: retentionAtLeast(90),
        removalPolicy,
      });
    this.logGroups = {
      audit: logGroup('AuditLogs', 'audit'),
      slowSearch: logGroup('SlowSearchLogs', 'slow-search'),
      slowIndex: logGroup('SlowIndexLogs', 'slow-index'),
      app: logGroup('AppLogs', 'application'),
    };
    // OpenSearch Service publishes logs only into groups whose resource policy admits it. One policy,
    // written here, instead of the construct's default (a custom resource with its own Lambda).
    new logs.CfnResourcePolicy(this, 'LogsPolicy', {
      policyName: `${domainName}-logs`,
      policyDocument: stack.toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'es.amazonaws.com' },
            Action: ['logs:PutLogEvents', 'logs:CreateLogStream'],
            Resource: Object.values(this.logGroups).map((g) => `${g.logGroupArn}`),
            Condition: { StringEquals: { 'aws:SourceAccount': stack.account } },
          },
        ],
      }),
    });

    const subnets = props.availabilityZones
      .slice(0, azCount)
      .map(
        (az) =>
          props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [az] })
            .subnets[0],
      )
      .filter((s): s is ec2.ISubnet => s !== undefined);
    if (subnets.length !== azCount)
      throw new Error(`${domainName}: no private subnet in each of ${azCount} AZs`);

    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName,
      version: opensearch.EngineVersion.openSearch(c.engineVersion),
      vpc: props.vpc,
      vpcSubnets: [{ subnets }],
      securityGroups: [this.securityGroup],
      capacity: {
        dataNodes: c.dataNodes,
        dataNodeInstanceType: c.dataNodeInstanceType,
        ...(c.dedicatedMasterNodes > 0
          ? { masterNodes: c.dedicatedMasterNodes, masterNodeInstanceType: c.dedicatedMasterInstanceType }
          : {}),
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: c.volumeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: c.zoneAwareness ? { enabled: true, availabilityZoneCount: 3 } : { enabled: false },
      encryptionAtRest: { enabled: true, kmsKey: props.dataKey },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: {
        masterUserName: OPENSEARCH_MASTER_USER,
        masterUserPassword: this.masterUserSecret.secretValueFromJson('password'),
      },
      logging: {
        auditLogEnabled: true,
        auditLogGroup: this.logGroups.audit,
        slowSearchLogEnabled: true,
        slowSearchLogGroup: this.logGroups.slowSearch,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: this.logGroups.slowIndex,
        appLogEnabled: true,
        appLogGroup: this.logGroups.app,
      },
      suppressLogsResourcePolicy: true,
      removalPolicy,
    });
    // Fine-grained access control decides who may do what; the resource policy only lets requests
    // reach it (AWS's guidance for FGAC domains: an open domain policy, access limited by the VPC,
    // the security group and the FGAC users). Set on the CloudFormation resource with the domain's
    // ARN spelled out: `addAccessPolicies` would add a custom resource (a Lambda) to set it later.
    (this.domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          Resource: `arn:${stack.partition}:es:${stack.region}:${stack.account}:domain/${domainName}/*`,
        },
      ],
    };

    Validations.of(this.domain).acknowledge({
      id: 'AwsSolutions-OS3',
      reason: `${domainName} lives in the private subnets behind a security group that admits HTTPS only from the EKS cluster security group; an IP allow-list would add nothing and break with pod IP churn.`,
    });
    Validations.of(this.domain).acknowledge({
      id: 'AwsSolutions-OS5',
      reason: `${domainName} uses fine-grained access control with the master user in Secrets Manager: every request is authenticated by FGAC (basic auth or IAM), and the domain is reachable only from the cluster security group inside the VPC; AWS documents an open domain policy as the FGAC set-up.`,
    });
    if (c.dedicatedMasterNodes === 0) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions-OS4',
        reason: `${stageName} runs ${c.dataNodes} data node(s) without dedicated masters (platform.opensearch.dedicatedMasterNodes = 0): a non-production size; prod sets three.`,
      });
    }
    if (!c.zoneAwareness) {
      Validations.of(this.domain).acknowledge({
        id: 'AwsSolutions-OS7',
        reason: `${stageName} runs OpenSearch in one AZ (platform.opensearch.zoneAwareness off): a non-production size; prod spreads over three AZs.`,
      });
    }
  }
}
