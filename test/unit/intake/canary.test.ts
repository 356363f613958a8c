import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadStage } from '../../../config/index.js';
import type { GuardStore } from '../../../functions/intake/guard-store.js';
import { handleEvent } from '../../../functions/intake/ingest.js';
import type { OpsLogger } from '../../../functions/shared/powertools.js';

/**
 * Rule canaries at the intake: a canary is recorded as one CloudWatch metric (real Powertools EMF, parsed
 * back) and nothing else happens: no policy, no guard-store access, no start, no notification. The events
 * are written by hand as EventBridge delivers what EventBridge Scheduler's EventBridge target puts
 * (Source / DetailType from the target's EventBridgeParameters, Input as the detail).
 */
const sfnMock = mockClient(SFNClient);
const dev = loadStage('dev');

interface Line {
  level: string;
  message: string;
  extra?: unknown;
}

function recordingLogger(lines: Line[]): OpsLogger {
  const log = (level: string) => (message: string, extra?: unknown) =>
    void lines.push({ level, message, extra });
  return {
    info: log('info') as OpsLogger['info'],
    warn: log('warn') as OpsLogger['warn'],
    error: log('error') as OpsLogger['error'],
    debug: log('debug') as OpsLogger['debug'],
    appendKeys: () => undefined,
  };
}

/** A guard store that fails the test if anything touches it. */
const untouchableStore = new Proxy(
  {},
  {
    get(_t, prop) {
      throw new Error(`the guard store was used (${String(prop)}) for a canary`);
    },
  },
) as GuardStore; // a Proxy stands in for the class: any property access fails the test

let lines: Line[];
let emf: string[];
let notified: number;

beforeEach(() => {
  sfnMock.reset();
  lines = [];
  emf = [];
  notified = 0;
  // Powertools metrics print EMF through the global console in dev mode, when explicitly enabled.
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void emf.push(String(line)));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function deps() {
  return {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store: untouchableStore,
    stateMachines: { 'scale-node-group': 'arn:aws:states:eu-west-1:111111111111:stateMachine:x' },
    stage: 'dev',
    automation: dev.automation,
    logger: recordingLogger(lines),
    notifier: { notify: async () => void notified++ },
    metrics: new Metrics({ namespace: 'OpsAutomation', serviceName: 'intake' }),
  };
}

const delivered = (detailType: string, detail: unknown) => ({
  version: '0',
  id: '5e0c2a43-6d0a-4b55-9d71-3a52b5d0c9e1',
  'detail-type': detailType,
  source: 'ops.canary',
  account: '111111111111',
  time: '2026-12-07T06:15:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

describe('intake: rule canaries', () => {
  it('records a canary as the CanaryArrived metric of its rule, and does nothing else', async () => {
    const out = await handleEvent(
      delivered('Ops Rule Canary', {
        rule: 'ops-dev-cloudtrail-write-calls',
        scheduledTime: '2026-12-07T06:15:00Z',
      }),
      deps(),
    );
    expect(out).toEqual([]);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(notified).toBe(0);
    expect(emf).toHaveLength(1);
    const metric = JSON.parse(emf[0] ?? '{}');
    // EMF as CloudWatch reads it: namespace, one dimension set, the value under the metric's name.
    expect(metric._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'OpsAutomation',
        Dimensions: [['service', 'rule']],
        Metrics: [{ Name: 'CanaryArrived', Unit: 'Count' }],
      },
    ]);
    expect(metric).toMatchObject({
      service: 'intake',
      rule: 'ops-dev-cloudtrail-write-calls',
      CanaryArrived: 1,
    });
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });

  it('refuses a canary-sourced event that names no rule: logged as rejected, no metric', async () => {
    const out = await handleEvent(delivered('Ops Rule Canary', { rule: '' }), deps());
    expect(out).toEqual([]);
    expect(emf).toEqual([]);
    expect(lines.map((l) => l.message)).toContain('rejected event');
  });

  it('never lets a canary-sourced event pass as CloudTrail, whatever it claims', async () => {
    const forged = delivered('AWS API Call via CloudTrail', {
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: { name: 'org-trail' },
    });
    const out = await handleEvent(forged, deps());
    expect(out).toEqual([]);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(notified).toBe(0);
    expect(emf).toEqual([]);
    expect(lines.map((l) => l.message)).toContain('rejected event');
  });
});
