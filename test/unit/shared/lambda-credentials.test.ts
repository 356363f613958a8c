import { defaultProvider as nodeChain } from '@aws-sdk/credential-provider-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider as lambdaChain } from '../../../functions/shared/lambda-credentials.js';

/**
 * The Lambda bundles take the SDK's environment provider in place of its whole default chain
 * (esbuild `--alias`, infra/constructs/ops-function.ts). In a Lambda-shaped environment (the
 * execution role's credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN)
 * the real chain from `@aws-sdk/credential-provider-node` is the oracle: both must resolve the same
 * identity. Without credentials in the environment the substitute fails with the SDK's own error
 * instead of reaching for files or metadata endpoints.
 */
const ROLE = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXECROLE1',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN',
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the Lambda bundles’ credential provider', () => {
  it('resolves the execution role’s credentials exactly as the SDK’s default chain does', async () => {
    for (const [name, value] of Object.entries(ROLE)) vi.stubEnv(name, value);
    // Keep the real chain from reading this machine's profile files before the environment.
    vi.stubEnv('AWS_PROFILE', undefined);
    const ours = await lambdaChain()();
    const theirs = await nodeChain()();
    expect({ ...ours, $source: undefined }).toEqual({ ...theirs, $source: undefined });
    expect(ours).toMatchObject({
      accessKeyId: ROLE.AWS_ACCESS_KEY_ID,
      secretAccessKey: ROLE.AWS_SECRET_ACCESS_KEY,
      sessionToken: ROLE.AWS_SESSION_TOKEN,
    });
  });

  it('fails with the SDK’s CredentialsProviderError when the environment has none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    await expect(lambdaChain()()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
