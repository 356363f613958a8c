import * as z from '../../../functions/shared/zod-mini.js';

/**
 * A rotation function's configuration, read once at cold start from its environment (the
 * handler passes `process.env`; nothing else reads it). One function per secret: infra sets
 * `SECRET_ID` so the function refuses to touch any other secret.
 */

export const STRATEGIES = ['mysql-single-user', 'mysql-alternating-users', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Characters the AWS reference functions exclude: they break connection strings and shells. */
export const DEFAULT_EXCLUDE_CHARACTERS = '/@"\'\\';

const flag = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v) => v === 'true'),
);
/** A whole number in [min, max] from its environment text. */
const integer = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);

export const RotationSettingsSchema = z.object({
  ROTATION_STRATEGY: z.enum(STRATEGIES),
  /** Name or ARN of the one secret this function rotates. */
  SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  /** Master secret for the alternating strategy; overrides the secret's own `masterarn`. */
  MASTER_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
  PASSWORD_LENGTH: integer(16, 4096, 32),
  EXCLUDE_CHARACTERS: z._default(z.string(), DEFAULT_EXCLUDE_CHARACTERS),
  EXCLUDE_PUNCTUATION: z._default(flag, false),
  /** `required` toward RDS; `off` is accepted only toward a loopback address (local test server). */
  DB_TLS: z._default(z.enum(['required', 'off']), 'required'),
  DB_CONNECT_TIMEOUT_MS: integer(100, 60_000, 5_000),
  /** Random strategy: which JSON field holds the token, and how it is generated. */
  TOKEN_FIELD: z._default(z.string().check(z.minLength(1)), 'token'),
  TOKEN_GENERATOR: z._default(z.enum(['secrets-manager', 'hex', 'base64url']), 'secrets-manager'),
  TOKEN_LENGTH: integer(16, 4096, 40),
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
