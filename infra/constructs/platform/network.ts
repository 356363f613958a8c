import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../../config/index.js';

export interface PlatformNetworkProps {
  readonly stageName: string;
  /** Exactly three, from config: no availability-zone lookup at synth. */
  readonly availabilityZones: readonly string[];
  readonly vpc: PlatformConfig['vpc'];
  /** Site-to-site VPN from the office; none = no VPN. */
  readonly vpn?: PlatformConfig['vpn'];
  /** Encrypts the flow-log group. */
  readonly logsKey: kms.IKey;
  readonly retain: boolean;
}

/** Retention values CloudWatch Logs accepts, ascending. */
const RETENTIONS = Object.values(logs.RetentionDays)
  .filter((v): v is logs.RetentionDays => typeof v === 'number' && v > 0)
  .sort((a, b) => a - b);

/** The smallest retention CloudWatch accepts that keeps logs at least `days`. */
export function retentionAtLeast(days: number): logs.RetentionDays {
  return RETENTIONS.find((r) => r >= days) ?? logs.RetentionDays.TEN_YEARS;
}

/**
 * The stage's network: a VPC over three AZs with one public and one private subnet in each,
 * NAT gateways per config (one in non-production, one per AZ in production), an S3 gateway
 * endpoint, flow logs to a KMS-encrypted log group, and a site-to-site VPN from the office
 * whose static routes are propagated to the private route tables only.
 */
export class PlatformNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  readonly flowLogGroup: logs.LogGroup;
  readonly flowLog: ec2.FlowLog;
  /** The office VPN connection, when configured. */
  readonly vpnConnection?: ec2.VpnConnection;

  constructor(scope: Construct, id: string, props: PlatformNetworkProps) {
    super(scope, id);
    const { vpn } = props;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: `${props.stageName}-platform`,
      ipAddresses: ec2.IpAddresses.cidr(props.vpc.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: props.vpc.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 22, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
      // The office VPN terminates on a virtual private gateway; its routes reach private subnets only.
      ...(vpn
        ? {
            vpnGateway: true,
            vpnGatewayAsn: 64512,
            vpnRoutePropagation: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
          }
        : {}),
    });

    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets]) {
      Validations.of(subnet).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason:
          'Availability zones come from typed stage config on purpose: synth needs no AZ lookup (no credentials), and node groups and EBS volumes are pinned per zone.',
      });
    }

    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: `/platform/${props.stageName}/vpc-flow-logs`,
      encryptionKey: props.logsKey,
      retention: retentionAtLeast(props.vpc.flowLogRetentionDays),
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    if (vpn) {
      this.vpnConnection = this.vpc.addVpnConnection('Office', {
        ip: vpn.customerGatewayIp,
        asn: vpn.customerGatewayAsn,
        // Static routing: only the office networks are reachable over the tunnel.
        staticRoutes: [...vpn.officeCidrs],
      });
    }
  }

  get publicSubnets(): ec2.ISubnet[] {
    return this.vpc.publicSubnets;
  }

  get privateSubnets(): ec2.ISubnet[] {
    return this.vpc.privateSubnets;
  }
}
