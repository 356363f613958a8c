import type { Deployed } from '../bundles/app-functions.js';
import type { JsonAnswer } from '../bundles/aws-refuser.js';

/**
 * The rotation function at its work, for the cold-load bench: the smoke test's sample asks it to
 * rotate a secret it was not built for, which it refuses after one DescribeSecret, so a cold load
 * measured that refusal. Here the sample is the first step Secrets Manager sends when a rotation
 * starts, `createSecret`, for the function's own secret (its deployed `SECRET_ID`), and the AWS
 * stand-in answers as Secrets Manager does at that moment (the Secrets Manager API reference's
 * DescribeSecret, GetSecretValue, GetRandomPassword and PutSecretValue):
 * - DescribeSecret: rotation on; the sample's token labelled AWSPENDING, another version AWSCURRENT;
 * - GetSecretValue of AWSCURRENT: a MySQL secret in the shape RDS writes (engine, host, port,
 *   username, password); of the token's AWSPENDING: ResourceNotFoundException, as nothing is
 *   stored under the new version yet;
 * - GetRandomPassword: a password of the requested length;
 * - PutSecretValue of the token as AWSPENDING: stored.
 * createSecret reaches no database (setSecret and testSecret do), so the function's MySQL driver,
 * which it loads on first use, stays unloaded, as in a real createSecret.
 */
export interface RotationAtWork {
  /** The `createSecret` event for the function's own secret. */
  event(sample: unknown): unknown;
  /** The stand-in's answer to a JSON-protocol call, or undefined for its default. */
  answer(operation: string, input: Record<string, unknown>): JsonAnswer | undefined;
}

const CURRENT_VERSION = '5b1f1c4e-0d2a-4c8e-9a63-2f7d9e0b1a11';

export function rotationAtWork(d: Deployed): RotationAtWork {
  const name = d.environment.SECRET_ID;
  const strategy = d.environment.ROTATION_STRATEGY;
  if (!name) throw new Error(`${d.id}: no SECRET_ID in its environment`);
  if (strategy !== 'mysql-single-user') {
    throw new Error(`${d.id}: the bench answers for mysql-single-user, not ${strategy}`);
  }
  const arn = `arn:aws:secretsmanager:${d.region}:111111111111:secret:${name}-AbCdEf`;
  let token = '';
  const ours = (input: Record<string, unknown>) => input.SecretId === arn || input.SecretId === name;
  const current = JSON.stringify({
    engine: 'mysql',
    host: 'platform-db.cluster-abcdefghijkl.eu-central-1.rds.amazonaws.com',
    port: 3306,
    username: 'admin',
    password: 'bench-current-password-0000000000',
  });
  return {
    event: (sample) => {
      token = (sample as { ClientRequestToken: string }).ClientRequestToken;
      return { ...(sample as object), Step: 'createSecret', SecretId: arn };
    },
    answer: (operation, input) => {
      if (operation === 'GetRandomPassword') {
        return { reply: { RandomPassword: 'b'.repeat(Number(input.PasswordLength ?? 32)) } };
      }
      if (!ours(input)) return undefined;
      switch (operation) {
        case 'DescribeSecret':
          return {
            reply: {
              ARN: arn,
              Name: name,
              RotationEnabled: true,
              VersionIdsToStages: { [CURRENT_VERSION]: ['AWSCURRENT'], [token]: ['AWSPENDING'] },
            },
          };
        case 'GetSecretValue':
          if (input.VersionStage === 'AWSCURRENT' && input.VersionId === undefined) {
            return {
              reply: {
                ARN: arn,
                Name: name,
                VersionId: CURRENT_VERSION,
                SecretString: current,
                VersionStages: ['AWSCURRENT'],
                CreatedDate: 1_764_000_000,
              },
            };
          }
          return {
            error: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
          };
        case 'PutSecretValue':
          return {
            reply: {
              ARN: arn,
              Name: name,
              VersionId: input.ClientRequestToken,
              VersionStages: ['AWSPENDING'],
            },
          };
        default:
          return undefined;
      }
    },
  };
}
