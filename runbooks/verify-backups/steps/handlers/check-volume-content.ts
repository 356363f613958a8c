import type { Context } from 'aws-lambda';
import { logger, requiredEnv, withLogContext } from '../../../../functions/shared/powertools.js';
import {
  type CheckVolumeContentEvent,
  type ContentObservation,
  checkVolumeContent,
} from '../check-volume-content.js';
import { HttpEbsDirect } from '../ebs-direct.js';

/**
 * The execution role's credentials, as Lambda puts them in the environment (what the SDK's `fromEnv`
 * reads; they last as long as the sandbox). Read per call, never logged.
 */
const credentials = async () => ({
  accessKeyId: requiredEnv('AWS_ACCESS_KEY_ID'),
  secretAccessKey: requiredEnv('AWS_SECRET_ACCESS_KEY'),
  ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
});

// The endpoint the AWS SDKs would use: the service-specific or the global override, else AWS's.
const endpoint = process.env.AWS_ENDPOINT_URL_EBS ?? process.env.AWS_ENDPOINT_URL;
const ebs = new HttpEbsDirect({
  region: requiredEnv('AWS_REGION'),
  credentials,
  ...(endpoint ? { endpoint } : {}),
});

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
