import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../../config/index.js';

export interface PlatformDnsProps {
  readonly dns: PlatformConfig['dns'];
  /** The private zone is associated with this VPC. */
  readonly vpc: ec2.IVpc;
}

/**
 * Route 53 zones for the stage: a public zone (what customers resolve; external-dns and the
 * DNS runbook write records in it) and a private zone associated with the VPC, plus
 * one ACM certificate for the public zone apex, its wildcard and any extra names in config,
 * validated by DNS records in the public zone.
 */
export class PlatformDns extends Construct {
  readonly publicZone: route53.PublicHostedZone;
  readonly privateZone: route53.PrivateHostedZone;
  readonly certificate: acm.Certificate;

  constructor(scope: Construct, id: string, props: PlatformDnsProps) {
    super(scope, id);
    const { publicZoneName, privateZoneName, certificateNames } = props.dns;
    this.publicZone = new route53.PublicHostedZone(this, 'Public', {
      zoneName: publicZoneName,
      comment: `Public zone (${publicZoneName}): managed by the platform stack, records by external-dns`,
    });
    this.privateZone = new route53.PrivateHostedZone(this, 'Private', {
      zoneName: privateZoneName,
      vpc: props.vpc,
      comment: `Private zone (${privateZoneName}) for the platform VPC`,
    });
    const extraNames = certificateNames.filter((n) => n !== publicZoneName && n !== `*.${publicZoneName}`);
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: publicZoneName,
      subjectAlternativeNames: [`*.${publicZoneName}`, ...extraNames],
      validation: acm.CertificateValidation.fromDns(this.publicZone),
    });
  }
}
