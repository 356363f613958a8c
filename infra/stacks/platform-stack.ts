import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';

export interface PlatformStackProps extends StackProps {
  readonly stage: StageConfig;
}

/**
 * The core platform one stage runs its services on: network, EKS and its add-ons, data,
 * storage, keys, DNS, audit trail. Composes platform constructs only; holds no resources itself.
 */
export class PlatformStack extends Stack {
  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    // Platform constructs (network, cluster, data, storage, dns, trail, datadog) are composed here.
  }
}
