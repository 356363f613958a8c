import { CopySnapshotCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as scaleSteps } from '../../../runbooks/scale-node-group/steps/handler.js';
import { ScaleNodeGroupWorkflow } from '../../../runbooks/scale-node-group/workflow.js';
import { SNAPSHOT_TAGS } from '../../../runbooks/snapshot-volume/logic.js';
import { handler as snapshotSteps } from '../../../runbooks/snapshot-volume/steps/handler.js';
import { SnapshotVolumeWorkflow } from '../../../runbooks/snapshot-volume/workflow.js';
import { handler as dnsSteps } from '../../../runbooks/update-dns/steps/handler.js';
import { UpdateDnsWorkflow } from '../../../runbooks/update-dns/workflow.js';
import {
  type AslDefinition,
  renderAsl,
  runAsl,
  type TaskHandler,
  workflowStack,
} from '../../support/local-sfn.js';
import type { BenchCheck, BenchRow, BenchSection } from '../types.js';

/**
 * Remediation runbooks (issue 3): for a typical successful run of each, executed locally from
 * the definition the CDK construct renders, with the Lambda steps running the real handler code:
 * - state transitions (states entered, Map iterations included: what Step Functions Standard
 *   bills) and AWS calls (SDK-integration task executions), each next to the minimum the change
 *   needs (the calls without which it cannot be made and observed, plus the two report hooks);
 * - the estimated cost per 1,000 runs: Step Functions Standard at $0.025 per 1,000 transitions,
 *   plus Lambda on arm64 at $0.0000133334 per GB-second and $0.20 per million requests, with each
 *   step's billed duration measured here (rounded up to the next ms, at least 1 ms) and the
 *   report hook assumed at 300 ms (it calls Slack and Datadog; it is not part of this issue).
 *
 * Waits are skipped locally; a poll loop's iterations are fixed by the scenario (the snapshot is
 * seen `pending` twice, the node-group update and the DNS change once), so the numbers are stable.
 */

const PRICE = {
  transition: 0.025 / 1000,
  gbSecondArm: 0.0000133334,
  request: 0.2 / 1_000_000,
};
const STEP_MEMORY_GB = 512 / 1024;
const HOOK_MS = 300;
const HOOKS = new Set([
  'Announce start',
  'Report result',
  'Report failure',
  'Report rejection',
  'Request approval',
]);

interface Scenario {
  readonly runbook: string;
  readonly asl: AslDefinition;
  readonly input: unknown;
  readonly sdk: Record<string, TaskHandler>;
  readonly steps: Record<string, TaskHandler>;
  /** AWS calls the change cannot do without, and why. */
  readonly minimumCalls: number;
  readonly minimumWhy: string;
  /** Status reads beyond the first that the scenario's poll loop makes (the resource is not ready yet). */
  readonly extraPolls: number;
}

const fnArn = (id: string) => `arn:aws:lambda:eu-west-1:111111111111:function:${id}`;
function build<T extends { stateMachine: sfn.StateMachine }>(
  make: (stack: ReturnType<typeof workflowStack>, fn: (id: string) => lambda.IFunction) => T,
): AslDefinition {
  const stack = workflowStack();
  const fn = (id: string) => lambda.Function.fromFunctionArn(stack, id, fnArn(id));
  return renderAsl(make(stack, fn).stateMachine);
}

const runInput = (runbook: string, parameters: Record<string, unknown>) => ({
  runbook,
  stage: 'bench',
  parameters,
  dryRun: false,
  mode: 'auto',
  executionName: `${runbook}-bench`,
  resourceKey: 'bench',
  trigger: {
    source: 'schedule',
    kind: 'bench',
    correlationId: 'bench',
    occurredAt: '2026-11-22T20:00:00Z',
    summary: 'bench',
    requestedBy: 'bench',
  },
  reasons: ['bench'],
});

function scenarios(): Scenario[] {
  const snapshotAsl = build(
    (stack, fn) =>
      new SnapshotVolumeWorkflow(stack, 'SnapshotVolume', {
        namePrefix: 'ops-bench',
        hooks: { report: fn('Report'), approval: fn('Approval') },
        stepFunction: fn('Steps'),
        settings: {
          region: 'eu-west-1',
          createdBy: 'ops-bench',
          protectedTag: { key: 'backup', value: 'required' },
          optInTag: { key: 'ops-automation', value: 'enabled' },
          pvcNamespaces: [],
          keepLast: 3,
          maxAgeDays: 30,
        },
        dr: { region: 'eu-central-1' },
        approvalTimeout: Duration.minutes(30),
      }),
  );
  const states = ['pending', 'pending', 'completed'];
  const ours = (id: string, days: number) => ({
    SnapshotId: id,
    State: 'completed',
    StartTime: new Date(Date.now() - days * 86_400_000).toISOString(),
    Tags: [
      { Key: SNAPSHOT_TAGS.createdBy, Value: 'ops-bench' },
      { Key: SNAPSHOT_TAGS.sourceVolume, Value: 'vol-0123456789abcdef0' },
    ],
  });
  const snapshot: Scenario = {
    runbook: 'snapshot-volume',
    asl: snapshotAsl,
    input: runInput('snapshot-volume', { volumeId: 'vol-0123456789abcdef0' }),
    sdk: {
      'Describe volume': () => ({
        Volumes: [
          {
            VolumeId: 'vol-0123456789abcdef0',
            State: 'in-use',
            Tags: [{ Key: 'backup', Value: 'required' }],
          },
        ],
      }),
      'Create snapshot': () => ({ SnapshotId: 'snap-0aaaaaaaaaaaaaaaa' }),
      'Read snapshot state': () => ({
        Snapshots: [{ State: states.shift() ?? 'completed', Progress: '50%' }],
      }),
      'List our snapshots of the volume': () => ({
        Snapshots: [
          ours('snap-0aaaaaaaaaaaaaaaa', 0),
          ...[1, 2, 3].map((d) => ours(`snap-0${d}${'1'.repeat(15)}`, d)),
        ],
      }),
      'Delete old snapshot': () => ({}),
      'Find the PVC’s volume': () => ({ Volumes: [] }),
      // Reclaim runs only when asked for (`reclaim: true`); the typical run here does not reach these.
      'Re-read the volume': () => ({ Volumes: [] }),
      'Delete the released volume': () => ({}),
    },
    steps: {
      'Plan snapshot': snapshotSteps,
      'Copy snapshot to the DR region': snapshotSteps,
      'Decide retention': snapshotSteps,
      'Delete the reverted run’s snapshots': snapshotSteps,
      'Decide reclaim': snapshotSteps,
    },
    // DescribeVolumes (guard), CreateSnapshot, one DescribeSnapshots seeing it completed, the
    // retention listing, one DeleteSnapshot (one over keep-last), the DR copy's look-up + copy.
    minimumCalls: 7,
    extraPolls: 2,
    minimumWhy: 'guard read, create, 1 state read, retention list, 1 prune, DR look-up + copy',
  };

  const scaleAsl = build(
    (stack, fn) =>
      new ScaleNodeGroupWorkflow(stack, 'ScaleNodeGroup', {
        namePrefix: 'ops-bench',
        stage: 'bench',
        hooks: { report: fn('Report'), approval: fn('Approval') },
        stepFunction: fn('Steps'),
        nodeGroups: [
          {
            cluster: 'bench-platform',
            nodegroup: 'bench-platform-*',
            ceiling: 9,
            stepSize: 2,
            scaleBackAfterMinutes: 60,
          },
        ],
        sizeParameterPrefix: '/ops/bench/nodegroups',
        intakeFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:ops-bench-intake',
        approvalTimeout: Duration.minutes(30),
      }),
  );
  const updateStates = ['InProgress', 'Successful'];
  const scale: Scenario = {
    runbook: 'scale-node-group',
    asl: scaleAsl,
    input: runInput('scale-node-group', { cluster: 'bench-platform' }),
    sdk: {
      'List node groups': () => ({
        Nodegroups: ['bench-platform-a', 'bench-platform-b', 'bench-platform-c'],
      }),
      'Describe node group': (p) => {
        const name = (p as { NodegroupName: string }).NodegroupName;
        const desired = name.endsWith('-a') ? 4 : 2;
        return {
          Nodegroup: {
            NodegroupName: name,
            ClusterName: 'bench-platform',
            Status: 'ACTIVE',
            ScalingConfig: { MinSize: 1, MaxSize: 4, DesiredSize: desired },
          },
        };
      },
      'Update node group size': () => ({ Update: { Id: 'u-1', Status: 'InProgress' } }),
      'Read update status': () => ({ Update: { Status: updateStates.shift() ?? 'Successful', Errors: [] } }),
      'Record max size': () => ({ Version: 2 }),
      'Record desired size': () => ({ Version: 2 }),
      'Schedule scale-back': () => ({ ScheduleArn: 'arn:bench' }),
    },
    steps: { 'Plan scaling': scaleSteps },
    // ListNodegroups + DescribeNodegroup ×3 (which is at max), UpdateNodegroupConfig, one
    // DescribeUpdate seeing Successful, 2 PutParameter (IaC), CreateSchedule (scale-back).
    minimumCalls: 9,
    extraPolls: 1,
    minimumWhy: 'list + 3 describes, update, 1 status read, 2 SSM writes, 1 schedule',
  };

  const dnsAsl = build(
    (stack, fn) =>
      new UpdateDnsWorkflow(stack, 'UpdateDns', {
        namePrefix: 'ops-bench',
        hooks: { report: fn('Report'), approval: fn('Approval') },
        stepFunction: fn('Steps'),
        zones: [
          {
            zoneName: 'bench.example.com',
            hostedZoneId: 'Z0BENCH',
            records: ['*.bench.example.com'],
            overrideExternalDns: false,
          },
        ],
        loadBalancerPrefix: 'ingress',
        approvalTimeout: Duration.minutes(30),
      }),
  );
  const changeStates = ['PENDING', 'INSYNC'];
  const dns: Scenario = {
    runbook: 'update-dns',
    asl: dnsAsl,
    input: runInput('update-dns', { zoneName: 'bench.example.com', recordName: 'app.bench.example.com' }),
    sdk: {
      'Read record sets': () => ({
        ResourceRecordSets: [
          {
            Name: 'app.bench.example.com.',
            Type: 'A',
            AliasTarget: {
              HostedZoneId: 'Z2',
              DnsName: 'ingress-old.elb.amazonaws.com.',
              EvaluateTargetHealth: true,
            },
          },
        ],
      }),
      'Read external-dns registry': () => ({ ResourceRecordSets: [] }),
      'Describe load balancers': () => ({
        LoadBalancers: [
          {
            LoadBalancerName: 'ingress-new',
            DnsName: 'ingress-new.elb.amazonaws.com',
            CanonicalHostedZoneId: 'Z2',
            CreatedTime: '2026-11-22T19:00:00Z',
          },
        ],
      }),
      'Change record sets': () => ({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } }),
      'Read change status': () => ({ ChangeInfo: { Status: changeStates.shift() ?? 'INSYNC' } }),
    },
    steps: { 'Check request': dnsSteps, 'Plan DNS change': dnsSteps },
    // Read the record (before state), the registry record (ownership), the load balancers (target),
    // the change, one GetChange seeing INSYNC.
    minimumCalls: 5,
    extraPolls: 1,
    minimumWhy: 'record read, registry read, LB lookup, change, 1 status read',
  };
  return [snapshot, scale, dns];
}

const usd = (n: number) => Math.round(n * 10_000) / 10_000;

export async function run(): Promise<BenchSection> {
  const ec2 = mockClient(EC2Client);
  ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  ec2.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0dddddddddddddddd' });
  const rows: BenchRow[] = [];
  const checks: BenchCheck[] = [];
  try {
    for (const s of scenarios()) {
      const billedMs: number[] = [];
      const timed =
        (fn: TaskHandler): TaskHandler =>
        async (payload) => {
          const t0 = performance.now();
          const out = await fn(payload);
          billedMs.push(Math.max(1, Math.ceil(performance.now() - t0)));
          return out;
        };
      const handlers: Record<string, TaskHandler> = {
        'Announce start': () => undefined,
        'Report result': () => undefined,
        'Report failure': () => undefined,
        'Report rejection': () => undefined,
        'Request approval': () => ({ approved: true }),
        ...s.sdk,
        ...Object.fromEntries(Object.entries(s.steps).map(([k, fn]) => [k, timed(fn)])),
      };
      const out = await runAsl(s.asl, s.input, { handlers });
      if (out.status !== 'SUCCEEDED')
        throw new Error(`${s.runbook} bench run failed: ${out.error}: ${out.cause}`);
      const stepNames = new Set(Object.keys(s.steps));
      const awsCalls = Object.entries(out.calls)
        .filter(([name]) => !stepNames.has(name) && !HOOKS.has(name))
        .reduce((n, [, c]) => n + c, 0);
      const hookCalls = Object.entries(out.calls)
        .filter(([name]) => HOOKS.has(name))
        .reduce((n, [, c]) => n + c, 0);
      // The DR copy's two EC2 calls are made by the copy step itself.
      const inLambdaCalls = s.runbook === 'snapshot-volume' ? ec2.calls().length : 0;
      ec2.resetHistory();
      const minimumTransitions = s.minimumCalls + 2;
      const stepGbS = (billedMs.reduce((a, b) => a + b, 0) / 1000) * STEP_MEMORY_GB;
      const hookGbS = ((hookCalls * HOOK_MS) / 1000) * STEP_MEMORY_GB;
      const lambdaRequests = billedMs.length + hookCalls;
      const perRun =
        out.transitions * PRICE.transition +
        (stepGbS + hookGbS) * PRICE.gbSecondArm +
        lambdaRequests * PRICE.request;
      checks.push({
        name: `${s.runbook}: no AWS call beyond the minimum except status polls`,
        ok: awsCalls + inLambdaCalls === s.minimumCalls + s.extraPolls,
        detail: `${awsCalls + inLambdaCalls} calls = ${s.minimumCalls} needed + ${s.extraPolls} poll(s) while not ready`,
      });
      rows.push(
        {
          name: `${s.runbook}: state transitions, typical successful run`,
          value: out.transitions,
          unit: 'transitions',
          baseline: {
            name: 'minimum: one state per necessary AWS call + 2 report hooks',
            value: minimumTransitions,
          },
          note: 'the rest: routing and guard choices, poll back-offs and waits, Lambda planning steps (against a lean design of the same steps: the transitions section)',
        },
        {
          name: `${s.runbook}: AWS API calls`,
          value: awsCalls + inLambdaCalls,
          unit: 'calls',
          baseline: { name: `minimum (${s.minimumWhy})`, value: s.minimumCalls },
          note: `${awsCalls} SDK-integration tasks + ${inLambdaCalls} from Lambda steps; ${billedMs.length} Lambda step(s), ${hookCalls} hook call(s)`,
        },
        {
          name: `${s.runbook}: estimated cost per 1,000 runs`,
          value: usd(perRun * 1000),
          unit: 'USD',
          // Same prices and Lambda time, the minimum's transitions: what the state machine's frame costs.
          baseline: {
            name: 'same, at the minimum transitions',
            value: usd((perRun - (out.transitions - minimumTransitions) * PRICE.transition) * 1000),
          },
          note:
            `Step Functions ${usd(out.transitions * PRICE.transition * 1000)} + Lambda ${usd(((stepGbS + hookGbS) * PRICE.gbSecondArm + lambdaRequests * PRICE.request) * 1000)} ` +
            `(steps billed ${billedMs.join('+')} ms at 512 MB arm64, hooks assumed ${HOOK_MS} ms)`,
        },
      );
    }
  } finally {
    ec2.restore();
  }
  return {
    title: 'Remediation runbooks (issue 3): transitions, AWS calls and cost of a typical run',
    rows,
    checks,
  };
}
