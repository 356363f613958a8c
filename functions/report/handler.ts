import { logger } from '../shared/powertools.js';

/** Phase report of a run (see runbooks/workflow-kit.ts for the payload contract). */
export const handler = async (event: { phase: string; execution: string }): Promise<void> => {
  logger.appendKeys({ correlationId: event.execution });
  logger.info('run report', { phase: event.phase });
};
