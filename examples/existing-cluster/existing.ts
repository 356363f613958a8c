/**
 * The platform the team already runs, as it is known to its owners: ids, names and ARNs. Nothing
 * here is created by this app. Replace the values with yours (or pass `-c vpcId=vpc-…` to look the
 * VPC up instead, which needs credentials; see stack.ts).
 */
export const EXISTING = {
  account: '222222222222',
  region: 'eu-central-1',
  vpc: {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
    /** Private subnets with a route to a NAT gateway (PRIVATE_WITH_EGRESS): the in-VPC functions run here. */
    privateSubnetIds: ['subnet-0aa0000000000a001', 'subnet-0aa0000000000a002', 'subnet-0aa0000000000a003'],
    privateSubnetRouteTableIds: ['rtb-0aa0000000000b001', 'rtb-0aa0000000000b002', 'rtb-0aa0000000000b003'],
  },
  cluster: {
    clusterName: 'shop-eks',
    clusterEndpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com',
    /** `aws eks describe-cluster --query cluster.certificateAuthority.data` (base64 PEM). */
    clusterCertificateAuthorityData:
      'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmV4YW1wbGUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=',
    /** The EKS-created cluster security group (control plane ⇄ nodes). */
    clusterSecurityGroupId: 'sg-0cc0000000000c001',
    /**
     * A kubectl provider the team already has (a cluster made with aws-eks-v2 has one: its
     * function ARN and role). The automation applies its RBAC through it.
     */
    kubectlProvider: {
      serviceToken: 'arn:aws:lambda:eu-central-1:222222222222:function:shop-eks-kubectl-provider',
      roleArn: 'arn:aws:iam::222222222222:role/shop-eks-kubectl-provider',
    },
  },
  zones: [
    { zoneName: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    { zoneName: 'shop.internal.example.com', hostedZoneId: 'Z0987654321ABCDEFGHIJ' },
  ],
  buckets: {
    backups: 'shop-backups-222222222222',
    velero: 'shop-velero-222222222222',
    accessLogs: 'shop-access-logs-222222222222',
  },
  /** The key backups, EBS snapshots and the database secrets are encrypted with. */
  dataKeyArn: 'arn:aws:kms:eu-central-1:222222222222:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
  database: {
    /** Complete ARNs (with the six-character suffix Secrets Manager adds). */
    masterSecretArn: 'arn:aws:secretsmanager:eu-central-1:222222222222:secret:shop/rds/master-Ab12Cd',
    appUserSecretArn: 'arn:aws:secretsmanager:eu-central-1:222222222222:secret:shop/rds/app-user-Ef34Gh',
    securityGroupId: 'sg-0dd0000000000d001',
  },
} as const;
