import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { logger, withLogContext } from '../../../functions/shared/powertools.js';

/**
 * Cold-load reference (test/bench/sections/cold-load.ts): ./one-call.ts with what every function of
 * the app adds before its own work: the Powertools logger, made safe (functions/shared/powertools.ts),
 * one structured line, the invocation's log context.
 */
const ssm = new SSMClient({});

export const handler = withLogContext(async (): Promise<string | null> => {
  const out = await ssm.send(new GetParameterCommand({ Name: '/reference/parameter' }));
  logger.info('parameter read', { name: '/reference/parameter' });
  return out.Parameter?.Value ?? null;
});
