import * as z from 'zod';
import { MalformedSecretError } from './errors.js';

/**
 * Secret values as the strategies read them. The MySQL shape is the one RDS and the AWS
 * reference rotation functions use (`engine`, `host`, `port`, `username`, `password`,
 * `dbname`, `masterarn`); unknown keys are kept as they are, so a rotation never drops a
 * field a consumer reads.
 */

export const MysqlSecretSchema = z.looseObject({
  engine: z.enum(['mysql', 'mariadb', 'aurora-mysql']).optional(),
  host: z.string().min(1),
  port: z.coerce.number().int().positive().max(65535).default(3306),
  username: z.string().min(1).max(80),
  password: z.string().min(1),
  dbname: z.string().min(1).optional(),
  /** ARN of the master secret (alternating users); the function's configuration may override it. */
  masterarn: z.string().min(1).optional(),
});
export type MysqlSecret = z.infer<typeof MysqlSecretSchema>;

/** A generic secret: a JSON object whose `field` holds the token. */
export const TokenSecretSchema = z.record(z.string(), z.unknown());
export type TokenSecret = z.infer<typeof TokenSecretSchema>;

/** Parses a secret string with `schema`; errors name the label and the fields at fault, never values. */
export function parseSecret<T extends z.ZodType>(
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
