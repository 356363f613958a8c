import type { Details, Resource, Severity, Signal } from '../../signal.js';
import { compactDetails, EnvelopeSchema, finalise, oneLine, parseOrThrow, requireIso } from '../shared.js';
import {
  type ParsedSweepFinding,
  SWEEP_DETAIL_TYPE,
  SWEEP_SOURCE,
  type SweepCondition,
  type SweepFinding,
  SweepFindingSchema,
} from './schema.js';

/** How bad each condition is: the event path's severity for the same condition. */
const SEVERITY: Readonly<Record<SweepCondition, Severity>> = {
  'node-group-at-max': 'warning',
  'volume-snapshot-stale': 'critical',
  'secret-rotation-overdue': 'warning',
  'trail-not-logging': 'critical',
  'flow-logs-missing': 'critical',
  'snapshot-shared': 'critical',
  'db-snapshot-shared': 'critical',
  'dns-record-drifted': 'warning',
};

/** The event the sweep function hands the intake for one finding (EventBridge's envelope shape). */
export function sweepEvent(
  finding: SweepFinding,
  meta: { readonly id: string; readonly account?: string; readonly region?: string },
): Record<string, unknown> {
  return {
    version: '0',
    id: meta.id,
    'detail-type': SWEEP_DETAIL_TYPE,
    source: SWEEP_SOURCE,
    ...(meta.account ? { account: meta.account } : {}),
    time: finding.observedAt,
    ...(meta.region ? { region: meta.region } : {}),
    resources: [],
    detail: finding,
  };
}

/**
 * A sweep finding event → `Signal` (source `sweep`, kind `sweep.<condition>`). No actor: a sweep
 * observes a state, it did not cause it (and an `automation` actor would be dropped by loop protection).
 */
export function normaliseSweep(raw: unknown): Signal {
  const envelope = parseOrThrow(EnvelopeSchema, raw, 'sweep', 'EventBridge envelope');
  const finding = parseOrThrow(SweepFindingSchema, envelope.detail, 'sweep', 'sweep finding');
  const details: Details = compactDetails({
    ...finding.facts,
    condition: finding.condition,
    check: finding.check,
    detectedBy: 'sweep',
  });
  return finalise(
    {
      source: 'sweep',
      kind: `sweep.${finding.condition}`,
      resource: {
        ...finding.resource,
        type: finding.resource.type as Resource['type'],
        ...((finding.resource.region ?? envelope.region)
          ? { region: finding.resource.region ?? envelope.region }
          : {}),
      },
      severity: SEVERITY[finding.condition],
      occurredAt: requireIso(finding.observedAt, 'sweep', 'observedAt'),
      correlationId: envelope.id,
      details,
      summary: oneLine(`sweep ${finding.check}: ${finding.summary}`),
      raw,
    },
    'sweep',
  );
}

const condition = (signal: Signal) => signal.details.condition as ParsedSweepFinding['condition'];

/**
 * A sweep finding seen as CloudTrail would have told it: the call that found it (`eventName`, so the
 * words stay true), flagged like the normaliser flags, and `causedBy`, the call whose effect was found,
 * for a rule that repairs by cause.
 */
function asCloudTrail(signal: Signal, readCall: string, causedBy: string, reason: string): Signal {
  return {
    ...signal,
    source: 'cloudtrail',
    kind: 'cloudtrail.api-call',
    details: {
      ...signal.details,
      eventName: readCall,
      causedBy,
      securityRelevant: true,
      securityReason: reason,
      change: signal.summary,
    },
  };
}

/**
 * What the policy sees for a signal: the signal itself, or, for a sweep finding of a condition that has an
 * event path, that condition as its event source describes it, so the SAME policy rule decides it with the
 * same parameters, and so the same execution name (runbook + resource key + window) de-duplicates an event
 * and a sweep finding of one condition. Only the policy sees this view: the run's trigger, audit and
 * notifications keep the sweep signal as it is. Conditions without an event path stay `sweep.*` signals
 * (functions/intake/policy/sweep.ts decides them).
 */
export function decidedAs(signal: Signal): Signal {
  if (signal.source !== 'sweep') return signal;
  const attributes = signal.resource.attributes;
  switch (condition(signal)) {
    case 'node-group-at-max':
      return {
        ...signal,
        source: 'cluster-autoscaler',
        kind: 'cluster-autoscaler.node-group-at-max',
        details: {
          ...signal.details,
          ...(attributes.cluster ? { cluster: attributes.cluster } : {}),
          ...(attributes.nodegroup ? { nodegroup: attributes.nodegroup } : {}),
          maxNodeGroupSizeReached: true,
        },
      };
    case 'volume-snapshot-stale': {
      const failed = signal.details.failedCheck === 'exists' ? 'exists' : 'fresh';
      return {
        ...signal,
        source: 'backup-verification',
        kind: 'backup-verification.backup-failed',
        details: { ...signal.details, backupClass: 'ebs', failedChecks: [failed], reason: signal.summary },
      };
    }
    case 'trail-not-logging':
      return asCloudTrail(signal, 'GetTrailStatus', 'StopLogging', 'audit logging stopped');
    case 'flow-logs-missing':
      return asCloudTrail(signal, 'DescribeFlowLogs', 'DeleteFlowLogs', 'VPC flow logs deleted');
    case 'snapshot-shared':
      return asCloudTrail(
        signal,
        'DescribeSnapshotAttribute',
        'ModifySnapshotAttribute',
        'EBS snapshot shared',
      );
    case 'db-snapshot-shared':
      return asCloudTrail(
        signal,
        'DescribeDBSnapshotAttributes',
        'ModifyDBSnapshotAttribute',
        'RDS snapshot shared',
      );
    default:
      return signal;
  }
}
