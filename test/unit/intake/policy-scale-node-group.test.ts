import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import type { Signal } from '../../../events/signal.js';
import type { PolicyContext } from '../../../runbooks/policy.js';
import { scaleNodeGroupPlugin } from '../../../runbooks/scale-node-group/plugin.js';
import { clusterAutoscaler } from '../../../runbooks/scale-node-group/policy.js';
import { signal } from './signals.js';

/**
 * scale-node-group's rule (cluster-autoscaler: a node group at its maximum → scale it; the cloud
 * out of capacity → tell people, never scale) and its allow-list, with autoscaler texts written
 * here (the phrases cluster-autoscaler and the normaliser use); every verdict written out by hand.
 */

const ctx: PolicyContext = { stage: 'dev', automation: loadStage('dev').automation };

function autoscaler(
  what: string,
  summary: string,
  extra: Partial<Signal> = {},
  id = 'dev-platform/dev-platform-b',
) {
  return signal({
    source: 'cluster-autoscaler',
    kind: `cluster-autoscaler.${what}`,
    resource: { type: 'node-group', id, attributes: {} },
    summary,
    ...extra,
  });
}
const scale = (params: Record<string, unknown>, where: string, why: string) => ({
  verdict: 'start',
  runbook: 'scale-node-group',
  parameters: { ...params, reason: `cluster-autoscaler: node group ${where} ${why}` },
  reasons: [`cluster-autoscaler reports node group ${where} ${why}`],
});
const AT_MAX = 'is at its maximum size';
const NO_ROOM = 'failed to scale up for lack of room';
const both = { cluster: 'dev-platform', nodegroup: 'dev-platform-b' };

describe('cluster-autoscaler: a node group at its maximum is scaled', () => {
  it.each([
    ['node-group-at-max', 'anything'],
    ['event', "pod didn't trigger scale-up: 1 max node group size reached"],
    ['event', 'Max limit reached for the group'],
    ['event', 'group is at its MAXIMUM SIZE'],
    ['event', 'node group dev-platform-b at its max'],
    ['event', 'node group dev-platform-b at max'],
    ['event', 'node group at max'],
  ])('%s / %s → start', (what, summary) => {
    expect(clusterAutoscaler.evaluate(autoscaler(what, summary), ctx)).toEqual(
      scale(both, 'dev-platform/dev-platform-b', AT_MAX),
    );
  });

  it('the maximum read from the reasons, the message, or the maxNodeGroupSizeReached fact', () => {
    const detailSets: Signal['details'][] = [
      { reasons: ['1 max node group size reached'] },
      { message: 'max node group size reached' },
      { maxNodeGroupSizeReached: true },
    ];
    for (const details of detailSets) {
      expect(clusterAutoscaler.evaluate(autoscaler('event', 'no scale-up', { details }), ctx)).toEqual(
        scale(both, 'dev-platform/dev-platform-b', AT_MAX),
      );
    }
  });

  it('texts that only look alike are informational', () => {
    for (const summary of [
      'node group at its minimum',
      'max node group size',
      'max limit',
      'node group dev-platform-b at min',
    ]) {
      expect(clusterAutoscaler.evaluate(autoscaler('event', summary), ctx)).toEqual({
        verdict: 'ignore',
        reasons: ['cluster-autoscaler event is informational'],
      });
    }
  });

  it('cluster and node group from the facts first, then the resource id; the normaliser\'s placeholders mean "not named"', () => {
    const byFacts = autoscaler('node-group-at-max', 's', { details: { clusterName: 'c1', nodeGroup: 'g1' } });
    expect(clusterAutoscaler.evaluate(byFacts, ctx)).toEqual(
      scale({ cluster: 'c1', nodegroup: 'g1' }, 'c1/g1', AT_MAX),
    );
    const byFacts2 = autoscaler('node-group-at-max', 's', {
      details: { cluster: 'c2', nodegroup: 'g2', clusterName: 'x' },
    });
    expect(clusterAutoscaler.evaluate(byFacts2, ctx)).toEqual(
      scale({ cluster: 'c2', nodegroup: 'g2' }, 'c2/g2', AT_MAX),
    );
    const star = autoscaler('node-group-at-max', 's', {}, 'dev-platform/*');
    expect(clusterAutoscaler.evaluate(star, ctx)).toEqual(
      scale({ cluster: 'dev-platform' }, 'dev-platform/*', AT_MAX),
    );
    const notAGroup = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.node-group-at-max',
      resource: { type: 'unknown', id: 'c9/g9', attributes: {} },
      summary: 'at max',
    });
    expect(clusterAutoscaler.evaluate(notAGroup, ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['at max (the event names no cluster)'],
    });
    const unknownCluster = autoscaler('node-group-at-max', 'at max', {}, 'unknown-cluster/g1');
    expect(clusterAutoscaler.evaluate(unknownCluster, ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['at max (the event names no cluster)'],
    });
  });
});

describe('cluster-autoscaler: a failed scale-up', () => {
  it.each([
    ['scale-up-failed', 'size increase too large for group dev-platform-b'],
    ['failed-to-scale-up', 'max size of the group'],
    ['scale-up-failed', 'would exceed MAXIMUM NODE GROUP SIZE'],
    ['scale-up-failed', 'max limit'],
  ])('%s for lack of room (%s) → start', (what, summary) => {
    expect(clusterAutoscaler.evaluate(autoscaler(what, summary), ctx)).toEqual(
      scale(both, 'dev-platform/dev-platform-b', NO_ROOM),
    );
  });

  it("the normaliser's lackOfRoom fact wins over the text, both ways", () => {
    expect(
      clusterAutoscaler.evaluate(
        autoscaler('scale-up-failed', 'size increase too large', { details: { lackOfRoom: false } }),
        ctx,
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['cluster-autoscaler: size increase too large'],
    });
    expect(
      clusterAutoscaler.evaluate(
        autoscaler('scale-up-failed', 'something failed', { details: { lackOfRoom: true } }),
        ctx,
      ),
    ).toEqual(scale(both, 'dev-platform/dev-platform-b', NO_ROOM));
  });

  it.each([
    'InsufficientInstanceCapacity',
    'OutOfResource in zone',
    'placeholder-cannot-be-fulfilled',
    'We cannot provision any more instances',
    'vCPU QUOTA reached',
    'VcpuLimitExceeded',
    'instance limit exceeded',
    'RESOURCE_POOL_EXHAUSTED',
  ])(
    'the cloud refused (%s): notify critical, never scale, even if the group is also at its maximum',
    (text) => {
      const s = autoscaler('scale-up-failed', `max node group size reached; ${text}`);
      const v = clusterAutoscaler.evaluate(s, ctx);
      expect(v).toMatchObject({ verdict: 'notify', severity: 'critical' });
    },
  );

  it('the capacity notification names the group, the failure, the zones and the instance types', () => {
    const s = autoscaler('scale-up-failed', 'Failed adding 2 nodes', {
      details: {
        capacityShortage: true,
        failure: 'out-of-capacity',
        errorCode: 'InsufficientInstanceCapacity',
        error: 'no capacity in eu-west-1a',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        instanceTypes: ['m5.large', 'm6i.large'],
      },
    });
    expect(clusterAutoscaler.evaluate(s, ctx)).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'capacity incident: node group dev-platform/dev-platform-b could not add nodes (out-of-capacity: ' +
          'InsufficientInstanceCapacity no capacity in eu-west-1a); AZ eu-west-1a, eu-west-1b; instance types ' +
          'm5.large, m6i.large. Raising the node group maximum would not help.',
      ],
    });
  });

  it('without details it says what it does not know; the Auto Scaling group stands in for the node group', () => {
    const s = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.scale-up-failed',
      resource: { type: 'unknown', id: 'x', attributes: {} },
      summary: 'failed',
      details: { capacityShortage: true, autoScalingGroupName: 'eks-ng-1234' },
    });
    expect(clusterAutoscaler.evaluate(s, ctx)).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: [
        'capacity incident: node group unknown-cluster/eks-ng-1234 could not add nodes (cloud refused:); AZ not named ' +
          'by the event; instance types not named by the event. Raising the node group maximum would not help.',
      ],
    });
    const noGroup = signal({ ...s, details: { capacityShortage: true } });
    expect(
      (clusterAutoscaler.evaluate(noGroup, ctx) as unknown as { reasons: string[] }).reasons[0],
    ).toContain('node group unknown-cluster/* could not add nodes');
  });

  it("the normaliser's capacityShortage fact wins over the text, both ways", () => {
    expect(
      clusterAutoscaler.evaluate(
        autoscaler('scale-up-failed', 'InsufficientInstanceCapacity', {
          details: { capacityShortage: false },
        }),
        ctx,
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['cluster-autoscaler: InsufficientInstanceCapacity'],
    });
  });

  it('a shortage on an event that is not a failed scale-up is not a capacity incident', () => {
    expect(clusterAutoscaler.evaluate(autoscaler('event', 'InsufficientInstanceCapacity'), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['cluster-autoscaler event is informational'],
    });
  });
});

describe('cluster-autoscaler: the rest is a warning or informational', () => {
  it.each([
    'scale-up-timed-out',
    'registration-timeout',
    'scale-up-failed',
    'max-nodes-total-reached',
    'scale-down-failed',
  ])('%s → warning with the summary', (what) => {
    expect(clusterAutoscaler.evaluate(autoscaler(what, 'the summary'), ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['cluster-autoscaler: the summary'],
    });
  });

  it('other events are informational, named by their kind', () => {
    expect(clusterAutoscaler.evaluate(autoscaler('scaled-up-group', 'Scale-up: group size 3'), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['cluster-autoscaler scaled-up-group is informational'],
    });
  });

  it('another source is not its business', () => {
    expect(clusterAutoscaler.evaluate(signal({ summary: 'max node group size reached' }), ctx)).toEqual({
      verdict: 'not-applicable',
    });
  });
});

describe('scale-node-group allow-list: a node group pattern per cluster, up to its ceiling', () => {
  const base = loadStage('dev').automation;
  const automation = {
    ...base,
    allowLists: {
      ...base.allowLists,
      nodeGroups: [
        { cluster: 'c1', nodegroup: 'apps-*', ceiling: 10, stepSize: 2, scaleBackAfterMinutes: 0 },
        { cluster: 'c1', nodegroup: 'batch', ceiling: 4, stepSize: 1, scaleBackAfterMinutes: 0 },
      ],
    },
  } as AutomationConfig;

  it.each([
    [
      { cluster: 'c1', nodegroup: 'apps-a' },
      { allowed: true, detail: 'node group c1/apps-a allowed up to 10 nodes' },
    ],
    [
      { cluster: 'c1', nodegroup: 'batch' },
      { allowed: true, detail: 'node group c1/batch allowed up to 4 nodes' },
    ],
    [{ cluster: 'c1' }, { allowed: true, detail: 'node group c1/apps-* allowed up to 10 nodes' }],
    [
      { cluster: 'c1', nodegroup: 'web' },
      { allowed: false, detail: 'node group c1/web is not allow-listed' },
    ],
    [
      { cluster: 'c2', nodegroup: 'apps-a' },
      { allowed: false, detail: 'node group c2/apps-a is not allow-listed' },
    ],
    [{ cluster: 'c2' }, { allowed: false, detail: 'node group c2/* is not allow-listed' }],
    [
      { cluster: 7, nodegroup: 8 },
      { allowed: false, detail: 'node group /* is not allow-listed' },
    ],
  ])('%o → %o', (params, verdict) => {
    expect(scaleNodeGroupPlugin.allowList(params, automation)).toEqual(verdict);
  });
});
