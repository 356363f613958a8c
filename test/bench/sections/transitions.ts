import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AslDefinition } from '../../support/local-sfn.js';
import { leanCount } from '../lean-transitions.js';
import type { BenchCheck, BenchRow, BenchSection } from '../types.js';

/**
 * State transitions per happy-path run against a lean design of the same steps (issue 17: goal
 * ≤ 1.3× for every runbook). Each case is one of the workflow tests' own happy-path cases, run by
 * vitest exactly as `npm test` runs it (the definition its CDK construct renders, the real Lambda
 * step code, the tests' fakes at the AWS/Kubernetes boundary, MariaDB for rotate-secret), with
 * `RUN_ASL_TRACE` set: runAsl writes the definition and the states the run entered. The first run of
 * the test is the one measured; it must have succeeded.
 *
 * The lean count comes from that run's own path and definition (test/bench/lean-transitions.ts):
 * one per Task entered (an AWS call or a Lambda invocation, report hooks included), one per Map or
 * Parallel entered, three per poll read (Wait → call → Choice), two for start and end. The rest of
 * what the run entered (Pass, Choice outside a poll) is the overhead the ratio measures.
 *
 * Both figures are counted from the same run, so the ratio does not move with machine load.
 * `TRANSITIONS_ONLY=<runbook>,…` limits the cases.
 */

const GOAL = 1.3;

interface Case {
  readonly runbook: string;
  readonly file: string;
  readonly test: string;
}

const CASES: readonly Case[] = [
  {
    runbook: 'snapshot-volume',
    file: 'test/workflows/snapshot-volume.test.ts',
    test: 'snapshots a protected volume with its tags in the same call, copies it to DR and prunes beyond keep-last',
  },
  {
    runbook: 'snapshot-volume (reclaim)',
    file: 'test/workflows/snapshot-volume.test.ts',
    test: 'snapshots, waits for completed, and only then deletes the released volume (not revertible)',
  },
  {
    runbook: 'scale-node-group',
    file: 'test/workflows/scale-node-group.test.ts',
    test: 'finds the node group at its maximum, raises it by one step, records the sizes and schedules the scale-back',
  },
  {
    runbook: 'update-dns',
    file: 'test/workflows/update-dns.test.ts',
    test: 'points the record at the newest ingress load balancer in one batch and waits for INSYNC',
  },
  {
    runbook: 'rotate-secret',
    file: 'test/workflows/rotate-secret.test.ts',
    test: 'rotates an alternating-users database secret, verifies it against the database and restarts its workloads',
  },
  {
    runbook: 'restore-guardrail (trail)',
    file: 'test/workflows/restore-guardrail.test.ts',
    test: 'restarts logging of a stopped platform trail, and offers no revert',
  },
  {
    runbook: 'restore-guardrail (flow log)',
    file: 'test/workflows/restore-guardrail.test.ts',
    test: 'recreates the stage VPC flow log with the platform settings and the opt-in tag',
  },
  {
    runbook: 'restore-guardrail (snapshot sharing)',
    file: 'test/workflows/restore-guardrail.test.ts',
    test: 'removes public and foreign sharing of an EBS snapshot, keeps the trusted account, and reverts exactly',
  },
  {
    runbook: 'verify-backups (metadata + EBS content)',
    file: 'test/workflows/verify-backups.test.ts',
    test: 'all good: every backup verified, each EBS snapshot read through the EBS direct APIs and its content verified',
  },
  {
    runbook: 'verify-backups (RDS restore)',
    file: 'test/workflows/verify-backups.test.ts',
    test: 'restores the latest snapshot to a small scratch instance, queries it, and deletes it',
  },
  {
    runbook: 'verify-backups (Velero restore)',
    file: 'test/workflows/verify-backups.test.ts',
    test: 'restores each namespace into its scratch namespace, checks readiness, reports what was restored and the time, deletes it',
  },
];

const ROOT = join(import.meta.dirname, '..', '..', '..');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Traced {
  readonly definition: AslDefinition;
  readonly status: string;
  readonly path: string[];
}

/** Runs one test of a workflow test file with tracing on; answers its first run. */
function traced(c: Case, dir: string, n: number): Traced {
  const file = join(dir, `trace-${n}.jsonl`);
  const out = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      c.file,
      '-t',
      `${escapeRegExp(c.test)}$`,
      '--reporter=dot',
    ],
    { cwd: ROOT, env: { ...process.env, RUN_ASL_TRACE: file }, encoding: 'utf8' },
  );
  if (out.status !== 0)
    throw new Error(`${c.file} "${c.test}" failed:\n${out.stdout.slice(-2000)}${out.stderr.slice(-2000)}`);
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    throw new Error(`${c.file} "${c.test}" ran no workflow (no trace written: is the test name current?)`);
  }
  const first = JSON.parse(lines[0] as string) as Traced;
  if (first.status !== 'SUCCEEDED') throw new Error(`${c.runbook}: the traced run ${first.status}`);
  return first;
}

export async function run(): Promise<BenchSection> {
  const only = (process.env.TRANSITIONS_ONLY ?? '').split(',').filter(Boolean);
  const cases = CASES.filter((c) => only.length === 0 || only.some((o) => c.runbook.startsWith(o)));
  const dir = mkdtempSync(join(tmpdir(), 'transitions-'));
  const rows: BenchRow[] = [];
  const checks: BenchCheck[] = [];
  try {
    cases.forEach((c, n) => {
      const t = traced(c, dir, n);
      const lean = leanCount(t.definition, t.path);
      const overhead = Object.entries(lean.byType)
        .filter(([type]) => type === 'Pass' || type === 'Choice' || type === 'Succeed' || type === 'Fail')
        .map(([type, k]) => `${k} ${type}`)
        .join(', ');
      rows.push({
        name: `${c.runbook}: state transitions, happy path`,
        value: t.path.length,
        unit: 'transitions',
        baseline: {
          name: `lean: ${lean.tasks - lean.pollReads} tasks + ${lean.pollReads} poll reads ×3, ${lean.fanOuts} Map/Parallel, start + end`,
          value: lean.lean,
        },
        goal: { op: '≤', ratio: GOAL },
        note: `entered: ${overhead || 'no Pass/Choice'}; ${lean.byType.Wait ?? 0} Wait`,
      });
      const ratio = t.path.length / lean.lean;
      checks.push({
        name: `${c.runbook}: transitions ≤ ${GOAL}× lean`,
        ok: ratio <= GOAL,
        detail: `${t.path.length} / ${lean.lean} = ${ratio.toFixed(2)}×`,
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'State transitions per happy-path run vs a lean design of the same steps (issue 17, goal ≤ 1.3×)',
    rows,
    checks,
  };
}
