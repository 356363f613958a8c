import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * Cold-load reference (test/bench/sections/cold-load.ts): the "plain function with one SDK
 * client", made real: the yardstick's own client, bundled as BUNDLING bundles every function, sending
 * one call. No code of ours, no logger: what the chosen SDK costs a cold start by itself.
 */
const ssm = new SSMClient({});

export const handler = async (): Promise<string | null> => {
  const out = await ssm.send(new GetParameterCommand({ Name: '/reference/parameter' }));
  return out.Parameter?.Value ?? null;
};
