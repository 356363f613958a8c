import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger, requiredEnv, withLogContext } from '../../../functions/shared/powertools.js';
import { createRotationHandler } from './dispatch.js';
import { Database } from './mysql.js';
import { SecretStore } from './secrets.js';
import { parseSettings } from './settings.js';
import { STRATEGY_BY_NAME } from './strategies.js';

/**
 * Rotation function for one secret (infra sets ROTATION_STRATEGY, SECRET_ID and the strategy's
 * options). Secrets Manager invokes it for the four rotation steps; the rotate-secret runbook
 * invokes it to verify AWSCURRENT and to recover an unfinished rotation, as it is the one
 * function that may reach this secret's database.
 */

requiredEnv('ROTATION_STRATEGY');
const settings = parseSettings(process.env);

export const handler = withLogContext(
  createRotationHandler({
    store: new SecretStore(new SecretsManagerClient({})),
    db: new Database({ tls: settings.tls, connectTimeoutMs: settings.connectTimeoutMs }),
    strategy: STRATEGY_BY_NAME[settings.strategy],
    settings,
    logger,
  }),
);
