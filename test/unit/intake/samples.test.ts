import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStage, type StageConfig } from '../../../config/index.js';
import { MalformedEventError, UnrecognisedEventError } from '../../../events/signal.js';
import { planEvent } from '../../../functions/intake/plan.js';

/**
 * Every recorded sample in events/samples/, planned through `planEvent` (exactly what `ops plan`
 * runs) for the dev stage, against the decision we expect. A new sample without an expectation
 * fails the suite, so the table stays complete.
 */
const SAMPLES = join(import.meta.dirname, '../../../events/samples');
const dev = loadStage('dev');

type Expect =
  | { action: 'start'; runbook: string; reason?: string; parameters?: Record<string, unknown> }
  | { action: 'reject'; runbook?: string; reason?: string; parameters?: Record<string, unknown> }
  | { action: 'notify'; severity?: 'critical' | 'warning' | 'info'; reason?: string }
  | { action: 'ignore'; reason?: string }
  | { error: 'unrecognised' | 'malformed' };

const EXPECTED: Record<string, Expect> = {
  'autoscaling/ec2-instance-launch-lifecycle-action.json': { action: 'ignore' },
  'autoscaling/ec2-instance-launch-successful.json': { action: 'ignore' },
  'autoscaling/ec2-instance-launch-unsuccessful.json': { action: 'notify', severity: 'warning' },
  'autoscaling/ec2-instance-terminate-lifecycle-action.json': { action: 'ignore' },
  'autoscaling/ec2-instance-terminate-successful.json': { action: 'ignore' },
  'autoscaling/ec2-instance-terminate-unsuccessful.json': { action: 'notify', severity: 'warning' },
  'cloudtrail/cloudtrail-deletetrail.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'trail was deleted',
  },
  // dev-platform-trail is the dev stage's own trail (restoreGuardrail.trails): logging is restarted, and people told.
  'cloudtrail/cloudtrail-stoplogging.json': {
    action: 'start',
    runbook: 'restore-guardrail',
    parameters: { guardrail: 'trail-logging', target: 'dev-platform-trail' },
    reason: 'logging was stopped',
  },
  'cloudtrail/ec2-authorizesecuritygroupingress-narrow-cidr.json': { action: 'ignore' },
  'cloudtrail/ec2-authorizesecuritygroupingress-world-open-cli.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'opened to the world',
  },
  'cloudtrail/ec2-authorizesecuritygroupingress-world-open-sdk.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'opened to the world',
  },
  // The AWS documentation's example volume id ("vol-072577c46bexample") is not a real id: the schema refuses it.
  'cloudtrail/ec2-detachvolume.json': {
    action: 'reject',
    runbook: 'snapshot-volume',
    reason: 'volumeId: an EBS volume id looks like vol-0123456789abcdef0',
  },
  // Named by the controller's default (k8s-…), not our ingress prefix: not the ingress load balancer.
  'cloudtrail/elasticloadbalancing-createloadbalancer-nlb.json': { action: 'ignore' },
  'cloudtrail/elasticloadbalancing-deleteloadbalancer-nlb.json': { action: 'ignore' },
  'cloudtrail/kms-disablekey.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'KMS key was disabled',
  },
  'cloudtrail/kms-schedulekeydeletion-multi-region.json': { action: 'notify', severity: 'critical' },
  'cloudtrail/kms-schedulekeydeletion.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'scheduled for deletion',
  },
  'cloudtrail/secretsmanager-getsecretvalue-iam-user.json': {
    action: 'start',
    runbook: 'rotate-secret',
    parameters: { secretId: 'dev/rds/app-user' },
  },
  // Two secrets named in secretIdList (an ARN and a name): the first of the two rotations.
  'cloudtrail/secretsmanager-batchgetsecretvalue-sso-user.json': {
    action: 'start',
    runbook: 'rotate-secret',
    parameters: { secretId: 'dev/rds/app-user' },
  },
  'cloudtrail/secretsmanager-getsecretvalue-sso-user-denied.json': {
    action: 'ignore',
    reason: 'nothing was disclosed',
  },
  'cloudtrail/secretsmanager-getsecretvalue-sso-user.json': {
    action: 'start',
    runbook: 'rotate-secret',
    parameters: { secretId: 'dev/rds/app-user' },
  },
  'cloudtrail/secretsmanager-getsecretvalue-workload-role.json': {
    action: 'ignore',
    reason: 'configured consumer',
  },
  'cloudtrail/signin-consolelogin-iam-user-failure.json': { action: 'ignore' },
  'cloudtrail/signin-consolelogin-iam-user-mfa-success.json': { action: 'ignore' },
  'cloudtrail/signin-consolelogin-iam-user-success-nomfa-doc.json': {
    action: 'notify',
    severity: 'warning',
    reason: 'console sign-in without MFA',
  },
  'cloudtrail/signin-consolelogin-iam-user-success.json': {
    action: 'notify',
    severity: 'warning',
    reason: 'console sign-in without MFA',
  },
  'cloudtrail/signin-consolelogin-root-failure.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'root user',
  },
  'cloudtrail/signin-consolelogin-root-success.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'root user',
  },
  // The autoscaler samples come from cluster prod-eu-west-1, which dev does not allow-list.
  'cluster-autoscaler/failedtoscaleupgroup.json': {
    action: 'reject',
    runbook: 'scale-node-group',
    reason: 'node group prod-eu-west-1/ng-a is not allow-listed',
  },
  // Our own dev cluster: allow-listed, so the scale-up failure starts scale-node-group for that node group.
  'cluster-autoscaler/failedtoscaleupgroup-dev-platform.json': {
    action: 'start',
    runbook: 'scale-node-group',
    reason: 'failed to scale up for lack of room',
  },
  'cluster-autoscaler/nottriggerscaleup-combined.json': { action: 'reject', runbook: 'scale-node-group' },
  'cluster-autoscaler/nottriggerscaleup-max-node-group-size.json': {
    action: 'reject',
    runbook: 'scale-node-group',
  },
  'cluster-autoscaler/nottriggerscaleup-old-format-max-limit.json': {
    action: 'reject',
    runbook: 'scale-node-group',
  },
  'cluster-autoscaler/nottriggerscaleup-old-format.json': { action: 'reject', runbook: 'scale-node-group' },
  'cluster-autoscaler/nottriggerscaleup-reordered.json': { action: 'reject', runbook: 'scale-node-group' },
  'cluster-autoscaler/nottriggerscaleup-templated-details.json': {
    action: 'notify',
    reason: 'names no cluster',
  },
  'cluster-autoscaler/scaledown-node-removed.json': { action: 'ignore' },
  'cluster-autoscaler/scaledown.json': { action: 'ignore' },
  'cluster-autoscaler/scaledupgroup-size-set.json': { action: 'ignore' },
  'cluster-autoscaler/scaledupgroup.json': { action: 'ignore' },
  // placeholder-cannot-be-fulfilled: AWS had no capacity. A capacity incident; raising the maximum would not help.
  'cluster-autoscaler/scaleupfailed.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'capacity incident: node group prod-eu-west-1/ng-a',
  },
  'cluster-autoscaler/scaleuptimedout.json': { action: 'notify', severity: 'warning' },
  'cluster-autoscaler/triggeredscaleup.json': { action: 'ignore' },
  'datadog/eventbridge-alert-notification-idr-example.json': { action: 'notify', reason: 'no runbook tag' },
  'datadog/eventbridge-alert-notification-triggered-scale-node-group.json': {
    action: 'reject',
    runbook: 'scale-node-group',
    reason: 'not allow-listed',
  },
  // Datadog's payload templates hold `$ID`-style variables, not values.
  'datadog/webhook-default-payload-template.json': { error: 'malformed' },
  'datadog/webhook-payload-template.json': { error: 'malformed' },
  'datadog/webhook-no-data.json': { action: 'notify' },
  'datadog/webhook-re-triggered.json': {
    action: 'reject',
    runbook: 'scale-node-group',
    reason: 'not allow-listed',
  },
  'datadog/webhook-recovered.json': { action: 'ignore', reason: 'recovered' },
  'datadog/webhook-triggered.json': {
    action: 'reject',
    runbook: 'scale-node-group',
    reason: 'not allow-listed',
  },
  'datadog/webhook-warn.json': { action: 'notify' },
  // A volume with no fresh snapshot gets one; a missing DR copy needs a person.
  'backup-verification/backup-failed-ebs-stale.json': {
    action: 'start',
    runbook: 'snapshot-volume',
    reason: 'a new snapshot closes the gap',
  },
  'backup-verification/backup-failed-dr-copy-missing.json': {
    action: 'notify',
    severity: 'critical',
    reason: 'failed verification (dr-copy)',
  },
  'schedule/scheduled-event-rule.json': {
    action: 'reject',
    reason: 'is not configured in stage dev',
  } as Expect,
  'schedule/scheduler-target-input-template.json': { error: 'malformed' },
  'schedule/scheduler-target-input.json': { action: 'reject', runbook: 'nightly-capacity-check' },
  // Slack payloads are for the Slack endpoint, not the intake's event path.
  'slack/block-actions-payload.json': { error: 'unrecognised' },
  'slack/signing-example.json': { error: 'unrecognised' },
};

function sampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sampleFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  );
}

const files = sampleFiles(SAMPLES).map((f) => relative(SAMPLES, f));
const read = (name: string) => readFileSync(join(SAMPLES, name), 'utf8');

describe('ops plan: every recorded sample', () => {
  it('has an expected decision for every sample file', () => {
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files)('%s', (name) => {
    // Prepare
    const expected = EXPECTED[name] as Expect;
    const text = read(name);
    if ('error' in expected) {
      // Act + Assess
      const Err = expected.error === 'malformed' ? MalformedEventError : UnrecognisedEventError;
      expect(() => planEvent(text, dev)).toThrow(Err);
      return;
    }
    // Act
    const out = planEvent(text, dev);
    // Assess
    const d = out.decision;
    expect(d.action).toBe(expected.action);
    if ('runbook' in expected && expected.runbook) expect(d.runbook).toBe(expected.runbook);
    if ('parameters' in expected) expect(d.parameters).toMatchObject(expected.parameters ?? {});
    if ('severity' in expected && expected.severity)
      expect(out.signal.severity === expected.severity || d.action === 'notify').toBe(true);
    if (expected.reason) expect(d.reasons.join(' | ')).toContain(expected.reason);
    if (d.action === 'start') expect(d.executionName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    else expect(d.executionName).toBeNull();
  });
});

describe('ops plan: samples against a stage that allow-lists their targets', () => {
  const allowing: StageConfig = {
    ...dev,
    automation: {
      ...dev.automation,
      ingressLoadBalancerPrefix: 'k8s-ingressn-ingressn',
      allowLists: {
        ...dev.automation.allowLists,
        nodeGroups: [
          {
            cluster: 'prod-eu-west-1',
            nodegroup: 'ng-*',
            ceiling: 10,
            stepSize: 2,
            scaleBackAfterMinutes: 0,
          },
        ],
      },
      runbooks: { 'scale-node-group': { enabled: true, mode: 'approval' } },
    },
  };

  it('starts scale-node-group from the autoscaler and from the Datadog monitor, in approval mode', () => {
    for (const name of [
      'cluster-autoscaler/failedtoscaleupgroup.json',
      'datadog/webhook-triggered.json',
      'datadog/eventbridge-alert-notification-triggered-scale-node-group.json',
    ]) {
      const d = planEvent(read(name), allowing).decision;
      expect(d, name).toMatchObject({
        action: 'start',
        runbook: 'scale-node-group',
        parameters: { cluster: 'prod-eu-west-1', nodegroup: 'ng-a' },
        mode: 'approval',
      });
    }
  });

  it('never scales on a capacity shortage, even where the node group is allow-listed', () => {
    const d = planEvent(read('cluster-autoscaler/scaleupfailed.json'), allowing).decision;
    expect(d).toMatchObject({ action: 'notify', severity: 'critical', runbook: null });
    expect(d.reasons.join(' ')).toContain('Raising the node group maximum would not help');
  });

  it('gives a re-trigger 30 minutes later (past the 15-minute window) its own execution name', () => {
    // Triggered at 12:31, Re-Triggered at 13:01 (UTC): two windows of scale-node-group's 15 minutes.
    const triggered = planEvent(read('datadog/webhook-triggered.json'), allowing).decision;
    const again = planEvent(read('datadog/webhook-re-triggered.json'), allowing).decision;
    expect(triggered.executionName).toMatch(/-20240731T1230Z$/);
    expect(again.executionName).toMatch(/-20240731T1300Z$/);
    expect(again.executionName?.replace(/-[^-]+$/, '')).toBe(triggered.executionName?.replace(/-[^-]+$/, ''));
  });

  it('re-points every ingress record when the ingress NLB is created under the configured prefix', () => {
    const out = planEvent(read('cloudtrail/elasticloadbalancing-createloadbalancer-nlb.json'), allowing);
    expect(out.decision).toMatchObject({
      action: 'start',
      runbook: 'update-dns',
      parameters: {
        zoneName: 'dev.example.com',
        recordName: 'app.dev.example.com',
        change: 'alias',
        loadBalancerDnsName: 'k8s-ingressn-ingressn-5f3e2d1c0b-1836718677.eu-west-1.elb.amazonaws.com',
      },
    });
  });
});
