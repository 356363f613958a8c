import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { OpsLogger } from '../../../functions/shared/powertools.js';
import { estimateRestoreCostUsd } from '../../../runbooks/verify-backups/cost.js';
import type {
  LastVerifiedRecord,
  LastVerifiedStore,
} from '../../../runbooks/verify-backups/last-verified.js';
import type { BackupItem, RecoveryPoint } from '../../../runbooks/verify-backups/logic.js';
import { handler as buildReportHandler } from '../../../runbooks/verify-backups/steps/handlers/build-report.js';
import { handler as evaluateHandler } from '../../../runbooks/verify-backups/steps/handlers/evaluate.js';
import { publishReport } from '../../../runbooks/verify-backups/steps/publish.js';
import {
  type VerifyBackupsSettings,
  VerifyBackupsWorkflow,
} from '../../../runbooks/verify-backups/workflow.js';
import {
  type AslDefinition,
  allStates,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../../support/local-sfn.js';
import { leanCount } from '../lean-transitions.js';
import { type BenchCheck, type BenchRow, type BenchSection, median } from '../types.js';

/**
 * verify-backups (issue 15): time and cost of one verification run for a stage with 20 protected
 * volumes, 2 databases and 5 Velero namespaces, executed locally from the definition the CDK
 * construct renders. The pure Lambda steps (evaluate, build report, publish with its Slack,
 * Datadog and DynamoDB clients replaced by no-ops) run their real code and are timed; the steps
 * that wait on AWS or Kubernetes I/O (collect, the EBS content check, the database check query, the
 * kube function) are stubs at that boundary, billed at an assumed duration each (below). Waits are
 * skipped: the RDS restore is seen `creating` once, each Velero restore `InProgress` once.
 *
 * Baseline, same run, interleaved round by round: the same stage and inventory with restore tests
 * off (`restoreTests: false`: the metadata checks only), so the ratio is what proving restores adds.
 *
 * Prices (AWS pricing pages, noted 2026-12-07, eu-west-1 list prices as for the runbooks section):
 * Step Functions Standard $0.025 per 1,000 state transitions; Lambda arm64 $0.0000133334 per
 * GB-second and $0.20 per million requests; 512 MB per function (OpsFunction's default). The RDS
 * scratch instance's own cost is the report's estimate (runbooks/verify-backups/cost.ts).
 */

const PRICE = { transition: 0.025 / 1000, gbSecondArm: 0.0000133334, request: 0.2 / 1_000_000 };
const MEMORY_GB = 512 / 1024;
const ROUNDS = Number(process.env.VERIFY_BACKUPS_BENCH_ROUNDS ?? 5);
const VOLUMES = 20;
const DATABASES = ['bench-platform', 'bench-orders'];
const NAMESPACES = ['app', 'data', 'queue', 'search', 'web'];
/** Assumed billed durations of the I/O-bound steps (stubs here), in ms. */
const ASSUMED_MS: Record<string, number> = {
  'Collect backups': 1500,
  'Check volume content': 2500,
  'Run check query': 1500,
  'Sweep leftover scratch resources': 800,
  kube: 300,
  hook: 300,
};
const KUBE_STATES = [
  'Delete leftover scratch namespace',
  'Check leftover namespace deleted',
  'Create Velero restore',
  'Read Velero restore',
  'Inspect restored namespace',
  'Probe restored service',
  'Delete scratch namespace',
  'Check scratch namespace deleted',
];
const HOOKS = ['Announce start', 'Report result', 'Report failure', 'Report rejection', 'Request approval'];

const quiet: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};

const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function settings(): VerifyBackupsSettings {
  const policy = { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true };
  return {
    stage: 'bench',
    region: 'eu-west-1',
    account: '111111111111',
    drRegion: 'eu-central-1',
    expectedKeyAlias: 'alias/bench/platform/data',
    clockSkewMinutes: 5,
    classes: { ebs: policy, rds: policy, velero: { ...policy, maxRecoveryPoints: 120 } },
    protectedTag: { key: 'backup', value: 'required' },
    pvcNamespaces: NAMESPACES,
    databaseInstance: 'bench-platform',
    velero: { bucket: 'bench-velero', prefix: '', schedules: ['daily'], drBucket: 'bench-velero-dr' },
    restore: {
      ebs: { enabled: true, sampleBlocks: 16 },
      rds: {
        enabled: true,
        weekday: 'SUN',
        instanceClass: 'db.t4g.micro',
        maxMinutes: 60,
        checks: [{ kind: 'query', sql: 'SELECT COUNT(*) FROM information_schema.tables', min: 1 }],
        subnetGroupName: 'ops-bench-vb-scratch',
        securityGroupIds: ['sg-0restore'],
      },
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
  };
}

function definition(): AslDefinition {
  const stack = workflowStack('VerifyBackupsBench');
  const fn = (id: string) =>
    lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${id}`);
  const wf = new VerifyBackupsWorkflow(stack, 'VerifyBackups', {
    namePrefix: 'ops-bench',
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
    settings: settings(),
    reportBucket: { name: 'ops-bench-reports', arn: 'arn:aws:s3:::ops-bench-reports' },
    maxConcurrency: 4,
    approvalTimeout: Duration.minutes(30),
  });
  return renderAsl(wf.stateMachine);
}

/** The inventory Collect would answer: every item healthy, fresh, encrypted, copied to the DR region. */
function inventory(restoreTests: boolean, now: number) {
  const at = (h: number) => new Date(now - h * 3_600_000).toISOString();
  const point = (id: string, extra: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
    id,
    createdAt: at(3),
    state: 'completed',
    rawState: 'completed',
    encrypted: true,
    kmsKeyId: KEY,
    sizeGiB: 20,
    ...extra,
  });
  const dr = (id: string): RecoveryPoint => point(id, { createdAt: at(2), region: 'eu-central-1' });
  const items: BackupItem[] = [
    ...Array.from({ length: VOLUMES }, (_, i) => {
      const n = String(i).padStart(17, '0');
      const latest = point(`snap-${n}`);
      return {
        class: 'ebs' as const,
        resource: `vol-${n}`,
        recoveryPoints: 7,
        newest: latest,
        latestCompleted: latest,
        drCopy: dr(`snap-dr${n.slice(2)}`),
      };
    }),
    ...DATABASES.map((db) => {
      const latest = point(`rds:${db}-2026-12-06-03-00`);
      return {
        class: 'rds' as const,
        resource: db,
        recoveryPoints: 7,
        newest: latest,
        latestCompleted: latest,
        drCopy: dr(`arn:aws:rds:eu-central-1:111111111111:auto-backup:ab-${db}`),
      };
    }),
    (() => {
      const latest = point('daily-20261206050000', {
        objects: { metadata: true, tarball: true, logs: true },
        replication: 'COMPLETED',
      });
      return {
        class: 'velero' as const,
        resource: 'daily',
        recoveryPoints: 30,
        newest: latest,
        latestCompleted: latest,
        drCopyLookedUp: true,
        drCopy: dr('s3://bench-velero-dr/backups/daily-20261206050000/daily-20261206050000.tar.gz'),
      };
    })(),
  ];
  const plan = restoreTests
    ? { ebs: true, rds: true, velero: true, skipped: '' }
    : { ebs: false, rds: false, velero: false, skipped: 'restore tests not requested for this run' };
  // Split as collect splits them (runbooks/verify-backups/steps/collect.ts): each class's restore test
  // when it runs, the rest checked without one.
  const of = (cls: BackupItem['class'], on: boolean) => (on ? items.filter((i) => i.class === cls) : []);
  const groups = {
    ebsContent: of('ebs', plan.ebs),
    rdsInstance: of('rds', plan.rds),
    veleroRestore: of('velero', plan.velero),
    others: restoreTests ? [] : items,
  };
  return { items, plan, groups };
}

const INPUT = (restoreTests: boolean) => ({
  runbook: 'verify-backups',
  stage: 'bench',
  parameters: { scope: ['ebs', 'rds', 'velero'], restoreTests, reason: 'bench' },
  dryRun: false,
  mode: 'auto',
  executionName: `verify-backups-bench-${restoreTests ? 'restore' : 'metadata'}`,
  resourceKey: 'all-backups',
  trigger: {
    source: 'schedule',
    kind: 'schedule.tick',
    correlationId: 'bench',
    occurredAt: '2026-12-06T05:00:00Z',
    summary: 'bench',
    requestedBy: 'schedule:bench',
  },
  reasons: ['bench'],
});

interface Measured {
  readonly status: string;
  readonly transitions: number;
  /** A lean design of the same steps (test/bench/lean-transitions.ts), from this run's own path. */
  readonly lean: number;
  readonly waits: number;
  readonly wallMs: number;
  /** Lambda invocations by state name, and the billed ms of each (measured or assumed). */
  readonly billed: { name: string; ms: number; assumed: boolean }[];
}

async function once(asl: AslDefinition, restoreTests: boolean): Promise<Measured> {
  const now = Date.now();
  const billed: Measured['billed'] = [];
  const timed =
    (name: string, fn: TaskHandler): TaskHandler =>
    async (input) => {
      const t0 = performance.now();
      const out = await fn(input);
      billed.push({ name, ms: Math.max(1, Math.ceil(performance.now() - t0)), assumed: false });
      return out;
    };
  const assumed =
    (name: string, ms: number, fn: TaskHandler): TaskHandler =>
    (input) => {
      billed.push({ name, ms, assumed: true });
      return fn(input);
    };
  const records = new Map<string, LastVerifiedRecord>();
  const store: LastVerifiedStore = {
    note: async (_stage, s, nowMs) => {
      const key = `${s.kind}#${s.resource}`;
      const prev = records.get(key);
      const next = {
        kind: s.kind,
        resource: s.resource,
        firstSeenAtMs: prev?.firstSeenAtMs ?? nowMs,
        ...(s.verified
          ? { verifiedAtMs: nowMs }
          : prev?.verifiedAtMs
            ? { verifiedAtMs: prev.verifiedAtMs }
            : {}),
      };
      records.set(key, next);
      return next;
    },
  };
  const noop = { postMessage: async () => ({ ok: true }) };
  const datadog = { postEvent: async () => undefined, submitMetrics: async () => undefined };
  const metrics = { singleMetric: () => ({ addDimension() {}, addMetric() {} }) };
  const dbStates = new Map<string, string[]>();
  const restorePhases = new Map<string, string[]>();
  const kube = (state: string): TaskHandler =>
    assumed(state, ASSUMED_MS.kube as number, (i) => {
      const e = i as { step: string; namespace?: string; name?: string };
      switch (state) {
        case 'Delete leftover scratch namespace':
        case 'Delete scratch namespace':
          return { step: e.step, namespace: e.namespace, deleted: true, alreadyGone: false };
        case 'Check leftover namespace deleted':
        case 'Check scratch namespace deleted':
          return {
            step: e.step,
            namespace: e.namespace,
            exists: false,
            pods: [],
            pvcs: [],
            readyPods: 0,
            boundPvcs: 0,
          };
        case 'Create Velero restore':
          restorePhases.set(e.name ?? '', ['InProgress', 'Completed']);
          return { step: e.step, name: e.name, phase: 'New', restore: { metadata: { name: e.name } } };
        case 'Read Velero restore': {
          const phase = restorePhases.get(e.name ?? '')?.shift() ?? 'Completed';
          const progress = { itemsRestored: 3, totalItems: 3 };
          return {
            step: e.step,
            name: e.name,
            phase,
            restore: { metadata: { name: e.name }, status: { phase, progress } },
          };
        }
        default: {
          const pods = [{ name: 'app-0', phase: 'Running', ready: true }];
          const pvcs = [{ name: 'data-app-0', phase: 'Bound' }];
          return {
            step: e.step,
            namespace: e.namespace,
            exists: true,
            phase: 'Active',
            pods,
            pvcs,
            readyPods: 1,
            boundPvcs: 1,
          };
        }
      }
    });
  const handlers: Record<string, TaskHandler> = {
    ...Object.fromEntries(
      HOOKS.map((h) => [
        h,
        assumed(h, ASSUMED_MS.hook as number, () =>
          h === 'Request approval' ? { approved: true } : undefined,
        ),
      ]),
    ),
    'Resolve expected KMS key': () => ({
      KeyMetadata: { Arn: KEY, KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
    }),
    'Sweep leftover scratch resources': assumed(
      'Sweep leftover scratch resources',
      ASSUMED_MS['Sweep leftover scratch resources'] as number,
      () => ({ changes: [], failed: [] }),
    ),
    'Collect backups': assumed('Collect backups', ASSUMED_MS['Collect backups'] as number, () =>
      inventory(restoreTests, now),
    ),
    ...Object.fromEntries(
      [
        'Evaluate backup',
        'Evaluate content-checked backup',
        'Evaluate restored database',
        'Evaluate Velero restore',
      ].map((n) => [n, timed(n, (i) => evaluateHandler(i as never))]),
    ),
    'Check volume content': assumed(
      'Check volume content',
      ASSUMED_MS['Check volume content'] as number,
      (i) => {
        const snapshot = (i as { snapshot: { id: string } }).snapshot;
        return {
          kind: 'ebs-content',
          snapshotId: snapshot.id,
          verdict: 'verified',
          reason: 'content verified: ext4, 20 GiB, clean, 16 blocks read',
          blocksRead: 16,
        };
      },
    ),
    'Restore test database': (i) => {
      dbStates.set((i as { DbInstanceIdentifier: string }).DbInstanceIdentifier, ['creating', 'available']);
      return { DbInstance: { DbInstanceStatus: 'creating' } };
    },
    'Read test database': (i) => {
      const id = (i as { DbInstanceIdentifier: string }).DbInstanceIdentifier;
      const status = dbStates.get(id)?.shift() ?? 'available';
      return { DbInstances: [{ DbInstanceStatus: status, Endpoint: { Address: '10.0.0.9', Port: 3306 } }] };
    },
    // What check-database answers: one verdict per check, and the budget it was given.
    'Run check query': assumed('Run check query', ASSUMED_MS['Run check query'] as number, (i) => ({
      results: [{ name: 'query', verdict: 'pass', reason: '312 ≥ 1' }],
      budget: (i as { budget: unknown }).budget,
    })),
    'Delete test database': () => ({ DbInstance: { DbInstanceStatus: 'deleting' } }),
    ...Object.fromEntries(KUBE_STATES.map((s) => [s, kube(s)])),
    'Build report': timed('Build report', (i) => buildReportHandler(i as never)),
    'Keep report (JSON)': () => ({ ETag: '"1"' }),
    'Keep report (Markdown)': () => ({ ETag: '"2"' }),
    'Send failure signals': (i) => ({
      FailedEntryCount: 0,
      Entries: (i as { Entries: unknown[] }).Entries.map((_, n) => ({ EventId: `e-${n}` })),
    }),
    'Publish report': timed('Publish report', (i) =>
      publishReport(i as never, {
        slack: noop as never,
        datadog,
        channel: 'C0BENCH0001',
        logger: quiet,
        lastVerified: { store, metrics: metrics as never },
      }),
    ),
  };
  const t0 = performance.now();
  const out = await runAsl(asl, INPUT(restoreTests), {
    handlers,
    context: { State: { EnteredTime: '2026-12-06T05:00:00Z', Name: 'local' } },
  });
  const wallMs = performance.now() - t0;
  if (out.status !== 'SUCCEEDED')
    throw new Error(
      `verify-backups bench run failed: ${out.error}: ${out.cause} (${out.path.slice(-8).join(' > ')})`,
    );
  const waitStates = new Set(
    allStates(asl)
      .filter(([, st]) => st.Type === 'Wait')
      .map(([n]) => n),
  );
  const waits = out.path.filter((p) => waitStates.has(p)).length;
  const lean = leanCount(asl, out.path).lean;
  return { status: out.status, transitions: out.transitions, lean, waits, wallMs, billed };
}

const usd = (n: number) => Math.round(n * 10_000) / 10_000;

function costOf(m: Measured) {
  const ms = m.billed.reduce((a, b) => a + b.ms, 0);
  const lambdaUsd = (ms / 1000) * MEMORY_GB * PRICE.gbSecondArm + m.billed.length * PRICE.request;
  const sfnUsd = m.transitions * PRICE.transition;
  return { ms, lambdaUsd, sfnUsd, total: lambdaUsd + sfnUsd };
}

export async function run(): Promise<BenchSection> {
  const asl = definition();
  const full: Measured[] = [];
  const base: Measured[] = [];
  // Interleaved: baseline, full, baseline, full… after one warm-up of each.
  await once(asl, false);
  await once(asl, true);
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await once(asl, false));
    full.push(await once(asl, true));
  }
  const f = full[0] as Measured;
  const b = base[0] as Measured;
  const cf = costOf(f);
  const cb = costOf(b);
  const measuredMs = (m: Measured) => m.billed.filter((x) => !x.assumed).reduce((a, x) => a + x.ms, 0);
  const rdsUsd = (estimateRestoreCostUsd('db.t4g.micro', 60) ?? 0) * DATABASES.length;
  const counts = (m: Measured) => {
    const by = new Map<string, number>();
    for (const x of m.billed) by.set(x.name, (by.get(x.name) ?? 0) + 1);
    return by;
  };
  const byFull = counts(f);
  const rows: BenchRow[] = [
    {
      name: `state transitions per run (${VOLUMES} volumes, ${DATABASES.length} databases, ${NAMESPACES.length} namespaces)`,
      value: f.transitions,
      unit: 'transitions',
      baseline: { name: 'same inventory, restore tests off', value: b.transitions },
      note: `${f.waits} wait states entered (restore and readiness polls, skipped locally); ${f.billed.length} Lambda invocations`,
    },
    {
      name: 'state transitions per run against a lean design of the same steps (issue 17)',
      value: f.transitions,
      unit: 'transitions',
      baseline: { name: 'lean: 1 per task, 3 per poll read, 1 per Map, start + end', value: f.lean },
      goal: { op: '≤', ratio: 1.3 },
      note: `restore tests off: ${b.transitions} against ${b.lean}`,
    },
    {
      name: 'local run time (waits skipped; real evaluate / build / publish code)',
      value: Math.round(median(full.map((m) => m.wallMs))),
      unit: 'ms',
      baseline: { name: 'restore tests off', value: Math.round(median(base.map((m) => m.wallMs))) },
      note: `median of ${ROUNDS} interleaved rounds; measured Lambda code ${median(full.map(measuredMs))} ms per run`,
    },
    {
      name: 'Step Functions + Lambda cost per run',
      value: usd(cf.total * 1000) / 1000,
      unit: 'USD',
      baseline: { name: 'restore tests off', value: usd(cb.total * 1000) / 1000 },
      note:
        `Step Functions $${usd(cf.sfnUsd)} (${f.transitions} × $0.025/1,000) + Lambda $${usd(cf.lambdaUsd)} ` +
        `(${f.billed.length} invocations, ${cf.ms} ms billed at 512 MB arm64, I/O steps at assumed durations: ` +
        `content check ${byFull.get('Check volume content') ?? 0} × ${ASSUMED_MS['Check volume content']} ms, ` +
        `kube ${KUBE_STATES.reduce((n, s) => n + (byFull.get(s) ?? 0), 0)} × ${ASSUMED_MS.kube} ms); ` +
        `plus the weekly RDS scratch instances: at most $${rdsUsd.toFixed(2)} (2 × db.t4g.micro for the 60-min budget)`,
    },
    {
      name: 'cost per 30 daily runs (one month), Step Functions + Lambda',
      value: usd(cf.total * 30),
      unit: 'USD',
      baseline: { name: 'restore tests off', value: usd(cb.total * 30) },
      note: 'prices: AWS Step Functions and AWS Lambda pricing pages, noted 2026-12-07',
    },
  ];
  const checks: BenchCheck[] = [
    {
      name: 'every resource is restore-tested once per run',
      ok:
        byFull.get('Check volume content') === VOLUMES &&
        byFull.get('Run check query') === DATABASES.length &&
        byFull.get('Create Velero restore') === NAMESPACES.length,
      detail: `${byFull.get('Check volume content') ?? 0} content checks, ${byFull.get('Run check query') ?? 0} database checks, ${byFull.get('Create Velero restore') ?? 0} Velero restores`,
    },
    {
      name: 'state transitions ≤ 1.3× lean (issue 17), restore tests on and off',
      ok: f.transitions <= 1.3 * f.lean && b.transitions <= 1.3 * b.lean,
      detail: `${f.transitions} / ${f.lean} = ${(f.transitions / f.lean).toFixed(2)}×; off: ${b.transitions} / ${b.lean} = ${(b.transitions / b.lean).toFixed(2)}×`,
    },
    {
      name: 'the transition count is the same every round (deterministic scenario)',
      ok:
        new Set(full.map((m) => m.transitions)).size === 1 &&
        new Set(base.map((m) => m.transitions)).size === 1,
      detail: `${[...new Set(full.map((m) => m.transitions))].join(', ')} / baseline ${[...new Set(base.map((m) => m.transitions))].join(', ')}`,
    },
  ];
  return {
    title: 'verify-backups (issue 15): time and cost of one verification run, restore tests on vs off',
    rows,
    checks,
  };
}
