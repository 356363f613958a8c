import type { Context } from 'aws-lambda';
import { logger, requiredEnv, withLogContext } from '../../../../functions/shared/powertools.js';
import {
  type CheckVolumeContentEvent,
  type ContentObservation,
  checkVolumeContent,
} from '../check-volume-content.js';
import { SdkEbsDirect } from '../ebs-direct.js';

// The SDK's own credential chain (the execution role's credentials from the environment) and
// endpoint settings (AWS_ENDPOINT_URL_EBS, AWS_ENDPOINT_URL, else AWS's).
const ebs = new SdkEbsDirect({ region: requiredEnv('AWS_REGION') });

/** Stop starting calls this long before the Lambda times out, so the verdict is still returned. */
const MARGIN_MS = 15_000;

/** verify-backups "Check volume content": reads the newest snapshot through the EBS direct APIs. */
export const handler = withLogContext(
  async (event: CheckVolumeContentEvent, context?: Context): Promise<ContentObservation> => {
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS : undefined;
    const out = await checkVolumeContent(event, { ebs, ...(deadline !== undefined ? { deadline } : {}) });
    logger.info('content check', {
      snapshotId: out.snapshotId,
      verdict: out.verdict,
      reason: out.reason,
      blocksRead: out.blocksRead,
    });
    return out;
  },
);
