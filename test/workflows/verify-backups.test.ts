import {
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  type DBSnapshot,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep } from '../../functions/kube/core.js';
import { DatadogApi } from '../../functions/shared/datadog.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import { SlackApi } from '../../functions/shared/slack.js';
import type { Evaluation } from '../../runbooks/verify-backups/logic.js';
import type { BackupReport } from '../../runbooks/verify-backups/report.js';
import { checkDatabase } from '../../runbooks/verify-backups/steps/check-database.js';
import {
  type ContentCheckDeps,
  checkVolumeContent,
} from '../../runbooks/verify-backups/steps/check-volume-content.js';
import { collectInventory } from '../../runbooks/verify-backups/steps/collect.js';
import { SdkEbsDirect } from '../../runbooks/verify-backups/steps/ebs-direct.js';
import { handler as buildReportHandler } from '../../runbooks/verify-backups/steps/handlers/build-report.js';
import { handler as evaluateHandler } from '../../runbooks/verify-backups/steps/handlers/evaluate.js';
import { publishReport } from '../../runbooks/verify-backups/steps/publish.js';
import { sweepScratch } from '../../runbooks/verify-backups/steps/sweep.js';
import { type VerifyBackupsSettings, VerifyBackupsWorkflow } from '../../runbooks/verify-backups/workflow.js';
import { definitionProblems } from '../support/asl-contract.js';
import { type ImageDir, MiB, makeImageDir } from '../support/disk-images.js';
import { type EbsDirectServer, startEbsDirectServer } from '../support/ebs-direct-server.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';
import {
  type AslDefinition,
  allStates,
  awsError,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../support/local-sfn.js';
import { type MariaDb, startMariaDb } from '../support/mariadb.js';
import {
  type FakeChatOps,
  HOUR,
  KEY_ARN,
  OTHER_KEY_ARN,
  receivedMetrics,
  startFakeChatOps,
} from '../unit/verify-backups/fixtures.js';

const SETTINGS: VerifyBackupsSettings = {
  stage: 'test',
  region: 'eu-west-1',
  account: '111111111111',
  drRegion: 'eu-central-1',
  expectedKeyAlias: 'alias/test-data',
  clockSkewMinutes: 5,
  classes: {
    ebs: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
    rds: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
    velero: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 120, drCopyRequired: false },
  },
  protectedTag: { key: 'backup', value: 'required' },
  pvcNamespaces: ['app'],
  databaseInstance: 'test-platform',
  velero: { bucket: 'test-velero', prefix: '', schedules: ['daily'] },
  restore: {
    ebs: { enabled: true, sampleBlocks: 8 },
    rds: {
      enabled: false,
      weekday: 'SUN',
      instanceClass: 'db.t4g.micro',
      maxMinutes: 60,
      checks: [{ kind: 'query', sql: 'SELECT COUNT(*) FROM information_schema.tables', min: 1 }],
    },
  },
};

function build(settings: VerifyBackupsSettings = SETTINGS): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new VerifyBackupsWorkflow(stack, 'VerifyBackups', {
    namePrefix: 'ops-test',
    hooks: { report: fn('Report'), approval: fn('Approval') },
    functions: {
      collect: fn('Collect'),
      evaluate: fn('Evaluate'),
      buildReport: fn('BuildReport'),
      publish: fn('Publish'),
      checkVolumeContent: fn('CheckVolumeContent'),
      checkDatabase: fn('CheckDatabase'),
      sweep: fn('Sweep'),
      kube: fn('Kube'),
    },
    settings,
    reportBucket: { name: 'ops-test-reports', arn: 'arn:aws:s3:::ops-test-reports' },
    maxConcurrency: 3,
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

const quiet: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};

// ---------------------------------------------------------------------------- the AWS world
const VOL_A = 'vol-0aaaaaaaaaaaaaaa1';
const VOL_B = 'vol-0bbbbbbbbbbbbbbb2';

interface World {
  volumes: Volume[];
  snapshots: Snapshot[];
  drSnapshots: Snapshot[];
  dbSnapshots: DBSnapshot[];
  drDbSnapshots: DBSnapshot[];
  velero: Record<
    string,
    { phase: string; errors?: number; warnings?: number; ageHours: number; objects?: string[] }
  >;
}

const ago = (hours: number) => new Date(Date.now() - hours * HOUR);

function snapshot(id: string, volumeId: string, ageHours: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    SnapshotId: id,
    VolumeId: volumeId,
    StartTime: ago(ageHours),
    State: 'completed',
    Encrypted: true,
    KmsKeyId: KEY_ARN,
    VolumeSize: 20,
    Tags: [{ Key: 'ops-automation:created-by', Value: 'snapshot-volume' }],
    ...extra,
  };
}

function goodWorld(): World {
  return {
    volumes: [
      { VolumeId: VOL_A, Size: 20, Tags: [{ Key: 'backup', Value: 'required' }] },
      {
        VolumeId: VOL_B,
        Size: 20,
        Tags: [
          { Key: 'kubernetes.io/created-for/pvc/namespace', Value: 'app' },
          { Key: 'kubernetes.io/created-for/pvc/name', Value: 'data-pg-0' },
        ],
      },
    ],
    snapshots: [
      snapshot('snap-0a00000000000000a', VOL_A, 3),
      snapshot('snap-0a00000000000000b', VOL_A, 27),
      snapshot('snap-0b00000000000000a', VOL_B, 4),
    ],
    drSnapshots: [
      snapshot('snap-0c00000000000000a', 'vol-ffffffff', 2, {
        Description: 'Copied for DestinationAmi from snap-0a00000000000000a in eu-west-1',
        Tags: [],
      }),
      snapshot('snap-0c00000000000000b', 'vol-ffffffff', 3, {
        Tags: [{ Key: 'ops-automation:source-snapshot', Value: 'snap-0b00000000000000a' }],
      }),
    ],
    dbSnapshots: [
      {
        DBSnapshotIdentifier: 'rds:test-platform-2026-11-22-03-00',
        DBInstanceIdentifier: 'test-platform',
        SnapshotCreateTime: ago(3),
        Status: 'available',
        Encrypted: true,
        KmsKeyId: KEY_ARN,
        AllocatedStorage: 50,
        SnapshotType: 'automated',
      },
    ],
    drDbSnapshots: [
      {
        DBSnapshotIdentifier: 'test-platform-dr-copy',
        DBInstanceIdentifier: 'test-platform',
        SnapshotCreateTime: ago(2),
        Status: 'available',
        Encrypted: true,
        KmsKeyId: 'arn:aws:kms:eu-central-1:111111111111:key/mrk-1234',
        SnapshotType: 'manual',
      },
    ],
    velero: {
      'daily-20261122050000': { phase: 'Completed', errors: 0, warnings: 1, ageHours: 1 },
      'daily-20261121050000': { phase: 'Completed', errors: 0, warnings: 0, ageHours: 25 },
    },
  };
}

function veleroJson(name: string, b: World['velero'][string]): string {
  return JSON.stringify({
    kind: 'Backup',
    apiVersion: 'velero.io/v1',
    metadata: { name, namespace: 'velero', labels: { 'velero.io/schedule-name': 'daily' } },
    spec: { ttl: '720h0m0s', storageLocation: 'default' },
    status: {
      version: 1,
      formatVersion: '1.1.0',
      phase: b.phase,
      startTimestamp: ago(b.ageHours + 0.1).toISOString(),
      completionTimestamp: ago(b.ageHours).toISOString(),
      expiration: ago(-720).toISOString(),
      errors: b.errors,
      warnings: b.warnings,
    },
  });
}

/** Fakes at the AWS boundary: per-client mocks answering from `world`. */
function fakeAws(world: World) {
  const clients = {
    ec2: new EC2Client({ region: 'eu-west-1' }),
    ec2Dr: new EC2Client({ region: 'eu-central-1' }),
    rds: new RDSClient({ region: 'eu-west-1' }),
    rdsDr: new RDSClient({ region: 'eu-central-1' }),
    s3: new S3Client({ region: 'eu-west-1' }),
  };
  const ec2 = mockClient(clients.ec2);
  const ec2Dr = mockClient(clients.ec2Dr);
  const rds = mockClient(clients.rds);
  const rdsDr = mockClient(clients.rdsDr);
  const s3m = mockClient(clients.s3);
  ec2.on(DescribeVolumesCommand).callsFake((input: { Filters?: { Name?: string; Values?: string[] }[] }) => {
    const f = input.Filters?.[0];
    const key = f?.Name?.replace(/^tag:/, '');
    return {
      Volumes: world.volumes.filter((v) =>
        v.Tags?.some((t) => t.Key === key && f?.Values?.includes(t.Value ?? '')),
      ),
    };
  });
  ec2.on(DescribeSnapshotsCommand).callsFake((input: { Filters?: { Values?: string[] }[] }) => ({
    Snapshots: world.snapshots.filter((s) => input.Filters?.[0]?.Values?.includes(s.VolumeId ?? '')),
  }));
  ec2Dr.on(DescribeSnapshotsCommand).callsFake(() => ({ Snapshots: world.drSnapshots }));
  ec2.on(DeleteVolumeCommand).resolves({});
  rds.on(DescribeDBSnapshotsCommand).callsFake(() => ({ DBSnapshots: world.dbSnapshots }));
  rdsDr.on(DescribeDBSnapshotsCommand).callsFake(() => ({ DBSnapshots: world.drDbSnapshots }));
  rdsDr.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
  s3m.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; Delimiter?: string }) => {
    const names = Object.keys(world.velero);
    if (input.Delimiter) {
      return {
        CommonPrefixes: names
          .filter((n) => `backups/${n}/`.startsWith(input.Prefix ?? ''))
          .map((n) => ({ Prefix: `backups/${n}/` })),
      };
    }
    const name = /^backups\/([^/]+)\/$/.exec(input.Prefix ?? '')?.[1] ?? '';
    const b = world.velero[name];
    const objects = b?.objects ?? ['velero-backup.json', `${name}.tar.gz`, `${name}-logs.gz`];
    return { Contents: b ? objects.map((o) => ({ Key: `backups/${name}/${o}` })) : [] };
  });
  s3m.on(GetObjectCommand).callsFake((input: { Key?: string }) => {
    const name = /^backups\/([^/]+)\/velero-backup\.json$/.exec(input.Key ?? '')?.[1] ?? '';
    const b = world.velero[name];
    if (!b)
      throw Object.assign(new Error('no such key'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    const text = veleroJson(name, b);
    // The collector reads the body only through transformToString.
    return { Body: { transformToString: async () => text } as never };
  });
  s3m
    .on(HeadObjectCommand)
    .resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, ContentLength: 5_000_000 });
  return { clients, ec2 };
}

/** The EBS direct API stand-in and the content check's client for it (set up by the first describe). */
let ebsDeps: ContentCheckDeps | undefined;

interface Recorded {
  /** What each "Check volume content" step was given. */
  contentChecks: unknown[];
  stored: Record<string, string>;
  signals: { Source: string; DetailType: string; Detail: string }[];
  phases: string[];
  failure?: unknown;
}

function handlers(
  world: World,
  chat: FakeChatOps,
  overrides: Record<string, TaskHandler> = {},
): { handlers: Record<string, TaskHandler>; rec: Recorded; aws: ReturnType<typeof fakeAws> } {
  const aws = fakeAws(world);
  const rec: Recorded = { contentChecks: [], stored: {}, signals: [], phases: [] };
  const slack = new SlackApi({
    token: async () => 'xoxb-test-token',
    apiUrl: `${chat.url}/api/`,
    maxRetries: 0,
  });
  const datadog = new DatadogApi({
    apiKey: async () => 'dd-test-key',
    site: 'datadoghq.eu',
    baseUrl: chat.url,
    maxRetries: 0,
  });
  const base: Record<string, TaskHandler> = {
    'Announce start': (i) => void rec.phases.push((i as { phase: string }).phase),
    'Report result': (i) => void rec.phases.push((i as { phase: string }).phase),
    'Report failure': (i) => {
      rec.phases.push((i as { phase: string }).phase);
      rec.failure = (i as { error: unknown }).error;
    },
    'Report rejection': () => undefined,
    'Request approval': () => ({ approved: true }),
    'Resolve expected KMS key': (i) => {
      expect(i).toEqual({ KeyId: 'alias/test-data' });
      return { KeyMetadata: { Arn: KEY_ARN, KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } };
    },
    'Sweep leftover scratch resources': (i) =>
      sweepScratch(i as never, { ec2: aws.clients.ec2 }, quiet, new Date()),
    'Collect backups': (i) => collectInventory(i as never, aws.clients, quiet, new Date()),
    'Evaluate backup': (i) => evaluateHandler(i as never),
    // The same step, in the Map of the EBS content checks (one Map per restore kind).
    'Evaluate content-checked backup': (i) => evaluateHandler(i as never),
    'Check volume content': (i) => {
      rec.contentChecks.push(i);
      if (!ebsDeps) throw new Error('the EBS direct API stand-in is not running');
      return checkVolumeContent(i as never, ebsDeps);
    },
    'Build report': (i) => buildReportHandler(i as never),
    'Keep report (JSON)': (i) => {
      const p = i as { Key: string; Body: string };
      rec.stored[p.Key] = p.Body;
      return { ETag: '"1"' };
    },
    'Keep report (Markdown)': (i) => {
      const p = i as { Key: string; Body: string };
      rec.stored[p.Key] = p.Body;
      return { ETag: '"2"' };
    },
    'Send failure signals': (i) => {
      const entries = (i as { Entries: Recorded['signals'] }).Entries;
      rec.signals.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map((_, n) => ({ EventId: `e-${n}` })) };
    },
    'Publish report': (i) =>
      publishReport(i as never, { slack, datadog, channel: 'C0TEST00001', logger: quiet }),
  };
  return { handlers: { ...base, ...overrides }, rec, aws };
}

const INPUT = {
  runbook: 'verify-backups',
  stage: 'test',
  parameters: {
    scope: ['ebs', 'rds', 'velero'],
    restoreTests: true,
    reason: 'schedule daily-backup-verification',
  },
  dryRun: false,
  mode: 'auto',
  executionName: 'verify-backups-all-backups-20261122T0500',
  resourceKey: 'all-backups',
  trigger: {
    source: 'schedule',
    kind: 'schedule.tick',
    correlationId: 'sched-1',
    occurredAt: '2026-11-22T05:00:00Z',
    summary: 'daily',
    requestedBy: 'schedule:daily-backup-verification',
  },
  reasons: ['schedule daily-backup-verification fired'],
};

function rowsOf(rec: Recorded): Evaluation[] {
  const key = Object.keys(rec.stored).find((k) => k.endsWith('.json'));
  if (!key) throw new Error('no JSON report stored');
  return (JSON.parse(rec.stored[key] as string) as BackupReport).rows as Evaluation[];
}
function row(rec: Recorded, resource: string): Evaluation {
  const r = rowsOf(rec).find((x) => x.resource === resource);
  if (!r) throw new Error(`no row for ${resource}`);
  return r;
}

const SNAP_A = 'snap-0a00000000000000a';
const SNAP_B = 'snap-0b00000000000000a';

describe('verify-backups workflow: executed locally from its CDK definition', () => {
  const asl = build();
  let chat: FakeChatOps;
  let img: ImageDir;
  let ebs: EbsDirectServer;
  const images = {} as Record<'ext4' | 'xfs' | 'zero', string>;
  /** VOL_A's newest snapshot: a 64 MiB ext4; VOL_B's: a 320 MiB XFS; both on 20 GiB volumes. */
  const serveGood = () => ebs.serve(SNAP_A, { image: images.ext4, volumeSizeGiB: 20 });
  beforeAll(async () => {
    chat = await startFakeChatOps();
    img = makeImageDir();
    images.ext4 = img.ext4('a.img', 64 * MiB);
    images.xfs = img.xfs('b.img', 320 * MiB);
    images.zero = img.blank('zero.img', 64 * MiB);
    ebs = await startEbsDirectServer({
      [SNAP_A]: { image: images.ext4, volumeSizeGiB: 20 },
      [SNAP_B]: { image: images.xfs, volumeSizeGiB: 20 },
    });
    ebsDeps = {
      ebs: new SdkEbsDirect({
        region: 'eu-west-1',
        endpoint: ebs.endpoint,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' },
      }),
      retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5 },
    };
  }, 60_000);
  afterAll(async () => {
    ebsDeps = undefined;
    await chat.close();
    await ebs?.stop();
    img?.remove();
  });
  beforeEach(async () => {
    chat.requests.length = 0;
    chat.slackDown = false;
    ebs.throttle(0);
    ebs.deny(false);
    await serveGood();
  });

  it('fans out with an inline Map of bounded concurrency, and every task has a retry and a catch', () => {
    // Prepare / Act
    const states = allStates(asl);
    const map = states.find(([n]) => n === 'Check each backup')?.[1];
    // Assess
    expect(map?.Type).toBe('Map');
    expect(map?.MaxConcurrency).toBe(3);
    expect(
      (map?.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ??
        'INLINE',
    ).toBe('INLINE');
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    for (const [name, s] of tasks) {
      if (name === 'Request approval') continue; // the frame's: caught, retried by a human
      expect(s.Retry?.length, `${name} retries`).toBeGreaterThan(0);
      if (name !== 'Send failure signals') expect(s.Catch?.length, `${name} catches`).toBeGreaterThan(0);
    }
    expect(JSON.stringify(asl)).not.toContain('JSONata');
    // One failure path: the frame's (its rejection states aside), nothing of the runbook's own.
    expect(
      states
        .filter(([, s]) => s.Type === 'Fail')
        .map(([n]) => n)
        .sort(),
    ).toEqual(['Failed', 'Rejected', 'Rejected without report']);
  });

  it('all good: every backup verified, each EBS snapshot read through the EBS direct APIs and its content verified', async () => {
    // Prepare
    const { handlers: h, rec } = handlers(goodWorld(), chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status, JSON.stringify(rec.failure)).toBe('SUCCEEDED');
    expect(out.output).toMatchObject({ summary: 'verify-backups test: all 4 backups verified', changes: [] });
    expect(rec.contentChecks).toHaveLength(2);
    expect(rec.contentChecks[0]).toMatchObject({ snapshot: { id: SNAP_A, sizeGiB: 20 }, sampleBlocks: 8 });
    const restoreOf = (resource: string) => row(rec, resource).checks.find((c) => c.check === 'restore');
    expect(restoreOf(VOL_A)).toEqual({
      check: 'restore',
      verdict: 'pass',
      // The sample is 8 blocks, or every written block when the stand-in lists fewer.
      reason: `content verified: ext4, 64 MiB, clean, ${Math.min(8, ebs.written(SNAP_A).length)} blocks read`,
    });
    expect(restoreOf(VOL_B)?.reason).toMatch(
      /^content verified: xfs, 320 MiB, superblock consistent \(log not read\), \d+ blocks read$/,
    );
    expect(out.calls['Create scratch volume']).toBeUndefined();
    expect(rowsOf(rec).map((r) => [r.class, r.resource, r.verdict])).toEqual([
      ['ebs', VOL_A, 'pass'],
      ['ebs', VOL_B, 'pass'],
      ['rds', 'test-platform', 'pass'],
      ['velero', 'daily', 'pass'],
    ]);
    expect(row(rec, VOL_A).reason).toBe('all checks passed, content verified');
    expect(rec.signals).toEqual([]);
    const slackPost = chat.requests.find((r) => r.path.startsWith('/api/chat.postMessage'));
    expect((slackPost?.body as { text?: string } | undefined)?.text).toBe(
      'verify-backups test: all 4 backups verified',
    );
    const verified = receivedMetrics(chat).filter(([m]) => m === 'ops.backup.verified');
    expect(verified).toHaveLength(4);
    expect(verified.every(([, v]) => v === 1)).toBe(true);
    expect(rec.phases).toEqual(['started', 'succeeded']);
  });

  it('a stale snapshot fails its row, raises a signal into the intake, and fails the run after reporting', async () => {
    // Prepare
    const world = goodWorld();
    world.snapshots = world.snapshots.map((s) => (s.VolumeId === VOL_A ? { ...s, StartTime: ago(30) } : s));
    world.drSnapshots = world.drSnapshots.map((s) =>
      s.SnapshotId === 'snap-0c00000000000000a' ? { ...s, StartTime: ago(29) } : s,
    );
    const { handlers: h, rec } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('BackupVerificationFailed');
    expect(out.cause).toBe('verify-backups test: 1 of 4 backups FAILED verification (3 passed)');
    const r = row(rec, VOL_A);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toMatch(
      /^fresh: age 30\.0 h exceeds RPO 26 h; dr-copy: the newest copy in eu-central-1: age 29\.0 h exceeds RPO 26 h$/,
    );
    expect(rec.signals).toHaveLength(1);
    const signal = JSON.parse(rec.signals[0]?.Detail ?? '{}');
    expect(rec.signals[0]).toMatchObject({
      Source: 'ops.backup-verification',
      DetailType: 'Backup Verification Failed',
    });
    expect(signal).toMatchObject({
      source: 'backup-verification',
      kind: 'backup-verification.backup-failed',
      resource: { type: 'ebs-volume', id: VOL_A },
      severity: 'critical',
      details: { failedChecks: ['fresh', 'dr-copy'] },
    });
    const md = Object.entries(rec.stored).find(([k]) => k.endsWith('.md'))?.[1] ?? '';
    expect(md).toContain(
      `| FAIL | ebs | ${VOL_A} | snap-0a00000000000000a | 30.0 h | 26 h | fresh: age 30.0 h exceeds RPO 26 h;`,
    );
    const event = chat.requests.find((x) => x.path.startsWith('/api/v1/events'))?.body as { title: string };
    expect(event.title).toBe(`Backup verification failed: ebs ${VOL_A} (test)`);
    expect(rec.phases).toEqual(['started', 'failed']);
  });

  it('an unencrypted snapshot and a snapshot under the wrong key both fail the encryption check', async () => {
    // Prepare
    const world = goodWorld();
    world.snapshots = world.snapshots.map((s) =>
      s.SnapshotId === 'snap-0a00000000000000a'
        ? { ...s, Encrypted: false, KmsKeyId: undefined }
        : s.VolumeId === VOL_B
          ? { ...s, KmsKeyId: OTHER_KEY_ARN }
          : s,
    );
    const { handlers: h, rec } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(row(rec, VOL_A).reason).toBe('encrypted: snap-0a00000000000000a is not encrypted');
    expect(row(rec, VOL_B).reason).toBe(
      'encrypted: snap-0b00000000000000a is encrypted with 99999999-0000-0000-0000-000000000000, not the expected alias/test-data (1234abcd-12ab-34cd-56ef-1234567890ab)',
    );
    expect(rec.signals).toHaveLength(2);
  });

  it('a missing DR copy fails the dr-copy check', async () => {
    // Prepare
    const world = goodWorld();
    world.drSnapshots = world.drSnapshots.filter((s) => s.SnapshotId !== 'snap-0c00000000000000b');
    const { handlers: h, rec } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(row(rec, VOL_B).reason).toBe('dr-copy: no copy in eu-central-1');
    expect(row(rec, VOL_A).verdict).toBe('pass');
  });

  it('a Velero backup that PartiallyFailed fails with its error and warning counts', async () => {
    // Prepare
    const world = goodWorld();
    world.velero['daily-20261122050000'] = { phase: 'PartiallyFailed', errors: 2, warnings: 3, ageHours: 1 };
    const { handlers: h, rec } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    const r = row(rec, 'daily');
    expect(r.verdict).toBe('fail');
    expect(r.backupId).toBe('daily-20261121050000');
    expect(r.reason).toBe(
      'completed: newest backup daily-20261122050000 is partially-failed (PartiallyFailed) (2 errors, 3 warnings)',
    );
  });

  it('a Velero backup missing its logs object fails the contents check', async () => {
    // Prepare
    const world = goodWorld();
    const b = world.velero['daily-20261122050000'];
    if (b) b.objects = ['velero-backup.json', 'daily-20261122050000.tar.gz'];
    const { handlers: h, rec } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(row(rec, 'daily').reason).toBe(
      'contents: daily-20261122050000 is missing daily-20261122050000-logs.gz',
    );
  });

  /** Runs the workflow, and returns VOL_A's row, VOL_B's verdict and the run. */
  const runWithContent = async (overrides: Record<string, TaskHandler> = {}) => {
    const { handlers: h, rec } = handlers(goodWorld(), chat, overrides);
    const out = await runAsl(asl, INPUT, { handlers: h });
    return { out, rec, a: row(rec, VOL_A), others: rowsOf(rec).filter((r) => r.resource !== VOL_A) };
  };
  const othersStillChecked = (others: Evaluation[]) =>
    expect(others.map((r) => [r.resource, r.verdict])).toEqual([
      [VOL_B, 'pass'],
      ['test-platform', 'pass'],
      ['daily', 'pass'],
    ]);

  it('a corrupted block fails that backup with the block named; the others are still checked', async () => {
    // Prepare
    await ebs.serve(SNAP_A, { image: images.ext4, volumeSizeGiB: 20, corruptBlock: 'last' });
    const written = ebs.written(SNAP_A);
    // Act
    const { out, rec, a, others } = await runWithContent();
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('BackupVerificationFailed');
    expect(a.reason).toBe(
      `restore: content check of ${SNAP_A}: block ${written[written.length - 1]}: checksum mismatch (the data read does not match the SHA-256 EBS sent with it)`,
    );
    othersStillChecked(others);
    expect(rec.signals).toHaveLength(1);
  });

  it('a zeroed volume fails that backup', async () => {
    await ebs.serve(SNAP_A, { image: images.zero, volumeSizeGiB: 20 });
    const { out, a, others } = await runWithContent();
    expect(out.status).toBe('FAILED');
    expect(a.reason).toBe(
      `restore: content check of ${SNAP_A}: the volume is all zeros: the snapshot holds no written block`,
    );
    othersStillChecked(others);
  });

  it('a missing permission fails that backup with the reason; the others are still checked', async () => {
    ebs.deny(true, SNAP_A);
    const { out, a, others } = await runWithContent();
    expect(out.status).toBe('FAILED');
    expect(a.reason).toBe(
      `restore: content check of ${SNAP_A}: ListSnapshotBlocks was denied (UNAUTHORIZED_ACCOUNT): missing ebs permission or KMS grant`,
    );
    othersStillChecked(others);
  });

  it('brief throttling is retried inside the step; throttling that persists fails that backup after bounded tries', async () => {
    ebs.throttle(2, SNAP_A);
    const brief = await runWithContent();
    expect(brief.out.status).toBe('SUCCEEDED');

    ebs.throttle(1000, SNAP_A);
    const before = ebs.requests.filter((r) => r.path.startsWith(`/snapshots/${SNAP_A}/`)).length;
    const { out, a, others } = await runWithContent();
    const tries = ebs.requests.filter((r) => r.path.startsWith(`/snapshots/${SNAP_A}/`)).length - before;
    expect(out.status).toBe('FAILED');
    expect(a.reason).toBe(
      `restore: content check of ${SNAP_A}: ListSnapshotBlocks still throttled after bounded retries (RESOURCE_LEVEL_THROTTLE)`,
    );
    expect(tries).toBe(4);
    othersStillChecked(others);
  });

  it('a content check step that crashes or times out fails that backup, never passes it; the others are still checked', async () => {
    const { out, a, others } = await runWithContent({
      'Check volume content': (i) => {
        if ((i as { snapshot: { id: string } }).snapshot.id === SNAP_A)
          throw awsError('States.Timeout', 'Task timed out after 300.00 seconds');
        if (!ebsDeps) throw new Error('no stand-in');
        return checkVolumeContent(i as never, ebsDeps);
      },
    });
    expect(out.status).toBe('FAILED');
    expect(a.reason).toBe(
      'restore: content check failed: States.Timeout: Task timed out after 300.00 seconds',
    );
    othersStillChecked(others);
  });

  it('AWS throttling during the inventory is retried by the workflow and the run recovers', async () => {
    // Prepare
    // The sweeper reads volumes too: keep it out of this test's throttled DescribeVolumes.
    const {
      handlers: h,
      rec,
      aws,
    } = handlers(goodWorld(), chat, {
      'Sweep leftover scratch resources': () => ({ changes: [], failed: [] }),
    });
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'RequestLimitExceeded',
      $retryable: {},
    });
    aws.ec2
      .on(DescribeVolumesCommand)
      .rejectsOnce(throttled)
      .callsFake((input: { Filters?: { Name?: string; Values?: string[] }[] }) => {
        const f = input.Filters?.[0];
        const key = f?.Name?.replace(/^tag:/, '');
        return { Volumes: goodWorld().volumes.filter((v) => v.Tags?.some((t) => t.Key === key)) };
      });
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status, JSON.stringify(rec.failure)).toBe('SUCCEEDED');
    expect(out.calls['Collect backups']).toBe(2);
  });

  it('AWS throttling that persists fails the run through its failure report, never a silent pass', async () => {
    // Prepare
    // The sweeper reads volumes too: keep it out of this test's throttled DescribeVolumes.
    const {
      handlers: h,
      rec,
      aws,
    } = handlers(goodWorld(), chat, {
      'Sweep leftover scratch resources': () => ({ changes: [], failed: [] }),
    });
    aws.ec2
      .on(DescribeVolumesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $retryable: {} }));
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('InventoryUnavailableError');
    expect(out.calls['Collect backups']).toBe(4);
    expect(rec.phases).toEqual(['started', 'failed']);
    expect(out.calls['Publish report']).toBeUndefined();
  });

  it('signals EventBridge refuses are recorded, and the report is still published before the run fails', async () => {
    // Prepare
    const world = goodWorld();
    world.drSnapshots = [];
    const { handlers: h, rec } = handlers(world, chat, {
      'Send failure signals': (i) => ({
        FailedEntryCount: 1,
        Entries: (i as { Entries: unknown[] }).Entries.map((_, n) =>
          n === 0 ? { ErrorCode: 'InternalFailure' } : { EventId: 'e' },
        ),
      }),
    });
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('BackupVerificationFailed');
    expect(out.path).toContain('Signals not accepted');
    expect(out.calls['Publish report']).toBe(1);
    expect(rec.phases).toEqual(['started', 'failed']);
  });

  it("sweeps scratch volumes an earlier run left behind, and records the deletion as the run's change", async () => {
    // Prepare
    const world = goodWorld();
    const leftover = (id: string, hours: number): Volume => ({
      VolumeId: id,
      State: 'available',
      CreateTime: ago(hours),
      Tags: [
        { Key: 'ops-automation:scratch', Value: 'true' },
        { Key: 'ops-automation:execution', Value: 'crashed-run' },
      ],
    });
    world.volumes.push(leftover('vol-0left0000000000001', 30), leftover('vol-0recent000000000002', 1));
    const { handlers: h, aws } = handlers(world, chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(aws.ec2).toHaveReceivedCommandTimes(DeleteVolumeCommand, 1);
    expect(aws.ec2).toHaveReceivedCommandWith(DeleteVolumeCommand, { VolumeId: 'vol-0left0000000000001' });
    expect((out.output as { changes: unknown[] }).changes).toEqual([
      expect.objectContaining({
        action: 'delete-leftover-scratch-volume',
        resource: 'vol-0left0000000000001',
        before: { state: 'available', run: 'crashed-run' },
      }),
    ]);
  });

  it('a failing sweep is recorded and never blocks the verification', async () => {
    const { handlers: h } = handlers(goodWorld(), chat, {
      'Sweep leftover scratch resources': () => {
        throw awsError('UnauthorizedOperation', 'not allowed');
      },
    });
    const out = await runAsl(asl, INPUT, { handlers: h });
    expect(out.status).toBe('SUCCEEDED');
    expect(out.path).toContain('Sweep failed');
  });

  it('a Slack outage does not hide the result: the report is kept and the verdict still decides the run', async () => {
    // Prepare
    chat.slackDown = true;
    const { handlers: h, rec } = handlers(goodWorld(), chat);
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(Object.keys(rec.stored)).toHaveLength(2);
  });

  it('a dry run verifies everything but reads no snapshot content', async () => {
    // Prepare
    const { handlers: h, rec } = handlers(goodWorld(), chat);
    // Act
    const out = await runAsl(asl, { ...INPUT, dryRun: true }, { handlers: h });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    expect(rec.contentChecks).toHaveLength(0);
    expect(out.calls['Check volume content']).toBeUndefined();
    expect(out.calls['Sweep leftover scratch resources']).toBeUndefined();
    expect(row(rec, VOL_A).checks.find((c) => c.check === 'restore')).toEqual({
      check: 'restore',
      verdict: 'not-applicable',
      reason: 'dry run: no restore tests',
    });
  });
});

describe('verify-backups workflow: the weekly database restore test', () => {
  const today = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'][new Date().getUTCDay()] as string;
  const asl = build({
    ...SETTINGS,
    restore: {
      ...SETTINGS.restore,
      ebs: { ...SETTINGS.restore.ebs, enabled: false },
      rds: {
        ...SETTINGS.restore.rds,
        enabled: true,
        weekday: today,
        subnetGroupName: 'test-platform-db',
        securityGroupIds: ['sg-0restore'],
        checks: [
          { kind: 'rowCount', table: 'orders', min: 2 },
          { kind: 'freshness', table: 'orders', column: 'created_at' },
        ],
        database: 'app',
      },
    },
  });
  let chat: FakeChatOps;
  let db: MariaDb;
  beforeAll(async () => {
    [chat, db] = await Promise.all([startFakeChatOps(), startMariaDb()]);
    await db.query('CREATE DATABASE app');
    await db.query('CREATE TABLE app.orders (id INT PRIMARY KEY, created_at DATETIME)');
    // One row an hour old: fresh within the class RPO (26 h).
    await db.query(
      'INSERT INTO app.orders VALUES (1, UTC_TIMESTAMP() - INTERVAL 3 HOUR), (2, UTC_TIMESTAMP() - INTERVAL 1 HOUR)',
    );
  });
  afterAll(async () => {
    await Promise.all([chat?.close(), db?.stop()]);
  });

  /** The restored instance is the local MariaDB: the check query runs for real against it. */
  function dbHandlers(overrides: Record<string, TaskHandler> = {}) {
    const deleted: unknown[] = [];
    const restored: unknown[] = [];
    const check = (i: unknown) =>
      checkDatabase(i as never, {
        credentials: async () => ({ username: db.admin.username, password: db.admin.password }),
        connect: (o) => mysql.createConnection({ ...o, connectTimeout: 5000, timezone: 'Z' }),
      });
    const { handlers: h, rec } = handlers(goodWorld(), chat, {
      'Restore test database': (i) => {
        restored.push(i);
        return { DbInstance: { DbInstanceStatus: 'creating' } };
      },
      'Read test database': () => ({
        DbInstances: [{ DbInstanceStatus: 'available', Endpoint: { Address: db.host, Port: db.port } }],
      }),
      'Run check query': check,
      'Delete test database': (i) => {
        deleted.push(i);
        return { DbInstance: { DbInstanceStatus: 'deleting' } };
      },
      'Evaluate restored database': (i) => evaluateHandler(i as never),
      ...overrides,
    });
    // EBS content checks are off in this definition: the states do not exist.
    delete h['Check volume content'];
    delete h['Evaluate content-checked backup'];
    return { h, rec, deleted, restored };
  }

  it('calls RDS with the names Step Functions uses and reads only fields RDS returns (AWS API model)', () => {
    expect(definitionProblems(asl)).toEqual([]);
  });

  it('restores the latest snapshot to a small scratch instance, queries it, and deletes it', async () => {
    // Prepare
    const { h, rec, deleted, restored } = dbHandlers();
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status, JSON.stringify(rec.failure)).toBe('SUCCEEDED');
    expect(restored).toEqual([
      expect.objectContaining({
        DbInstanceIdentifier: expect.stringMatching(/^ops-test-vb-[0-9a-f]{32}$/),
        DbSnapshotIdentifier: 'rds:test-platform-2026-11-22-03-00',
        DbInstanceClass: 'db.t4g.micro',
        DbSubnetGroupName: 'test-platform-db',
        VpcSecurityGroupIds: ['sg-0restore'],
        MultiAZ: false,
        PubliclyAccessible: false,
        Tags: expect.arrayContaining([{ Key: 'ops-automation:scratch', Value: 'true' }]),
      }),
    ]);
    expect(deleted).toEqual([
      expect.objectContaining({ SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
    ]);
    expect(row(rec, 'test-platform').checks.find((c) => c.check === 'restore')).toEqual({
      check: 'restore',
      verdict: 'pass',
      reason: expect.stringMatching(
        /^restored to ops-test-vb-[0-9a-f]{32}, rows in orders >= 2: returned 2; max\(created_at\) of orders within 26h: newest created_at is 1h old, then deleted it \[db\.t4g\.micro, budget 60 min, est\. \$0\.02\/run \(RDS MySQL on-demand/,
      ),
    });
  });

  it('two databases in one run get two scratch instances, each deleted under its own name', async () => {
    // Prepare: the inventory holds a second database (the collector finds one; the workflow maps any number).
    const { h, deleted, restored } = dbHandlers();
    const collect = h['Collect backups'] as TaskHandler;
    h['Collect backups'] = async (i) => {
      type Item = { class: string; resource: string };
      const inv = (await collect(i)) as { items: Item[]; groups: { rdsInstance: Item[] } };
      const platform = inv.items.find((x) => x.class === 'rds');
      const orders = { ...platform, resource: 'test-orders' };
      // In the inventory and in its restore group, as collect files every item it restores.
      return {
        ...inv,
        items: [...inv.items, orders],
        groups: { ...inv.groups, rdsInstance: [...inv.groups.rdsInstance, orders] },
      };
    };
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('SUCCEEDED');
    const ids = (xs: unknown[]) =>
      xs.map((x) => (x as { DbInstanceIdentifier: string }).DbInstanceIdentifier);
    expect(new Set(ids(restored)).size).toBe(2);
    expect(ids(deleted).sort()).toEqual(ids(restored).sort());
  });

  it('a failing check still deletes the scratch instance, and fails the backup with that check named', async () => {
    // Prepare: the same definition, a restored database whose orders are stale (the oracle: 30 h > 26 h RPO).
    await db.query('CREATE DATABASE stale');
    await db.query('CREATE TABLE stale.orders (id INT PRIMARY KEY, created_at DATETIME)');
    await db.query(
      'INSERT INTO stale.orders VALUES (1, UTC_TIMESTAMP() - INTERVAL 30 HOUR), (2, UTC_TIMESTAMP() - INTERVAL 30 HOUR)',
    );
    const { h, rec, deleted } = dbHandlers({
      'Run check query': (i) =>
        checkDatabase({ ...(i as object), database: 'stale' } as never, {
          credentials: async () => ({ username: db.admin.username, password: db.admin.password }),
          connect: (o) => mysql.createConnection({ ...o, connectTimeout: 5000, timezone: 'Z' }),
        }),
    });
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(deleted).toEqual([expect.objectContaining({ SkipFinalSnapshot: true })]);
    expect(row(rec, 'test-platform').reason).toMatch(
      /^restore: 1 of 2 database checks failed on ops-test-vb-[0-9a-f]{32}: max\(created_at\) of orders within 26h: newest created_at is 30h old \(.*\), older than 26h \[db\.t4g\.micro/,
    );
  });

  it('a check step that cannot connect still deletes the scratch instance, and fails the backup', async () => {
    const { h, rec, deleted } = dbHandlers({
      'Run check query': (i) =>
        checkDatabase(i as never, {
          credentials: async () => ({ username: db.admin.username, password: 'not-the-password' }),
          connect: (o) => mysql.createConnection({ ...o, connectTimeout: 5000 }),
        }),
    });
    const out = await runAsl(asl, INPUT, { handlers: h });
    expect(out.status).toBe('FAILED');
    expect(deleted).toHaveLength(1);
    expect(row(rec, 'test-platform').reason).toMatch(
      /^restore: restore test failed: RestoreCheckError: cannot connect to the restored instance: Access denied/,
    );
  });

  it('a restore that never becomes available is polled a bounded number of times, then deleted and failed', async () => {
    // Prepare: RDS keeps answering "creating".
    let reads = 0;
    const { h, rec, deleted } = dbHandlers({
      'Read test database': () => {
        reads++;
        return { DbInstances: [{ DbInstanceStatus: 'creating' }] };
      },
    });
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess: a 60 min budget keeps 55 min for polling; waits of 2, 3, 4.5, then 5 min fit 12 of them
    // (2 + 3 + 4.5 + 5 × 9 = 54.5, by hand), so 12 reads in all.
    expect(out.status).toBe('FAILED');
    expect(reads).toBe(12);
    expect(out.calls['Run check query']).toBeUndefined();
    expect(deleted).toEqual([
      expect.objectContaining({ SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
    ]);
    expect(row(rec, 'test-platform').reason).toMatch(
      /^restore: restore test failed: RestoreTimedOut: test database ops-test-vb-[0-9a-f]{32} not available after 12 polls \(time budget 60 min\)$/,
    );
  });

  it('a restore that breaks (incompatible-restore) goes to cleanup without waiting out the budget', async () => {
    let reads = 0;
    const { h, rec, deleted } = dbHandlers({
      'Read test database': () => {
        reads++;
        return { DbInstances: [{ DbInstanceStatus: reads < 2 ? 'creating' : 'incompatible-restore' }] };
      },
    });
    const out = await runAsl(asl, INPUT, { handlers: h });
    expect(out.status).toBe('FAILED');
    expect(reads).toBe(2);
    expect(deleted).toHaveLength(1);
    expect(row(rec, 'test-platform').reason).toMatch(
      /RestoreFailed: test database ops-test-vb-\w+ cannot become available$/,
    );
  });

  it('a missing permission on the delete leaves the reason in the report, naming the leftover for the sweeper', async () => {
    const { h, rec } = dbHandlers({
      'Delete test database': () => {
        throw awsError('Rds.RdsException', 'User is not authorized to perform: rds:DeleteDBInstance');
      },
    });
    const out = await runAsl(asl, INPUT, { handlers: h });
    expect(out.status).toBe('FAILED');
    expect(row(rec, 'test-platform').reason).toMatch(
      /^restore: cleanup failed, ops-test-vb-[0-9a-f]{32} was left behind \(tagged ops-automation:scratch=true for the sweeper\): Rds\.RdsException: User is not authorized/,
    );
  });

  it('a restore RDS refuses goes straight to cleanup, and a missing instance counts as cleaned up', async () => {
    // Prepare
    const { h, rec } = dbHandlers({
      'Restore test database': () => {
        throw awsError('Rds.StorageQuotaExceededException', 'quota');
      },
      'Delete test database': () => {
        throw awsError('Rds.DbInstanceNotFoundException', 'not found');
      },
    });
    // Act
    const out = await runAsl(asl, INPUT, { handlers: h });
    // Assess
    expect(out.status).toBe('FAILED');
    expect(out.calls['Read test database']).toBeUndefined();
    expect(row(rec, 'test-platform').reason).toBe(
      'restore: restore test failed: Rds.StorageQuotaExceededException: quota',
    );
  });
});

describe('verify-backups workflow: the Velero restore test through the kube function', () => {
  const NAMESPACES = ['app', 'data'];
  const asl = build({
    ...SETTINGS,
    restore: {
      ...SETTINGS.restore,
      ebs: { ...SETTINGS.restore.ebs, enabled: false },
      velero: {
        enabled: true,
        maxMinutes: 30,
        namespaces: NAMESPACES.map((n) => ({
          namespace: n,
          scratch: `restore-check-${n}`,
          mapping: { [n]: `restore-check-${n}` },
          minReadyPods: 1,
          minBoundPvcs: 1,
        })),
      },
    },
  });
  const KUBE: KubeSettings = {
    restartWorkloads: [],
    veleroNamespace: 'velero',
    restoreNamespacePrefix: 'restore-check-',
    scratchNamespaces: NAMESPACES.map((n) => `restore-check-${n}`),
    // The readiness probe of the `app` namespace (used by the probe tests below; the RBAC grants it).
    scratchProbes: ['restore-check-app/web:8080'],
    autoscalerNamespace: 'kube-system',
  };
  /** The same test with an HTTP readiness probe configured for `app`. */
  const PROBE = { service: 'web', port: 8080, path: '/healthz', expectStatus: 200, timeoutSeconds: 5 };
  const aslProbe = build({
    ...SETTINGS,
    restore: {
      ...SETTINGS.restore,
      ebs: { ...SETTINGS.restore.ebs, enabled: false },
      velero: {
        enabled: true,
        maxMinutes: 30,
        namespaces: NAMESPACES.map((n) => ({
          namespace: n,
          scratch: `restore-check-${n}`,
          mapping: { [n]: `restore-check-${n}` },
          minReadyPods: 1,
          minBoundPvcs: 1,
          ...(n === 'app' ? { probe: PROBE } : {}),
        })),
      },
    },
  });
  const USER = { username: 'ops-test-kube', groups: ['ops-automation'] };
  // The local runner has no per-state context: $$.State.EnteredTime is one fixed value here, so the
  // reported duration is 0 s in these tests (Step Functions fills in each state's entry time).
  const STATE_CONTEXT = { State: { EnteredTime: '2026-11-22T05:00:00Z', Name: 'local' } };
  let chat: FakeChatOps;
  let api: KubeApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    [chat, api] = await Promise.all([
      startFakeChatOps(),
      startKubeApiServer({
        authenticate: (t) => (t === 'ok' ? USER : undefined),
        rbac: synthesisedKubeRbac(KUBE),
      }),
    ]);
    client = new KubeClient({ endpoint: api.url, ca: api.ca, token: async () => 'ok' });
  });
  afterAll(async () => {
    await Promise.all([chat?.close(), api?.close()]);
  });
  /** Restores earlier tests created (same execution name → same Restore names): gone before each test. */
  const restorePaths = new Set<string>();
  beforeEach(() => {
    for (const n of NAMESPACES) api.remove(`/api/v1/namespaces/restore-check-${n}`);
    for (const p of restorePaths) api.remove(p);
    api.requests.length = 0;
  });

  type Restored = { pods: { name: string; ready: boolean }[]; pvcs: { name: string; phase: string }[] };
  /**
   * Velero's side, at the Kubernetes boundary: when a Restore is read, the controller has run. It
   * creates the mapped namespace with what the backup held for the source namespace, and sets the
   * Restore's phase and progress. `backup` is what the backup holds per source namespace.
   */
  function velero(
    backup: Record<string, Restored | undefined>,
    phase = 'Completed',
    /** What the restored `web` Service answers on 8080 (its pods, behind the API server's proxy). */
    webStatus = 200,
  ) {
    return (restorePath: string) => {
      const r = api.get(restorePath) as
        | { spec: { namespaceMapping: Record<string, string> }; status?: unknown }
        | undefined;
      if (!r || r.status) return;
      let items = 0;
      for (const [from, to] of Object.entries(r.spec.namespaceMapping)) {
        const held = backup[from];
        if (!held) continue; // a namespace the backup does not hold restores nothing
        api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: to } });
        for (const p of held.pods) {
          api.put({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: p.name, namespace: to },
            spec: { containers: [{ name: 'c', image: 'registry.example/app:1' }] },
            status: { phase: 'Running', conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }] },
          });
        }
        for (const c of held.pvcs) {
          api.put({
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: c.name, namespace: to },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            status: { phase: c.phase },
          });
        }
        api.serviceBackend(to, 'web', 8080, () => ({ status: webStatus, body: 'restored app says hello' }));
        items += 1 + held.pods.length + held.pvcs.length;
      }
      api.put({
        ...(r as unknown as Parameters<KubeApiServer['put']>[0]),
        status: { phase, progress: { itemsRestored: items, totalItems: items } },
      });
    };
  }

  const GOOD: Record<string, Restored> = {
    app: { pods: [{ name: 'api-0', ready: true }], pvcs: [{ name: 'data-api-0', phase: 'Bound' }] },
    data: { pods: [{ name: 'pg-0', ready: true }], pvcs: [{ name: 'data-pg-0', phase: 'Bound' }] },
  };

  function veleroHandlers(controller: (path: string) => void) {
    const kube: TaskHandler = async (i) => {
      const e = i as { step: string; name?: string };
      if (e.step === 'get-velero-restore') {
        const path = `/apis/velero.io/v1/namespaces/velero/restores/${e.name}`;
        restorePaths.add(path);
        controller(path);
      }
      return runKubeStep(i, { client, settings: KUBE, logger: quiet });
    };
    const names = [
      'Delete leftover scratch namespace',
      'Check leftover namespace deleted',
      'Create Velero restore',
      'Read Velero restore',
      'Inspect restored namespace',
      'Probe restored service',
      'Delete scratch namespace',
      'Check scratch namespace deleted',
    ];
    const { handlers: h, rec } = handlers(goodWorld(), chat, {
      ...Object.fromEntries(names.map((n) => [n, kube])),
      'Evaluate Velero restore': (i) => evaluateHandler(i as never),
    });
    delete h['Check volume content'];
    delete h['Evaluate content-checked backup'];
    return { h, rec };
  }
  const scratchLeft = () => NAMESPACES.filter((n) => api.get(`/api/v1/namespaces/restore-check-${n}`));

  it('is a valid definition whose AWS calls match the AWS API model', () => {
    expect(definitionProblems(asl)).toEqual([]);
  });

  it('restores each namespace into its scratch namespace, checks readiness, reports what was restored and the time, deletes it', async () => {
    const { h, rec } = veleroHandlers(velero(GOOD));
    const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(
      out.status,
      `${out.error}: ${out.cause} / ${JSON.stringify(rec.failure)} / ${out.path.slice(-12).join(' > ')}`,
    ).toBe('SUCCEEDED');
    expect(row(rec, 'daily').checks.find((c) => c.check === 'restore')).toEqual({
      check: 'restore',
      verdict: 'pass',
      reason: expect.stringMatching(
        /^Velero restore verified: app → restore-check-app: 3\/3 items restored, 1\/1 pods ready \(api-0\), 1\/1 PVCs bound \(data-api-0\), \d+ s, scratch namespace deleted; data → restore-check-data: .*pg-0.*scratch namespace deleted$/,
      ),
    });
    expect(scratchLeft()).toEqual([]);
    const restores = api.requests.filter((r) => r.method === 'POST').map((r) => r.body);
    expect(restores).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({
          backupName: 'daily-20261122050000',
          namespaceMapping: { app: 'restore-check-app' },
        }),
      }),
      expect.objectContaining({
        spec: expect.objectContaining({ namespaceMapping: { data: 'restore-check-data' } }),
      }),
    ]);
  });

  it('with a readiness probe configured, the restored Service is probed after readiness and the namespace passes', async () => {
    const { h, rec } = veleroHandlers(velero(GOOD));
    const out = await runAsl(aslProbe, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(
      out.status,
      `${out.error}: ${out.cause} / ${JSON.stringify(rec.failure)} / ${out.path.slice(-12).join(' > ')}`,
    ).toBe('SUCCEEDED');
    expect(row(rec, 'daily').checks.find((c) => c.check === 'restore')).toEqual({
      check: 'restore',
      verdict: 'pass',
      reason: expect.stringMatching(
        /^Velero restore verified: app → restore-check-app: .*1\/1 PVCs bound \(data-api-0\), probe GET \/healthz on web:8080 answered 200 \(23 bytes\), \d+ s, scratch namespace deleted; data → restore-check-data: .*1\/1 PVCs bound \(data-pg-0\), \d+ s, scratch namespace deleted$/,
      ),
    });
    // Only `app` has a probe: one GET, after its pods were inspected, before its namespace was deleted.
    const trail = api.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    const probes = trail.filter((t) => t.includes('/proxy/'));
    expect(probes).toEqual(['GET /api/v1/namespaces/restore-check-app/services/web:8080/proxy/healthz 200']);
    const at = trail.indexOf(probes[0] as string);
    expect(trail.slice(0, at).at(-1)).toMatch(
      /^GET \/api\/v1\/namespaces\/restore-check-app\/persistentvolumeclaims 200$/,
    );
    expect(trail.slice(at + 1)[0]).toBe('DELETE /api/v1/namespaces/restore-check-app 200');
    expect(scratchLeft()).toEqual([]);
  });

  it('a readiness probe answering another status fails that namespace with a clear reason; both are still deleted', async () => {
    const { h, rec } = veleroHandlers(velero(GOOD, 'Completed', 503));
    const out = await runAsl(aslProbe, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(out.status).toBe('FAILED');
    expect(row(rec, 'daily').reason).toMatch(
      /^restore: 1 of 2 Velero namespaces failed: app: ProbeFailed: restore-check-app: GET \/healthz on web:8080 answered 503 \(wanted 200\) from service, 23 bytes/,
    );
    expect(row(rec, 'daily').reason).not.toContain('hello');
    expect(out.calls['Probe restored service']).toBe(1);
    expect(scratchLeft()).toEqual([]);
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => `${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        '/api/v1/namespaces/restore-check-app 200',
        '/api/v1/namespaces/restore-check-data 200',
      ]),
    );
  });

  it('a restore that never becomes ready fails that namespace after bounded polls, the other is still checked, both are deleted', async () => {
    const { h, rec } = veleroHandlers(
      velero({
        ...GOOD,
        app: { pods: [{ name: 'api-0', ready: false }], pvcs: [{ name: 'data-api-0', phase: 'Pending' }] },
      }),
    );
    const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(out.status).toBe('FAILED');
    expect(row(rec, 'daily').reason).toMatch(
      /^restore: 1 of 2 Velero namespaces failed: app: NotReady: restore-check-app: 0 pods Ready \(wanted 1\), 0 PVCs Bound \(wanted 1\)/,
    );
    expect(out.calls['Inspect restored namespace']).toBeGreaterThan(2);
    expect(out.calls['Inspect restored namespace']).toBeLessThan(40);
    expect(scratchLeft()).toEqual([]);
  });

  it('a Velero restore that fails, and a namespace the backup does not hold, each end with a clear verdict; nothing is left', async () => {
    const { h, rec } = veleroHandlers(velero({ app: GOOD.app }, 'PartiallyFailed'));
    const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(out.status).toBe('FAILED');
    const reason = row(rec, 'daily').reason;
    expect(reason).toMatch(/app: RestoreFailed: Velero restore vb-[0-9a-f]{32} ended PartiallyFailed/);
    expect(reason).toMatch(/data: RestoreFailed: Velero restore vb-[0-9a-f]{32} ended PartiallyFailed/);
    expect(scratchLeft()).toEqual([]);

    // A second run of the same execution name would find its Restores: start from a clean cluster.
    for (const p of restorePaths) api.remove(p);
    const second = veleroHandlers(velero({ app: GOOD.app }));
    const again = await runAsl(asl, INPUT, { handlers: second.h, context: STATE_CONTEXT });
    expect(again.status).toBe('FAILED');
    expect(row(second.rec, 'daily').reason).toMatch(
      /^restore: 1 of 2 Velero namespaces failed: data: NotReady: restore-check-data: 0 pods Ready \(wanted 1\), 0 PVCs Bound/,
    );
  });

  it('cleanup after a crash: a scratch namespace an earlier run left is deleted first, then the restore runs', async () => {
    api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'restore-check-app' } });
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stale-0', namespace: 'restore-check-app' },
      spec: { containers: [{ name: 'c', image: 'registry.example/app:0' }] },
    });
    const { h, rec } = veleroHandlers(velero(GOOD));
    const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(
      out.status,
      `${out.error}: ${out.cause} / ${JSON.stringify(rec.failure)} / ${out.path.slice(-12).join(' > ')}`,
    ).toBe('SUCCEEDED');
    const deletes = api.requests.filter((r) => r.method === 'DELETE').map((r) => `${r.path} ${r.status}`);
    expect(deletes[0]).toBe('/api/v1/namespaces/restore-check-app 200');
    expect(row(rec, 'daily').checks.find((c) => c.check === 'restore')?.reason).not.toContain('stale-0');
    expect(scratchLeft()).toEqual([]);
  });

  it('a throttled API is retried and the run recovers', async () => {
    const { h, rec } = veleroHandlers(velero(GOOD));
    api.failNext(2, 429);
    const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
    expect(
      out.status,
      `${out.error}: ${out.cause} / ${JSON.stringify(rec.failure)} / ${out.path.slice(-12).join(' > ')}`,
    ).toBe('SUCCEEDED');
    expect(api.requests.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('a missing permission fails each namespace with the API’s reason and says the scratch namespace may remain', async () => {
    // Prepare: a cluster whose RBAC lacks the restore-scratch ClusterRole (never applied).
    const bare = await startKubeApiServer({
      authenticate: (t) => (t === 'ok' ? USER : undefined),
      rbac: synthesisedKubeRbac({ ...KUBE, scratchNamespaces: [] }),
    });
    const bareClient = new KubeClient({ endpoint: bare.url, ca: bare.ca, token: async () => 'ok' });
    try {
      const kube: TaskHandler = (i) => runKubeStep(i, { client: bareClient, settings: KUBE, logger: quiet });
      const names = [
        'Delete leftover scratch namespace',
        'Check leftover namespace deleted',
        'Create Velero restore',
        'Read Velero restore',
        'Inspect restored namespace',
        'Probe restored service',
        'Delete scratch namespace',
        'Check scratch namespace deleted',
      ];
      const { handlers: h, rec } = handlers(goodWorld(), chat, {
        ...Object.fromEntries(names.map((n) => [n, kube])),
        'Evaluate Velero restore': (i) => evaluateHandler(i as never),
      });
      delete h['Check volume content'];
      delete h['Evaluate content-checked backup'];
      const out = await runAsl(asl, INPUT, { handlers: h, context: STATE_CONTEXT });
      expect(out.status).toBe('FAILED');
      expect(row(rec, 'daily').reason).toMatch(
        /^restore: 2 of 2 Velero namespaces failed: app: KubeApiRefused: DELETE \/api\/v1\/namespaces\/restore-check-app → 403 Forbidden.*scratch namespace restore-check-app NOT deleted: KubeApiRefused/,
      );
      expect(bare.requests.filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
