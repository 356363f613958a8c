import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatadogApi, DatadogError } from '../../../functions/shared/datadog.js';
import { secretsManagerSecret } from '../../../functions/shared/slack.js';
import { type AwsRefuser, startAwsRefuser } from '../../bundles/aws-refuser.js';

/**
 * A Datadog key the function may not read is a refusal, not an outage: one GetSecretValue, then a
 * DatadogError that is not transient, and no back-off (it cost the verify-backups publish step
 * ~0.9 s of every cold start against a refusal, issue 17). The refusal is Secrets Manager's own
 * AccessDeniedException as the real SDK client parses it from the local stand-in's answer.
 */
let aws: AwsRefuser;
beforeAll(async () => {
  aws = await startAwsRefuser();
});
afterAll(async () => {
  await aws.close();
});

describe('DatadogApi: a key that cannot be read', () => {
  it('ends at the first refusal, without retrying, and names no key', async () => {
    const client = new SecretsManagerClient({
      region: 'eu-west-1',
      endpoint: aws.url,
      credentials: { accessKeyId: 'AKIADDKEYTEST0000001', secretAccessKey: 'test' },
    });
    const api = new DatadogApi({
      apiKey: secretsManagerSecret(client, 'dev/datadog/api-key'),
      site: 'datadoghq.eu',
      // Never reached: the key is refused first.
      baseUrl: 'http://127.0.0.1:9',
      maxRetries: 2,
      retryDelayMs: 1,
    });
    const failure = await api.submitMetrics([{ name: 'x', type: 'count', value: 1, tags: [] }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DatadogError);
    expect((failure as DatadogError).transient).toBe(false);
    expect((failure as DatadogError).code).toBe('AccessDeniedException');
    const calls = aws.calls.filter((c) => c.accessKeyId === 'AKIADDKEYTEST0000001');
    expect(calls.map((c) => c.operation)).toEqual(['GetSecretValue']);
  });
});
