import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../config/index.js';
import { DrVault } from '../constructs/platform/dr-vault.js';

export interface DrStackProps extends StackProps {
  readonly stage: StageConfig;
  /** The stage's DR region (the stack's `env.region`). */
  readonly drRegion: string;
}

/**
 * `<stage>-dr`, deployed in the stage's `drRegion` before the platform stack: the DR key and the
 * replica buckets the platform's S3 replication and RDS backup replication write to. Nothing here
 * references the home region; the platform stack finds these by their deterministic names.
 */
export class DrStack extends Stack {
  readonly vault: DrVault;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    // As in the platform stack: access logs are admitted by a bucket policy, not by ACLs.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { stage } = props;
    this.vault = new DrVault(this, 'Vault', {
      target: { stageName: stage.name, account: stage.account, drRegion: props.drRegion },
      archiveAfterDays: stage.platform.buckets.archiveAfterDays,
      logsExpireAfterDays: stage.platform.buckets.logsExpireAfterDays,
    });
  }
}
