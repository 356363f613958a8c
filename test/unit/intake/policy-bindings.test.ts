import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { Signal } from '../../../events/signal.js';
import { datadogMonitor } from '../../../functions/intake/policy/datadog.js';
import { policyRules } from '../../../functions/intake/policy/index.js';
import type { PolicyContext } from '../../../runbooks/policy.js';
import { restoreGuardrailPlugin } from '../../../runbooks/restore-guardrail/plugin.js';
import { restoreGuardrailRule } from '../../../runbooks/restore-guardrail/policy.js';
import { rotateSecretPlugin } from '../../../runbooks/rotate-secret/plugin.js';
import { secretRead } from '../../../runbooks/rotate-secret/policy.js';
import { scaleNodeGroupPlugin } from '../../../runbooks/scale-node-group/plugin.js';
import { clusterAutoscaler } from '../../../runbooks/scale-node-group/policy.js';
import { snapshotVolumePlugin } from '../../../runbooks/snapshot-volume/plugin.js';
import { backupFailed, detachVolume } from '../../../runbooks/snapshot-volume/policy.js';
import { updateDnsPlugin } from '../../../runbooks/update-dns/plugin.js';
import { ingressReplaced } from '../../../runbooks/update-dns/policy.js';
import { verifyBackupsPlugin } from '../../../runbooks/verify-backups/plugin.js';
import { cloudTrail, signal } from './signals.js';

/**
 * How each runbook plugs into the intake besides its allow-list: the names and one-line
 * descriptions of its rules (what `ops plan` and the README show), the Datadog alert tags that fill
 * its parameters, the target kinds it prefers, its incident rule; plus the rules' handling of a
 * signal without an actor. Every expectation is written out here.
 */

const ctx: PolicyContext = { stage: 'dev', automation: loadStage('dev').automation };

describe('rule names and descriptions', () => {
  it.each([
    [secretRead, 'secret-read', '→ rotate-secret'],
    [clusterAutoscaler, 'cluster-autoscaler', '→ scale-node-group'],
    [detachVolume, 'detach-volume', '→ snapshot-volume'],
    [backupFailed, 'backup-failed', '→ snapshot-volume'],
    [ingressReplaced, 'ingress-replaced', '→ update-dns'],
    [restoreGuardrailRule, 'restore-guardrail', '→ restore-guardrail'],
  ] as const)('%#: %s', (rule, name, starts) => {
    expect(rule.name).toBe(name);
    expect(rule.description).toContain(starts);
  });

  it('the descriptions say what triggers and what is only told', () => {
    expect(secretRead.description).toMatch(
      /^GetSecretValue \/ BatchGetSecretValue by a human or break-glass/,
    );
    expect(clusterAutoscaler.description).toMatch(
      /^'max node group size reached'.*capacity, quota\) → notify critical/,
    );
    expect(detachVolume.description).toMatch(/^DetachVolume of a volume carrying the protected tag/);
    expect(backupFailed.description).toMatch(/^a backup failed verification .* otherwise notify$/);
    expect(ingressReplaced.description).toMatch(/^CreateLoadBalancer of the ingress NLB/);
    expect(restoreGuardrailRule.description).toMatch(
      /^trail logging stopped, .* \(not allow-listed: security-calls notifies\)$/,
    );
  });
});

describe('restore-guardrail is an incident rule: asked before the security notifications, and told as well', () => {
  it('policyRules puts it right after requested-run', () => {
    expect(
      policyRules([restoreGuardrailPlugin])
        .map((r) => r.name)
        .slice(0, 3),
    ).toEqual(['requested-run', 'restore-guardrail', 'security-calls']);
  });
});

describe('Datadog bindings: which alert tags fill which parameter', () => {
  const alert = (tags: string[], attributes: Record<string, string> = {}) =>
    signal({
      source: 'datadog',
      kind: 'datadog.monitor-triggered',
      resource: { type: 'monitor', id: '7', attributes },
      details: { transition: 'Triggered', tags },
      summary: 's',
    });
  const reason = 'Datadog monitor 7 Triggered: s';

  it('rotate-secret: secretId from secretName, else secret', () => {
    expect(
      datadogMonitor.evaluate(alert(['runbook:rotate-secret', 'secretname:dev/a', 'secret:dev/b']), ctx),
    ).toMatchObject({
      parameters: { reason, secretId: 'dev/a' },
    });
  });

  it('scale-node-group: cluster and nodegroup', () => {
    expect(
      datadogMonitor.evaluate(alert(['runbook:scale-node-group', 'cluster:c1', 'nodegroup:g1']), ctx),
    ).toMatchObject({
      parameters: { reason, cluster: 'c1', nodegroup: 'g1' },
    });
  });

  it('snapshot-volume: volumeId from volumeId, else volume; cluster, namespace, pvc', () => {
    expect(
      datadogMonitor.evaluate(
        alert(['runbook:snapshot-volume', 'volume:vol-2', 'cluster:c1', 'namespace:apps', 'pvc:data-0'], {
          volumeId: 'vol-1',
        }),
        ctx,
      ),
    ).toEqual(
      expect.objectContaining({
        parameters: { reason, volumeId: 'vol-1', cluster: 'c1', namespace: 'apps', pvc: 'data-0' },
      }),
    );
    expect(datadogMonitor.evaluate(alert(['runbook:snapshot-volume', 'volume:vol-2']), ctx)).toMatchObject({
      parameters: { reason, volumeId: 'vol-2' },
    });
  });

  it('update-dns: zoneName from zone, recordName from record, recordType from recordType else record_type', () => {
    expect(
      datadogMonitor.evaluate(
        alert(['runbook:update-dns', 'zone:dev.example.com', 'record:api.dev.example.com', 'record_type:A'], {
          recordType: 'CNAME',
        }),
        ctx,
      ),
    ).toEqual(
      expect.objectContaining({
        parameters: {
          reason,
          zoneName: 'dev.example.com',
          recordName: 'api.dev.example.com',
          recordType: 'CNAME',
        },
      }),
    );
    expect(datadogMonitor.evaluate(alert(['runbook:update-dns', 'record_type:AAAA']), ctx)).toEqual(
      expect.objectContaining({ parameters: { reason, recordType: 'AAAA' } }),
    );
  });

  it('verify-backups: started with no parameter from the alert', () => {
    expect(datadogMonitor.evaluate(alert(['runbook:verify-backups', 'zone:x']), ctx)).toEqual({
      verdict: 'start',
      runbook: 'verify-backups',
      parameters: { reason },
      reasons: ['Datadog monitor 7 Triggered and names runbook verify-backups'],
    });
  });

  it('the target kinds each runbook prefers (what the Datadog normaliser reads)', () => {
    expect(rotateSecretPlugin.datadog?.targets).toEqual(['secret']);
    expect(scaleNodeGroupPlugin.datadog?.targets).toEqual(['node-group']);
    expect(snapshotVolumePlugin.datadog?.targets).toEqual(['ebs-volume', 'pvc']);
    expect(updateDnsPlugin.datadog?.targets).toEqual(['dns-record']);
    expect(verifyBackupsPlugin.datadog?.targets).toEqual([]);
  });
});

describe('the rules with a signal that names no actor, and where each reads its facts', () => {
  it('secret-read: an actor-less read is a warning from an unknown principal', () => {
    const s = signal({
      details: { eventName: 'GetSecretValue', secretId: 'dev/x' },
      resource: { type: 'secret', id: 'dev/x' },
    });
    expect(secretRead.evaluate(s, ctx)).toEqual({
      verdict: 'notify',
      severity: 'warning',
      reasons: ['unknown principal (not a configured consumer) read secret dev/x'],
    });
  });

  it('secret-read: the secretId of the call wins over the resource id', () => {
    const s = cloudTrail(
      'GetSecretValue',
      { type: 'secret', id: 'dev/resource' },
      { secretId: 'dev/called' },
      { type: 'unknown' },
    );
    expect(secretRead.evaluate(s, ctx)).toMatchObject({
      reasons: ['unknown principal (not a configured consumer) read secret dev/called'],
    });
  });

  it('detach-volume: an actor-less detach is by unknown', () => {
    const s = signal({
      details: { eventName: 'DetachVolume' },
      resource: { type: 'ebs-volume', id: 'vol-9' },
    });
    expect(detachVolume.evaluate(s, ctx)).toMatchObject({
      parameters: { volumeId: 'vol-9', reason: 'volume vol-9 was detached by unknown' },
    });
  });

  it('ingress-replaced: loadBalancerType is read before type', () => {
    const s = cloudTrail(
      'CreateLoadBalancer',
      { type: 'load-balancer', id: 'x' },
      { name: 'ingress-1', loadBalancerType: 'application', type: 'network' },
    );
    expect(
      ingressReplaced.evaluate(s, {
        ...ctx,
        automation: { ...ctx.automation, ingressLoadBalancerPrefix: 'ingress' },
      }),
    ).toEqual({
      verdict: 'not-applicable',
    });
  });

  it('cluster-autoscaler: the summary, reasons and message are read as words', () => {
    const s = signal({
      source: 'cluster-autoscaler',
      kind: 'cluster-autoscaler.event',
      resource: { type: 'node-group', id: 'c1/g1' },
      summary: 'group at its maximum',
      details: { message: 'size reached' } satisfies Signal['details'],
    });
    expect(clusterAutoscaler.evaluate(s, ctx)).toMatchObject({
      verdict: 'start',
      parameters: { cluster: 'c1', nodegroup: 'g1' },
    });
  });
});
