import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { logger, withLogContext } from '../../../../functions/shared/powertools.js';
import { type SweepEvent, type SweepOutcome, sweepScratch } from '../sweep.js';

const clients = { ec2: new EC2Client({}), rds: new RDSClient({}) };

/** verify-backups "Sweep leftover scratch resources": deletes what crashed runs left behind. */
export const handler = withLogContext(
  async (event: SweepEvent): Promise<SweepOutcome> => sweepScratch(event, clients, logger, new Date()),
);
