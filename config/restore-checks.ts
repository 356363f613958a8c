import * as z from 'zod';

/**
 * The checks the daily backup verification runs against a restored database
 * (`automation.backupVerification`'s `rds.checks`). A module of its own: its database-check step
 * validates its event with this schema without loading the whole stage configuration's (./schema.ts
 * re-exports it), which it would otherwise build at every cold start (README, "Cold load").
 */

/** A table name, optionally `schema.table`: letters, digits and `_` only (quoted with backticks in SQL). */
const SQL_TABLE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/;
const SQL_COLUMN = /^[A-Za-z0-9_]+$/;

/** One check of the restored database. */
export const RestoreCheckSchema = z.discriminatedUnion('kind', [
  /** `SELECT COUNT(*) FROM table` must be at least `min`. */
  z.object({
    kind: z.literal('rowCount'),
    table: z.string().regex(SQL_TABLE, 'a table is letters, digits, "_" (optionally schema.table)'),
    min: z.number().int().min(0),
  }),
  /** `SELECT MAX(column) FROM table` must be within `maxAgeHours` of now (default: the RDS class RPO). */
  z.object({
    kind: z.literal('freshness'),
    table: z.string().regex(SQL_TABLE, 'a table is letters, digits, "_" (optionally schema.table)'),
    column: z.string().regex(SQL_COLUMN, 'a column is letters, digits and "_"'),
    maxAgeHours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional(),
  }),
  /** One read-only SELECT whose first column of the first row is a number at least `min`. */
  z.object({
    kind: z.literal('query'),
    sql: z.string().regex(/^\s*SELECT\s[^;]*$/i, 'the check query is one SELECT statement without ";"'),
    min: z.number().int().min(0),
  }),
]);
export type RestoreCheck = z.infer<typeof RestoreCheckSchema>;
