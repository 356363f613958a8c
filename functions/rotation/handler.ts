import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger, requiredEnv } from '../shared/powertools.js';
import { Database } from './mysql.js';
import {
  OpsRequestSchema,
  type RecoverResult,
  RotationEventSchema,
  recoverStuck,
  rotationStep,
  type VerifyResult,
  verifyCurrent,
} from './protocol.js';
import { SecretStore } from './secrets.js';
import { parseSettings } from './settings.js';
import { STRATEGY_BY_NAME } from './strategies.js';

/**
 * Rotation function for one secret. Secrets Manager invokes it with `{ Step, SecretId,
 * ClientRequestToken }`; the rotate-secret runbook invokes it with `{ action: 'verify' | 'recover',
 * secretId }` (it is the one function that may reach this secret's database).
 */

requiredEnv('ROTATION_STRATEGY');
const settings = parseSettings(process.env);
const deps = {
  store: new SecretStore(new SecretsManagerClient({})),
  db: new Database({ tls: settings.tls, connectTimeoutMs: settings.connectTimeoutMs }),
  strategy: STRATEGY_BY_NAME[settings.strategy],
  settings,
  logger,
};

export class UnrecognisedRotationEventError extends Error {
  override readonly name = 'UnrecognisedRotationEventError';
}

export const handler = async (event: unknown): Promise<VerifyResult | RecoverResult | undefined> => {
  const rotation = RotationEventSchema.safeParse(event);
  try {
    if (rotation.success) {
      logger.appendKeys({ correlationId: rotation.data.ClientRequestToken });
      await rotationStep(rotation.data, deps);
      return undefined;
    }
    const request = OpsRequestSchema.safeParse(event);
    if (!request.success) {
      throw new UnrecognisedRotationEventError(
        'expected a Secrets Manager rotation event { Step, SecretId, ClientRequestToken } or { action: verify | recover, secretId }',
      );
    }
    if (request.data.action === 'verify') return await verifyCurrent(request.data, deps);
    return await recoverStuck(request.data, deps);
  } catch (err) {
    // Messages of our errors name the secret, step and user, never a value; SDK errors carry none.
    logger.error('rotation function failed', {
      error: { name: (err as Error).name, message: (err as Error).message },
    });
    throw err;
  }
};
