import * as z from 'zod';
import { RestoreCheckSchema } from '../../../config/restore-checks.js';

/**
 * The RDS restore test's checks: connect to the temporary instance restored from the latest
 * snapshot and run each configured check — a row count above a floor, the freshness of
 * `MAX(column)` within the RPO, a custom SELECT above a floor. Every check gets its own verdict
 * and reason (a missing table fails that check, the others still run). Table and column names
 * come from config, are checked against `^[A-Za-z0-9_]+$` again here, and are quoted with
 * backticks: config cannot inject SQL. Runs in the VPC; the workflow deletes the instance
 * whatever happens here.
 */

export const CHECK_QUERY = /^\s*SELECT\s[^;]*$/i;

const Endpoint = z.object({ Address: z.string().min(1), Port: z.number().int().positive() }).loose();
const Instance = z.object({ Endpoint: Endpoint.optional() }).loose();

/** The time and cost budget, echoed into the report (see runbooks/verify-backups/cost.ts). */
export const RestoreBudget = z.object({
  instanceClass: z.string(),
  maxMinutes: z.number(),
  /** Estimated on-demand instance cost of one run, USD; absent when the class is not in the price table. */
  estimatedUsd: z.number().optional(),
  priceSource: z.string().optional(),
});

export const CheckDatabaseEvent = z.object({
  /** DescribeDBInstances of the temporary instance, as the SDK task returned it. */
  observed: z
    .object({ DbInstances: z.array(Instance).optional(), DBInstances: z.array(Instance).optional() })
    .loose(),
  checks: z.array(RestoreCheckSchema).min(1).max(20),
  /** Freshness checks without their own `maxAgeHours` use this (the RDS class RPO). */
  defaultMaxAgeHours: z.number().positive(),
  database: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
    .optional(),
  budget: RestoreBudget.optional(),
});
export type CheckDatabaseEvent = z.input<typeof CheckDatabaseEvent>;

export interface CheckOutcome {
  /** What was checked, e.g. `rowCount app.orders >= 100`. */
  readonly name: string;
  readonly verdict: 'pass' | 'fail';
  readonly reason: string;
}

export interface CheckDatabaseResult {
  readonly results: CheckOutcome[];
  readonly budget?: z.infer<typeof RestoreBudget>;
}

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
  /** The clock freshness is measured against. */
  readonly now?: () => Date;
}

/** The restored database did not answer the check: the restore test fails with this reason. */
export class RestoreCheckError extends Error {
  override readonly name = 'RestoreCheckError';
}

export async function checkDatabase(
  event: CheckDatabaseEvent,
  deps: CheckDatabaseDeps,
): Promise<CheckDatabaseResult> {
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
  const now = (deps.now ?? (() => new Date()))();
  const results: CheckOutcome[] = [];
  try {
    for (const check of e.checks) results.push(await runCheck(conn, check, e.defaultMaxAgeHours, now));
  } finally {
    await conn.end().catch(() => undefined);
  }
  return { results, ...(e.budget ? { budget: e.budget } : {}) };
}

type RestoreCheck = z.infer<typeof RestoreCheckSchema>;

/** `schema.table` → `` `schema`.`table` `` after checking each part again (defence in depth). */
export function quoteTable(table: string): string {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => /^[A-Za-z0-9_]+$/.test(p)))
    throw new RestoreCheckError(`not a table name: ${JSON.stringify(table.slice(0, 80))}`);
  return parts.map((p) => `\`${p}\``).join('.');
}

function quoteColumn(column: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(column))
    throw new RestoreCheckError(`not a column name: ${JSON.stringify(column.slice(0, 80))}`);
  return `\`${column}\``;
}

function checkName(check: RestoreCheck, maxAgeHours: number): string {
  switch (check.kind) {
    case 'rowCount':
      return `rows in ${check.table} >= ${check.min}`;
    case 'freshness':
      return `max(${check.column}) of ${check.table} within ${maxAgeHours}h`;
    case 'query':
      return `query >= ${check.min}`;
  }
}

async function runCheck(
  conn: QueryConnection,
  check: RestoreCheck,
  defaultMaxAgeHours: number,
  now: Date,
): Promise<CheckOutcome> {
  const maxAgeHours = check.kind === 'freshness' ? (check.maxAgeHours ?? defaultMaxAgeHours) : 0;
  const name = checkName(check, maxAgeHours);
  const outcome = (verdict: 'pass' | 'fail', reason: string): CheckOutcome => ({ name, verdict, reason });
  let sql: string;
  try {
    sql =
      check.kind === 'rowCount'
        ? `SELECT COUNT(*) FROM ${quoteTable(check.table)}`
        : check.kind === 'freshness'
          ? `SELECT MAX(${quoteColumn(check.column)}) FROM ${quoteTable(check.table)}`
          : check.sql;
    if (check.kind === 'query' && !CHECK_QUERY.test(sql))
      return outcome('fail', 'the check query is not one SELECT statement without ";"; not run');
  } catch (err) {
    return outcome('fail', `${(err as Error).message}; not run`);
  }
  let cell: unknown;
  try {
    const [rows] = await conn.query(sql);
    const first = Array.isArray(rows)
      ? (rows[0] as Record<string, unknown> | unknown[] | undefined)
      : undefined;
    cell = Array.isArray(first) ? first[0] : first ? Object.values(first)[0] : undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ER_NO_SUCH_TABLE' && check.kind !== 'query')
      return outcome('fail', `table ${check.table} does not exist in the restored database`);
    if (code === 'ER_BAD_FIELD_ERROR' && check.kind === 'freshness')
      return outcome('fail', `column ${check.column} does not exist in ${check.table}`);
    return outcome('fail', `query failed: ${(err as Error).message.slice(0, 200)}`);
  }
  if (check.kind === 'freshness') {
    if (cell === null || cell === undefined)
      return outcome('fail', `${check.table} has no ${check.column} value (empty table?)`);
    const at = cell instanceof Date ? cell : new Date(String(cell));
    if (Number.isNaN(at.getTime()))
      return outcome(
        'fail',
        `max(${check.column}) is not a timestamp (got ${JSON.stringify(String(cell).slice(0, 40))})`,
      );
    const ageHours = Math.round(((now.getTime() - at.getTime()) / 3_600_000) * 10) / 10;
    if (ageHours > maxAgeHours)
      return outcome(
        'fail',
        `newest ${check.column} is ${ageHours}h old (${at.toISOString()}), older than ${maxAgeHours}h`,
      );
    return outcome('pass', `newest ${check.column} is ${ageHours}h old`);
  }
  const value = Number(cell);
  if (cell === undefined || cell === null || typeof cell === 'object' || Number.isNaN(value))
    return outcome('fail', `returned no number (got ${JSON.stringify(cell ?? null)})`);
  if (value < check.min) return outcome('fail', `returned ${value}, below the required ${check.min}`);
  return outcome('pass', `returned ${value}`);
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
