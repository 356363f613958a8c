import { logger } from '../shared/powertools.js';

/** Approval request for a waitForTaskToken step (see runbooks/workflow-kit.ts). */
export const handler = async (event: { execution: string }): Promise<void> => {
  logger.appendKeys({ correlationId: event.execution });
  logger.info('approval requested');
};
