import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Database } from '../../runbooks/rotate-secret/steps/mysql.js';
import {
  OpsRequestSchema,
  type RecoverResult,
  type RotationDeps,
  RotationEventSchema,
  rotationStep,
  type VerifyResult,
} from '../../runbooks/rotate-secret/steps/protocol.js';
import { SecretStore } from '../../runbooks/rotate-secret/steps/secrets.js';
import { parseSettings } from '../../runbooks/rotate-secret/steps/settings.js';
import { randomToken } from '../../runbooks/rotate-secret/steps/strategies.js';
import { captureLogger } from '../support/capture-logger.js';
import { FakeSecretsManager } from '../support/secrets-manager-fake.js';

/**
 * The random-token strategy, driven through the Lambda handler exactly as Secrets Manager and
 * the rotate-secret runbook invoke it (environment read at cold start, shared Powertools logger).
 */

type Handler = (event: unknown) => Promise<VerifyResult | RecoverResult | undefined>;

let handler: Handler;
let sm: FakeSecretsManager;
let capture: ReturnType<typeof captureLogger>;
const client = new SecretsManagerClient({ region: 'eu-west-1' });

beforeAll(async () => {
  capture = captureLogger('rotation');
  // The handler's own logger is read here: undo the suite's quiet default (vitest.config.ts).
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('ROTATION_STRATEGY', 'random');
  vi.stubEnv('TOKEN_FIELD', 'apiToken');
  vi.stubEnv('TOKEN_LENGTH', '48');
  vi.stubEnv('EXCLUDE_PUNCTUATION', 'true');
  vi.stubEnv('EXCLUDE_CHARACTERS', 'lIO01');
  ({ handler } = (await import('../../runbooks/rotate-secret/steps/handler.js')) as { handler: Handler });
});

afterAll(() => capture.restore());

beforeEach(() => {
  sm = new FakeSecretsManager();
  sm.rotator = async (event) => void (await handler(event));
});

afterEach(() => {
  // No token value in any log line, whatever the test did.
  const values = sm.secretMaterial(['apiToken', 'token']);
  sm.restore();
  const leaks = capture.lines.filter((line) => values.some((v) => line.includes(v)));
  expect(leaks).toEqual([]);
});

describe('rotation (random): API tokens from a configurable generator, through the handler', () => {
  it('replaces the token with one from GetRandomPassword honouring the configured length and exclusions', async () => {
    // Prepare
    sm.create('partner', { apiToken: 'original-token-value-0123456789', clientId: 'partner-client' });

    // Act
    await client.send(new RotateSecretCommand({ SecretId: 'partner' }));

    // Assess
    const current = sm.parsedAt<{ apiToken: string; clientId: string }>('partner', 'AWSCURRENT');
    expect(current.clientId).toBe('partner-client');
    expect(current.apiToken).toHaveLength(48);
    expect(current.apiToken).toMatch(/^[A-Za-z0-9]+$/);
    expect(current.apiToken).not.toMatch(/[lIO01]/);
    expect(sm.parsedAt<{ apiToken: string }>('partner', 'AWSPREVIOUS').apiToken).toBe(
      'original-token-value-0123456789',
    );
    expect(Object.values(sm.stages('partner')).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it.each([
    ['hex', /^[0-9a-f]{64}$/],
    ['base64url', /^[A-Za-z0-9_-]{64}$/],
  ] as const)('generates %s tokens from the system CSPRNG when configured so', async (generator, shape) => {
    // Prepare
    const arn = sm.create('partner-hex', { token: 'x'.repeat(32) });
    const settings = parseSettings({
      ROTATION_STRATEGY: 'random',
      TOKEN_GENERATOR: generator,
      TOKEN_LENGTH: '64',
    });
    const deps: RotationDeps = {
      store: new SecretStore(client),
      db: new Database({ tls: 'required', connectTimeoutMs: 1000 }),
      strategy: randomToken,
      settings,
      logger: capture.logger,
    };
    sm.rotator = (event) => rotationStep(event, deps);

    // Act
    await client.send(new RotateSecretCommand({ SecretId: arn }));

    // Assess
    expect(sm.parsedAt<{ token: string }>(arn, 'AWSCURRENT').token).toMatch(shape);
  });

  it('verify reports that AWSCURRENT works and whether it is the version the run asked for', async () => {
    // Prepare
    sm.create('partner', { apiToken: 'original-token-value-0123456789' });
    const { VersionId } = await client.send(new RotateSecretCommand({ SecretId: 'partner' }));

    // Act
    const asked = await handler({ action: 'verify', secretId: 'partner', expectVersionId: VersionId });
    const other = await handler({ action: 'verify', secretId: 'partner', expectVersionId: 'b'.repeat(36) });

    // Assess
    expect(asked).toEqual({
      secretId: 'partner',
      versionId: VersionId,
      works: true,
      isExpectedVersion: true,
    });
    expect(other).toMatchObject({ works: true, isExpectedVersion: false });
  });

  it('verify says AWSCURRENT does not work when its token is missing, naming the field', async () => {
    sm.create('partner', { somethingElse: 'abc' });

    const out = await handler({ action: 'verify', secretId: 'partner' });

    expect(out).toMatchObject({
      works: false,
      reason:
        'MalformedSecretError: AWSCURRENT of secret partner has no token of at least 16 characters in field apiToken',
    });
  });

  it('recover finishes a rotation a crash left half done, after which RotateSecret starts again', async () => {
    // Prepare: the function dies right after createSecret
    sm.create('partner', { apiToken: 'original-token-value-0123456789' });
    sm.rotator = async (event) => {
      await handler(event);
      if (event.Step === 'createSecret') throw new Error('injected crash');
    };
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: 'partner' }));
    await expect(client.send(new RotateSecretCommand({ SecretId: 'partner' }))).rejects.toThrow(
      "A previous rotation isn't complete",
    );
    sm.rotator = async (event) => void (await handler(event));

    // Act
    const recovered = await handler({ action: 'recover', secretId: 'partner' });
    const { VersionId: next } = await client.send(new RotateSecretCommand({ SecretId: 'partner' }));

    // Assess
    expect(recovered).toEqual({ secretId: 'partner', outcome: 'completed', versionId: stuck });
    expect(sm.stages('partner')[next as string]).toEqual(['AWSCURRENT']);
    expect(sm.stages('partner')[stuck as string]).toEqual(['AWSPREVIOUS']);
  });

  it('recover abandons a pending version that cannot be finished while AWSCURRENT still works', async () => {
    // Prepare: an earlier rotation wrote a pending value without a token field
    sm.create('partner', { apiToken: 'original-token-value-0123456789' });
    sm.rotator = undefined;
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: 'partner' }));
    sm.putSecretValue({
      SecretId: 'partner',
      ClientRequestToken: stuck,
      SecretString: '{"broken":true}',
      VersionStages: ['AWSPENDING'],
    });

    // Act
    const recovered = (await handler({ action: 'recover', secretId: 'partner' })) as RecoverResult;

    // Assess
    expect(recovered).toMatchObject({ outcome: 'abandoned', versionId: stuck });
    expect(recovered.reason).toContain('MalformedSecretError: AWSPENDING of secret partner has no token');
    expect(sm.stages('partner')[stuck as string]).toBeUndefined();
    expect(sm.versionValue('partner', stuck as string)).toBe('{"broken":true}');
  });

  it('recover does nothing when no rotation is stuck', async () => {
    sm.create('partner', { apiToken: 'original-token-value-0123456789' });
    expect(await handler({ action: 'recover', secretId: 'partner' })).toEqual({
      secretId: 'partner',
      outcome: 'none',
    });
  });

  it('rejects an event that is neither a rotation step nor a runbook action, and logs why', async () => {
    const before = capture.lines.length;
    await expect(handler({ Step: 'dropDatabase', SecretId: 'partner' })).rejects.toThrow(
      'expected a Secrets Manager rotation event',
    );
    expect(capture.lines.slice(before).join('\n')).toContain('UnrecognisedRotationEventError');
  });
});

describe('rotation handler: bad input', () => {
  it('rejects any event that is not a rotation step or a runbook action, and touches no secret', async () => {
    // Prepare
    sm.create('partner', { apiToken: 'original-token-value-0123456789' });
    const before = JSON.stringify(sm.stages('partner'));

    // Act + Assess
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (event) => {
        const parsedAsKnown =
          RotationEventSchema.safeParse(event).success || OpsRequestSchema.safeParse(event).success;
        fc.pre(!parsedAsKnown);
        await expect(handler(event)).rejects.toThrow('expected a Secrets Manager rotation event');
      }),
      { numRuns: 200 },
    );
    expect(sm.mock.calls()).toHaveLength(0);
    expect(JSON.stringify(sm.stages('partner'))).toBe(before);
  });
});

describe('rotation (random): concurrent runs of a step', () => {
  it('keeps the first pending value when a racing createSecret stores one under the same token first', async () => {
    // Prepare: RotateSecret created the empty pending version; a racing run stores a value first
    const arn = sm.create('partner-race', { token: 'x'.repeat(32) });
    sm.rotator = undefined;
    const { VersionId: token } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const settings = parseSettings({ ROTATION_STRATEGY: 'random' });
    const deps: RotationDeps = {
      store: new SecretStore(client),
      db: new Database({ tls: 'required', connectTimeoutMs: 1000 }),
      strategy: {
        ...randomToken,
        next: async (current, ctx) => {
          sm.putSecretValue({
            SecretId: arn,
            ClientRequestToken: token,
            SecretString: JSON.stringify({ token: 'stored-by-the-racing-run-0001' }),
            VersionStages: ['AWSPENDING'],
          });
          return await randomToken.next(current, ctx);
        },
      },
      settings,
      logger: capture.logger,
    };

    // Act
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token as string }, deps);

    // Assess
    expect(JSON.parse(sm.versionValue(arn, token as string) as string)).toEqual({
      token: 'stored-by-the-racing-run-0001',
    });
  });
});

describe('FakeSecretsManager: the label semantics the rotation tests rely on', () => {
  it('moves labels instead of copying them, and AWSPREVIOUS follows AWSCURRENT', () => {
    const arn = sm.create('labels', { token: 'a'.repeat(32) });
    const [first] = Object.keys(sm.stages(arn));
    const t2 = 'b'.repeat(36);
    const t3 = 'c'.repeat(36);

    sm.putSecretValue({
      SecretId: arn,
      ClientRequestToken: t2,
      SecretString: '{"v":2}',
      VersionStages: ['AWSPENDING'],
    });
    sm.updateSecretVersionStage({
      SecretId: arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: t2,
      RemoveFromVersionId: first,
    });
    sm.putSecretValue({ SecretId: arn, ClientRequestToken: t3, SecretString: '{"v":3}' });

    expect(sm.stages(arn)).toEqual({ [t2]: ['AWSPENDING', 'AWSPREVIOUS'], [t3]: ['AWSCURRENT'] });
    expect(sm.versionValue(arn, first as string)).toContain('aaaa');
  });

  it('PutSecretValue is idempotent per token and value, and refuses another value under the same token', () => {
    const arn = sm.create('idem', { token: 'a'.repeat(32) });
    const t = 'd'.repeat(36);
    const put = (value: string) =>
      sm.putSecretValue({
        SecretId: arn,
        ClientRequestToken: t,
        SecretString: value,
        VersionStages: ['AWSPENDING'],
      });

    put('{"v":1}');
    put('{"v":1}');

    expect(() => put('{"v":2}')).toThrow('A resource with the ID you requested already exists');
    expect(sm.versionValue(arn, t)).toBe('{"v":1}');
  });

  it('UpdateSecretVersionStage refuses to move a label from a version that does not hold it', () => {
    const arn = sm.create('strict', { token: 'a'.repeat(32) });
    sm.putSecretValue({
      SecretId: arn,
      ClientRequestToken: 'e'.repeat(36),
      SecretString: '{}',
      VersionStages: [],
    });

    expect(() =>
      sm.updateSecretVersionStage({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'e'.repeat(36),
        RemoveFromVersionId: 'f'.repeat(36),
      }),
    ).toThrow('is not attached to version');
  });
});
