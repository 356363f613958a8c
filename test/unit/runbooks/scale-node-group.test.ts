import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientRequestToken,
  computeScaleUp,
  findAllowed,
  type Nodegroup,
  planScaling,
  type ScaleSettings,
} from '../../../runbooks/scale-node-group/logic.js';
import { RefusedError } from '../../../runbooks/shared.js';

const settings: ScaleSettings = {
  region: 'eu-west-1',
  stage: 'dev',
  nodeGroups: [
    {
      cluster: 'dev-platform',
      nodegroup: 'dev-platform-*',
      ceiling: 6,
      stepSize: 2,
      scaleBackAfterMinutes: 0,
    },
  ],
  sizeParameterPrefix: '/ops/dev/nodegroups',
};
const ng = (name: string, min: number, max: number, desired: number): Nodegroup => ({
  NodegroupName: name,
  ClusterName: 'dev-platform',
  Status: 'ACTIVE',
  ScalingConfig: { MinSize: min, MaxSize: max, DesiredSize: desired },
});

describe('scale-node-group logic: new size within the ceiling', () => {
  const sizes = fc
    .record({ min: fc.nat(20), extraDesired: fc.nat(20), extraMax: fc.nat(20) })
    .map(({ min, extraDesired, extraMax }) => ({
      minSize: min,
      desiredSize: min + extraDesired,
      maxSize: Math.max(1, min + extraDesired + extraMax),
    }));
  const rules = fc.record({
    ceiling: fc.integer({ min: 1, max: 80 }),
    stepSize: fc.integer({ min: 1, max: 10 }),
  });

  it('never exceeds the ceiling, never lowers desired, grows by at most one step, keeps min ≤ desired ≤ max', () => {
    fc.assert(
      fc.property(
        sizes,
        rules,
        fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        (current, rule, by) => {
          let next: ReturnType<typeof computeScaleUp>;
          try {
            next = computeScaleUp(current, rule, by);
          } catch (err) {
            // Refused only when there is no room under the ceiling.
            expect(err).toBeInstanceOf(RefusedError);
            expect(current.maxSize).toBeGreaterThanOrEqual(rule.ceiling);
            return;
          }
          expect(next.maxSize).toBeLessThanOrEqual(rule.ceiling);
          expect(next.maxSize).toBeGreaterThan(current.maxSize);
          expect(next.maxSize - current.maxSize).toBeLessThanOrEqual(
            Math.min(rule.stepSize, by ?? rule.stepSize),
          );
          expect(next.desiredSize).toBeGreaterThanOrEqual(current.desiredSize);
          expect(next.minSize).toBe(current.minSize);
          expect(next.minSize <= next.desiredSize && next.desiredSize <= next.maxSize).toBe(true);
        },
      ),
    );
  });

  it('refuses at and above the ceiling with the reason', () => {
    expect(() =>
      computeScaleUp({ minSize: 1, maxSize: 6, desiredSize: 6 }, { ceiling: 6, stepSize: 2 }),
    ).toThrow(/reached the ceiling 6/);
    expect(() =>
      computeScaleUp({ minSize: 1, maxSize: 9, desiredSize: 6 }, { ceiling: 6, stepSize: 2 }),
    ).toThrow(/above the ceiling 6/);
  });

  it('caps the last step at the ceiling', () => {
    expect(computeScaleUp({ minSize: 1, maxSize: 5, desiredSize: 5 }, { ceiling: 6, stepSize: 2 })).toEqual({
      minSize: 1,
      maxSize: 6,
      desiredSize: 6,
    });
  });
});

describe('scale-node-group logic: allow-list and planning', () => {
  it('finds the allow-list entry by cluster and node-group pattern (config/wildcard.ts is tested on its own)', () => {
    expect(findAllowed(settings.nodeGroups, 'dev-platform', 'dev-platform-a')).toBeDefined();
    expect(findAllowed(settings.nodeGroups, 'other', 'dev-platform-a')).toBeUndefined();
  });

  it('gives the same idempotency token for the same run and node group, another for another run', () => {
    expect(clientRequestToken('run-1', 'ng-a')).toBe(clientRequestToken('run-1', 'ng-a'));
    expect(clientRequestToken('run-1', 'ng-a')).not.toBe(clientRequestToken('run-2', 'ng-a'));
    expect(clientRequestToken('run-1', 'ng-a')).toHaveLength(40);
  });

  it('picks only the allow-listed node groups at their maximum when none is named', () => {
    // Act
    const plan = planScaling({
      parameters: { cluster: 'dev-platform' },
      nodegroups: [ng('dev-platform-a', 1, 4, 4), ng('dev-platform-b', 1, 4, 3), ng('batch', 1, 2, 2)],
      settings,
      executionName: 'run-1',
      now: new Date('2026-11-22T20:00:00Z'),
    });
    // Assess
    expect(plan.targets.map((t) => t.nodegroup)).toEqual(['dev-platform-a']);
    expect(plan.targets[0]?.maxSizeParameter).toBe('/ops/dev/nodegroups/dev-platform-a/max-size');
    expect(plan.result.revert).toEqual({
      nodegroups: [{ nodegroup: 'dev-platform-a', minSize: 1, maxSize: 4, desiredSize: 4, expectMaxSize: 6 }],
    });
    expect(plan.scaleBack).toBeNull();
  });

  it('refuses with the reasons when nothing is at its maximum', () => {
    expect(() =>
      planScaling({
        parameters: { cluster: 'dev-platform' },
        nodegroups: [ng('dev-platform-a', 1, 4, 2)],
        settings,
        executionName: 'run-1',
        now: new Date(),
      }),
    ).toThrow(
      /no allow-listed node group of dev-platform needs scaling: dev-platform-a not at its maximum \(2\/4\)/,
    );
  });

  it('schedules the scale-back after the configured minutes, as a revert of this run', () => {
    // Act
    const plan = planScaling({
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a' },
      nodegroups: [ng('dev-platform-a', 1, 4, 4)],
      settings: {
        ...settings,
        nodeGroups: [
          { ...(settings.nodeGroups[0] as ScaleSettings['nodeGroups'][number]), scaleBackAfterMinutes: 90 },
        ],
        scaleBack: {
          intakeFunctionArn: 'arn:intake',
          roleArn: 'arn:role',
          schedulePrefix: 'ops-dev-scale-back',
        },
      },
      executionName: 'run-1',
      now: new Date('2026-11-22T20:00:00Z'),
    });
    // Assess
    expect(plan.scaleBack?.ScheduleExpression).toBe('at(2026-11-22T21:30:00)');
    expect(plan.scaleBack?.Name).toMatch(/^ops-dev-scale-back-[0-9a-f]{16}$/);
    expect(plan.scaleBack?.Target.Arn).toBe('arn:intake');
    expect(JSON.parse(plan.scaleBack?.Target.Input ?? '{}')).toMatchObject({
      runbook: 'scale-node-group',
      parameters: { cluster: 'dev-platform', revertOf: 'run-1' },
      scheduleArn: '<aws.scheduler.schedule-arn>',
    });
  });
});
