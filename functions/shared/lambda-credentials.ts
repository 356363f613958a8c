import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { defaultProvider as nodeDefaultProvider } from '@aws-sdk/credential-provider-node';

/**
 * `@aws-sdk/credential-provider-node` for the Lambda bundles: the environment provider alone.
 * Lambda puts the execution role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the first link of the SDK's default chain, so in a
 * function the chain never reaches its other links: shared ini files, SSO and login tokens,
 * `credential_process`, web identity, container and instance metadata. Their code, with the STS, SSO
 * and sign-in clients it carries (`@aws-sdk/nested-clients`), is still bundled and parsed at every
 * cold start: 255 KB of the kube function's 441 KB (issue 17, measured in the cold-load bench).
 *
 * esbuild substitutes this module for the package (`--alias`, infra/constructs/ops-function.ts
 * BUNDLING), so every SDK client's `credentialDefaultProvider` and the kube token's signer resolve
 * the environment's credentials. Tests and the `ops` command run unbundled, with the whole chain. A
 * function started without credentials in its environment fails on its first AWS call with the
 * SDK's own `CredentialsProviderError`, as the whole chain would after trying every link.
 * Lambda environments that serve the role's credentials from a container endpoint instead
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI`; none of this app's functions run in one) would need the
 * alias removed.
 */
export const defaultProvider: typeof nodeDefaultProvider = (init = {}) => fromEnv(init);
