import { spawn } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudTrailLogPieces,
  cloudTrailTime,
  eventIdOf,
  MIX,
  START_MS,
  sampleRecord,
} from '../../support/cloudtrail-log.js';
import { ownLines, RAW_CONTROL, ROOT, runOps } from '../../support/ops-cli.js';

/**
 * `ops replay` as operators run it (bin/ops.mjs in a child process). The big case: a gzipped CloudTrail log
 * file generated from the real samples (test/support/cloudtrail-log.ts), replayed by a process whose V8
 * heap is capped below the file's uncompressed size. Expected counts come from how the file was made: one
 * cycle of ten records is, by the README and the runbooks' documented triggers (stage dev):
 *
 *   0 StopLogging                         → notify, critical  (policy rule security-calls; EventBridge cloudtrail-write-calls)
 *   1 GetSecretValue by IAM user dana.ops → start rotate-secret (secret-read; cloudtrail-secret-reads)
 *   2-4 GetSecretValue by the consumer    → ignore             (secret-read; cloudtrail-secret-reads)
 *   5 root console sign-in                → notify, critical   (security-calls; console-sign-in)
 *   6-8 narrow security-group ingress     → ignore, no rule    (cloudtrail-write-calls)
 *   9 DetachVolume of a volume not allow-listed → reject snapshot-volume (detach-volume; cloudtrail-write-calls)
 */

/** 90,000 records ≈ 104 MB of JSON: well past the 64 MB heap the replaying process gets. */
const RECORDS = 90_000;
const CYCLES = RECORDS / MIX.length;
const HEAP_MB = 64;

interface Summary {
  stage: string;
  files: number;
  events: number;
  decisions: number;
  byOutcome: Record<string, number>;
  byRule: Record<string, Record<string, number>>;
  byRunbook: Record<string, Record<string, number>>;
  byEventRule: Record<string, number>;
  notable: Array<Record<string, unknown>>;
  notableOmitted: number;
  unreadable: Array<{ where: string; reason: string }>;
  unreadableOmitted: number;
  failed: Array<{ where: string; reason: string }>;
  stats?: { eventsPerSecond: number; maxRssBytes: number; elapsedMs: number };
}

/** The same log, a ninth of the size: peak memory must not grow with the input. */
const SMALL_RECORDS = RECORDS / 9;

let dir: string;
let big: string;
let small: string;
let uncompressed = 0;
let uncompressedSmall = 0;

/** Writes a gzipped CloudTrail log of `count` records; returns its uncompressed size. */
async function writeLog(path: string, count: number): Promise<number> {
  let bytes = 0;
  const text = Readable.from(
    (function* () {
      for (const piece of cloudTrailLogPieces(count)) {
        bytes += Buffer.byteLength(piece);
        yield piece;
      }
    })(),
  );
  await pipeline(text, createGzip({ level: 1 }), createWriteStream(path));
  return bytes;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ops-replay-'));
  big = join(dir, '111111111111_CloudTrail_eu-west-1_20261201T0000Z_replay.json.gz');
  small = join(dir, '111111111111_CloudTrail_eu-west-1_20261201T0000Z_small.json.gz');
  uncompressed = await writeLog(big, RECORDS);
  uncompressedSmall = await writeLog(small, SMALL_RECORDS);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ops replay: the same command line as every other', () => {
  it('--help and --version exit 0; an unknown option, no path or an unknown stage are usage errors (exit 2)', async () => {
    const sample = join(ROOT, 'events/samples/cloudtrail/cloudtrail-stoplogging.json');

    const [help, version, unknown, none, stage] = await Promise.all([
      runOps(['replay', '--help']),
      runOps(['replay', '--version']),
      runOps(['replay', sample, '--frobnicate']),
      runOps(['replay']),
      runOps(['replay', sample, '--stage', 'moon']),
    ]);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ops replay \[options\] <paths\.\.\.>/);
    for (const option of ['--stage <name>', 'env: OPS_STAGE', '--json', '--progress', '--strict', '--stats'])
      expect(help.stdout).toContain(option);
    expect(version.code).toBe(0);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.split('\n').filter(Boolean)).toEqual([
      "ops replay: unknown option '--frobnicate'",
      'Run "ops replay --help" for usage.',
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^ops replay: missing required argument 'paths'/);
    expect(stage.code).toBe(2);
    expect(stage.stderr.split('\n')[0]).toBe(
      'ops replay: Unknown stage "moon". Known stages: dev, stage, prod, prod-euc1',
    );
  });
});

describe('ops replay: a day of CloudTrail, streamed', () => {
  it(`replays a multi-megabyte gzipped CloudTrail log in a ${HEAP_MB} MB heap: counts by outcome, rule, runbook and EventBridge rule; the notable decisions`, async () => {
    // Prepare: the file really is big, and bigger than the heap uncompressed.
    expect(statSync(big).size).toBeGreaterThan(2 * 1024 * 1024);
    expect(uncompressed).toBeGreaterThan(1.5 * HEAP_MB * 1024 * 1024);

    // Act
    const env = { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` };
    const [out, smallOut] = await Promise.all([
      runOps(['replay', big, '--json', '--stats', '--progress'], { env }),
      runOps(['replay', small, '--json', '--stats'], { env }),
    ]);

    // Assess
    expect(ownLines(out.stderr).filter((l) => !l.startsWith('replay: '))).toEqual([]);
    expect(out.code).toBe(0);
    const s = JSON.parse(out.stdout) as Summary;
    expect(s.events).toBe(RECORDS);
    expect(s.decisions).toBe(RECORDS);
    // StopLogging on dev's own trail starts restore-guardrail (allow-listed in dev) and is still told.
    expect(s.byOutcome).toEqual({
      start: 2 * CYCLES,
      notify: CYCLES,
      reject: CYCLES,
      ignore: 6 * CYCLES,
      malformed: 0,
      unhandled: 0,
      unreadable: 0,
    });
    expect(s.byRule).toEqual({
      'security-calls': { notify: CYCLES },
      'restore-guardrail': { start: CYCLES },
      'secret-read': { start: CYCLES, ignore: 3 * CYCLES },
      'detach-volume': { reject: CYCLES },
      '(no rule)': { ignore: 3 * CYCLES },
    });
    expect(s.byRunbook).toEqual({
      'rotate-secret': { start: CYCLES },
      'snapshot-volume': { reject: CYCLES },
      'restore-guardrail': { start: CYCLES },
    });
    expect(s.byEventRule).toEqual({
      'cloudtrail-write-calls': 5 * CYCLES,
      'cloudtrail-secret-reads': 4 * CYCLES,
      'console-sign-in': CYCLES,
    });
    // Three notable decisions per cycle; the first 200 are kept, in input order.
    expect(s.notable).toHaveLength(200);
    expect(s.notableOmitted).toBe(3 * CYCLES - 200);
    const at = (i: number) => new Date(START_MS + i * 1000).toISOString();
    expect(s.notable.slice(0, 4)).toEqual([
      expect.objectContaining({
        where: `${big}: Records[0]`,
        action: 'start',
        runbook: 'restore-guardrail',
        severity: 'critical',
        rule: 'restore-guardrail',
        occurredAt: at(0),
        resource: 'trail dev-platform-trail',
        eventRules: ['cloudtrail-write-calls'],
      }),
      expect.objectContaining({
        where: `${big}: Records[1]`,
        action: 'start',
        runbook: 'rotate-secret',
        rule: 'secret-read',
        occurredAt: at(1),
        resource: 'secret dev/rds/app-user',
        eventRules: ['cloudtrail-secret-reads'],
      }),
      expect.objectContaining({
        where: `${big}: Records[5]`,
        action: 'notify',
        severity: 'critical',
        occurredAt: at(5),
        resource: 'account 111111111111',
        eventRules: ['console-sign-in'],
      }),
      expect.objectContaining({ where: `${big}: Records[10]`, action: 'start', occurredAt: at(10) }),
    ]);
    expect(s.notable[1]?.executionName).toMatch(/^rotate-secret-[0-9a-f]+-20261201T0000Z$/);
    expect(s.unreadable).toEqual([]);
    expect(s.failed).toEqual([]);
    // Progress went to stderr (asked for with --progress), at most a few lines a second.
    const progress = ownLines(out.stderr);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatch(new RegExp(`^replay: ${RECORDS} events, 1 file, `));
    expect(progress.length).toBeLessThanOrEqual((s.stats?.elapsedMs ?? 0) / 250 + 3);
    // Bounded memory: nine times the input (≈ 92 MB more JSON) adds less than a third of that to the peak
    // RSS. (Measured: streaming +8 MB; reading the whole file first +614 MB.) A heap cap alone is not
    // enough: a whole-file Buffer lives outside the V8 heap.
    const smallSummary = JSON.parse(smallOut.stdout) as Summary;
    expect(smallOut.code).toBe(0);
    expect(smallSummary.events).toBe(SMALL_RECORDS);
    const growth =
      (s.stats?.maxRssBytes ?? Number.POSITIVE_INFINITY) - (smallSummary.stats?.maxRssBytes ?? 0);
    expect(growth).toBeLessThan((uncompressed - uncompressedSmall) / 3);
    expect(s.stats?.eventsPerSecond).toBeGreaterThan(0);
  });
});

describe('ops replay on real CloudTrail records (Stratus Red Team detonation logs, test/fixtures/cloudtrail)', () => {
  it('reads every record of the real, anonymised logs (JSON arrays of bare records, gzipped here as a trail would): none unreadable or malformed; the defence-evasion and exposure records are the critical notifications', async () => {
    // Prepare: the corpus read through the index (test/fixtures/cloudtrail/SOURCE.md), each file
    // gzipped into the work folder; the oracle for the counts is the files themselves, parsed whole.
    const fixtures = join(ROOT, 'test/fixtures/cloudtrail/stratus-red-team');
    const real = join(dir, 'stratus');
    mkdirSync(real, { recursive: true });
    const names = readdirSync(fixtures)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const records = names.flatMap((f) => {
      const text = readFileSync(join(fixtures, f));
      writeFileSync(join(real, `${f}.gz`), gzipSync(text));
      return JSON.parse(text.toString('utf8')) as Array<Record<string, unknown>>;
    });

    // Act
    const out = await runOps(['replay', real, '--json']);

    // Assess
    expect(out.code).toBe(0);
    const s = JSON.parse(out.stdout) as Summary;
    expect(s.files).toBe(names.length);
    expect(s.events).toBe(records.length);
    // The one start: dev recreates its own flow log whichever flow log was deleted (restore-guardrail
    // checks the stage VPC's flow log first; the notification still goes out).
    expect(s.byOutcome).toMatchObject({ malformed: 0, unhandled: 0, unreadable: 0, start: 1 });
    // Written by hand from what each technique does (the same verdicts as the corpus test's table).
    expect(s.notable.map((n) => [String(n.where).slice(real.length + 1), n.action, n.severity])).toEqual([
      ['aws.defense-evasion.cloudtrail-event-selectors.json.gz: [0]', 'notify', 'critical'],
      ['aws.defense-evasion.dns-delete-logs.json.gz: [0]', 'notify', 'critical'],
      ['aws.defense-evasion.vpc-remove-flow-logs.json.gz: [0]', 'start', 'critical'],
      ['aws.exfiltration.ec2-security-group-open-port-22-ingress.json.gz: [0]', 'notify', 'critical'],
      ['aws.exfiltration.ec2-share-ami.json.gz: [0]', 'notify', 'critical'],
      ['aws.exfiltration.ec2-share-ebs-snapshot.json.gz: [0]', 'notify', 'critical'],
      ['aws.exfiltration.rds-share-snapshot.json.gz: [0]', 'notify', 'critical'],
      ['aws.persistence.lambda-backdoor-function.json.gz: [0]', 'notify', 'critical'],
    ]);
  });
});

describe('ops replay on a real terminal', () => {
  it('progress rewrites one stderr line in place and clears it at the end; stdout (a file) gets clean JSON', async () => {
    // Prepare: stderr is a pseudo-terminal (util-linux `script`); stdout goes to a file.
    const json = join(dir, 'tty-out.json');
    const command = `${process.execPath} ${join(ROOT, 'bin', 'ops.mjs')} replay ${small} --json > ${json}`;

    // Act
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', TERM: 'xterm-256color' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tty = '';
    child.stdout.on('data', (d: Buffer) => {
      tty += d.toString();
    });
    await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });

    // Assess
    const updates = tty.split('\r\u001b[K').filter(Boolean);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => /^replay: \d+ events, 1 file, /.test(u))).toBe(true);
    expect(tty.endsWith('\r\u001b[K')).toBe(true);
    expect(tty).not.toContain('\n');
    const out = readFileSync(json, 'utf8');
    expect(out).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(out) as Summary).events).toBe(SMALL_RECORDS);
  });
});

describe('ops replay: what it cannot read is listed with the reason, and the run goes on', () => {
  let bad: string;
  let firstGood: string;

  beforeAll(() => {
    bad = join(dir, 'bad');
    mkdirSync(join(bad, 'a'), { recursive: true });
    mkdirSync(join(bad, 'b'), { recursive: true });
    const stop = sampleRecord('cloudtrail-stoplogging');
    const event = JSON.parse(
      readFileSync(join(ROOT, 'events/samples/cloudtrail/cloudtrail-stoplogging.json'), 'utf8'),
    );
    // a/events.ndjson: a delivered event, a malformed line, a scalar, a non-event object, the event again.
    writeFileSync(
      join(bad, 'a', 'events.ndjson'),
      [
        JSON.stringify(event),
        '{"detail-type": }',
        '42',
        '{"awsAccountId":"111111111111","digestEndTime":"x"}',
        JSON.stringify(event),
      ].join('\n'),
    );
    // a/notes.md: not JSON at all.
    writeFileSync(join(bad, 'a', 'notes.md'), '# How these logs were collected\n\nBy hand.\n');
    // b/records.json: a CloudTrail file with a string and a number among its records, and a malformed record.
    const malformed = { ...stop, eventTime: 'not a time', eventID: eventIdOf(99) };
    writeFileSync(
      join(bad, 'b', 'records.json'),
      JSON.stringify({ Records: [stop, 'just a string', 17, malformed] }),
    );
    // b/truncated.json.gz: the first half of a gzipped log file of 200 records.
    const whole = gzipSync([...cloudTrailLogPieces(200)].join(''));
    writeFileSync(join(bad, 'b', 'truncated.json.gz'), whole.subarray(0, Math.floor(whole.length / 2)));
    firstGood = `${join(bad, 'a', 'events.ndjson')}: line 2`;
    // b/loop → .. : a symbolic link back up the tree is not walked again.
    symlinkSync('..', join(bad, 'b', 'loop'));
  });

  it('malformed lines, non-objects, non-events, a non-JSON file and a truncated gzip: each listed, exit 0', async () => {
    const out = await runOps(['replay', bad, '--json']);

    expect(ownLines(out.stderr)).toEqual([]);
    expect(out.code).toBe(0);
    const s = JSON.parse(out.stdout) as Summary;
    expect(s.files).toBe(4);
    // Directory walked in name order: a/events.ndjson, a/notes.md, b/records.json, b/truncated.json.gz.
    const reasons = s.unreadable.map((u) => `${u.where.slice(bad.length + 1)} | ${u.reason}`);
    expect(reasons.slice(0, 7)).toEqual([
      expect.stringMatching(/^a\/events\.ndjson: line 2 \| not JSON: /),
      'a/events.ndjson: line 3 | not a JSON object: an event or a Datadog webhook body is one object',
      expect.stringMatching(/^a\/events\.ndjson: line 4 \| not an event: /),
      'a/notes.md: line 1 | not JSON events: the input starts with "# How these logs were collected\\n\\nBy hand"',
      'b/records.json: Records[1] | not a JSON object: an event or a Datadog webhook body is one object',
      'b/records.json: Records[2] | not a JSON object: an event or a Datadog webhook body is one object',
      expect.stringMatching(/^b\/records\.json: Records\[3\] \| malformed cloudtrail event: .*eventTime/),
    ]);
    expect(reasons[7]).toMatch(
      /^b\/truncated\.json\.gz \| gzip data is broken \(unexpected end of file\); the events before it were replayed$/,
    );
    expect(reasons).toHaveLength(8);
    expect(s.unreadable[0]?.where).toBe(firstGood);
    // The good events around the bad ones were replayed: 2 StopLogging in a/, 1 in b/records.json, and
    // the records of the truncated file before the break (some, not all 200).
    expect(s.byOutcome.malformed).toBe(1);
    expect(s.byOutcome.unreadable).toBe(6);
    const truncatedRecords = s.events - 5 - 4;
    expect(truncatedRecords).toBeGreaterThan(0);
    expect(truncatedRecords).toBeLessThan(200);
    expect(s.byRule['security-calls']?.notify).toBeGreaterThanOrEqual(3);
  });

  it('exit codes: a path that cannot be opened is exit 1 (the rest still replayed); --strict makes unreadable events exit 1', async () => {
    const missing = join(dir, 'no-such-file.json.gz');
    const good = join(ROOT, 'events/samples/cloudtrail/cloudtrail-stoplogging.json');

    const [withMissing, strict, strictClean] = await Promise.all([
      runOps(['replay', missing, good, '--json']),
      runOps(['replay', bad, '--strict']),
      runOps(['replay', good, '--strict']),
    ]);

    expect(withMissing.code).toBe(1);
    const s = JSON.parse(withMissing.stdout) as Summary;
    expect(s.failed).toEqual([{ where: missing, reason: expect.stringContaining('ENOENT') }]);
    expect(s.events).toBe(1);
    // StopLogging on dev's own trail: restore-guardrail puts it back (and tells people).
    expect(s.byOutcome.start).toBe(1);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('Could not read: 8');
    expect(strictClean.code).toBe(0);
  });

  it('human output: aligned tables, the notable decision, nothing raw from the input reaches the terminal', async () => {
    const hostile = {
      ...sampleRecord('cloudtrail-stoplogging'),
      eventTime: cloudTrailTime(START_MS),
    } as Record<string, unknown>;
    const identity = hostile.userIdentity as Record<string, unknown>;
    hostile.userIdentity = { ...identity, userName: 'mallory\u001b[2J\u001b]0;pwned\u0007' };
    const file = join(dir, 'hostile.json');
    writeFileSync(file, JSON.stringify({ Records: [hostile] }));

    const out = await runOps(['replay', file]);

    expect(out.code).toBe(0);
    expect(out.stdout).not.toMatch(RAW_CONTROL);
    expect(out.stdout).toContain('mallory\\x1b[2J\\x1b]0;pwned\\x07');
    const lines = out.stdout.split('\n');
    expect(lines[0]).toMatch(/^Replayed +1 events from 1 file \(0\.0 MB read\), stage dev$/);
    expect(lines).toContain('OUTCOME     COUNT');
    // StopLogging on dev's own trail starts restore-guardrail.
    expect(lines).toContain('start       1');
    expect(lines).toContain('POLICY RULE        START  NOTIFY  REJECT  IGNORE');
    expect(lines).toContain('restore-guardrail  1      0       0       0');
    expect(lines).toContain('Notable decisions: 1 (starts and critical notifications)');
    expect(out.stdout).toMatch(
      /2026-12-01T00:00:00\.000Z +start restore-guardrail +trail dev-platform-trail +.*hostile\.json: Records\[0\]/,
    );
    // No progress without a terminal unless asked for.
    expect(out.stderr).toBe('');
  });

  it('reads NDJSON from stdin with -', async () => {
    const event = readFileSync(
      join(ROOT, 'events/samples/cluster-autoscaler/failedtoscaleupgroup-dev-platform.json'),
      'utf8',
    );

    const out = await runOps(['replay', '-', '--json'], { stdin: `${JSON.stringify(JSON.parse(event))}\n` });

    expect(out.code).toBe(0);
    const s = JSON.parse(out.stdout) as Summary;
    expect(s.events).toBe(1);
    // README: this event starts scale-node-group.
    expect(s.notable).toEqual([
      expect.objectContaining({ where: 'stdin: line 1', action: 'start', runbook: 'scale-node-group' }),
    ]);
  });
});
