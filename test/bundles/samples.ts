import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalRequestEvent } from '../../functions/approval/core.js';
import type { ReportEvent } from '../../functions/report/schema.js';
import type { RotationEvent } from '../../runbooks/rotate-secret/steps/protocol.js';
import { evaluateItem } from '../../runbooks/verify-backups/logic.js';
import type { BuildReportEvent } from '../../runbooks/verify-backups/steps/build-report.js';
import { buildReportStep } from '../../runbooks/verify-backups/steps/build-report.js';
import type { CheckDatabaseEvent } from '../../runbooks/verify-backups/steps/check-database.js';
import type { CheckVolumeContentEvent } from '../../runbooks/verify-backups/steps/check-volume-content.js';
import type { CollectEvent } from '../../runbooks/verify-backups/steps/collect.js';
import type { EvaluateEvent } from '../../runbooks/verify-backups/steps/evaluate.js';
import type { PublishEvent } from '../../runbooks/verify-backups/steps/publish.js';
import type { SweepEvent } from '../../runbooks/verify-backups/steps/sweep.js';
import { ebsItem, KEY_ARN, NOW, SETTINGS } from '../unit/verify-backups/fixtures.js';

/**
 * One sample event per Lambda entry, and what invoking it once against the refusing AWS stand-in
 * must end in:
 * - `returns`: a pure step; the handler returns a value.
 * - `aws`: the handler calls AWS; the stand-in must see a signed call from it, and the handler
 *   either returns (a handled error response) or throws the stand-in's refusal.
 * Real payloads from events/samples where the function receives one; the workflow steps' inputs
 * are built from the same fixtures their unit tests use. A new function without a sample here
 * fails the bundle test, by name.
 */
export interface Sample {
  readonly event: unknown;
  /** `refuses`: the handler throws `errorName` before any call (an allow-list refusal). */
  readonly expect: 'returns' | 'aws' | 'refuses';
  readonly errorName?: string;
  /** The invocation writes at least one log line (each must carry the request and correlation ids). */
  readonly logs?: true;
  /** The correlation id its log lines carry; default: the Lambda request id. */
  readonly correlationId?: string;
}

const SAMPLES_DIR = join(import.meta.dirname, '..', '..', 'events', 'samples');
// A trail stopped: a critical notification, so the intake loads its notifier (a dynamic import) and
// reads the Slack token from Secrets Manager.
const stopLogging = JSON.parse(
  readFileSync(join(SAMPLES_DIR, 'cloudtrail', 'cloudtrail-stoplogging.json'), 'utf8'),
) as { detail: { eventID: string } };
const EXECUTION = 'smoke-run-0001';

const evaluations = [evaluateItem(ebsItem(), SETTINGS, NOW)];
const built = buildReportStep(
  { evaluations, stage: 'dev', executionName: EXECUTION, region: 'eu-west-1', bucket: 'reports' },
  new Date(NOW),
);

const rotation: RotationEvent = {
  Step: 'createSecret',
  SecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/api/partner-token-AbCdEf',
  ClientRequestToken: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};
const approval: ApprovalRequestEvent = {
  taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAf0smoke',
  execution: EXECUTION,
  input: {
    runbook: 'snapshot-volume',
    stage: 'dev',
    parameters: { volumeId: 'vol-0123456789abcdef0' },
    dryRun: false,
    resourceKey: 'vol-0123456789abcdef0',
    reasons: ['smoke test'],
    trigger: { requestedBy: 'U0SMOKE001' },
  },
} as ApprovalRequestEvent;
const report: ReportEvent = {
  phase: 'started',
  execution: EXECUTION,
  startTime: '2026-11-22T06:00:00Z',
  input: {
    runbook: 'snapshot-volume',
    stage: 'dev',
    parameters: {},
    dryRun: true,
    mode: 'auto',
    resourceKey: 'vol-0123456789abcdef0',
    trigger: {
      source: 'cloudtrail',
      kind: 'ec2-detach-volume',
      correlationId: EXECUTION,
      occurredAt: '2026-11-22T06:00:00Z',
      summary: 'smoke',
      requestedBy: 'automation',
    },
    reasons: [],
  },
} as ReportEvent;
const collect: CollectEvent = {
  settings: {
    stage: 'dev',
    region: 'eu-west-1',
    protectedTag: { key: 'backup', value: 'required' },
    velero: { prefix: 'backups', schedules: [] },
    restore: { ebs: { enabled: false }, rds: { enabled: false, weekday: 'SUN' } },
  },
  parameters: {},
};
const sweep: SweepEvent = { olderThanMinutes: 360 };
const evaluate: EvaluateEvent = {
  item: ebsItem(),
  settings: SETTINGS,
  keyArn: KEY_ARN,
  plan: { ebs: false, rds: false, skipped: '' },
};
const buildReport: BuildReportEvent = {
  evaluations,
  stage: 'dev',
  executionName: EXECUTION,
  region: 'eu-west-1',
  bucket: 'reports',
};
const publish: PublishEvent = { report: built.report, slack: built.slack };

export const SAMPLES: Record<string, Sample> = {
  // An EventBridge CloudTrail event.
  'functions/intake/handler.ts': {
    event: stopLogging,
    expect: 'aws',
    logs: true,
    // A CloudTrail signal's correlation id is the record's eventID (events/sources/cloudtrail).
    correlationId: stopLogging.detail.eventID,
  },
  // A scheduled sweep (infra/constructs/automation/sweeps.ts): ListSecrets is refused, the run reports it.
  'functions/sweeps/handler.ts': {
    event: { checks: ['secrets'], scheduledTime: '2026-12-07T10:00:00Z' },
    expect: 'aws',
    logs: true,
  },
  // The Datadog webhook through its function URL: the token check reads Secrets Manager first.
  'functions/intake/webhook-handler.ts': {
    event: {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', authorization: 'Bearer smoke-token' },
      requestContext: { http: { method: 'POST', path: '/' }, requestId: 'smoke-http-request-1' },
      body: readFileSync(join(SAMPLES_DIR, 'datadog', 'webhook-triggered.json'), 'utf8'),
      isBase64Encoded: false,
    },
    expect: 'aws',
    logs: true,
    correlationId: 'smoke-http-request-1',
  },
  'functions/slack/handler.ts': {
    event: {
      version: '2.0',
      routeKey: 'POST /slack',
      rawPath: '/slack',
      rawQueryString: '',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-slack-signature': 'v0=0000000000000000000000000000000000000000000000000000000000000000',
      },
      requestContext: { http: { method: 'POST', path: '/slack' }, requestId: 'smoke' },
      body: readFileSync(join(SAMPLES_DIR, 'slack', 'slash-command-body.txt'), 'utf8').trim(),
      isBase64Encoded: false,
    },
    expect: 'aws',
  },
  // `/ops run snapshot-volume volumeId=…` from an on-call engineer, as the endpoint hands it over
  // (functions/slack/jobs.ts): the intake's guards on DynamoDB, then the start.
  'functions/slack/worker-handler.ts': {
    event: {
      kind: 'start',
      verb: 'run',
      runbook: 'snapshot-volume',
      parameters: { volumeId: 'vol-0123456789abcdef0' },
      dryRun: false,
      text: 'run snapshot-volume volumeId=vol-0123456789abcdef0',
      user: { id: 'U0PLATFORM1', name: 'on-call' },
      channel: 'C0DEVOPS001',
      responseUrl: 'https://hooks.slack.com/commands/T0001/1234/smoke',
      receivedAt: '2026-11-22T09:00:00.000Z',
      correlationId: '13345224609.738474920.8088930838d88f008e0',
    },
    expect: 'aws',
    correlationId: '13345224609.738474920.8088930838d88f008e0',
  },
  // A run that failed with an approval pending (the `RunEnded` rule's event).
  'functions/slack/run-ended-handler.ts': {
    event: {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { name: EXECUTION, status: 'FAILED' },
    },
    expect: 'aws',
    correlationId: EXECUTION,
  },
  // A restart outside the stage's allow-list: refused by the function itself, before any API call
  // (the EKS token is presigned locally and the cluster endpoint is never reached).
  'functions/kube/handler.ts': {
    event: {
      step: 'restart-workload',
      executionName: EXECUTION,
      workload: 'kube-system/deployment/coredns',
      restartedAt: '2026-11-22T06:00:00Z',
    },
    expect: 'refuses',
    errorName: 'NotAllowListedError',
    correlationId: EXECUTION,
  },
  // A CloudWatch alarm notification through SNS: the Slack token is read from Secrets Manager first.
  'functions/notify/alarm-handler.ts': {
    event: {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn:
            'arn:aws:sns:eu-west-1:111111111111:ops-dev-alarms:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          Sns: {
            Type: 'Notification',
            MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
            TopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops-dev-alarms',
            Subject: 'ALARM: "ops-dev-intake-errors" in EU (Ireland)',
            Message: JSON.stringify({
              AlarmName: 'ops-dev-intake-errors',
              NewStateValue: 'ALARM',
              NewStateReason: 'Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).',
              StateChangeTime: '2026-11-22T06:00:00.000+0000',
              Region: 'EU (Ireland)',
            }),
            Timestamp: '2026-11-22T06:00:00.000Z',
            SignatureVersion: '1',
            Signature: 'EXAMPLE',
            SigningCertUrl:
              'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
            UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
            MessageAttributes: {},
          },
        },
      ],
    },
    expect: 'aws',
  },
  'functions/approval/handler.ts': { event: approval, expect: 'aws', correlationId: EXECUTION },
  'functions/report/handler.ts': { event: report, expect: 'aws', correlationId: EXECUTION },
  'runbooks/rotate-secret/steps/handler.ts': {
    event: rotation,
    expect: 'aws',
    logs: true,
    correlationId: rotation.ClientRequestToken,
  },
  'runbooks/snapshot-volume/steps/handler.ts': {
    event: {
      step: 'copy',
      executionName: EXECUTION,
      snapshotId: 'snap-0123456789abcdef0',
      description: 'smoke',
      tags: [],
      settings: {
        region: 'eu-west-1',
        createdBy: 'ops-dev',
        protectedTag: { key: 'backup', value: 'required' },
        optInTag: { key: 'ops-automation', value: 'enabled' },
        pvcNamespaces: ['app'],
        keepLast: 3,
        maxAgeDays: 14,
        drRegion: 'eu-central-1',
      },
    },
    expect: 'aws',
    correlationId: EXECUTION,
  },
  'runbooks/scale-node-group/steps/handler.ts': {
    event: {
      step: 'plan',
      parameters: { cluster: 'dev-platform', nodegroup: 'dev-platform-a', reason: 'smoke test' },
      nodegroups: [
        {
          NodegroupName: 'dev-platform-a',
          ClusterName: 'dev-platform',
          Status: 'ACTIVE',
          ScalingConfig: { MinSize: 1, MaxSize: 3, DesiredSize: 3 },
        },
      ],
      settings: {
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
      },
      executionName: EXECUTION,
    },
    expect: 'returns',
    logs: true,
    correlationId: EXECUTION,
  },
  'runbooks/update-dns/steps/handler.ts': {
    event: {
      step: 'check',
      parameters: { zoneName: 'dev.example.com', recordName: 'app.dev.example.com', reason: 'smoke test' },
      settings: {
        zones: [
          {
            zoneName: 'dev.example.com',
            hostedZoneId: 'Z1',
            records: ['*.dev.example.com', 'dev.example.com'],
            overrideExternalDns: false,
          },
        ],
        loadBalancerPrefix: 'ingress',
        externalDnsTxtPrefix: '',
      },
      executionName: EXECUTION,
    },
    expect: 'returns',
    correlationId: EXECUTION,
  },
  // restore-guardrail's step entry lives in its runbook folder (one folder per runbook).
  'runbooks/restore-guardrail/steps/handler.ts': {
    event: {
      step: 'check',
      parameters: { guardrail: 'trail-logging', target: 'dev-platform-trail', reason: 'smoke test' },
      settings: {
        trails: ['dev-platform-trail'],
        flowLogs: false,
        buckets: [],
        securityGroups: [],
        snapshotOwners: [],
        trustedAccounts: [],
        optInTag: { key: 'ops-automation', value: 'enabled' },
      },
      executionName: EXECUTION,
    },
    expect: 'returns',
    correlationId: EXECUTION,
  },
  'runbooks/verify-backups/steps/handlers/collect.ts': { event: collect, expect: 'aws' },
  'runbooks/verify-backups/steps/handlers/sweep.ts': { event: sweep, expect: 'aws' },
  // Reads the snapshot's block list through the EBS direct API (refused: a failed verdict, returned).
  'runbooks/verify-backups/steps/handlers/check-volume-content.ts': {
    event: {
      snapshot: { id: 'snap-0123456789abcdef0', sizeGiB: 8 },
      sampleBlocks: 4,
    } satisfies CheckVolumeContentEvent,
    expect: 'aws',
    logs: true,
  },
  'runbooks/verify-backups/steps/handlers/evaluate.ts': { event: evaluate, expect: 'returns' },
  'runbooks/verify-backups/steps/handlers/build-report.ts': {
    event: buildReport,
    expect: 'returns',
    correlationId: EXECUTION,
  },
  'runbooks/verify-backups/steps/handlers/publish.ts': { event: publish, expect: 'aws' },
  'runbooks/verify-backups/steps/handlers/check-database.ts': {
    event: {
      observed: { DbInstances: [{ Endpoint: { Address: '127.0.0.1', Port: 9 } }] },
      checks: [{ kind: 'query', sql: 'SELECT 1', min: 1 }],
      defaultMaxAgeHours: 26,
    } satisfies CheckDatabaseEvent,
    expect: 'aws',
  },
};
