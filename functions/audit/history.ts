import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from './record.js';

/**
 * A resource's history from the audit table alone (the by-resource index; dynamodb:Query). The audit
 * store (./store.ts) answers `history` with it; a reader that needs nothing else (the dns sweep)
 * calls it directly, so its bundle carries no S3 client.
 */

export const AUDIT_INDEX = { byResource: 'by-resource', byDay: 'by-day' } as const;

export interface HistoryQuery {
  readonly stage: string;
  readonly resourceKey: string;
  /** ISO time: only entries at or after it. */
  readonly since?: string;
  /** Most runs returned (50 by default). */
  readonly limit?: number;
}

/**
 * The runs that touched a resource, newest first: the latest entry of each run (which holds
 * everything known about it), optionally since a time.
 */
export async function resourceHistory(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: HistoryQuery,
): Promise<AuditEntry[]> {
  const values: Record<string, string> = { ':pk': `res#${query.stage}#${query.resourceKey}` };
  let condition = 'gsi1pk = :pk';
  if (query.since) {
    condition += ' AND gsi1sk >= :since';
    values[':since'] = query.since;
  }
  const latest = new Map<string, AuditEntry>();
  let start: Record<string, unknown> | undefined;
  const limit = query.limit ?? 50;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: AUDIT_INDEX.byResource,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const entry = JSON.parse((item as { entry: string }).entry) as AuditEntry;
      const seen = latest.get(entry.executionName);
      if (!seen || seen.seq < entry.seq) latest.set(entry.executionName, entry);
    }
    start = page.LastEvaluatedKey;
  } while (start && latest.size < limit);
  return [...latest.values()]
    .sort((a, b) => ((a.startedAt ?? a.at) < (b.startedAt ?? b.at) ? 1 : -1))
    .slice(0, limit);
}
