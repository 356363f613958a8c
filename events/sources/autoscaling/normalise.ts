import type { Severity, Signal } from '../../signal.js';
import {
  compactDetails,
  compactStrings,
  eksNodegroupFromAsgName,
  finalise,
  nonEmpty,
  oneLine,
  parseOrThrow,
  requireIso,
  toIso,
} from '../shared.js';
import {
  AUTOSCALING_DETAIL_TYPES,
  AutoScalingActivityEventSchema,
  AutoScalingLifecycleEventSchema,
} from './schema.js';

const ACTIVITY_KINDS: Readonly<Record<string, { kind: string; severity: Severity; verb: string }>> = {
  [AUTOSCALING_DETAIL_TYPES.launchSucceeded]: {
    kind: 'autoscaling.launch-succeeded',
    severity: 'info',
    verb: 'launched',
  },
  [AUTOSCALING_DETAIL_TYPES.launchFailed]: {
    kind: 'autoscaling.launch-failed',
    severity: 'warning',
    verb: 'failed to launch',
  },
  [AUTOSCALING_DETAIL_TYPES.terminateSucceeded]: {
    kind: 'autoscaling.terminate-succeeded',
    severity: 'info',
    verb: 'terminated',
  },
  [AUTOSCALING_DETAIL_TYPES.terminateFailed]: {
    kind: 'autoscaling.terminate-failed',
    severity: 'warning',
    verb: 'failed to terminate',
  },
};

function asgLink(region: string | undefined, name: string): string | undefined {
  if (!region) return undefined;
  return `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#AutoScalingGroupDetails:id=${encodeURIComponent(name)};view=activity`;
}

function detailString(details: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = details?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** EC2 Auto Scaling via EventBridge → Signal. */
export function normaliseAutoScaling(raw: unknown, detailType: string): Signal {
  if (
    detailType === AUTOSCALING_DETAIL_TYPES.launchLifecycleAction ||
    detailType === AUTOSCALING_DETAIL_TYPES.terminateLifecycleAction
  ) {
    const event = parseOrThrow(
      AutoScalingLifecycleEventSchema,
      raw,
      'autoscaling',
      'Auto Scaling lifecycle event',
    );
    const { region, account } = event;
    const d = event.detail;
    const name = d.AutoScalingGroupName;
    const instanceId = nonEmpty(d.EC2InstanceId);
    const launching = detailType === AUTOSCALING_DETAIL_TYPES.launchLifecycleAction;
    return finalise(
      {
        source: 'autoscaling',
        kind: launching ? 'autoscaling.launch-lifecycle-action' : 'autoscaling.terminate-lifecycle-action',
        resource: {
          type: 'auto-scaling-group',
          id: name,
          region,
          account,
          attributes: compactStrings({
            autoScalingGroupName: name,
            nodegroup: eksNodegroupFromAsgName(name),
            instanceId,
          }),
        },
        severity: 'info',
        occurredAt: requireIso(event.time, 'autoscaling', 'time'),
        correlationId: event.id,
        actor: { type: 'service', id: 'autoscaling.amazonaws.com', name: 'EC2 Auto Scaling' },
        details: compactDetails({
          detailType,
          instanceId,
          lifecycleHookName: nonEmpty(d.LifecycleHookName),
          lifecycleTransition: nonEmpty(d.LifecycleTransition),
          lifecycleActionToken: nonEmpty(d.LifecycleActionToken),
        }),
        link: asgLink(region, name),
        summary: oneLine(
          `${name}: instance ${instanceId ?? '(unknown)'} waits in lifecycle hook ${d.LifecycleHookName ?? '(unnamed)'} (${launching ? 'launching' : 'terminating'})`,
        ),
        raw,
      },
      'autoscaling',
    );
  }

  const event = parseOrThrow(
    AutoScalingActivityEventSchema,
    raw,
    'autoscaling',
    'Auto Scaling activity event',
  );
  const { region, account } = event;
  const d = event.detail;
  const meta = ACTIVITY_KINDS[detailType] ?? {
    kind: 'autoscaling.activity',
    severity: 'info' as Severity,
    verb: 'changed',
  };
  const name = d.AutoScalingGroupName;
  const instanceId = nonEmpty(d.EC2InstanceId);
  const zone = detailString(d.Details, 'Availability Zone');
  const subnetId = detailString(d.Details, 'Subnet ID');
  const statusMessage = nonEmpty(d.StatusMessage);
  return finalise(
    {
      source: 'autoscaling',
      kind: meta.kind,
      resource: {
        type: 'auto-scaling-group',
        id: name,
        region,
        account,
        attributes: compactStrings({
          autoScalingGroupName: name,
          nodegroup: eksNodegroupFromAsgName(name),
          instanceId,
          availabilityZone: zone,
          subnetId,
        }),
      },
      severity: meta.severity,
      occurredAt: toIso(d.EndTime) ?? requireIso(event.time, 'autoscaling', 'time'),
      correlationId: event.id,
      actor: { type: 'service', id: 'autoscaling.amazonaws.com', name: 'EC2 Auto Scaling' },
      details: compactDetails({
        detailType,
        statusCode: nonEmpty(d.StatusCode),
        statusMessage,
        cause: nonEmpty(d.Cause),
        activityId: nonEmpty(d.ActivityId),
        instanceId,
        availabilityZone: zone,
        subnetId,
      }),
      link: asgLink(region, name),
      summary: oneLine(
        `${name} ${meta.verb} instance ${instanceId ?? '(none)'}${zone ? ` in ${zone}` : ''}${statusMessage ? `: ${statusMessage}` : ''}`,
      ),
      raw,
    },
    'autoscaling',
  );
}
