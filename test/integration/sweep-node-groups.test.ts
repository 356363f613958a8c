import { DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweepFindingSchema } from '../../events/sources/sweep/schema.js';
import { KubeClient } from '../../functions/kube/client.js';
import { type KubeSettings, runKubeStep, type UnschedulableEvidence } from '../../functions/kube/core.js';
import { eksToken } from '../../functions/kube/token.js';
import { nodeGroupsAtMax } from '../../functions/sweeps/checks/node-groups.js';
import { runSweeps } from '../../functions/sweeps/core.js';
import { captureLogger } from '../support/capture-logger.js';
import { eksTokenAuthenticator } from '../support/eks-authenticator.js';
import { type KubeApiServer, startKubeApiServer } from '../support/kube-api-server.js';
import { synthesisedKubeRbac } from '../support/kube-rbac.js';
import { modelChecked } from '../support/sdk-model.js';

/**
 * Issue 14 sweep 1, "node groups at max with unschedulable pods", end to end below the Lambda boundary:
 * the check's core against EKS fakes checked against AWS's API model (botocore), and the kube function's
 * own core counting Events on the Kubernetes stand-in (paths from the official OpenAPI spec, field
 * selectors as the API server accepts them, RBAC read back from the synthesised KubeAccess manifests).
 * Expected findings are worked out by hand from the sizes and event times in each case.
 */
const REGION = 'eu-west-1';
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE+/session=token',
};
const NOW = new Date('2026-12-07T10:00:00Z');
const MIN = 60_000;
const at = (minutesAgo: number) =>
  new Date(NOW.getTime() - minutesAgo * MIN).toISOString().replace(/\.\d{3}Z$/, 'Z');

const SETTINGS: KubeSettings = {
  restartWorkloads: ['app/deployment/api'],
  veleroNamespace: 'velero',
  restoreNamespacePrefix: 'restore-check-',
  autoscalerNamespace: 'kube-system',
  eventNamespaces: ['app'],
};
const SWEEP = {
  nodeGroups: [{ cluster: 'dev-platform', nodegroup: 'dev-platform-*' }],
  evidenceWindowMinutes: 10,
  region: REGION,
};

/** A token presigned with the function's credentials is the ops-automation group (the EKS access entry). */
const authenticate = eksTokenAuthenticator({ region: REGION, accessKeyId: CREDENTIALS.accessKeyId });

/** A core/v1 Event as the scheduler or cluster-autoscaler writes it about a pod. */
const podEvent = (
  name: string,
  namespace: string,
  reason: string,
  pod: string,
  lastTimestamp: string,
  source = 'default-scheduler',
) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace },
  involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod, uid: `uid-${pod}` },
  reason,
  message:
    reason === 'FailedScheduling'
      ? '0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available.'
      : "pod didn't trigger scale-up: 1 max node group size reached",
  source: { component: source },
  firstTimestamp: lastTimestamp,
  lastTimestamp,
  count: 1,
  type: 'Normal',
});

const eksMock = mockClient(EKSClient);
const eks = new EKSClient({ region: REGION });
let api: KubeApiServer;
let client: KubeClient;
const capture = captureLogger('sweeps');

/** Sizes by node group name; ListNodegroups lists all three (one does not match the allow-list). */
function nodeGroups(sizes: Record<string, { desired: number; max: number }>) {
  eksMock.on(ListNodegroupsCommand).callsFake(
    modelChecked('eks', 'ListNodegroups', (input: { clusterName: string }) => ({
      nodegroups: input.clusterName === 'dev-platform' ? Object.keys(sizes) : [],
    })),
  );
  eksMock.on(DescribeNodegroupCommand).callsFake(
    modelChecked('eks', 'DescribeNodegroup', (input: { clusterName: string; nodegroupName: string }) => {
      const s = sizes[input.nodegroupName];
      if (!s) throw Object.assign(new Error('No node group found'), { name: 'ResourceNotFoundException' });
      return {
        nodegroup: {
          clusterName: input.clusterName,
          nodegroupName: input.nodegroupName,
          status: 'ACTIVE',
          scalingConfig: { minSize: 1, maxSize: s.max, desiredSize: s.desired },
        },
      };
    }),
  );
}

const evidenceFrom = (settings: KubeSettings) => async (since: Date) =>
  (await runKubeStep(
    {
      step: 'count-unschedulable-events',
      executionName: 'sweep-node-groups-test',
      since: since.toISOString(),
    },
    { client, settings, logger: capture.logger },
  )) as UnschedulableEvidence;

// A fresh stand-in per test: its store starts empty (the stand-in serves no single-Event path to delete).
beforeEach(async () => {
  eksMock.reset();
  api = await startKubeApiServer({ authenticate, rbac: synthesisedKubeRbac(SETTINGS) });
  client = new KubeClient({
    endpoint: api.url,
    ca: api.ca,
    token: () => eksToken({ clusterName: 'dev-platform', region: REGION, credentials: CREDENTIALS }),
  });
});
afterEach(async () => {
  await api?.close();
});
afterAll(() => capture.restore());

describe('node-groups sweep: at max AND recent unschedulable pods, or nothing', () => {
  it('at max with unschedulable pods → one finding per group at max, counts only', async () => {
    // Prepare: a is at max (4 of 4), b below (2 of 5), other-group not allow-listed (at max).
    nodeGroups({
      'dev-platform-a': { desired: 4, max: 4 },
      'dev-platform-b': { desired: 2, max: 5 },
      'other-group': { desired: 3, max: 3 },
    });
    // Pods web-1 and web-2 failed scheduling within the window; web-2 also got NotTriggerScaleUp;
    // web-2 has two FailedScheduling events (one pod). web-9 is outside the window (25 min > 10).
    api.put(podEvent('e1', 'app', 'FailedScheduling', 'web-1', at(3)));
    api.put(podEvent('e2', 'app', 'FailedScheduling', 'web-2', at(1)));
    api.put(podEvent('e3', 'app', 'FailedScheduling', 'web-2', at(8)));
    api.put(podEvent('e4', 'app', 'NotTriggerScaleUp', 'web-2', at(2), 'cluster-autoscaler'));
    api.put(podEvent('old', 'app', 'FailedScheduling', 'web-9', at(25)));
    // A scheduled pod: another reason, no evidence.
    api.put({ ...podEvent('other', 'app', 'Scheduled', 'web-3', at(1)), message: 'Successfully assigned' });
    // Act
    const findings = await nodeGroupsAtMax(eks, evidenceFrom(SETTINGS), SWEEP, NOW);
    // Assess
    expect(findings).toEqual([
      {
        check: 'node-groups',
        condition: 'node-group-at-max',
        resource: {
          type: 'node-group',
          id: 'dev-platform/dev-platform-a',
          region: REGION,
          attributes: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
        },
        observedAt: '2026-12-07T10:00:00.000Z',
        summary:
          'node group dev-platform/dev-platform-a is at its maximum (4 of 4) with 2 unschedulable pods since 2026-12-07T09:50:00.000Z',
        facts: {
          desiredSize: 4,
          maxSize: 4,
          unschedulablePods: 2,
          failedSchedulingPods: 2,
          notTriggerScaleUpPods: 1,
          namespaces: ['app'],
          newestEvidence: '2026-12-07T09:59:00.000Z',
        },
      },
    ]);
    for (const f of findings) expect(SweepFindingSchema.safeParse(f).success).toBe(true);
    // Counts, never pod names or messages.
    expect(JSON.stringify(findings)).not.toMatch(/web-|Insufficient|trigger/);
    // The API server filtered by reason (field selector), in the allow-listed namespace only.
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/namespaces/app/events?fieldSelector=reason%3DFailedScheduling&limit=250 200',
      'GET /api/v1/namespaces/app/events?fieldSelector=reason%3DNotTriggerScaleUp&limit=250 200',
    ]);
    // EKS: only the allow-listed groups are described.
    expect(eksMock.commandCalls(DescribeNodegroupCommand).map((c) => c.args[0].input.nodegroupName)).toEqual([
      'dev-platform-a',
      'dev-platform-b',
    ]);
  });

  it('at max without recent evidence → no finding (a full, healthy group is normal)', async () => {
    // Prepare: only an old FailedScheduling (25 min) and a recent one in a namespace not allow-listed.
    nodeGroups({ 'dev-platform-a': { desired: 4, max: 4 } });
    api.put(podEvent('old', 'app', 'FailedScheduling', 'web-9', at(25)));
    api.put(podEvent('e1', 'billing', 'FailedScheduling', 'batch-1', at(1)));
    // Act
    const findings = await nodeGroupsAtMax(eks, evidenceFrom(SETTINGS), SWEEP, NOW);
    // Assess
    expect(findings).toEqual([]);
    expect(api.requests.every((r) => r.path.startsWith('/api/v1/namespaces/app/'))).toBe(true);
  });

  it('evidence but every group below max → no finding (cluster-autoscaler can still scale)', async () => {
    // Prepare
    nodeGroups({ 'dev-platform-a': { desired: 3, max: 4 }, 'dev-platform-b': { desired: 0, max: 5 } });
    api.put(podEvent('e1', 'app', 'FailedScheduling', 'web-1', at(1)));
    // Act
    const findings = await nodeGroupsAtMax(eks, evidenceFrom(SETTINGS), SWEEP, NOW);
    // Assess
    expect(findings).toEqual([]);
  });

  it('events written through events.k8s.io (eventTime, series, no lastTimestamp) count by their last observation', async () => {
    // Prepare: the scheduler records through events.k8s.io/v1; its core/v1 view has eventTime (MicroTime),
    // a series when repeated, and no first/last timestamps. web-1: first seen 30 min ago, last 2 min ago
    // (counts); web-2: seen once 30 min ago (does not).
    nodeGroups({ 'dev-platform-a': { desired: 4, max: 4 } });
    const modern = (name: string, pod: string, eventTime: string, lastObservedTime?: string) => {
      const {
        firstTimestamp: _f,
        lastTimestamp: _l,
        count: _c,
        source: _s,
        ...rest
      } = podEvent(name, 'app', 'FailedScheduling', pod, eventTime);
      return {
        ...rest,
        eventTime: eventTime.replace('Z', '.000000Z'),
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler-ip-10-10-1-1',
        action: 'Scheduling',
        ...(lastObservedTime
          ? { series: { count: 7, lastObservedTime: lastObservedTime.replace('Z', '.000000Z') } }
          : {}),
      };
    };
    api.put(modern('e1', 'web-1', at(30), at(2)));
    api.put(modern('e2', 'web-2', at(30)));
    // Act
    const [finding, ...more] = await nodeGroupsAtMax(eks, evidenceFrom(SETTINGS), SWEEP, NOW);
    // Assess
    expect(more).toEqual([]);
    expect(finding?.facts).toMatchObject({
      unschedulablePods: 1,
      newestEvidence: '2026-12-07T09:58:00.000Z',
    });
  });

  it('reads every page of a long event listing (limit / continue)', async () => {
    // Prepare: 251 distinct pods failed scheduling (one more than a page).
    nodeGroups({ 'dev-platform-a': { desired: 4, max: 4 } });
    for (let i = 0; i < 251; i++) api.put(podEvent(`p${i}`, 'app', 'FailedScheduling', `web-${i}`, at(2)));
    // Act
    const [finding] = await nodeGroupsAtMax(eks, evidenceFrom(SETTINGS), SWEEP, NOW);
    // Assess
    expect(finding?.facts?.unschedulablePods).toBe(251);
    expect(api.requests.map((r) => r.path)).toContain(
      '/api/v1/namespaces/app/events?fieldSelector=reason%3DFailedScheduling&limit=250&continue=250',
    );
  });
});

describe('node-groups sweep: the Kubernetes read is narrow, and a refusal fails only this check', () => {
  it('the synthesised RBAC lets the function list events in the workload namespace only, nothing else there', async () => {
    // Assess: list in app is allowed (200); in billing, or pods in app, the API server refuses (403).
    await expect(client.listEvents('app', 'FailedScheduling', { limit: 1 })).resolves.toMatchObject({
      kind: 'EventList',
    });
    await expect(client.listEvents('billing', 'FailedScheduling', { limit: 1 })).rejects.toMatchObject({
      status: 403,
    });
    await expect(client.listPods('app')).rejects.toMatchObject({ status: 403 });
  });

  it('kube refused (403: RBAC not granted) → the node-groups check fails with the reason, the other checks still run', async () => {
    // Prepare: a second stand-in whose RBAC was synthesised without event namespaces (not yet applied).
    const denied = await startKubeApiServer({
      authenticate,
      rbac: synthesisedKubeRbac({ ...SETTINGS, eventNamespaces: [] }),
    });
    const deniedClient = new KubeClient({
      endpoint: denied.url,
      ca: denied.ca,
      token: () => eksToken({ clusterName: 'dev-platform', region: REGION, credentials: CREDENTIALS }),
    });
    nodeGroups({ 'dev-platform-a': { desired: 4, max: 4 } });
    const sent: unknown[] = [];
    const metrics = { singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }) };
    try {
      // Act
      const report = await runSweeps(['node-groups', 'trails'], {
        checks: {
          'node-groups': (now) =>
            nodeGroupsAtMax(
              eks,
              async (since) =>
                (await runKubeStep(
                  { step: 'count-unschedulable-events', executionName: 'x', since: since.toISOString() },
                  { client: deniedClient, settings: SETTINGS, logger: capture.logger },
                )) as UnschedulableEvidence,
              SWEEP,
              now,
            ),
          trails: async () => [],
        },
        send: async (f) => void sent.push(f),
        logger: capture.logger,
        metrics: metrics as never,
        now: () => NOW,
      });
      // Assess
      expect(report.ran).toEqual(['trails']);
      expect(report.failed).toHaveLength(1);
      expect(report.failed[0]?.check).toBe('node-groups');
      expect(report.failed[0]?.error).toMatch(
        /^KubeApiRefused: .*403 Forbidden.*cannot list resource "events"/,
      );
      expect(sent).toEqual([]);
    } finally {
      await denied.close();
    }
  });
});
