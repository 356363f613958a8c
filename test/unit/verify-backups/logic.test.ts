import { describe, expect, it } from 'vitest';
import {
  checkCompleted,
  checkContents,
  checkDrCopy,
  checkEncrypted,
  checkExists,
  checkFresh,
  checkRestore,
  checkRetention,
  evaluateItem,
  keyId,
  type RestoreObservation,
  rdsRestoreDue,
} from '../../../runbooks/verify-backups/logic.js';
import { ebsItem, HOUR, KEY_ARN, NOW, OTHER_KEY_ARN, point, SETTINGS } from './fixtures.js';

const EBS = SETTINGS.classes.ebs;

describe('verify-backups rules: exists', () => {
  it('passes with a completed backup', () => {
    expect(checkExists(ebsItem())).toEqual({
      check: 'exists',
      verdict: 'pass',
      reason: 'snap-0123456789abcdef0 is the newest completed backup',
    });
  });

  it('fails when nothing was found', () => {
    const item = ebsItem({ newest: undefined, latestCompleted: undefined, recoveryPoints: 0 });
    expect(checkExists(item)).toMatchObject({
      verdict: 'fail',
      reason: 'no backup of vol-0aaaaaaaaaaaaaaa1 found',
    });
  });

  it('fails when the only backup never completed', () => {
    const item = ebsItem({
      latestCompleted: undefined,
      newest: point({ state: 'failed', rawState: 'error' }),
    });
    expect(checkExists(item).reason).toBe(
      'no completed backup: the only recent one, snap-0123456789abcdef0, is failed (error)',
    );
  });
});

describe('verify-backups rules: fresh (RPO per class)', () => {
  const at = (ageHours: number) => ebsItem({ latestCompleted: point({}, ageHours) });

  it('passes exactly at the RPO', () => {
    expect(checkFresh(at(26), EBS, 5, NOW)).toEqual({
      check: 'fresh',
      verdict: 'pass',
      reason: 'age 26.0 h within RPO 26 h',
    });
  });

  it('fails one second past the RPO', () => {
    const item = ebsItem({
      latestCompleted: point({ createdAt: new Date(NOW - 26 * HOUR - 1000).toISOString() }),
    });
    expect(checkFresh(item, EBS, 5, NOW)).toMatchObject({
      verdict: 'fail',
      reason: 'age 26.0 h exceeds RPO 26 h',
    });
  });

  it('uses the completion time when the source gives one', () => {
    const item = ebsItem({
      latestCompleted: point({
        createdAt: new Date(NOW - 30 * HOUR).toISOString(),
        completedAt: new Date(NOW - 20 * HOUR).toISOString(),
      }),
    });
    expect(checkFresh(item, EBS, 5, NOW).verdict).toBe('pass');
  });

  it('treats a timestamp slightly in the future (clock skew within tolerance) as age 0', () => {
    const item = ebsItem({ latestCompleted: point({ createdAt: new Date(NOW + 4 * 60_000).toISOString() }) });
    expect(checkFresh(item, EBS, 5, NOW)).toMatchObject({
      verdict: 'pass',
      reason: 'age 0.0 h within RPO 26 h',
    });
  });

  it('accepts exactly the tolerated skew and fails beyond it', () => {
    const ahead = (ms: number) =>
      ebsItem({ latestCompleted: point({ createdAt: new Date(NOW + ms).toISOString() }) });
    expect(checkFresh(ahead(5 * 60_000), EBS, 5, NOW).verdict).toBe('pass');
    expect(checkFresh(ahead(6 * 60_000), EBS, 5, NOW)).toMatchObject({
      verdict: 'fail',
      reason: 'snap-0123456789abcdef0 is dated 6 min in the future, beyond the 5 min clock skew tolerated',
    });
  });

  it('fails when the timestamp is missing or unreadable', () => {
    const missing = ebsItem({ latestCompleted: point({ createdAt: undefined }) });
    const garbage = ebsItem({ latestCompleted: point({ createdAt: 'yesterday-ish' }) });
    expect(checkFresh(missing, EBS, 5, NOW).reason).toBe(
      'snap-0123456789abcdef0 has no readable creation or completion time',
    );
    expect(checkFresh(garbage, EBS, 5, NOW).verdict).toBe('fail');
  });

  it('uses the class RPO: a 30 h old backup passes a 48 h class and fails a 26 h one', () => {
    expect(checkFresh(at(30), { ...EBS, rpoHours: 48 }, 5, NOW).verdict).toBe('pass');
    expect(checkFresh(at(30), EBS, 5, NOW).verdict).toBe('fail');
  });
});

describe('verify-backups rules: completed', () => {
  it('passes a completed newest backup', () => {
    expect(checkCompleted(ebsItem()).verdict).toBe('pass');
  });

  it('passes while the newest is in progress if an earlier one completed', () => {
    const item = ebsItem({ newest: point({ id: 'snap-new', state: 'pending', rawState: 'pending' }) });
    expect(checkCompleted(item)).toMatchObject({
      verdict: 'pass',
      reason: 'snap-new still in progress; snap-0123456789abcdef0 is the newest completed',
    });
  });

  it('fails an in-progress backup with nothing completed before it', () => {
    const item = ebsItem({ newest: point({ state: 'pending' }), latestCompleted: undefined });
    expect(checkCompleted(item).verdict).toBe('fail');
  });

  it('fails a Velero PartiallyFailed newest backup, quoting its counts', () => {
    const item = ebsItem({
      class: 'velero',
      newest: point({
        id: 'daily-20261122050000',
        state: 'partially-failed',
        rawState: 'PartiallyFailed',
        errors: 2,
        warnings: 0,
      }),
    });
    expect(checkCompleted(item).reason).toBe(
      'newest backup daily-20261122050000 is partially-failed (PartiallyFailed) (2 errors, 0 warnings)',
    );
  });

  it('fails an unknown state rather than guessing', () => {
    const item = ebsItem({ newest: point({ state: 'unknown', rawState: 'metadata missing' }) });
    expect(checkCompleted(item)).toMatchObject({
      verdict: 'fail',
      reason: 'newest backup snap-0123456789abcdef0 is in an unknown state (metadata missing)',
    });
  });
});

describe('verify-backups rules: encrypted with the expected key', () => {
  it('passes the expected key given as ARN, key id or key/ reference', () => {
    for (const ref of [
      KEY_ARN,
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ]) {
      expect(checkEncrypted(ebsItem({ latestCompleted: point({ kmsKeyId: ref }) }), SETTINGS).verdict).toBe(
        'pass',
      );
    }
  });

  it('fails an unencrypted backup', () => {
    const item = ebsItem({ latestCompleted: point({ encrypted: false, kmsKeyId: undefined }) });
    expect(checkEncrypted(item, SETTINGS).reason).toBe('snap-0123456789abcdef0 is not encrypted');
  });

  it('fails another key, naming both', () => {
    const item = ebsItem({ latestCompleted: point({ kmsKeyId: OTHER_KEY_ARN }) });
    expect(checkEncrypted(item, SETTINGS).reason).toBe(
      'snap-0123456789abcdef0 is encrypted with 99999999-0000-0000-0000-000000000000, not the expected alias/test-data (1234abcd-12ab-34cd-56ef-1234567890ab)',
    );
  });

  it('fails when the source says nothing about encryption or the key', () => {
    expect(
      checkEncrypted(ebsItem({ latestCompleted: point({ encrypted: undefined }) }), SETTINGS).verdict,
    ).toBe('fail');
    expect(
      checkEncrypted(ebsItem({ latestCompleted: point({ kmsKeyId: undefined }) }), SETTINGS).verdict,
    ).toBe('fail');
  });

  it('keyId extracts the id from ARNs, including multi-Region keys, and leaves aliases alone', () => {
    expect(keyId('arn:aws:kms:eu-central-1:111111111111:key/mrk-1234abcd')).toBe('mrk-1234abcd');
    expect(keyId('alias/test-data')).toBe('alias/test-data');
  });
});

describe('verify-backups rules: DR copy', () => {
  const dr = { drRegion: 'eu-central-1', clockSkewMinutes: 5 };

  it('is not applicable without a DR region, or when the class needs no copy', () => {
    expect(checkDrCopy(ebsItem(), EBS, { clockSkewMinutes: 5 }, NOW)).toEqual({
      check: 'dr-copy',
      verdict: 'not-applicable',
      reason: 'the stage has no DR region',
    });
    expect(checkDrCopy(ebsItem(), { ...EBS, drCopyRequired: false }, dr, NOW).reason).toBe(
      'ebs backups need no DR copy (config)',
    );
  });

  it('passes a fresh completed encrypted copy', () => {
    expect(checkDrCopy(ebsItem(), EBS, dr, NOW)).toMatchObject({
      verdict: 'pass',
      reason: 'snap-0dddddddddddddddd in eu-central-1, age 1.0 h within RPO 26 h',
    });
  });

  it('fails a missing, pending, unencrypted or stale copy', () => {
    expect(checkDrCopy(ebsItem({ drCopy: undefined }), EBS, dr, NOW).reason).toBe('no copy in eu-central-1');
    expect(
      checkDrCopy(
        ebsItem({ drCopy: point({ id: 'c', state: 'pending', rawState: 'pending' }) }),
        EBS,
        dr,
        NOW,
      ).reason,
    ).toBe('the copy c in eu-central-1 is pending (pending)');
    expect(checkDrCopy(ebsItem({ drCopy: point({ id: 'c', encrypted: false }) }), EBS, dr, NOW).reason).toBe(
      'the copy c in eu-central-1 is not encrypted',
    );
    expect(checkDrCopy(ebsItem({ drCopy: point({ id: 'c' }, 40) }), EBS, dr, NOW).reason).toBe(
      'the newest copy in eu-central-1: age 40.0 h exceeds RPO 26 h',
    );
    const { encrypted: _, ...unsaid } = point({ id: 'c' });
    expect(checkDrCopy(ebsItem({ drCopy: unsaid }), EBS, dr, NOW).reason).toBe(
      'the copy c in eu-central-1: encryption unknown (the source did not say)',
    );
  });

  it('judges an RDS replicated automated backup and a Velero replica like an EBS copy: there, encrypted, within the RPO', () => {
    const policy = { ...SETTINGS.classes.velero, drCopyRequired: true };
    const rds = (copy?: ReturnType<typeof point>) =>
      ebsItem({ class: 'rds', resource: 'db', ...(copy ? { drCopy: copy } : { drCopy: undefined }) });
    expect(
      checkDrCopy(rds(point({ id: 'arn:aws:rds:eu-central-1:1:auto-backup:ab-1' }, 25.9)), policy, dr, NOW),
    ).toMatchObject({
      verdict: 'pass',
      reason: 'arn:aws:rds:eu-central-1:1:auto-backup:ab-1 in eu-central-1, age 25.9 h within RPO 26 h',
    });
    expect(checkDrCopy(rds(point({ id: 'ab' }, 26.5)), policy, dr, NOW).reason).toBe(
      'the newest copy in eu-central-1: age 26.5 h exceeds RPO 26 h',
    );
    const velero = (copy?: ReturnType<typeof point>) =>
      ebsItem({
        class: 'velero',
        // The source's replication status says COMPLETED, but the DR bucket is what counts once looked at.
        latestCompleted: point({ id: 'daily-1', replication: 'COMPLETED' }, 30),
        drCopyLookedUp: true,
        ...(copy ? { drCopy: copy } : { drCopy: undefined }),
      });
    expect(checkDrCopy(velero(), policy, dr, NOW).reason).toBe('no copy in eu-central-1');
    expect(checkDrCopy(velero(point({ id: 's3://dr/x.tar.gz' }, 30)), policy, dr, NOW).reason).toBe(
      'the newest copy in eu-central-1: age 30.0 h exceeds RPO 26 h',
    );
    expect(
      checkDrCopy(velero(point({ id: 's3://dr/x.tar.gz', encrypted: false }, 3)), policy, dr, NOW).reason,
    ).toBe('the copy s3://dr/x.tar.gz in eu-central-1 is not encrypted');
    expect(
      checkDrCopy(
        velero(
          point(
            { id: 's3://dr/x.tar.gz', state: 'unknown', rawState: 'unreadable: AccessDenied: Access Denied' },
            3,
          ),
        ),
        policy,
        dr,
        NOW,
      ).reason,
    ).toBe('the copy s3://dr/x.tar.gz in eu-central-1 is unknown (unreadable: AccessDenied: Access Denied)');
    expect(checkDrCopy(velero(point({ id: 's3://dr/x.tar.gz' }, 3)), policy, dr, NOW).verdict).toBe('pass');
  });

  it('judges Velero by the S3 replication status of its tarball', () => {
    const velero = (replication?: string) =>
      ebsItem({
        class: 'velero',
        latestCompleted: point({ id: 'daily-1', ...(replication ? { replication } : {}) }),
      });
    const policy = { ...SETTINGS.classes.velero, drCopyRequired: true };
    expect(checkDrCopy(velero('COMPLETED'), policy, dr, NOW).verdict).toBe('pass');
    expect(checkDrCopy(velero('FAILED'), policy, dr, NOW).reason).toBe(
      'S3 replication of the backup is FAILED',
    );
    expect(checkDrCopy(velero(), policy, dr, NOW).reason).toBe(
      "the backup's objects are not replicated to eu-central-1",
    );
  });
});

describe('verify-backups rules: retention', () => {
  const policy = { ...EBS, minRecoveryPoints: 3, maxRecoveryPoints: 10 };
  it('passes at both bounds', () => {
    expect(checkRetention(ebsItem({ recoveryPoints: 3 }), policy).verdict).toBe('pass');
    expect(checkRetention(ebsItem({ recoveryPoints: 10 }), policy).reason).toBe(
      '10 recovery points (allowed 3–10)',
    );
  });
  it('fails too few and too many', () => {
    expect(checkRetention(ebsItem({ recoveryPoints: 2 }), policy).reason).toBe(
      '2 recovery points, fewer than the 3 required',
    );
    expect(checkRetention(ebsItem({ recoveryPoints: 11 }), policy).reason).toBe(
      '11 recovery points, more than 10: retention looks unbounded',
    );
  });
});

describe('verify-backups rules: contents (Velero object listing)', () => {
  const velero = (objects?: { metadata: boolean; tarball: boolean; logs: boolean }) =>
    ebsItem({ class: 'velero', latestCompleted: point({ id: 'daily-1', ...(objects ? { objects } : {}) }) });
  it('is not applicable to snapshots', () => {
    expect(checkContents(ebsItem()).verdict).toBe('not-applicable');
  });
  it('passes with metadata, tarball and logs', () => {
    expect(checkContents(velero({ metadata: true, tarball: true, logs: true })).verdict).toBe('pass');
  });
  it('names what is missing, and fails an uncollected listing', () => {
    expect(checkContents(velero({ metadata: true, tarball: false, logs: false })).reason).toBe(
      'daily-1 is missing daily-1.tar.gz, daily-1-logs.gz',
    );
    expect(checkContents(velero()).reason).toBe('daily-1: object listing not collected');
  });
});

describe('verify-backups rules: restore', () => {
  const ebs = (o: Partial<RestoreObservation> = {}): RestoreObservation => ({
    kind: 'ebs-volume',
    snapshotId: 'snap-1',
    expectedSizeGiB: 20,
    scratchId: 'vol-scratch',
    observed: { State: 'available', Size: 20, Tags: [{ Key: 'ops-automation:scratch', Value: 'true' }] },
    cleanedUp: true,
    ...o,
  });

  it('is not applicable when no restore test ran, with the reason', () => {
    expect(checkRestore(undefined, 'restore tests not requested for this run')).toEqual({
      check: 'restore',
      verdict: 'not-applicable',
      reason: 'restore tests not requested for this run',
    });
  });

  it('passes an available, large-enough, tagged and deleted scratch volume', () => {
    expect(checkRestore(ebs(), '').reason).toBe(
      'restored snap-1 to vol-scratch (20 GiB, available), then deleted it',
    );
  });

  it('fails a smaller volume, a missing scratch tag, a wrong state, an error, and no confirmed cleanup', () => {
    expect(
      checkRestore(
        ebs({
          observed: {
            State: 'available',
            Size: 10,
            Tags: [{ Key: 'ops-automation:scratch', Value: 'true' }],
          },
        }),
        '',
      ).reason,
    ).toBe("scratch volume is 10 GiB, smaller than the snapshot's 20 GiB");
    expect(checkRestore(ebs({ observed: { State: 'available', Size: 20, Tags: [] } }), '').reason).toBe(
      'scratch volume lacks the ops-automation:scratch=true tag',
    );
    expect(checkRestore(ebs({ observed: { State: 'creating', Size: 20 } }), '').reason).toBe(
      'scratch volume ended creating, not available',
    );
    expect(checkRestore(ebs({ error: { Error: 'RestoreTimedOut', Cause: 'too slow' } }), '').reason).toBe(
      'restore test failed: RestoreTimedOut: too slow',
    );
    expect(checkRestore(ebs({ cleanedUp: false }), '').reason).toBe(
      'restore test did not confirm that vol-scratch was deleted',
    );
  });

  it('reports a failed cleanup before anything else', () => {
    const r = checkRestore(
      ebs({ error: { Error: 'X' }, cleanupError: { Error: 'Ec2.Ec2Exception', Cause: 'denied' } }),
      '',
    );
    expect(r.reason).toBe(
      'cleanup failed, vol-scratch was left behind (tagged ops-automation:scratch=true for the sweeper): Ec2.Ec2Exception: denied',
    );
  });

  it('judges an RDS restore by every check: one failing check fails it, with each failing check named', () => {
    const rds = (verdicts: ('pass' | 'fail')[]): RestoreObservation => ({
      kind: 'rds-instance',
      scratchId: 'ops-test-vb-1',
      check: {
        results: verdicts.map((verdict, i) => ({ name: `check ${i}`, verdict, reason: `reason ${i}` })),
        budget: { instanceClass: 'db.t4g.micro', maxMinutes: 60, estimatedUsd: 0.02, priceSource: 'list' },
      },
      cleanedUp: true,
    });
    expect(checkRestore(rds(['pass', 'pass']), '')).toEqual({
      check: 'restore',
      verdict: 'pass',
      reason:
        'restored to ops-test-vb-1, check 0: reason 0; check 1: reason 1, then deleted it [db.t4g.micro, budget 60 min, est. $0.02/run (list)]',
    });
    expect(checkRestore(rds(['pass', 'fail', 'pass']), '').reason).toBe(
      '1 of 3 database checks failed on ops-test-vb-1: check 1: reason 1 [db.t4g.micro, budget 60 min, est. $0.02/run (list)]',
    );
    expect(checkRestore({ kind: 'rds-instance', cleanedUp: true }, '').reason).toBe(
      'restored database was not queried',
    );
    expect(checkRestore({ kind: 'rds-instance', cleanedUp: true, check: { results: [] } }, '').verdict).toBe(
      'fail',
    );
  });

  it('judges an EBS content check by its verdict, and never passes one that failed, errored or said nothing', () => {
    const content = (o: Partial<RestoreObservation>): RestoreObservation => ({
      kind: 'ebs-content',
      snapshotId: 'snap-1',
      ...o,
    });
    expect(
      checkRestore(
        content({
          content: { verdict: 'verified', reason: 'content verified: ext4, 64 MiB, clean, 8 blocks read' },
        }),
        '',
      ),
    ).toEqual({
      check: 'restore',
      verdict: 'pass',
      reason: 'content verified: ext4, 64 MiB, clean, 8 blocks read',
    });
    expect(
      checkRestore(content({ content: { verdict: 'failed', reason: 'block 7: checksum mismatch' } }), ''),
    ).toEqual({
      check: 'restore',
      verdict: 'fail',
      reason: 'content check of snap-1: block 7: checksum mismatch',
    });
    // A step error wins even over a verified observation (it cannot have one in practice).
    expect(
      checkRestore(
        content({
          error: { Error: 'States.Timeout', Cause: 'Task timed out' },
          content: { verdict: 'verified', reason: 'x' },
        }),
        '',
      ),
    ).toMatchObject({ verdict: 'fail', reason: 'content check failed: States.Timeout: Task timed out' });
    expect(checkRestore(content({}), '')).toMatchObject({
      verdict: 'fail',
      reason: 'content check reported nothing',
    });
  });
});

describe('verify-backups rules: the overall verdict of one backup', () => {
  it('passes when every check passes or does not apply, with age and RPO', () => {
    const e = evaluateItem(ebsItem(), SETTINGS, NOW);
    expect(e).toMatchObject({ verdict: 'pass', ageHours: 2, rpoHours: 26, reason: 'all checks passed' });
    expect(e.checks.map((c) => [c.check, c.verdict])).toEqual([
      ['exists', 'pass'],
      ['fresh', 'pass'],
      ['completed', 'pass'],
      ['encrypted', 'pass'],
      ['dr-copy', 'pass'],
      ['retention', 'pass'],
      ['contents', 'not-applicable'],
      ['restore', 'not-applicable'],
    ]);
  });

  it('fails on any failing check and lists every failing reason', () => {
    const item = ebsItem({ latestCompleted: point({ kmsKeyId: OTHER_KEY_ARN }, 30), recoveryPoints: 0 });
    const e = evaluateItem(item, SETTINGS, NOW);
    expect(e.verdict).toBe('fail');
    expect(e.reason.split('; ').map((r) => r.split(':')[0])).toEqual(['fresh', 'encrypted', 'retention']);
  });

  it('fails an item whose inventory was incomplete even if nothing else failed', () => {
    const e = evaluateItem(ebsItem({ collectionError: 'AccessDenied' }), SETTINGS, NOW);
    expect(e.verdict).toBe('fail');
    expect(e.reason).toBe('exists: inventory incomplete: AccessDenied');
  });
});

describe('verify-backups rules: when the RDS restore test is due', () => {
  const sunday = Date.parse('2026-11-22T05:00:00Z');
  it('runs only when enabled and on its weekday (UTC)', () => {
    expect(rdsRestoreDue(true, 'SUN', sunday)).toBe(true);
    expect(rdsRestoreDue(true, 'MON', sunday)).toBe(false);
    expect(rdsRestoreDue(false, 'SUN', sunday)).toBe(false);
  });
});
