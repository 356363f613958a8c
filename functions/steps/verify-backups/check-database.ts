import { z } from 'zod';

/**
 * The RDS restore test's check: connect to the temporary instance restored from the latest
 * snapshot and run the configured query (one SELECT whose first column is a number, e.g. a
 * row count). Runs in the VPC; the instance is deleted by the workflow whatever happens here.
 */

export const CHECK_QUERY = /^\s*SELECT\s[^;]*$/i;

const Endpoint = z.object({ Address: z.string().min(1), Port: z.number().int().positive() }).loose();
const Instance = z.object({ Endpoint: Endpoint.optional() }).loose();

export const CheckDatabaseEvent = z.object({
  /** DescribeDBInstances of the temporary instance, as the SDK task returned it. */
  observed: z
    .object({ DbInstances: z.array(Instance).optional(), DBInstances: z.array(Instance).optional() })
    .loose(),
  query: z.string().regex(CHECK_QUERY, 'the check query is one SELECT statement without ";"'),
  minResult: z.number().int().min(0),
  database: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
    .optional(),
});
export type CheckDatabaseEvent = z.input<typeof CheckDatabaseEvent>;

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The part of a mysql2/promise connection this step uses. */
export interface QueryConnection {
  query(sql: string): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

export interface CheckDatabaseDeps {
  /** The master credentials now (AWSCURRENT of the platform's master secret). */
  readonly credentials: () => Promise<Credentials>;
  /**
   * The master credentials before the last rotation (AWSPREVIOUS), if any. The master password is
   * rotated (README "Secret rotation"), and a snapshot keeps the password it was taken with: a
   * snapshot older than the last rotation opens only with the previous one.
   */
  readonly previousCredentials?: () => Promise<Credentials | undefined>;
  readonly connect: (options: {
    host: string;
    port: number;
    user: string;
    password: string;
    database?: string;
  }) => Promise<QueryConnection>;
}

/** The restored database did not answer the check: the restore test fails with this reason. */
export class RestoreCheckError extends Error {
  override readonly name = 'RestoreCheckError';
}

export async function checkDatabase(
  event: CheckDatabaseEvent,
  deps: CheckDatabaseDeps,
): Promise<{ value: number; minResult: number; query: string }> {
  const parsed = CheckDatabaseEvent.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`)
      .join('; ');
    throw new RestoreCheckError(`invalid check input, nothing was run: ${issues}`);
  }
  const e = parsed.data;
  const endpoint = (e.observed.DbInstances ?? e.observed.DBInstances ?? [])[0]?.Endpoint;
  if (!endpoint) throw new RestoreCheckError('the restored instance reports no endpoint');
  const open = async (creds: Credentials) =>
    deps.connect({
      host: endpoint.Address,
      port: endpoint.Port,
      user: creds.username,
      password: creds.password,
      ...(e.database ? { database: e.database } : {}),
    });
  let conn: QueryConnection;
  try {
    try {
      conn = await open(await deps.credentials());
    } catch (err) {
      // Refused login: the snapshot may predate the last rotation of the master password.
      const previous = isAccessDenied(err) ? await deps.previousCredentials?.() : undefined;
      if (!previous) throw err;
      conn = await open(previous);
    }
  } catch (err) {
    // The driver's message can quote the user name, never the password; keep it short anyway.
    throw new RestoreCheckError(
      `cannot connect to the restored instance: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  try {
    const [rows] = await conn.query(e.query);
    const first = Array.isArray(rows)
      ? (rows[0] as Record<string, unknown> | unknown[] | undefined)
      : undefined;
    const cellValue = Array.isArray(first) ? first[0] : first ? Object.values(first)[0] : undefined;
    const value = typeof cellValue === 'bigint' ? Number(cellValue) : Number(cellValue);
    if (cellValue === undefined || cellValue === null || Number.isNaN(value))
      throw new RestoreCheckError(
        `the check query returned no number (got ${JSON.stringify(cellValue ?? null)})`,
      );
    return { value, minResult: e.minResult, query: e.query };
  } catch (err) {
    if (err instanceof RestoreCheckError) throw err;
    throw new RestoreCheckError(`the check query failed: ${(err as Error).message.slice(0, 200)}`);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** MySQL / MariaDB refused the user or password (ER_ACCESS_DENIED_ERROR, 1045). */
function isAccessDenied(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | undefined;
  return e?.code === 'ER_ACCESS_DENIED_ERROR' || e?.errno === 1045;
}

/** Parses the master secret (RDS's JSON shape: username, password, …). */
export function parseCredentials(secret: string): Credentials {
  const parsed = z
    .object({ username: z.string().min(1), password: z.string().min(1) })
    .loose()
    .parse(JSON.parse(secret));
  return { username: parsed.username, password: parsed.password };
}
