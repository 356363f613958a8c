import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A synthetic day of CloudTrail, built from the real records in events/samples/cloudtrail (their `detail`:
 * the record as the trail wrote it, see events/samples/SOURCES.md). Record i is a copy of one sample, chosen by
 * `MIX[i % MIX.length]`, with its own eventID, requestID and eventTime (START + i seconds); nothing else
 * changes. The expected decisions of each sample are written by hand in the tests, from the README and the
 * runbooks' documented triggers, not computed by the code under test.
 */

const SAMPLES = join(import.meta.dirname, '..', '..', 'events', 'samples', 'cloudtrail');

/** The samples in the order one cycle of ten records uses them. */
export const MIX = [
  'cloudtrail-stoplogging',
  'secretsmanager-getsecretvalue-iam-user',
  'secretsmanager-getsecretvalue-workload-role',
  'secretsmanager-getsecretvalue-workload-role',
  'secretsmanager-getsecretvalue-workload-role',
  'signin-consolelogin-root-success',
  'ec2-authorizesecuritygroupingress-narrow-cidr',
  'ec2-authorizesecuritygroupingress-narrow-cidr',
  'ec2-authorizesecuritygroupingress-narrow-cidr',
  'ec2-detachvolume',
] as const;

export const START_MS = Date.parse('2026-12-01T00:00:00Z');

/** The raw CloudTrail record of a sample: the EventBridge event's `detail`. */
export function sampleRecord(name: string): Record<string, unknown> {
  const event = JSON.parse(readFileSync(join(SAMPLES, `${name}.json`), 'utf8')) as {
    detail: Record<string, unknown>;
  };
  return event.detail;
}

/** CloudTrail's own time format: seconds, `Z`. */
export function cloudTrailTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function eventIdOf(i: number): string {
  return `5e1d0000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** Record i of the synthetic log, as JSON text. */
export function recordText(records: ReadonlyMap<string, Record<string, unknown>>, i: number): string {
  const name = MIX[i % MIX.length] as string;
  const base = records.get(name);
  if (!base) throw new Error(`no sample ${name}`);
  return JSON.stringify({
    ...base,
    eventID: eventIdOf(i),
    requestID: `REQ${i.toString(16).padStart(12, '0')}`,
    eventTime: cloudTrailTime(START_MS + i * 1000),
  });
}

export function loadMix(): Map<string, Record<string, unknown>> {
  return new Map(MIX.map((name) => [name, sampleRecord(name)]));
}

/** The text of a CloudTrail log file holding records `from` to `to` (exclusive), in pieces (for streaming). */
export function* cloudTrailLogPieces(count: number, batch = 500): Generator<string> {
  const records = loadMix();
  yield '{"Records":[';
  for (let from = 0; from < count; from += batch) {
    const parts: string[] = [];
    for (let i = from; i < Math.min(count, from + batch); i++) parts.push(recordText(records, i));
    yield (from === 0 ? '' : ',') + parts.join(',');
  }
  yield ']}';
}
