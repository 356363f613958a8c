import { describe, expect, it } from 'vitest';
import {
  MalformedEventError,
  normaliseDatadogWebhook,
  normaliseEvent,
  type Resource,
  type Severity,
  type Signal,
  SignalSchema,
  scheduleSignal,
  UnrecognisedEventError,
} from '../../../events/index.js';
import { get, getString, isoOf, listSampleFiles, sampleText } from './support.js';

/**
 * Every recorded payload in events/samples/ normalises to the Signal we expect: kind, severity and resource
 * type as literals (they are the meaning), identifiers derived from the sample itself (they are data).
 * A new sample without an expectation here fails the suite on purpose.
 */

interface SignalExpectation {
  readonly kind: string;
  readonly severity: Severity;
  readonly resourceType: Resource['type'];
  /** How the payload reaches us: an EventBridge event (default), a Datadog webhook body, a Scheduler input. */
  readonly via?: 'eventbridge' | 'datadog-webhook' | 'scheduler';
  readonly check?: (signal: Signal, sample: unknown) => void;
}

interface ErrorExpectation {
  readonly error: typeof MalformedEventError | typeof UnrecognisedEventError;
  readonly via?: 'eventbridge' | 'datadog-webhook' | 'scheduler';
  readonly because: string;
}

type Expectation = SignalExpectation | ErrorExpectation;

const cloudTrailCommon = (signal: Signal, sample: unknown) => {
  expect(signal.correlationId).toBe(getString(sample, 'detail.eventID'));
  expect(signal.occurredAt).toBe(isoOf(getString(sample, 'detail.eventTime')));
  expect(signal.details.eventName).toBe(getString(sample, 'detail.eventName'));
  expect(signal.details.eventSource).toBe(getString(sample, 'detail.eventSource'));
  expect(signal.link).toContain(encodeURIComponent(getString(sample, 'detail.eventID')));
  expect(signal.link).toContain(`region=${getString(sample, 'detail.awsRegion')}`);
};

const secretRead = (signal: Signal, sample: unknown) => {
  cloudTrailCommon(signal, sample);
  const secretId = getString(sample, 'detail.requestParameters.secretId');
  expect(signal.details.secretId).toBe(secretId);
  expect(signal.resource.attributes.secretId).toBe(secretId);
  // The resource is the secret's name: the ARN without its prefix and random suffix.
  expect(signal.resource.id).not.toMatch(/^arn:/);
  expect(secretId).toContain(`:secret:${signal.resource.id}-`);
  expect(signal.resource.attributes.secretName).toBe(signal.resource.id);
  expect(signal.details.readOnly).toBe(true);
};

const securityCall = (signal: Signal, sample: unknown) => {
  cloudTrailCommon(signal, sample);
  expect(signal.details.securityRelevant).toBe(true);
  expect(typeof signal.details.securityReason).toBe('string');
};

const signIn = (signal: Signal, sample: unknown) => {
  expect(signal.correlationId).toBe(getString(sample, 'detail.eventID'));
  expect(signal.details.eventName).toBe('ConsoleLogin');
  expect(signal.resource.id).toBe(
    (get(sample, 'detail.recipientAccountId') ?? get(sample, 'detail.userIdentity.accountId')) as string,
  );
  expect(signal.actor?.sourceIp).toBe(getString(sample, 'detail.sourceIPAddress'));
};

const asg = (signal: Signal, sample: unknown) => {
  expect(signal.resource.id).toBe(getString(sample, 'detail.AutoScalingGroupName'));
  expect(signal.resource.attributes.instanceId).toBe(getString(sample, 'detail.EC2InstanceId'));
  expect(signal.correlationId).toBe(getString(sample, 'id'));
  expect(signal.resource.region).toBe(getString(sample, 'region'));
};

const asgActivity = (signal: Signal, sample: unknown) => {
  asg(signal, sample);
  expect(signal.resource.attributes.availabilityZone).toBe(
    getString(sample, 'detail.Details.Availability Zone'),
  );
  expect(signal.details.activityId).toBe(getString(sample, 'detail.ActivityId'));
  expect(signal.occurredAt).toBe(isoOf(getString(sample, 'detail.EndTime')));
};

/** cluster-autoscaler events about the EKS managed node group `ng-a` (ASG `eks-ng-a-<uuid>`). */
const ngA = (signal: Signal, sample: unknown) => {
  const cluster = getString(sample, 'detail.clusterName');
  expect(signal.resource.id).toBe(`${cluster}/ng-a`);
  expect(signal.resource.attributes).toMatchObject({ cluster, nodegroup: 'ng-a' });
  expect(signal.resource.attributes.autoScalingGroupName).toMatch(/^eks-ng-a-[0-9a-f-]{36}$/);
  expect(signal.correlationId).toBe(getString(sample, 'id'));
  expect(signal.occurredAt).toBe(isoOf(getString(sample, 'detail.lastTimestamp')));
};

/** NotTriggerScaleUp: the pod's cluster with no named node group (the message does not say which). */
const podAtMax = (expectedReasons: string[]) => (signal: Signal, sample: unknown) => {
  const cluster = getString(sample, 'detail.clusterName');
  expect(signal.resource.id).toBe(`${cluster}/*`);
  expect(signal.resource.attributes).toMatchObject({
    cluster,
    namespace: getString(sample, 'detail.involvedObject.namespace'),
    pod: getString(sample, 'detail.involvedObject.name'),
  });
  expect(signal.details.maxNodeGroupSizeReached).toBe(true);
  expect(signal.details.reasons).toEqual(expectedReasons);
  expect(signal.details.reasonCodes).toContain('max-node-group-size');
};

const datadogWebhook = (transition: string) => (signal: Signal, sample: unknown) => {
  expect(signal.details.transition).toBe(transition);
  // Ids are kept exactly as sent, as strings (they exceed Number.MAX_SAFE_INTEGER).
  expect(signal.correlationId).toBe(getString(sample, 'id'));
  expect(signal.resource.attributes.monitorId).toBe(getString(sample, 'alert_id'));
  expect(signal.link).toBe(`https://app.datadoghq.com/monitors/${getString(sample, 'alert_id')}`);
  expect(signal.occurredAt).toBe(new Date(Number(getString(sample, 'date'))).toISOString());
  expect(signal.resource.id).toBe('prod-eu-west-1/ng-a');
  expect(signal.resource.attributes).toMatchObject({
    runbook: 'scale-node-group',
    cluster: 'prod-eu-west-1',
    nodegroup: 'ng-a',
  });
  expect(signal.raw).toBe(sampleTextOf(sample));
};

// The webhook check compares `raw` with the file text; remember which text each parsed sample came from.
const textBySample = new WeakMap<object, string>();
const sampleTextOf = (sample: unknown): string => textBySample.get(sample as object) ?? '';

const EXPECTATIONS: Readonly<Record<string, Expectation>> = {
  // --- CloudTrail: API calls ---
  'cloudtrail/cloudtrail-deletetrail.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'trail',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.requestParameters.name'));
    },
  },
  'cloudtrail/cloudtrail-stoplogging.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'trail',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.requestParameters.name'));
      expect(s.actor?.type).toBe('human');
    },
  },
  'cloudtrail/ec2-authorizesecuritygroupingress-narrow-cidr.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'security-group',
    check: (s, e) => {
      cloudTrailCommon(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.requestParameters.groupId'));
      expect(s.details.worldOpen).toBe(false);
      expect(s.details.securityRelevant).toBe(false);
      expect(s.details.cidrs).toEqual([
        get(e, 'detail.requestParameters.ipPermissions.items.0.ipRanges.items.0.cidrIp'),
      ]);
    },
  },
  'cloudtrail/ec2-authorizesecuritygroupingress-world-open-cli.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'security-group',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.details).toMatchObject({
        worldOpen: true,
        cidr: '0.0.0.0/0',
        fromPort: get(e, 'detail.requestParameters.fromPort'),
      });
    },
  },
  'cloudtrail/ec2-authorizesecuritygroupingress-world-open-sdk.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'security-group',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.details).toMatchObject({ worldOpen: true, cidr: '0.0.0.0/0' });
      expect(s.actor).toMatchObject({
        type: 'service',
        roleName: getString(e, 'detail.userIdentity.sessionContext.sessionIssuer.userName'),
        id: getString(e, 'detail.userIdentity.sessionContext.sessionIssuer.arn'),
      });
    },
  },
  'cloudtrail/ec2-detachvolume.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'ebs-volume',
    check: (s, e) => {
      cloudTrailCommon(s, e);
      const volumeId = getString(e, 'detail.requestParameters.volumeId');
      expect(s.resource.id).toBe(volumeId);
      expect(s.details.volumeId).toBe(volumeId);
      expect(s.resource.attributes.instanceId).toBe(getString(e, 'detail.responseElements.instanceId'));
    },
  },
  'cloudtrail/elasticloadbalancing-createloadbalancer-nlb.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'load-balancer',
    check: (s, e) => {
      cloudTrailCommon(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.requestParameters.name'));
      expect(s.details).toMatchObject({
        loadBalancerName: getString(e, 'detail.requestParameters.name'),
        loadBalancerDnsName: getString(e, 'detail.responseElements.loadBalancers.0.dNSName'),
        loadBalancerType: 'network',
      });
    },
  },
  'cloudtrail/elasticloadbalancing-deleteloadbalancer-nlb.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'load-balancer',
    check: (s, e) => {
      cloudTrailCommon(s, e);
      const arn = getString(e, 'detail.requestParameters.loadBalancerArn');
      expect(s.resource.id).toBe(arn.split('/')[2]);
      expect(s.details.loadBalancerArn).toBe(arn);
    },
  },
  'cloudtrail/kms-disablekey.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'kms-key',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.resources.0.ARN'));
      expect(s.details.keyId).toBe(getString(e, 'detail.requestParameters.keyId'));
    },
  },
  'cloudtrail/kms-schedulekeydeletion-multi-region.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'kms-key',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.details.pendingWindowInDays).toBe(get(e, 'detail.requestParameters.pendingWindowInDays'));
      expect(s.details.keyState).toBe('PendingReplicaDeletion');
    },
  },
  'cloudtrail/kms-schedulekeydeletion.json': {
    kind: 'cloudtrail.api-call',
    severity: 'critical',
    resourceType: 'kms-key',
    check: (s, e) => {
      securityCall(s, e);
      expect(s.resource.id).toBe(getString(e, 'detail.resources.0.ARN'));
    },
  },
  'cloudtrail/secretsmanager-getsecretvalue-iam-user.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'secret',
    check: (s, e) => {
      secretRead(s, e);
      expect(s.actor).toMatchObject({ type: 'human', name: getString(e, 'detail.userIdentity.userName') });
      expect(s.actor?.roleName).toBeUndefined();
    },
  },
  'cloudtrail/secretsmanager-getsecretvalue-sso-user-denied.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'secret',
    check: (s, e) => {
      secretRead(s, e);
      expect(s.details.errorCode).toBe(getString(e, 'detail.errorCode'));
      expect(s.actor?.type).toBe('human');
    },
  },
  // BatchGetSecretValue has no secretId: every secret its secretIdList names is listed (one ARN, one name).
  'cloudtrail/secretsmanager-batchgetsecretvalue-sso-user.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'secret',
    check: (s) => {
      expect(s.resource.id).toBe('2 secrets');
      expect(s.details.secretNames).toEqual(['dev/rds/app-user', 'dev/api/partner-token']);
      expect(s.actor?.type).toBe('human');
    },
  },
  'cloudtrail/secretsmanager-getsecretvalue-sso-user.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'secret',
    check: (s, e) => {
      secretRead(s, e);
      expect(s.details.errorCode).toBeUndefined();
      expect(s.actor?.type).toBe('human');
      expect(s.actor?.roleName).toMatch(/^AWSReservedSSO_/);
      // The role ARN keeps its path (from the session issuer), not the assumed-role session ARN.
      expect(s.actor?.id).toBe(getString(e, 'detail.userIdentity.sessionContext.sessionIssuer.arn'));
    },
  },
  'cloudtrail/secretsmanager-getsecretvalue-workload-role.json': {
    kind: 'cloudtrail.api-call',
    severity: 'info',
    resourceType: 'secret',
    check: (s, e) => {
      secretRead(s, e);
      expect(s.actor).toMatchObject({
        type: 'service',
        roleName: getString(e, 'detail.userIdentity.sessionContext.sessionIssuer.userName'),
      });
    },
  },
  // --- CloudTrail: console sign-in ---
  'cloudtrail/signin-consolelogin-iam-user-failure.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'warning',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.details).toMatchObject({ succeeded: false, root: false, loginResult: 'Failure' });
    },
  },
  'cloudtrail/signin-consolelogin-iam-user-mfa-success.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'info',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.details).toMatchObject({ succeeded: true, mfaUsed: true, root: false });
      expect(s.actor?.type).toBe('human');
    },
  },
  // An IAM user's password sign-in without MFA is a warning (issue 14).
  'cloudtrail/signin-consolelogin-iam-user-success-nomfa-doc.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'warning',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.details).toMatchObject({ succeeded: true, mfaUsed: false, withoutMfa: true });
    },
  },
  // An IAM user's password sign-in without MFA is a warning (issue 14).
  'cloudtrail/signin-consolelogin-iam-user-success.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'warning',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.details).toMatchObject({ succeeded: true, root: false });
    },
  },
  'cloudtrail/signin-consolelogin-root-failure.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'warning',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.actor?.type).toBe('root');
      expect(s.details).toMatchObject({ succeeded: false, root: true });
    },
  },
  'cloudtrail/signin-consolelogin-root-success.json': {
    kind: 'cloudtrail.console-sign-in',
    severity: 'critical',
    resourceType: 'account',
    check: (s, e) => {
      signIn(s, e);
      expect(s.actor?.type).toBe('root');
      expect(s.details).toMatchObject({ succeeded: true, root: true });
    },
  },
  // --- EC2 Auto Scaling ---
  'autoscaling/ec2-instance-launch-lifecycle-action.json': {
    kind: 'autoscaling.launch-lifecycle-action',
    severity: 'info',
    resourceType: 'auto-scaling-group',
    check: (s, e) => {
      asg(s, e);
      expect(s.details.lifecycleHookName).toBe(getString(e, 'detail.LifecycleHookName'));
    },
  },
  'autoscaling/ec2-instance-launch-successful.json': {
    kind: 'autoscaling.launch-succeeded',
    severity: 'info',
    resourceType: 'auto-scaling-group',
    check: asgActivity,
  },
  'autoscaling/ec2-instance-launch-unsuccessful.json': {
    kind: 'autoscaling.launch-failed',
    severity: 'warning',
    resourceType: 'auto-scaling-group',
    check: (s, e) => {
      asgActivity(s, e);
      expect(s.details.statusMessage).toBe(getString(e, 'detail.StatusMessage'));
      expect(s.details.statusCode).toBe('Failed');
    },
  },
  'autoscaling/ec2-instance-terminate-lifecycle-action.json': {
    kind: 'autoscaling.terminate-lifecycle-action',
    severity: 'info',
    resourceType: 'auto-scaling-group',
    check: asg,
  },
  'autoscaling/ec2-instance-terminate-successful.json': {
    kind: 'autoscaling.terminate-succeeded',
    severity: 'info',
    resourceType: 'auto-scaling-group',
    check: asgActivity,
  },
  'autoscaling/ec2-instance-terminate-unsuccessful.json': {
    kind: 'autoscaling.terminate-failed',
    severity: 'warning',
    resourceType: 'auto-scaling-group',
    check: asgActivity,
  },
  // --- cluster-autoscaler via the event exporter ---
  'cluster-autoscaler/failedtoscaleupgroup.json': {
    kind: 'cluster-autoscaler.scale-up-failed',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({
        failure: 'max-size-reached',
        lackOfRoom: true,
        desiredSize: 11,
        maxSize: 10,
      });
    },
  },
  'cluster-autoscaler/failedtoscaleupgroup-dev-platform.json': {
    kind: 'cluster-autoscaler.scale-up-failed',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s) => {
      // The autoscaler names the managed node group's Auto Scaling group (eks-<nodegroup>-<uuid>).
      expect(s.resource.id).toBe('dev-platform/dev-platform-a');
      expect(s.details).toMatchObject({
        failure: 'max-size-reached',
        lackOfRoom: true,
        desiredSize: 5,
        maxSize: 4,
      });
    },
  },
  'cluster-autoscaler/nottriggerscaleup-combined.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      podAtMax([
        '1 in backoff after failed scale-up',
        '2 max node group size reached',
        '1 node(s) had untolerated taint {dedicated: gpu}',
      ])(s, e);
      expect(s.details.combined).toBe(true);
    },
  },
  'cluster-autoscaler/nottriggerscaleup-max-node-group-size.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: podAtMax(['2 max node group size reached', "1 node(s) didn't match Pod's node affinity/selector"]),
  },
  'cluster-autoscaler/nottriggerscaleup-old-format-max-limit.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      podAtMax(['1 max limit reached'])(s, e);
      expect(s.details.messageFormat).toBe('legacy');
    },
  },
  'cluster-autoscaler/nottriggerscaleup-old-format.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      podAtMax(['2 max node group size reached', "1 node(s) didn't match node selector"])(s, e);
      expect(s.details.messageFormat).toBe('legacy');
    },
  },
  'cluster-autoscaler/nottriggerscaleup-reordered.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      podAtMax(["12 node(s) didn't match Pod's node affinity/selector", '3 max node group size reached'])(
        s,
        e,
      );
      expect(s.details.nodeGroupsAtMax).toBe(3);
    },
  },
  'cluster-autoscaler/nottriggerscaleup-templated-details.json': {
    kind: 'cluster-autoscaler.node-group-at-max',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      // The flat layout carries no cluster name: the signal says so instead of guessing.
      expect(s.resource.id).toBe('unknown-cluster/*');
      expect(s.resource.attributes.cluster).toBeUndefined();
      expect(s.resource.attributes.namespace).toBe(getString(e, 'detail.namespace'));
      expect(s.details.maxNodeGroupSizeReached).toBe(true);
    },
  },
  'cluster-autoscaler/scaledown-node-removed.json': {
    kind: 'cluster-autoscaler.scale-down',
    severity: 'info',
    resourceType: 'node-group',
    check: (s, e) => {
      expect(s.resource.attributes.node).toBe(getString(e, 'detail.involvedObject.name'));
    },
  },
  'cluster-autoscaler/scaledown.json': {
    kind: 'cluster-autoscaler.scale-down',
    severity: 'info',
    resourceType: 'node-group',
    check: (s) => {
      expect(s.resource.attributes.node).toBe('ip-10-0-12-34.eu-west-1.compute.internal');
      expect(s.details.podsToReschedule).toEqual(['checkout-7d9c8b6f5d-x2k4p', 'checkout-7d9c8b6f5d-q8m7z']);
    },
  },
  'cluster-autoscaler/scaledupgroup-size-set.json': {
    kind: 'cluster-autoscaler.scaled-up-group',
    severity: 'info',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({ fromSize: 2, toSize: 3, maxSize: 10, atMaxAfterScaleUp: false });
    },
  },
  'cluster-autoscaler/scaledupgroup.json': {
    kind: 'cluster-autoscaler.scaled-up-group',
    severity: 'info',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({ fromSize: 2, toSize: 3, maxSize: 10 });
    },
  },
  // The cloud could not provide instances: a capacity incident (issue 14), not a node group at its maximum.
  'cluster-autoscaler/scaleupfailed.json': {
    kind: 'cluster-autoscaler.scale-up-failed',
    severity: 'critical',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({
        failure: 'out-of-capacity',
        lackOfRoom: false,
        capacityShortage: true,
        errorCode: 'placeholder-cannot-be-fulfilled',
        nodes: 1,
      });
    },
  },
  'cluster-autoscaler/scaleuptimedout.json': {
    kind: 'cluster-autoscaler.scale-up-timed-out',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({ failure: 'timeout', timedOutAfter: '15m3.402536912s' });
    },
  },
  'cluster-autoscaler/triggeredscaleup.json': {
    kind: 'cluster-autoscaler.scale-up-triggered',
    severity: 'info',
    resourceType: 'node-group',
    check: (s, e) => {
      ngA(s, e);
      expect(s.details).toMatchObject({ fromSize: 2, toSize: 3, maxSize: 10 });
      expect(s.resource.attributes.pod).toBe(getString(e, 'detail.involvedObject.name'));
    },
  },
  // --- Datadog ---
  'datadog/eventbridge-alert-notification-idr-example.json': {
    kind: 'datadog.monitor-alert',
    severity: 'critical',
    resourceType: 'monitor',
    check: (s, e) => {
      const monitorId = String(get(e, 'detail.meta.monitor.id'));
      expect(s.resource.id).toBe(monitorId);
      expect(s.correlationId).toBe(getString(e, 'id'));
      expect(s.details.transition).toBe('Triggered');
      expect(s.link).toBe(`https://app.datadoghq.com/monitors/${monitorId}`);
    },
  },
  'datadog/eventbridge-alert-notification-triggered-scale-node-group.json': {
    kind: 'datadog.monitor-alert',
    severity: 'critical',
    resourceType: 'node-group',
    check: (s, e) => {
      expect(s.resource.id).toBe('prod-eu-west-1/ng-a');
      expect(s.resource.attributes).toMatchObject({
        runbook: 'scale-node-group',
        cluster: 'prod-eu-west-1',
        nodegroup: 'ng-a',
        monitorId: String(get(e, 'detail.meta.monitor.id')),
      });
      expect(s.details.runbook).toBe('scale-node-group');
      expect(s.correlationId).toBe(getString(e, 'id'));
    },
  },
  'datadog/webhook-default-payload-template.json': {
    via: 'datadog-webhook',
    error: MalformedEventError,
    because: 'an unrendered template ($ID, no alert fields) is not an alert',
  },
  'datadog/webhook-payload-template.json': {
    via: 'datadog-webhook',
    error: MalformedEventError,
    because: 'an unrendered template ($ID) is not an alert',
  },
  'datadog/webhook-no-data.json': {
    via: 'datadog-webhook',
    kind: 'datadog.monitor-no-data',
    severity: 'warning',
    resourceType: 'node-group',
    check: datadogWebhook('No Data'),
  },
  'datadog/webhook-re-triggered.json': {
    via: 'datadog-webhook',
    kind: 'datadog.monitor-alert',
    severity: 'critical',
    resourceType: 'node-group',
    check: datadogWebhook('Re-Triggered'),
  },
  'datadog/webhook-recovered.json': {
    via: 'datadog-webhook',
    kind: 'datadog.monitor-recovered',
    severity: 'info',
    resourceType: 'node-group',
    check: datadogWebhook('Recovered'),
  },
  'datadog/webhook-triggered.json': {
    via: 'datadog-webhook',
    kind: 'datadog.monitor-alert',
    severity: 'critical',
    resourceType: 'node-group',
    check: datadogWebhook('Triggered'),
  },
  'datadog/webhook-warn.json': {
    via: 'datadog-webhook',
    kind: 'datadog.monitor-warn',
    severity: 'warning',
    resourceType: 'node-group',
    check: (s, e) => {
      datadogWebhook('Warn')(s, e);
      expect(s.correlationId).toBe('9007199254740993');
    },
  },
  // --- Backup verification failures (emitted by verify-backups itself) ---
  'backup-verification/backup-failed-ebs-stale.json': {
    kind: 'backup-verification.backup-failed',
    severity: 'critical',
    resourceType: 'ebs-volume',
    check: (s, e) => {
      expect(s.resource.id).toBe(getString(e, 'detail.resource.id'));
      expect(s.details.failedChecks).toEqual(['fresh']);
      expect(s.request).toBeUndefined();
    },
  },
  'backup-verification/backup-failed-dr-copy-missing.json': {
    kind: 'backup-verification.backup-failed',
    severity: 'critical',
    resourceType: 'ebs-volume',
    check: (s) => expect(s.details.failedChecks).toEqual(['dr-copy']),
  },
  // --- Schedules ---
  'schedule/scheduled-event-rule.json': {
    kind: 'schedule.tick',
    severity: 'info',
    resourceType: 'schedule',
    check: (s, e) => {
      const ruleArn = getString(e, 'resources.0');
      expect(s.resource.id).toBe(`rule/${ruleArn.split('/').pop()}`);
      expect(s.correlationId).toBe(getString(e, 'id'));
      expect(s.actor?.type).toBe('automation');
    },
  },
  'schedule/scheduler-target-input-template.json': {
    via: 'scheduler',
    error: MalformedEventError,
    because: 'context attributes left as <aws.scheduler.*> placeholders are not a schedule invocation',
  },
  'schedule/scheduler-target-input.json': {
    via: 'scheduler',
    kind: 'schedule.tick',
    severity: 'info',
    resourceType: 'schedule',
    check: (s, e) => {
      expect(s.request).toMatchObject({ runbook: getString(e, 'runbook'), parameters: {} });
      expect(s.request?.requestedBy).toBe(`schedule:${getString(e, 'scheduleArn').split('/').pop()}`);
      expect(s.correlationId).toBe(getString(e, 'executionId'));
      expect(s.occurredAt).toBe(isoOf(getString(e, 'scheduledTime')));
      expect(s.details.attemptNumber).toBe(1);
    },
  },
  // --- Slack: the endpoint (a later issue) turns these into manualSignal(...); they are not EventBridge events ---
  'slack/block-actions-payload.json': {
    error: UnrecognisedEventError,
    because: 'a Slack interaction payload is not an EventBridge event',
  },
  'slack/signing-example.json': {
    error: UnrecognisedEventError,
    because: 'a signing test vector is not an event',
  },
  'slack/slash-command-body.txt': {
    error: UnrecognisedEventError,
    because: 'a form-encoded Slack body is not an EventBridge event',
  },
};

function normaliseSample(file: string, via: Expectation['via']): { run: () => Signal; sample: unknown } {
  const text = sampleText(file);
  if (via === 'datadog-webhook') {
    const sample = JSON.parse(text) as object;
    textBySample.set(sample, text);
    return { run: () => normaliseDatadogWebhook(text), sample };
  }
  const sample: unknown = file.endsWith('.json') ? JSON.parse(text) : text;
  if (via === 'scheduler') return { run: () => scheduleSignal(sample), sample };
  return { run: () => normaliseEvent(sample), sample };
}

describe('events: every recorded sample normalises to the signal we expect', () => {
  const files = listSampleFiles();

  it('has an expectation for every sample file (a new sample must be asserted here)', () => {
    // Prepare / Act
    const missing = files.filter((f) => !(f in EXPECTATIONS));
    const stale = Object.keys(EXPECTATIONS).filter((f) => !files.includes(f));
    // Assess
    expect(missing).toEqual([]);
    expect(stale).toEqual([]);
  });

  const cases = files
    .filter((f) => f in EXPECTATIONS)
    .map((f) => [f, EXPECTATIONS[f] as Expectation] as const);

  it.each(cases.filter(([, x]) => 'kind' in x))(
    '%s → its kind, severity and resource',
    (file, expectation) => {
      const x = expectation as SignalExpectation;
      // Prepare
      const { run, sample } = normaliseSample(file, x.via);
      // Act
      const signal = run();
      // Assess
      expect(SignalSchema.safeParse(signal).success).toBe(true);
      expect(signal.kind).toBe(x.kind);
      expect(signal.severity).toBe(x.severity);
      expect(signal.resource.type).toBe(x.resourceType);
      expect(signal.summary).not.toMatch(/\n/);
      if (x.via !== 'datadog-webhook') expect(signal.raw).toBe(sample);
      x.check?.(signal, sample);
    },
  );

  it.each(cases.filter(([, x]) => 'error' in x))('%s → a clear error', (file, expectation) => {
    const x = expectation as ErrorExpectation;
    // Prepare
    const { run } = normaliseSample(file, x.via);
    // Act / Assess
    expect(run, x.because).toThrow(x.error);
  });
});
