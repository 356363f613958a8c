import * as z from 'zod';

/**
 * A rotation function's configuration, read once at cold start from its environment (the
 * handler passes `process.env`; nothing else reads it). One function per secret: infra sets
 * `SECRET_ID` so the function refuses to touch any other secret.
 */

export const STRATEGIES = ['mysql-single-user', 'mysql-alternating-users', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Characters the AWS reference functions exclude: they break connection strings and shells. */
export const DEFAULT_EXCLUDE_CHARACTERS = '/@"\'\\';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const RotationSettingsSchema = z.object({
  ROTATION_STRATEGY: z.enum(STRATEGIES),
  /** Name or ARN of the one secret this function rotates. */
  SECRET_ID: z.string().min(1).optional(),
  /** Master secret for the alternating strategy; overrides the secret's own `masterarn`. */
  MASTER_SECRET_ARN: z.string().min(1).optional(),
  PASSWORD_LENGTH: z.coerce.number().int().min(16).max(4096).default(32),
  EXCLUDE_CHARACTERS: z.string().default(DEFAULT_EXCLUDE_CHARACTERS),
  EXCLUDE_PUNCTUATION: flag.default(false),
  /** `required` toward RDS; `off` is accepted only toward a loopback address (local test server). */
  DB_TLS: z.enum(['required', 'off']).default('required'),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Random strategy: which JSON field holds the token, and how it is generated. */
  TOKEN_FIELD: z.string().min(1).default('token'),
  TOKEN_GENERATOR: z.enum(['secrets-manager', 'hex', 'base64url']).default('secrets-manager'),
  TOKEN_LENGTH: z.coerce.number().int().min(16).max(4096).default(40),
});

export interface RotationSettings {
  readonly strategy: StrategyName;
  readonly secretId?: string | undefined;
  readonly masterSecretArn?: string | undefined;
  readonly password: {
    readonly length: number;
    readonly excludeCharacters: string;
    readonly excludePunctuation: boolean;
  };
  readonly tls: 'required' | 'off';
  readonly connectTimeoutMs: number;
  readonly token: {
    readonly field: string;
    readonly generator: 'secrets-manager' | 'hex' | 'base64url';
    readonly length: number;
  };
}

export class RotationSettingsError extends Error {
  override readonly name = 'RotationSettingsError';
}

export function parseSettings(env: Readonly<Record<string, string | undefined>>): RotationSettings {
  const result = RotationSettingsSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new RotationSettingsError(`rotation function is misconfigured: ${lines.join('; ')}`);
  }
  const e = result.data;
  return {
    strategy: e.ROTATION_STRATEGY,
    secretId: e.SECRET_ID,
    masterSecretArn: e.MASTER_SECRET_ARN,
    password: {
      length: e.PASSWORD_LENGTH,
      excludeCharacters: e.EXCLUDE_CHARACTERS,
      excludePunctuation: e.EXCLUDE_PUNCTUATION,
    },
    tls: e.DB_TLS,
    connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    token: { field: e.TOKEN_FIELD, generator: e.TOKEN_GENERATOR, length: e.TOKEN_LENGTH },
  };
}
