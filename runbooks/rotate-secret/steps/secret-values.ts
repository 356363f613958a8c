import * as z from '../../../functions/shared/zod-mini.js';
import { MalformedSecretError } from './errors.js';

/**
 * Secret values as the strategies read them. The MySQL shape is the one RDS and the AWS
 * reference rotation functions use (`engine`, `host`, `port`, `username`, `password`,
 * `dbname`, `masterarn`); unknown keys are kept as they are, so a rotation never drops a
 * field a consumer reads.
 */

export const MysqlSecretSchema = z.looseObject({
  engine: z.optional(z.enum(['mysql', 'mariadb', 'aurora-mysql'])),
  host: z.string().check(z.minLength(1)),
  port: z._default(z.coerce.number().check(z.int(), z.positive(), z.maximum(65535)), 3306),
  username: z.string().check(z.minLength(1), z.maxLength(80)),
  password: z.string().check(z.minLength(1)),
  dbname: z.optional(z.string().check(z.minLength(1))),
  /** ARN of the master secret (alternating users); the function's configuration may override it. */
  masterarn: z.optional(z.string().check(z.minLength(1))),
});
export type MysqlSecret = z.infer<typeof MysqlSecretSchema>;

/** A generic secret: a JSON object whose `field` holds the token. */
export const TokenSecretSchema = z.record(z.string(), z.unknown());
export type TokenSecret = z.infer<typeof TokenSecretSchema>;

/** Parses a secret string with `schema`; errors name the label and the fields at fault, never values. */
export function parseSecret<T extends z.ZodMiniType>(
  schema: T,
  raw: string | undefined,
  what: { secret: string; label: string },
): z.infer<T> {
  if (raw === undefined) {
    throw new MalformedSecretError(`${what.label} of secret ${what.secret} has no value`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MalformedSecretError(`${what.label} of secret ${what.secret} is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`);
    throw new MalformedSecretError(
      `${what.label} of secret ${what.secret} is malformed (${fields.join('; ')})`,
    );
  }
  return result.data;
}
