import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideReclaim,
  pickSnapshotsToPrune,
  planSnapshot,
  RECLAIM_TAG,
  revertRefusal,
  SNAPSHOT_TAGS,
  type Snapshot,
  type SnapshotSettings,
} from '../../../runbooks/snapshot-volume/logic.js';

const settings: SnapshotSettings = {
  region: 'eu-west-1',
  createdBy: 'ops-dev',
  protectedTag: { key: 'backup', value: 'required' },
  optInTag: { key: 'ops-automation', value: 'enabled' },
  pvcNamespaces: ['app'],
  keepLast: 3,
  maxAgeDays: 14,
};
const VOL = 'vol-0123456789abcdef0';
const NOW = new Date('2026-11-22T20:00:00Z');
const snap = (i: number, daysAgo: number, createdBy = 'ops-dev', volume = VOL): Snapshot => ({
  SnapshotId: `snap-${String(i).padStart(17, '0')}`,
  State: 'completed',
  StartTime: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString(),
  Tags: [
    { Key: SNAPSHOT_TAGS.createdBy, Value: createdBy },
    { Key: SNAPSHOT_TAGS.sourceVolume, Value: volume },
  ],
});

describe('snapshot-volume logic: retention prunes only our snapshots', () => {
  const snapshots = fc.array(
    fc.record({
      age: fc.integer({ min: 0, max: 60 }),
      ours: fc.boolean(),
      sameVolume: fc.boolean(),
    }),
    { maxLength: 30 },
  );

  it('never prunes a snapshot someone else created, another volume’s, or the one this run took', () => {
    fc.assert(
      fc.property(
        snapshots,
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 40 }),
        (list, keepLast, maxAgeDays) => {
          const all = list.map((s, i) =>
            snap(
              i + 1,
              s.age,
              s.ours ? 'ops-dev' : 'someone-else',
              s.sameVolume ? VOL : 'vol-0ffffffffffffffff',
            ),
          );
          const keep = all[0]?.SnapshotId ?? 'snap-none';
          const { prune, kept } = pickSnapshotsToPrune({
            snapshots: all,
            volumeId: VOL,
            createdBy: 'ops-dev',
            keepLast,
            maxAgeDays,
            now: NOW,
            keep,
          });
          for (const p of prune) {
            const i = Number(p.SnapshotId.slice(5)) - 1;
            expect(list[i]?.ours && list[i]?.sameVolume).toBe(true);
            expect(p.SnapshotId).not.toBe(keep);
          }
          // Of ours, the newest keepLast that are young enough are all kept.
          const oursNewestFirst = all
            .filter((_, i) => list[i]?.ours && list[i]?.sameVolume)
            .sort(
              (a, b) =>
                Date.parse(String(b.StartTime)) - Date.parse(String(a.StartTime)) ||
                (a.SnapshotId < b.SnapshotId ? -1 : 1),
            );
          for (const s of oursNewestFirst.slice(0, keepLast)) {
            const young = Date.parse(String(s.StartTime)) >= NOW.getTime() - maxAgeDays * 86_400_000;
            if (young) expect(kept.map((k) => k.SnapshotId)).toContain(s.SnapshotId);
          }
        },
      ),
    );
  });

  it('keeps the last N and drops anything older than the maximum age', () => {
    // Act
    const { prune } = pickSnapshotsToPrune({
      snapshots: [snap(1, 0), snap(2, 1), snap(3, 2), snap(4, 3), snap(5, 20)],
      volumeId: VOL,
      createdBy: 'ops-dev',
      keepLast: 3,
      maxAgeDays: 14,
      now: NOW,
      keep: snap(1, 0).SnapshotId,
    });
    // Assess
    expect(prune.map((s) => s.SnapshotId)).toEqual([snap(4, 3).SnapshotId, snap(5, 20).SnapshotId]);
  });
});

describe('snapshot-volume logic: planning and guards', () => {
  const volume = (tags: Record<string, string>) => ({
    VolumeId: VOL,
    State: 'in-use',
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });

  it('tags the snapshot with the run, the reason, the source volume and the PVC', () => {
    // Act
    const plan = planSnapshot({
      parameters: { cluster: 'dev-platform', namespace: 'app', pvc: 'data-db-0', reason: 'before upgrade' },
      volumes: [
        volume({
          'kubernetes.io/created-for/pvc/name': 'data-db-0',
          'kubernetes.io/created-for/pvc/namespace': 'app',
          'ebs.csi.aws.com/cluster': 'true',
        }),
      ],
      settings,
      executionName: 'run-1',
    });
    // Assess
    expect(plan.declined).toBeNull();
    expect(plan.pvc).toBe('app/data-db-0');
    expect(Object.fromEntries(plan.tags.map((t) => [t.Key, t.Value]))).toMatchObject({
      [SNAPSHOT_TAGS.createdBy]: 'ops-dev',
      [SNAPSHOT_TAGS.execution]: 'run-1',
      [SNAPSHOT_TAGS.reason]: 'before upgrade',
      [SNAPSHOT_TAGS.sourceVolume]: VOL,
      [SNAPSHOT_TAGS.pvc]: 'app/data-db-0',
    });
  });

  it('prefers the volume of the named cluster when several clusters have the same PVC', () => {
    // Prepare
    const csi = {
      'kubernetes.io/created-for/pvc/name': 'db',
      'kubernetes.io/created-for/pvc/namespace': 'app',
      'ebs.csi.aws.com/cluster': 'true',
    };
    const other = { ...volume({ ...csi, KubernetesCluster: 'other' }), VolumeId: 'vol-0aaaaaaaaaaaaaaaa' };
    // Act
    const plan = planSnapshot({
      parameters: { cluster: 'dev-platform', namespace: 'app', pvc: 'db' },
      volumes: [other, volume({ ...csi, KubernetesCluster: 'dev-platform' })],
      settings,
      executionName: 'run-1',
    });
    // Assess
    expect(plan.volumeId).toBe(VOL);
  });

  it('declines a volume without the protected or opt-in tag, and a PVC outside the allowed namespaces', () => {
    expect(
      planSnapshot({ parameters: { volumeId: VOL }, volumes: [volume({})], settings, executionName: 'r' })
        .declined,
    ).toMatchObject({
      outcome: 'rejected',
    });
    const plan = planSnapshot({
      parameters: { volumeId: VOL },
      volumes: [
        volume({
          'kubernetes.io/created-for/pvc/namespace': 'kube-system',
          'ebs.csi.aws.com/cluster': 'true',
        }),
      ],
      settings,
      executionName: 'r',
    });
    expect(plan.declined?.summary).toContain('not allow-listed');
  });

  it('rejects bad parameters before anything else', () => {
    expect(() =>
      planSnapshot({ parameters: { volumeId: 'disk-1' }, volumes: [], settings, executionName: 'r' }),
    ).toThrow(/EBS volume id/);
  });

  it('a revert deletes only snapshots of the reverted run that carry our tag', () => {
    const ours = {
      SnapshotId: 'snap-1',
      Tags: [
        { Key: SNAPSHOT_TAGS.createdBy, Value: 'ops-dev' },
        { Key: SNAPSHOT_TAGS.execution, Value: 'run-1' },
      ],
    };
    expect(revertRefusal(ours, 'ops-dev', 'run-1')).toBeUndefined();
    expect(revertRefusal(ours, 'ops-dev', 'run-2')).toContain('not created by run run-2');
    expect(revertRefusal({ SnapshotId: 'snap-2', Tags: [] }, 'ops-dev', 'run-1')).toContain(
      'not created by ops-dev',
    );
  });
});

describe('snapshot-volume: decideReclaim (may the released volume be deleted?)', () => {
  const released = {
    VolumeId: 'vol-0123456789abcdef0',
    State: 'available',
    Attachments: [],
    Tags: [
      { Key: 'backup', Value: 'required' },
      { Key: 'ops-automation:reclaim', Value: 'after-snapshot' },
    ],
  };
  const result = {
    outcome: 'succeeded' as const,
    summary: 'Snapshot snap-0aaaaaaaaaaaaaaaa completed.',
    changes: [],
    links: [],
    revert: { snapshots: [{ snapshotId: 'snap-0aaaaaaaaaaaaaaaa', region: 'eu-west-1' }] },
  };
  const decide = (over: Partial<Parameters<typeof decideReclaim>[0]>) =>
    decideReclaim({
      volumes: [released],
      volumeId: released.VolumeId,
      snapshotId: 'snap-0aaaaaaaaaaaaaaaa',
      snapshotState: 'completed',
      settings,
      result,
      ...over,
    });

  it('deletes a released, tagged volume once its snapshot completed, and drops the revert', () => {
    const d = decide({});
    expect(d.delete).toBe(true);
    expect(d.result.changes).toEqual([expect.objectContaining({ action: 'delete-volume', after: null })]);
    expect(d.result.revert).toBeUndefined();
  });

  it.each(['pending', 'error', 'recoverable', undefined])(
    'never deletes when the snapshot is %s',
    (state) => {
      const d = decide({ snapshotState: state });
      expect(d.delete).toBe(false);
      expect(d.result.revert).toEqual(result.revert);
    },
  );

  it.each([
    ['in-use', []],
    ['creating', []],
    ['available', [{ InstanceId: 'i-0123456789abcdef0', State: 'attaching' }]],
  ])('never deletes a volume that is %s with attachments %j', (state, attachments) => {
    expect(decide({ volumes: [{ ...released, State: state, Attachments: attachments }] }).delete).toBe(false);
  });

  it('never deletes without both the reclaim tag and the protected tag, or when the volume is gone', () => {
    // The tag names here are written by hand (the StorageClass contract), not read from the module.
    expect(RECLAIM_TAG).toEqual({ key: 'ops-automation:reclaim', value: 'after-snapshot' });
    const only = (key: string) => [{ ...released, Tags: released.Tags.filter((t) => t.Key === key) }];
    expect(decide({ volumes: only('backup') }).delete).toBe(false);
    expect(decide({ volumes: only('ops-automation:reclaim') }).delete).toBe(false);
    expect(decide({ volumes: [] }).delete).toBe(false);
  });
});
