import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import type { Database } from '../../runbooks/rotate-secret/steps/mysql.js';
import {
  type RotationDeps,
  recoverStuck,
  rotationStep,
  verifyCurrent,
} from '../../runbooks/rotate-secret/steps/protocol.js';
import { SecretStore } from '../../runbooks/rotate-secret/steps/secrets.js';
import { parseSettings } from '../../runbooks/rotate-secret/steps/settings.js';
import { randomToken } from '../../runbooks/rotate-secret/steps/strategies.js';
import { FakeSecretsManager } from '../support/secrets-manager-fake.js';

/**
 * The rotation protocol's record of what it did: the log lines an operator reads after a
 * rotation (each step, the pending value created / found, tested, promoted; recovery), with the
 * secret's name and version ids and never a value. The random-token strategy needs no database,
 * so each step here is the protocol's own behaviour against the Secrets Manager fake (which
 * refuses what Secrets Manager refuses). Every expected line is written out by hand.
 */

interface Line {
  readonly level: string;
  readonly message: string;
  readonly extra?: unknown;
}

const client = new SecretsManagerClient({ region: 'eu-west-1' });
let sm: FakeSecretsManager;
let lines: Line[];
let deps: RotationDeps;

function recordingLogger(): OpsLogger {
  const log = (level: string) => (message: string, extra?: unknown) => {
    lines.push(extra === undefined ? { level, message } : { level, message, extra });
  };
  return {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    debug: log('debug'),
    appendKeys: () => undefined,
  } as unknown as OpsLogger;
}

beforeEach(() => {
  sm = new FakeSecretsManager();
  lines = [];
  deps = {
    store: new SecretStore(client),
    db: {} as Database, // the random strategy never reaches a database
    strategy: randomToken,
    settings: parseSettings({ ROTATION_STRATEGY: 'random', TOKEN_FIELD: 'apiToken', TOKEN_LENGTH: '32' }),
    logger: recordingLogger(),
  };
  sm.rotator = (event) => rotationStep(event, deps);
});
afterEach(() => sm.restore());

const TOKEN_VALUE = 'original-token-value-0123456789';

describe('rotation protocol: what a rotation logs', () => {
  it('one line per step, then created, works, finished with the previous version id', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const [original] = Object.keys(sm.stages(arn));

    // Act
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));

    // Assess
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'rotation step',
        extra: { secret: 'partner', step: 'createSecret', versionId: v },
      },
      { level: 'info', message: 'pending value created', extra: { secret: 'partner', versionId: v } },
      {
        level: 'info',
        message: 'rotation step',
        extra: { secret: 'partner', step: 'setSecret', versionId: v },
      },
      {
        level: 'info',
        message: 'rotation step',
        extra: { secret: 'partner', step: 'testSecret', versionId: v },
      },
      { level: 'info', message: 'pending value works', extra: { secret: 'partner', versionId: v } },
      {
        level: 'info',
        message: 'rotation step',
        extra: { secret: 'partner', step: 'finishSecret', versionId: v },
      },
      {
        level: 'info',
        message: 'rotation finished: version is AWSCURRENT',
        extra: { secret: 'partner', versionId: v, previousVersionId: original },
      },
    ]);
  });

  it('a repeated createSecret finds the pending value and says so; a step on the current version does nothing', async () => {
    // Prepare: a rotation whose function stops after createSecret
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = async (event) => {
      if (event.Step === 'createSecret') await rotationStep(event, deps);
      else throw new Error('stopped');
    };
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const pending = sm.valueAt(arn, 'AWSPENDING');
    lines.length = 0;

    // Act
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: v as string }, deps);

    // Assess
    expect(sm.valueAt(arn, 'AWSPENDING')).toBe(pending);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'rotation step',
        extra: { secret: 'partner', step: 'createSecret', versionId: v },
      },
      { level: 'info', message: 'pending value already created', extra: { secret: 'partner', versionId: v } },
    ]);

    // Act: finish it, then run finishSecret again on what is now AWSCURRENT
    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const)
      await rotationStep({ Step, SecretId: arn, ClientRequestToken: v as string }, deps);
    lines.length = 0;
    await rotationStep({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: v as string }, deps);

    // Assess
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'version is already AWSCURRENT: nothing to do',
        extra: { secret: 'partner', step: 'finishSecret', versionId: v },
      },
    ]);
  });

  it('a pending value stored concurrently under the same token is kept, and the log says so', async () => {
    // Prepare: another invocation stores its value between this one's check and its put
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = undefined;
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const theirs = JSON.stringify({ apiToken: 'their-token-value-abcdefghijklmnop' });
    const store = deps.store;
    const racing: RotationDeps = {
      ...deps,
      store: Object.assign(Object.create(Object.getPrototypeOf(store)) as SecretStore, store, {
        putPending: async (secretId: string, token: string, value: string) => {
          sm.putSecretValue({
            SecretId: secretId,
            ClientRequestToken: token,
            SecretString: theirs,
            VersionStages: ['AWSPENDING'],
          });
          return await store.putPending(secretId, token, value);
        },
      }),
    };

    // Act
    await rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: v as string }, racing);

    // Assess
    expect(sm.valueAt(arn, 'AWSPENDING')).toBe(theirs);
    expect(lines.at(-1)).toEqual({
      level: 'info',
      message: 'pending value was created concurrently: kept it',
      extra: { secret: 'partner', versionId: v },
    });
  });
});

describe('rotation protocol: verify and recover', () => {
  it('verify logs that AWSCURRENT works, with its version and whether it was the one asked for', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const [current] = Object.keys(sm.stages(arn));

    // Act
    const result = await verifyCurrent({ secretId: arn, expectVersionId: 'c'.repeat(36) }, deps);

    // Assess
    expect(result).toEqual({
      secretId: 'partner',
      versionId: current,
      works: true,
      isExpectedVersion: false,
    });
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'AWSCURRENT works',
        extra: { secret: 'partner', versionId: current, isExpectedVersion: false },
      },
    ]);
  });

  it('verify logs why AWSCURRENT does not work (error name and message, no value)', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: 'short' });
    const [current] = Object.keys(sm.stages(arn));
    const reason =
      'MalformedSecretError: AWSCURRENT of secret partner has no token of at least 16 characters in field apiToken';

    // Act
    const result = await verifyCurrent({ secretId: arn }, deps);

    // Assess
    expect(result).toEqual({
      secretId: 'partner',
      versionId: current,
      works: false,
      isExpectedVersion: true,
      reason,
    });
    expect(lines).toEqual([
      {
        level: 'error',
        message: 'AWSCURRENT does not work',
        extra: { secret: 'partner', versionId: current, reason },
      },
    ]);
  });

  it('recover logs that it finishes the unfinished rotation', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = undefined;
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: arn }));

    // Act
    const result = await recoverStuck({ secretId: arn }, deps);

    // Assess
    expect(result).toEqual({ secretId: 'partner', outcome: 'completed', versionId: stuck });
    expect(lines[0]).toEqual({
      level: 'warn',
      message: 'finishing an unfinished rotation',
      extra: { secret: 'partner', versionId: stuck },
    });
    expect(lines.map((l) => (l.extra as { step?: string }).step).filter(Boolean)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
  });

  it('recover that abandons a pending version logs why, and keeps the version (only its label goes)', async () => {
    // Prepare: the pending value has no token field, AWSCURRENT works
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = undefined;
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    sm.putSecretValue({
      SecretId: arn,
      ClientRequestToken: stuck,
      SecretString: '{"broken":true}',
      VersionStages: ['AWSPENDING'],
    });
    const reason =
      'MalformedSecretError: AWSPENDING of secret partner has no token of at least 16 characters in field apiToken';

    // Act
    const result = await recoverStuck({ secretId: arn }, deps);

    // Assess
    expect(result).toEqual({ secretId: 'partner', outcome: 'abandoned', versionId: stuck, reason });
    expect(lines.at(-1)).toEqual({
      level: 'warn',
      message: 'abandoned the unfinished rotation; AWSCURRENT works',
      extra: { secret: 'partner', versionId: stuck, reason },
    });
    expect(sm.versionValue(arn, stuck as string)).toBe('{"broken":true}');
  });
});

describe('rotation protocol: safety of the steps', () => {
  it('a finish that crashed after the promotion clears AWSPENDING when run again (else the next rotation is blocked)', async () => {
    // Prepare: the steps up to testSecret ran; AWSCURRENT was moved, then the function died
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const [original] = Object.keys(sm.stages(arn));
    sm.rotator = async (event) => {
      if (event.Step !== 'finishSecret') await rotationStep(event, deps);
      else throw new Error('stopped');
    };
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    await deps.store.promote(arn, v as string, original);
    expect(sm.stages(arn)[v as string]?.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);

    // Act
    await rotationStep({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: v as string }, deps);

    // Assess
    expect(sm.stages(arn)[v as string]).toEqual(['AWSCURRENT']);
  });

  it('another step on a version that is AWSCURRENT and AWSPENDING changes no label', async () => {
    // Prepare: as above, AWSCURRENT moved, AWSPENDING still on it
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const [original] = Object.keys(sm.stages(arn));
    sm.rotator = async (event) => {
      if (event.Step !== 'finishSecret') await rotationStep(event, deps);
      else throw new Error('stopped');
    };
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    await deps.store.promote(arn, v as string, original);

    // Act
    await rotationStep({ Step: 'testSecret', SecretId: arn, ClientRequestToken: v as string }, deps);

    // Assess
    expect(sm.stages(arn)[v as string]?.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('recovery that cannot finish while AWSCURRENT does not work either changes nothing and asks for a person', async () => {
    // Prepare: both AWSCURRENT and the stuck pending value lack a usable token
    const arn = sm.create('partner', { apiToken: 'short' });
    sm.rotator = undefined;
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const before = JSON.stringify(sm.stages(arn));

    // Act
    const err = await recoverStuck({ secretId: arn }, deps).catch((e: unknown) => e);

    // Assess
    expect((err as Error).name).toBe('RecoveryError');
    expect((err as Error).message).toBe(
      `the unfinished rotation of partner (version ${stuck}) cannot be finished (MalformedSecretError: AWSCURRENT of secret partner has no token of at least 16 characters in field apiToken) and AWSCURRENT does not work either (MalformedSecretError: AWSCURRENT of secret partner has no token of at least 16 characters in field apiToken): restore a working credential by hand (see runbooks/rotate-secret/README.md)`,
    );
    expect(JSON.stringify(sm.stages(arn))).toBe(before);
  });
});

describe('rotation protocol: refusals that change nothing', () => {
  const withSecretId = (secretId: string): RotationDeps => ({
    ...deps,
    settings: parseSettings({
      ROTATION_STRATEGY: 'random',
      TOKEN_FIELD: 'apiToken',
      TOKEN_LENGTH: '32',
      SECRET_ID: secretId,
    }),
  });

  it('a function configured for one secret (by ARN or by name) rotates it, and refuses any other secret', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const other = sm.create('other', { apiToken: TOKEN_VALUE });

    // Act / Assess: by ARN and by name it works
    for (const own of [withSecretId(arn), withSecretId('partner')]) {
      sm.rotator = (event) => rotationStep(event, own);
      const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
      expect(sm.stages(arn)[v as string]).toEqual(['AWSCURRENT']);
    }
    // ... and for another secret every entry point refuses
    const own = withSecretId('partner');
    const refusal = 'this function rotates partner only, not other';
    await expect(verifyCurrent({ secretId: other }, own)).rejects.toThrow(refusal);
    await expect(recoverStuck({ secretId: other }, own)).rejects.toThrow(refusal);
    const before = JSON.stringify(sm.stages(other));
    sm.rotator = (event) => rotationStep(event, own);
    await client.send(new RotateSecretCommand({ SecretId: other }));
    expect(sm.rotationLog.at(-1)).toMatchObject({ step: 'createSecret', ok: false, error: refusal });
    expect(Object.values(sm.stages(other)).flat().sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(before).not.toContain('AWSPENDING');
  });

  it('a secret whose AWSCURRENT holds SecretBinary (no SecretString) is refused as having no AWSCURRENT value, and nothing is written', async () => {
    // Prepare: CreateSecret with SecretBinary makes AWSCURRENT a version whose GetSecretValue has no
    // SecretString (botocore's model, GetSecretValueResponse.SecretBinary); RotateSecret then
    // labels a new, empty version AWSPENDING
    const arn = sm.create('partner', new TextEncoder().encode(JSON.stringify({ apiToken: TOKEN_VALUE })));
    sm.rotator = undefined;
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const before = JSON.stringify(sm.stages(arn));
    const step = (Step: 'createSecret' | 'setSecret') =>
      rotationStep({ Step, SecretId: arn, ClientRequestToken: v as string }, deps).catch((e: unknown) => e);

    // Act
    const created = (await step('createSecret')) as Error;
    const set = (await step('setSecret')) as Error;
    const verified = await verifyCurrent({ secretId: arn }, deps);

    // Assess: the protocol's own refusal, by name, at every entry point that reads AWSCURRENT
    expect([created.name, created.message]).toEqual([
      'RotationStateError',
      'secret partner has no AWSCURRENT value',
    ]);
    expect([set.name, set.message]).toEqual(['RotationStateError', 'secret partner has no AWSCURRENT value']);
    expect(verified).toMatchObject({
      works: false,
      reason: 'RotationStateError: secret partner has no AWSCURRENT value',
    });
    expect(sm.versionValue(arn, v as string)).toBeUndefined();
    expect(JSON.stringify(sm.stages(arn))).toBe(before);
  });

  it('a step for a token the secret does not have is refused, naming it', async () => {
    // Prepare
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const token = 'd'.repeat(36);

    // Act / Assess
    await expect(
      rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, deps),
    ).rejects.toThrow(`secret partner has no version ${token} to rotate (no staging label)`);
  });

  it('a step never rotates to a version that is not AWSPENDING (here AWSPREVIOUS)', async () => {
    // Prepare: after one rotation the original version is AWSPREVIOUS
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    const [original] = Object.keys(sm.stages(arn));
    await client.send(new RotateSecretCommand({ SecretId: arn }));
    const before = JSON.stringify(sm.stages(arn));

    // Act
    const err = await rotationStep(
      { Step: 'finishSecret', SecretId: arn, ClientRequestToken: original as string },
      deps,
    ).catch((e: unknown) => e);

    // Assess
    expect((err as Error).name).toBe('RotationStateError');
    expect((err as Error).message).toBe(
      `version ${original} of partner is not AWSPENDING: it cannot be rotated to`,
    );
    expect(JSON.stringify(sm.stages(arn))).toBe(before);
  });

  it('setSecret before createSecret stored a value is refused, saying to run createSecret first', async () => {
    // Prepare: RotateSecret labelled the new version AWSPENDING, no step ran
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = undefined;
    const { VersionId: v } = await client.send(new RotateSecretCommand({ SecretId: arn }));

    // Act / Assess
    await expect(
      rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: v as string }, deps),
    ).rejects.toThrow(`version ${v} of partner has no AWSPENDING value: run createSecret first`);
  });

  it('recovery whose pending label was already removed meanwhile abandons without touching labels again', async () => {
    // Prepare: a stuck rotation; while recovery tests it, someone else removes its AWSPENDING label
    const arn = sm.create('partner', { apiToken: TOKEN_VALUE });
    sm.rotator = undefined;
    const { VersionId: stuck } = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const sabotaged: RotationDeps = {
      ...deps,
      strategy: {
        ...randomToken,
        async test(value, label, ctx) {
          if (label === 'AWSPENDING') {
            await deps.store.clearPending(arn, stuck as string);
            throw new Error('pending token refused');
          }
          await randomToken.test(value, label, ctx);
        },
      },
    };

    // Act
    const result = await recoverStuck({ secretId: arn }, sabotaged);

    // Assess
    expect(result).toEqual({
      secretId: 'partner',
      outcome: 'abandoned',
      versionId: stuck,
      reason: 'Error: pending token refused',
    });
    expect(Object.values(sm.stages(arn)).flat()).toEqual(['AWSCURRENT']);
  });
});
