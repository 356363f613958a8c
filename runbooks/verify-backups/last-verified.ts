import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type BackupClass, type Evaluation, inventoryRowName } from './logic.js';
import type { BackupReport } from './report.js';

/**
 * "Last verified restore" per resource: when a restore test or content check of the resource last
 * passed, kept across runs (the RDS restore runs weekly, so most runs do not verify it), and how
 * old that is now. The record lives in verify-backups' own DynamoDB table, one item per
 * stage + kind + resource:
 *
 *   pk = `verified#<stage>#<kind>#<resource>`, firstSeenAtMs, verifiedAtMs?, backupId?, executionName?
 *
 * `firstSeenAtMs` is written once (the first run that saw the resource); `verifiedAtMs` only moves
 * forward (a condition expression refuses an older run's write, e.g. a replayed execution). A
 * resource never verified ages from when it was first seen, so it crosses its bound like a stale one.
 *
 * What is emitted (the namespace and dimensions the dashboard and alarms read):
 * - CloudWatch (EMF through Powertools, namespace `OpsAutomation`, default dimension
 *   `service=verify-backups`): `LastVerifiedRestoreAgeHours` with `stage`, `kind`, `resource`, and
 *   `LastVerifiedRestoreMaxAgeHours` (the oldest of the kind) plus `BackupsChecked` / `BackupsFailed`
 *   with `stage`, `kind`;
 * - Datadog: `ops.backup.last_verified_age_hours`, tags `stage`, `backup_class`, `resource`,
 *   `verified` (`never` while a resource has no successful verification yet).
 */

export const LAST_VERIFIED_METRIC = 'LastVerifiedRestoreAgeHours';
export const LAST_VERIFIED_MAX_METRIC = 'LastVerifiedRestoreMaxAgeHours';
export const CHECKED_METRIC = 'BackupsChecked';
export const FAILED_METRIC = 'BackupsFailed';
export const LAST_VERIFIED_DATADOG = 'ops.backup.last_verified_age_hours';

const HOUR_MS = 3_600_000;

export interface LastVerifiedRecord {
  readonly kind: BackupClass;
  readonly resource: string;
  readonly firstSeenAtMs: number;
  readonly verifiedAtMs?: number;
  readonly backupId?: string;
}

/** One resource seen by a run: whether this run verified a restore (or the content) of it. */
export interface Sighting {
  readonly kind: BackupClass;
  readonly resource: string;
  readonly verified: boolean;
  readonly backupId?: string;
}

export interface LastVerifiedStore {
  /** Records the sighting at `nowMs` and answers the record as it stands afterwards. */
  note(stage: string, sighting: Sighting, nowMs: number, executionName: string): Promise<LastVerifiedRecord>;
}

export interface LastVerifiedAge {
  readonly kind: BackupClass;
  readonly resource: string;
  /** Hours since the last successful verification, or since first seen when there was none. */
  readonly ageHours: number;
  readonly everVerified: boolean;
  readonly verifiedAt?: string;
}

/** What a run tells the store: every real resource, verified when its restore check passed. */
export function sightings(rows: readonly Evaluation[]): Sighting[] {
  return rows
    .filter((r) => r.resource !== inventoryRowName(r.class))
    .map((r) => ({
      kind: r.class,
      resource: r.resource,
      verified: r.checks.some((c) => c.check === 'restore' && c.verdict === 'pass'),
      ...(r.backupId ? { backupId: r.backupId } : {}),
    }));
}

export function ageOf(record: LastVerifiedRecord, nowMs: number): LastVerifiedAge {
  const since = record.verifiedAtMs ?? record.firstSeenAtMs;
  return {
    kind: record.kind,
    resource: record.resource,
    ageHours: Math.round((Math.max(0, nowMs - since) / HOUR_MS) * 10) / 10,
    everVerified: record.verifiedAtMs !== undefined,
    ...(record.verifiedAtMs !== undefined ? { verifiedAt: new Date(record.verifiedAtMs).toISOString() } : {}),
  };
}

/** Notes every resource of the report in the store and answers each one's age at the report's time. */
export async function lastVerifiedAges(
  report: BackupReport,
  store: LastVerifiedStore,
): Promise<LastVerifiedAge[]> {
  const nowMs = Date.parse(report.generatedAt);
  const out: LastVerifiedAge[] = [];
  for (const s of sightings(report.rows)) {
    out.push(ageOf(await store.note(report.stage, s, nowMs, report.executionName), nowMs));
  }
  return out;
}

/**
 * The EMF metrics of one run: an age per resource, the oldest per kind, checked/failed per kind.
 * One single-metric blob each (a single metric flushes on its first `addMetric`), dimensions added
 * one by one so each blob has exactly one dimension set: `service` plus the ones named here.
 */
export function emitCloudWatch(
  report: BackupReport,
  ages: readonly LastVerifiedAge[],
  metrics: Pick<Metrics, 'singleMetric'>,
): void {
  const put = (dimensions: Record<string, string>, name: string, value: number): void => {
    const m = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
    m.addMetric(name, MetricUnit.Count, value);
  };
  for (const a of ages) {
    put({ stage: report.stage, kind: a.kind, resource: a.resource }, LAST_VERIFIED_METRIC, a.ageHours);
  }
  const kinds = [...new Set(report.rows.map((r) => r.class))].sort();
  for (const kind of kinds) {
    const dims = { stage: report.stage, kind };
    const rows = report.rows.filter((r) => r.class === kind);
    const ofKind = ages.filter((a) => a.kind === kind).map((a) => a.ageHours);
    if (ofKind.length > 0) put(dims, LAST_VERIFIED_MAX_METRIC, Math.max(...ofKind));
    put(dims, CHECKED_METRIC, rows.length);
    put(dims, FAILED_METRIC, rows.filter((r) => r.verdict === 'fail').length);
  }
}

/** The store on DynamoDB (verify-backups' own table, partition key `pk`). */
export function dynamoLastVerifiedStore(doc: DynamoDBDocumentClient, table: string): LastVerifiedStore {
  return {
    async note(stage, s, nowMs, executionName) {
      const key = { pk: `verified#${stage}#${s.kind}#${s.resource}` };
      const read = async (): Promise<LastVerifiedRecord> => {
        const res = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
        return toRecord(s, res.Item, nowMs);
      };
      if (!s.verified) {
        const res = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'SET firstSeenAtMs = if_not_exists(firstSeenAtMs, :now)',
            ExpressionAttributeValues: { ':now': nowMs },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toRecord(s, res.Attributes, nowMs);
      }
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression:
              'SET firstSeenAtMs = if_not_exists(firstSeenAtMs, :now), verifiedAtMs = :now, executionName = :exec' +
              (s.backupId ? ', backupId = :backup' : ' REMOVE backupId'),
            // Only forward: a newer verification already recorded is never replaced by an older run's.
            ConditionExpression: 'attribute_not_exists(verifiedAtMs) OR verifiedAtMs < :now',
            ExpressionAttributeValues: {
              ':now': nowMs,
              ':exec': executionName,
              ...(s.backupId ? { ':backup': s.backupId } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toRecord(s, res.Attributes, nowMs);
      } catch (err) {
        if ((err as { name?: string } | null)?.name !== 'ConditionalCheckFailedException') throw err;
        return read();
      }
    },
  };
}

function toRecord(s: Sighting, item: Record<string, unknown> | undefined, nowMs: number): LastVerifiedRecord {
  const first = typeof item?.firstSeenAtMs === 'number' ? item.firstSeenAtMs : nowMs;
  const verified = typeof item?.verifiedAtMs === 'number' ? item.verifiedAtMs : undefined;
  const backupId = typeof item?.backupId === 'string' ? item.backupId : undefined;
  return {
    kind: s.kind,
    resource: s.resource,
    firstSeenAtMs: first,
    ...(verified !== undefined ? { verifiedAtMs: verified } : {}),
    ...(backupId ? { backupId } : {}),
  };
}
