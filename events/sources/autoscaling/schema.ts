import * as z from 'zod';
import { EnvelopeSchema } from '../shared.js';

/**
 * EC2 Auto Scaling events on EventBridge (source `aws.autoscaling`), as in the EC2 Auto Scaling user guide's
 * event reference: instance launch / terminate (successful, unsuccessful) and lifecycle actions.
 */

export const AUTOSCALING_DETAIL_TYPES = {
  launchSucceeded: 'EC2 Instance Launch Successful',
  launchFailed: 'EC2 Instance Launch Unsuccessful',
  terminateSucceeded: 'EC2 Instance Terminate Successful',
  terminateFailed: 'EC2 Instance Terminate Unsuccessful',
  launchLifecycleAction: 'EC2 Instance-launch Lifecycle Action',
  terminateLifecycleAction: 'EC2 Instance-terminate Lifecycle Action',
} as const;

const asgName = z.string().min(1).max(255);

export const ActivityDetailSchema = z.object({
  StatusCode: z.string().optional(),
  Description: z.string().optional(),
  AutoScalingGroupName: asgName,
  ActivityId: z.string().optional(),
  Details: z.record(z.string(), z.unknown()).optional(),
  RequestId: z.string().optional(),
  StatusMessage: z.string().optional(),
  EndTime: z.string().optional(),
  EC2InstanceId: z.string().optional(),
  StartTime: z.string().optional(),
  Cause: z.string().optional(),
  Origin: z.string().optional(),
  Destination: z.string().optional(),
});

export const LifecycleDetailSchema = z.object({
  LifecycleActionToken: z.string().optional(),
  AutoScalingGroupName: asgName,
  LifecycleHookName: z.string().optional(),
  EC2InstanceId: z.string().optional(),
  LifecycleTransition: z.string().optional(),
  NotificationMetadata: z.string().optional(),
  Origin: z.string().optional(),
  Destination: z.string().optional(),
});

export const AutoScalingActivityEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.autoscaling'),
  'detail-type': z.enum([
    AUTOSCALING_DETAIL_TYPES.launchSucceeded,
    AUTOSCALING_DETAIL_TYPES.launchFailed,
    AUTOSCALING_DETAIL_TYPES.terminateSucceeded,
    AUTOSCALING_DETAIL_TYPES.terminateFailed,
  ]),
  detail: ActivityDetailSchema,
});

export const AutoScalingLifecycleEventSchema = EnvelopeSchema.extend({
  source: z.literal('aws.autoscaling'),
  'detail-type': z.enum([
    AUTOSCALING_DETAIL_TYPES.launchLifecycleAction,
    AUTOSCALING_DETAIL_TYPES.terminateLifecycleAction,
  ]),
  detail: LifecycleDetailSchema,
});
