import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { logger, withLogContext } from '../../../../functions/shared/powertools.js';
import { type CollectClients, type CollectEvent, collectInventory, type Inventory } from '../collect.js';

/** DR_REGION is optional: a stage without a DR region reads only its own. */
const drRegion = process.env.DR_REGION || undefined;
const clients: CollectClients = {
  ec2: new EC2Client({}),
  rds: new RDSClient({}),
  s3: new S3Client({}),
  ...(drRegion
    ? {
        ec2Dr: new EC2Client({ region: drRegion }),
        rdsDr: new RDSClient({ region: drRegion }),
        s3Dr: new S3Client({ region: drRegion }),
      }
    : {}),
};

/** verify-backups "Collect backups": the inventory of protected resources and their recovery points. */
export const handler = withLogContext(
  async (event: CollectEvent): Promise<Inventory> => collectInventory(event, clients, logger, new Date()),
);
