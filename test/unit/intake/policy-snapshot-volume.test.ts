import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { AutomationConfig } from '../../../config/schema.js';
import type { Actor, Signal } from '../../../events/signal.js';
import type { PolicyContext } from '../../../runbooks/policy.js';
import { snapshotVolumePlugin } from '../../../runbooks/snapshot-volume/plugin.js';
import { backupFailed, detachVolume } from '../../../runbooks/snapshot-volume/policy.js';
import { cloudTrail, human, signal } from './signals.js';

/**
 * snapshot-volume's rules (a detached protected volume, a backup with no fresh snapshot →
 * snapshot it) and its allow-list, with the protected tag and namespaces written here; every
 * verdict written out by hand.
 */

const base = loadStage('dev').automation;
const automation = {
  ...base,
  allowLists: {
    ...base.allowLists,
    volumes: {
      ...base.allowLists.volumes,
      protectedTag: { key: 'backup', value: 'required' },
      pvcNamespaces: ['apps', 'data'],
    },
  },
} as AutomationConfig;
const ctx: PolicyContext = { stage: 'dev', automation };

const detach = (
  attributes: Record<string, string> = {},
  details: Signal['details'] = {},
  actor: Actor = human,
) => cloudTrail('DetachVolume', { type: 'ebs-volume', id: 'vol-0aaa', attributes }, details, actor);
const snapshot = (volumeId: string, by = 'alice') => ({
  verdict: 'start',
  runbook: 'snapshot-volume',
  parameters: { volumeId, reason: `volume ${volumeId} was detached by ${by}` },
  reasons: [
    `volume ${volumeId} was detached; protected volumes are snapshotted (the workflow checks backup=required)`,
  ],
});

describe('detach-volume: a detached volume is snapshotted if it is protected', () => {
  it('tags unknown (plain CloudTrail): start, the workflow checks the tag', () => {
    expect(detachVolume.evaluate(detach(), ctx)).toEqual(snapshot('vol-0aaa'));
  });

  it('tags known and the protected one present: start', () => {
    expect(detachVolume.evaluate(detach({ 'tag:backup': 'required', 'tag:Name': 'db' }), ctx)).toEqual(
      snapshot('vol-0aaa'),
    );
  });

  it('tags known without the protected tag, or with another value: ignored, naming the tag', () => {
    const tagSets: Record<string, string>[] = [{ 'tag:Name': 'db' }, { 'tag:backup': 'optional' }];
    for (const attributes of tagSets) {
      expect(detachVolume.evaluate(detach(attributes), ctx)).toEqual({
        verdict: 'ignore',
        reasons: ['volume vol-0aaa does not carry the protected tag backup=required'],
      });
    }
  });

  it('an attribute that is not a tag does not make the tags known', () => {
    expect(detachVolume.evaluate(detach({ backup: 'no', Name: 'db' }), ctx)).toEqual(snapshot('vol-0aaa'));
  });

  it('the volume id from the call, else the resource; the actor by name, else unknown', () => {
    expect(detachVolume.evaluate(detach({}, { volumeId: 'vol-0bbb' }), ctx)).toEqual(snapshot('vol-0bbb'));
    expect(detachVolume.evaluate(detach({}, {}, { type: 'service', id: 'x' }), ctx)).toEqual(
      snapshot('vol-0aaa', 'unknown'),
    );
  });

  it('a failed detach is ignored with its error; another call is not its business', () => {
    expect(detachVolume.evaluate(detach({}, { errorCode: 'IncorrectState' }), ctx)).toEqual({
      verdict: 'ignore',
      reasons: ['the detach failed (IncorrectState)'],
    });
    expect(
      detachVolume.evaluate(cloudTrail('AttachVolume', { type: 'ebs-volume', id: 'vol-0aaa' }), ctx),
    ).toEqual({
      verdict: 'not-applicable',
    });
  });
});

describe('backup-failed: a new snapshot when that is what is missing, else a person', () => {
  const failed = (type: 'ebs-volume' | 'db-snapshot', details: Signal['details']) =>
    signal({
      source: 'backup-verification',
      kind: 'backup-verification.backup-failed',
      resource: { type, id: 'vol-0ccc' },
      details,
    });

  it.each([[['fresh']], [['exists']], [['exists', 'fresh']]])(
    'an EBS volume failing %o: snapshot it',
    (checks) => {
      expect(
        backupFailed.evaluate(failed('ebs-volume', { failedChecks: checks, backupClass: 'ebs' }), ctx),
      ).toEqual({
        verdict: 'start',
        runbook: 'snapshot-volume',
        parameters: {
          volumeId: 'vol-0ccc',
          reason: `backup verification found no fresh snapshot (${checks.join(', ')})`,
        },
        reasons: [`ebs backup of vol-0ccc failed ${checks.join(', ')}: a new snapshot closes the gap`],
      });
    },
  );

  it('another failed check as well: notify critical with the checks and the reason', () => {
    expect(
      backupFailed.evaluate(
        failed('ebs-volume', { failedChecks: ['fresh', 'encrypted'], reason: 'wrong key' }),
        ctx,
      ),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: ['backup backup of vol-0ccc failed verification (fresh, encrypted): wrong key'],
    });
  });

  it('no failed check named, or not an EBS volume: notify critical', () => {
    expect(backupFailed.evaluate(failed('ebs-volume', {}), ctx)).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: ['backup backup of vol-0ccc failed verification (unknown check): see the report'],
    });
    expect(
      backupFailed.evaluate(failed('db-snapshot', { failedChecks: 'fresh', backupClass: 'rds' }), ctx),
    ).toEqual({
      verdict: 'notify',
      severity: 'critical',
      reasons: ['rds backup of vol-0ccc failed verification (fresh): see the report'],
    });
  });

  it('another kind of signal is not its business', () => {
    expect(
      backupFailed.evaluate(
        signal({
          source: 'backup-verification',
          kind: 'backup-verification.backup-ok',
          resource: { type: 'ebs-volume', id: 'v' },
        }),
        ctx,
      ),
    ).toEqual({ verdict: 'not-applicable' });
  });
});

describe('snapshot-volume allow-list: a volume by id (the workflow checks its tag), a PVC by namespace', () => {
  it.each([
    [
      { volumeId: 'vol-0ddd' },
      { allowed: true, detail: 'volume vol-0ddd: the workflow snapshots it only if tagged backup=required' },
    ],
    [
      { volumeId: 'vol-0ddd', namespace: 'other' },
      { allowed: true, detail: 'volume vol-0ddd: the workflow snapshots it only if tagged backup=required' },
    ],
    [
      { namespace: 'data', pvc: 'pg-0' },
      { allowed: true, detail: 'PVC namespace data is allow-listed' },
    ],
    [{ namespace: 'dat' }, { allowed: false, detail: 'PVC namespace dat is not allow-listed' }],
    [
      { volumeId: 12, namespace: 'apps' },
      { allowed: true, detail: 'PVC namespace apps is allow-listed' },
    ],
    [{ volumeId: '' }, { allowed: false, detail: 'PVC namespace  is not allow-listed' }],
    [{}, { allowed: false, detail: 'PVC namespace  is not allow-listed' }],
  ])('%o → %o', (params, verdict) => {
    expect(snapshotVolumePlugin.allowList(params, automation)).toEqual(verdict);
  });
});
