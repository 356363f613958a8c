import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { Context } from 'aws-lambda';
import { logger, requiredEnv } from '../../../shared/powertools.js';
import {
  type CheckVolumeContentEvent,
  type ContentObservation,
  checkVolumeContent,
} from '../check-volume-content.js';
import { HttpEbsDirect } from '../ebs-direct.js';

const ebs = new HttpEbsDirect({ region: requiredEnv('AWS_REGION'), credentials: defaultProvider() });

/** Stop starting calls this long before the Lambda times out, so the verdict is still returned. */
const MARGIN_MS = 15_000;

/** verify-backups "Check volume content": reads the newest snapshot through the EBS direct APIs. */
export const handler = async (
  event: CheckVolumeContentEvent,
  context?: Context,
): Promise<ContentObservation> => {
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS : undefined;
  const out = await checkVolumeContent(event, { ebs, ...(deadline !== undefined ? { deadline } : {}) });
  logger.info('content check', {
    snapshotId: out.snapshotId,
    verdict: out.verdict,
    reason: out.reason,
    blocksRead: out.blocksRead,
  });
  return out;
};
