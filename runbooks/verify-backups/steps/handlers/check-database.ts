import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import { requiredEnv, withLogContext } from '../../../../functions/shared/powertools.js';
import { type CheckDatabaseEvent, checkDatabase, parseCredentials } from '../check-database.js';

const secretId = requiredEnv('MASTER_SECRET_ID');
const client = new SecretsManagerClient({});
const secrets = new SecretsProvider({ awsSdkV3Client: client });

const deps = {
  credentials: async () => parseCredentials(String(await secrets.get(secretId, { maxAge: 300 }))),
  // The password before the last rotation, for a snapshot taken before it (none before the first rotation).
  previousCredentials: async () => {
    try {
      const out = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }),
      );
      return out.SecretString ? parseCredentials(out.SecretString) : undefined;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  },
  connect: async (o: { host: string; port: number; user: string; password: string; database?: string }) =>
    // RDS presents a certificate of its own CA; mysql2 ships the Amazon RDS CA bundle as this profile.
    // DATETIME values are read as UTC (RDS runs in UTC unless a parameter group says otherwise).
    mysql.createConnection({ ...o, ssl: 'Amazon RDS', connectTimeout: 10_000, timezone: 'Z' }),
};

/** verify-backups "Run check query": connects to the temporary restored instance (in the VPC). */
export const handler = withLogContext(async (event: CheckDatabaseEvent) => checkDatabase(event, deps));
