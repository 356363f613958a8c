import { EC2Client } from '@aws-sdk/client-ec2';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';
import { runSnapshotStep, SnapshotStepEvent } from './core.js';

/** EC2 clients per region, created once per container. */
const ec2Clients = new Map<string, EC2Client>();
const clients = {
  ec2(region: string): EC2Client {
    let c = ec2Clients.get(region);
    if (!c) {
      c = new EC2Client({ region });
      ec2Clients.set(region, c);
    }
    return c;
  },
};

/** Lambda steps of the snapshot-volume workflow (see core.ts). Bad input fails the step before any call. */
export const handler = withLogContext(
  async (event: unknown, context?: { awsRequestId?: string }): Promise<unknown> => {
    const parsed = SnapshotStepEvent.parse(event);
    logger.appendKeys({
      correlationId: parsed.executionName,
      step: parsed.step,
      requestId: context?.awsRequestId,
    });
    return runSnapshotStep(parsed, clients, logger, new Date());
  },
);
