import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAutoscalerMessage, parseNoScaleUpReasons } from '../../../events/index.js';
import { nodegroupFromGroupId } from '../../../events/sources/cluster-autoscaler/normalise.js';

/** Format strings: events/samples/cluster-autoscaler/FORMATS.md (file:line @ commit for each). */

describe('cluster-autoscaler messages: NotTriggerScaleUp', () => {
  it('parses the ≥1.20 format with counts and reasons', () => {
    // Act
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "pod didn't trigger scale-up: 2 max node group size reached, 1 node(s) didn't match Pod's node affinity/selector",
    );
    // Assess
    expect(parsed).toEqual({
      type: 'not-triggered',
      format: 'current',
      combined: false,
      reasons: [
        { count: 2, text: 'max node group size reached', code: 'max-node-group-size' },
        { count: 1, text: "node(s) didn't match Pod's node affinity/selector", code: 'node-affinity' },
      ],
    });
  });

  it('parses the ≤1.19 format "(it wouldn\'t fit if a new node is added)" with reasons', () => {
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "pod didn't trigger scale-up (it wouldn't fit if a new node is added): 2 max node group size reached, 1 node(s) didn't match node selector",
    );
    expect(parsed).toMatchObject({
      type: 'not-triggered',
      format: 'legacy',
      reasons: [
        { count: 2, code: 'max-node-group-size' },
        { count: 1, text: "node(s) didn't match node selector", code: 'node-affinity' },
      ],
    });
  });

  it('reads the ≤1.15 "max limit reached" as the node group maximum', () => {
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "pod didn't trigger scale-up (it wouldn't fit if a new node is added): 1 max limit reached",
    );
    expect(parsed).toMatchObject({ format: 'legacy', reasons: [{ count: 1, code: 'max-node-group-size' }] });
  });

  it('accepts the ≤1.3 message that had no reasons at all', () => {
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "pod didn't trigger scale-up (it wouldn't fit if a new node is added)",
    );
    expect(parsed).toEqual({ type: 'not-triggered', format: 'legacy', reasons: [], combined: false });
  });

  it('accepts the empty reason list seen when no node group was considered', () => {
    const parsed = parseAutoscalerMessage('NotTriggerScaleUp', "pod didn't trigger scale-up: ");
    expect(parsed).toMatchObject({ type: 'not-triggered', format: 'current', reasons: [] });
  });

  it('strips client-go\'s "(combined from similar events): " prefix and says it did', () => {
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "(combined from similar events): pod didn't trigger scale-up (it wouldn't fit if a new node is added): 2 Insufficient memory, 7 can't increase node group size",
    );
    expect(parsed).toMatchObject({
      combined: true,
      format: 'legacy',
      reasons: [
        { count: 2, text: 'Insufficient memory', code: 'insufficient-resources' },
        { count: 7, code: 'cannot-increase' },
      ],
    });
  });

  it('keeps reasons whose text contains ", " whole (cluster resource limits, old taint wording)', () => {
    const reasons = parseNoScaleUpReasons(
      "1 max cluster cpu, memory limit reached, 3 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate, 2 max node group size reached",
    );
    expect(reasons).toEqual([
      { count: 1, text: 'max cluster cpu, memory limit reached', code: 'max-cluster-resources' },
      { count: 3, text: "node(s) had taint {dedicated: gpu}, that the pod didn't tolerate", code: 'taint' },
      { count: 2, text: 'max node group size reached', code: 'max-node-group-size' },
    ]);
  });

  it('reads the 1.34+ cluster-wide "max total nodes in cluster reached", which has no count', () => {
    const parsed = parseAutoscalerMessage(
      'NotTriggerScaleUp',
      "pod didn't trigger scale-up: max total nodes in cluster reached",
    );
    expect(parsed).toMatchObject({
      reasons: [{ text: 'max total nodes in cluster reached', code: 'max-total-nodes' }],
    });
    expect(parsed.type === 'not-triggered' && parsed.reasons[0]?.count).toBeUndefined();
  });

  it('classifies the other skipped-node-group reasons', () => {
    const reasons = parseNoScaleUpReasons(
      '1 in backoff after failed scale-up, 2 not ready for scale-up, 1 node(s) had untolerated taint {a: b}, 4 atomic scale-up exceeds cluster node count limit, 1 something new',
    );
    expect(reasons.map((r) => r.code)).toEqual(['backoff', 'not-ready', 'taint', 'max-total-nodes', 'other']);
  });

  it('finds the same reasons in any order (Go map iteration order is random)', () => {
    // Prepare: the reasons cluster-autoscaler may emit for one pod, as "<count> <text>".
    const known = [
      '2 max node group size reached',
      "1 node(s) didn't match Pod's node affinity/selector",
      '1 in backoff after failed scale-up',
      '3 node(s) had untolerated taint {dedicated: gpu}',
      '1 max cluster cpu, memory limit reached',
      '5 Insufficient cpu',
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(known, { minLength: 1 }),
        fc.boolean(),
        fc.boolean(),
        (reasons, legacy, combined) => {
          const prefix = `${combined ? '(combined from similar events): ' : ''}pod didn't trigger scale-up${legacy ? " (it wouldn't fit if a new node is added)" : ''}: `;
          // Act
          const parsed = parseAutoscalerMessage('NotTriggerScaleUp', `${prefix}${reasons.join(', ')}`);
          // Assess
          if (parsed.type !== 'not-triggered') return false;
          const rendered = parsed.reasons.map((r) => `${r.count} ${r.text}`);
          return (
            JSON.stringify(rendered) === JSON.stringify(reasons) &&
            parsed.format === (legacy ? 'legacy' : 'current') &&
            parsed.combined === combined &&
            parsed.reasons.some((r) => r.code === 'max-node-group-size') ===
              reasons.includes('2 max node group size reached')
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('cluster-autoscaler messages: scale-up', () => {
  it('parses TriggeredScaleUp with one group', () => {
    const parsed = parseAutoscalerMessage(
      'TriggeredScaleUp',
      'pod triggered scale-up: [{eks-ng-a-40bd16d2-ecbd-df8a-2040-7bb5b1508a43 2->3 (max: 10)}]',
    );
    expect(parsed).toEqual({
      type: 'triggered-scale-up',
      groups: [{ group: 'eks-ng-a-40bd16d2-ecbd-df8a-2040-7bb5b1508a43', from: 2, to: 3, max: 10 }],
    });
  });

  it('parses TriggeredScaleUp over several balanced groups', () => {
    const parsed = parseAutoscalerMessage(
      'TriggeredScaleUp',
      'pod triggered scale-up: [{ng-a 1->2 (max: 10)} {ng-b 1->2 (max: 5)}]',
    );
    expect(parsed).toMatchObject({ groups: [{ group: 'ng-a' }, { group: 'ng-b', max: 5 }] });
  });

  it('parses the 0.5.x TriggeredScaleUp wording', () => {
    const parsed = parseAutoscalerMessage(
      'TriggeredScaleUp',
      'pod triggered scale-up, group: ng-a, sizes (current/new): 1/2',
    );
    expect(parsed).toEqual({ type: 'triggered-scale-up', groups: [{ group: 'ng-a', from: 1, to: 2 }] });
  });

  it.each([
    [
      'Scale-up: setting group ng-a size to 3 instead of 2 (max: 10)',
      { newSize: 3, previousSize: 2, max: 10 },
    ],
    ['Scale-up: group ng-a size set to 3 instead of 2 (max: 10)', { newSize: 3, previousSize: 2, max: 10 }],
    ['Scale-up: setting group ng-a size to 3', { newSize: 3, previousSize: undefined, max: undefined }],
    ['Scale-up: group ng-a size set to 3', { newSize: 3, previousSize: undefined, max: undefined }],
  ])('parses ScaledUpGroup "%s"', (message, expected) => {
    expect(parseAutoscalerMessage('ScaledUpGroup', message)).toEqual({
      type: 'scaled-up-group',
      group: 'ng-a',
      ...expected,
    });
  });

  it('reads FailedToScaleUpGroup "size increase too large" as the maximum reached', () => {
    const parsed = parseAutoscalerMessage(
      'FailedToScaleUpGroup',
      'Scale-up failed for group eks-ng-a-40bd16d2-ecbd-df8a-2040-7bb5b1508a43: size increase too large - desired:11 max:10',
    );
    expect(parsed).toMatchObject({
      type: 'scale-up-failed',
      failure: 'max-size-reached',
      desired: 11,
      max: 10,
    });
  });

  it('reads ScaleUpFailed with AWS placeholder-cannot-be-fulfilled as out of capacity', () => {
    const parsed = parseAutoscalerMessage(
      'ScaleUpFailed',
      'Failed adding 2 nodes to group ng-a due to placeholder-cannot-be-fulfilled; source errors: AWS cannot provision any more instances for this node group',
    );
    expect(parsed).toEqual({
      type: 'scale-up-failed',
      group: 'ng-a',
      nodes: 2,
      errorCode: 'placeholder-cannot-be-fulfilled',
      error: 'AWS cannot provision any more instances for this node group',
      failure: 'out-of-capacity',
    });
  });

  it('reads a quota error code as quota-exceeded, and the 1.14 message without source errors', () => {
    const parsed = parseAutoscalerMessage(
      'ScaleUpFailed',
      'Failed adding 1 nodes to group ng-b due to QUOTA_EXCEEDED',
    );
    expect(parsed).toMatchObject({ group: 'ng-b', errorCode: 'QUOTA_EXCEEDED', failure: 'quota-exceeded' });
  });

  it('parses ScaleUpTimedOut with its Go duration', () => {
    expect(
      parseAutoscalerMessage(
        'ScaleUpTimedOut',
        'Nodes added to group ng-a failed to register within 15m3.402536912s',
      ),
    ).toEqual({ type: 'scale-up-timed-out', group: 'ng-a', after: '15m3.402536912s' });
  });
});

describe('cluster-autoscaler messages: scale-down', () => {
  it.each([
    [
      'ScaleDown',
      'Scale-down: removing node ip-1, utilization: {0.125 0.3 0 0 memory 0.3}, pods to reschedule: a,b',
      { node: 'ip-1', empty: false, podsToReschedule: ['a', 'b'] },
    ],
    ['ScaleDownEmpty', 'Scale-down: removing empty node "ip-2"', { node: 'ip-2', empty: true }],
    ['ScaleDownEmpty', 'Scale-down: removing empty node ip-3', { node: 'ip-3', empty: true }],
    ['ScaleDownEmpty', 'Scale-down: empty node ip-4 removed', { node: 'ip-4', empty: true }],
    ['ScaleDown', 'Scale-down: node ip-5 removed with drain', { node: 'ip-5', empty: false }],
    // Node-level texts: the node is the event's involvedObject, not in the message.
    ['ScaleDown', 'nodes removed by cluster autoscaler', { empty: false, podsToReschedule: [] }],
    ['ScaleDown', 'marked the node as toBeDeleted/unschedulable', { empty: false, podsToReschedule: [] }],
  ])('parses %s "%s"', (reason, message, expected) => {
    expect(parseAutoscalerMessage(reason, message)).toMatchObject({ type: 'scale-down', ...expected });
  });

  it('keeps ScaleDownFailed text as the error', () => {
    expect(parseAutoscalerMessage('ScaleDownFailed', 'failed to delete empty node: boom')).toEqual({
      type: 'scale-down-failed',
      error: 'failed to delete empty node: boom',
    });
  });
});

describe('cluster-autoscaler messages: unknown wording', () => {
  it.each([
    ['NotTriggerScaleUp', 'something else entirely'],
    ['ScaledUpGroup', 'Scale-up: did a thing'],
    ['FailedToScaleUpGroup', 'nope'],
    ['ScaleUpFailed', 'Failed adding nodes'],
    ['ScaleUpTimedOut', 'Nodes added to group failed'],
    ['SomethingNew', 'whatever'],
  ])('%s "%s" is reported as unparsed, not guessed', (reason, message) => {
    expect(parseAutoscalerMessage(reason, message)).toEqual({ type: 'unparsed' });
  });
});

describe('cluster-autoscaler group ids → node group names', () => {
  it.each([
    ['eks-ng-a-40bd16d2-ecbd-df8a-2040-7bb5b1508a43', 'ng-a'],
    ['eks-workers-spot-0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f', 'workers-spot'],
    ['eks-40bd16d2-ecbd-df8a-2040-7bb5b1508a43', undefined],
    ['MachineDeployment/default/md-0', 'md-0'],
    ['my-self-managed-asg', 'my-self-managed-asg'],
  ])('%s → %s', (groupId, expected) => {
    expect(nodegroupFromGroupId(groupId)).toBe(expected);
  });
});
