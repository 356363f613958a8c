import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { StageConfig } from '../../config/index.js';
import type { Signal } from '../../events/signal.js';
import { logNotifier } from '../../functions/intake/core.js';
import { GuardStore, ssmFlagReader } from '../../functions/intake/guard-store.js';
import type { WebhookDeps } from '../../functions/intake/ingest.js';
import type { OpsLogger } from '../../functions/shared/powertools.js';
import type { LocalDynamo } from '../support/dynalite.js';

/** Recorded samples turned into storm traffic for the intake benchmarks: realistic payloads, varied ids. */
const SAMPLES = join(import.meta.dirname, '../../events/samples');
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as Record<string, unknown>;

/** Deterministic pseudo-random numbers (mulberry32), so every run replays the same storm. */
/** Every recorded event sample's text (events/samples/<source>/*.json), Slack's and templates left out. */
export function sampleTexts(): string[] {
  const samples = join(import.meta.dirname, '../../events/samples');
  const texts: string[] = [];
  for (const dir of readdirSync(samples)) {
    if (dir === 'slack' || dir.includes('.')) continue;
    for (const f of readdirSync(join(samples, dir)).filter(
      (x) => x.endsWith('.json') && !x.includes('template'),
    )) {
      texts.push(readFileSync(join(samples, dir, f), 'utf8'));
    }
  }
  return texts;
}

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uuid = (n: number, salt: number) => {
  const hex = (n * 2654435761 + salt * 97).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(0, 3)}-8${hex.slice(3, 6)}-${hex}`;
};
const volumeId = (n: number) => `vol-${n.toString(16).padStart(17, '0')}`;

/** One unit of storm traffic: an EventBridge event (object) or a Datadog webhook body (text). */
export type StormItem = { kind: 'event'; event: unknown } | { kind: 'webhook'; body: string };

export function autoscalerFailed(n: number, at: Date, group: string): StormItem {
  const e = sample('cluster-autoscaler/failedtoscaleupgroup.json');
  const detail = e.detail as Record<string, unknown>;
  const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    kind: 'event',
    event: {
      ...e,
      id: uuid(n, 1),
      time: iso,
      detail: {
        ...detail,
        clusterName: 'dev-platform',
        firstTimestamp: iso,
        lastTimestamp: iso,
        message: String(detail.message).replace('eks-ng-a-', `eks-${group}-`),
      },
    },
  };
}

export function volumeDetached(n: number, at: Date, volume: number): StormItem {
  const e = sample('cloudtrail/ec2-detachvolume.json');
  const detail = e.detail as Record<string, unknown>;
  const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    kind: 'event',
    event: {
      ...e,
      id: uuid(n, 2),
      time: iso,
      detail: {
        ...detail,
        eventID: uuid(n, 3),
        eventTime: iso,
        requestParameters: { ...(detail.requestParameters as object), volumeId: volumeId(volume) },
        responseElements: { ...(detail.responseElements as object), volumeId: volumeId(volume) },
      },
    },
  };
}

export function secretRead(n: number, at: Date, secret: string): StormItem {
  const e = sample('cloudtrail/secretsmanager-getsecretvalue-sso-user.json');
  const detail = e.detail as Record<string, unknown>;
  const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    kind: 'event',
    event: {
      ...e,
      id: uuid(n, 4),
      time: iso,
      detail: {
        ...detail,
        eventID: uuid(n, 5),
        eventTime: iso,
        requestParameters: { ...(detail.requestParameters as object), secretId: secret },
      },
    },
  };
}

/** The flapping monitor: one Datadog monitor going Triggered → Recovered → Re-Triggered … over webhooks. */
export function monitorFlap(
  n: number,
  at: Date,
  transition: 'Triggered' | 'Recovered' | 'Re-Triggered',
): StormItem {
  const text = readFileSync(join(SAMPLES, 'datadog/webhook-triggered.json'), 'utf8')
    .replaceAll('prod-eu-west-1', 'dev-platform')
    .replaceAll('ng-a', 'dev-platform-flap')
    .replace('"7281010972796602671"', `"${7281010972796602671n + BigInt(n)}"`)
    .replaceAll('"1722429060000"', `"${at.getTime()}"`)
    .replace('"alert_transition": "Triggered"', `"alert_transition": "${transition}"`);
  return { kind: 'webhook', body: text };
}

/** Routine traffic that never starts anything: successful launches, a notification-worthy KMS call. */
export function noise(n: number, at: Date): StormItem {
  const name =
    n % 3 === 0 ? 'cloudtrail/kms-disablekey.json' : 'autoscaling/ec2-instance-launch-successful.json';
  const e = sample(name);
  return { kind: 'event', event: { ...e, id: uuid(n, 6), time: at.toISOString().replace(/\.\d{3}Z$/, 'Z') } };
}

/**
 * The intake-speed bench's generated storm, each event as the text it arrives as: volumes detached, node
 * groups failing to scale, secrets read, a flapping Datadog monitor over webhooks, routine noise the
 * intake rejects. Deterministic (fixed seed): test/unit/intake/decisions-unchanged.test.ts pins what the
 * intake decides for every one of them.
 */
export function speedStormTexts(count = 2000): string[] {
  const random = prng(20261207);
  const base = Date.parse('2026-11-22T10:00:00Z');
  const groups = ['dev-platform-a', 'dev-platform-b', 'dev-platform-c'];
  const flaps = ['Triggered', 'Recovered', 'Re-Triggered', 'Recovered'] as const;
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(base + i * 250);
    const r = random();
    let item: StormItem;
    if (r < 0.35) item = volumeDetached(i, at, Math.floor(random() * 400));
    else if (r < 0.55) item = autoscalerFailed(i, at, groups[i % groups.length] as string);
    else if (r < 0.65)
      item = secretRead(i, at, random() < 0.5 ? 'dev/rds/app-user' : 'dev/api/partner-token');
    else if (r < 0.8) item = monitorFlap(i, at, flaps[i % flaps.length] as 'Triggered');
    else item = noise(i, at);
    texts.push(item.kind === 'event' ? JSON.stringify(item.event) : item.body);
  }
  return texts;
}

export const silentLogger: OpsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  appendKeys: () => undefined,
};

export const STATE_MACHINES = Object.fromEntries(
  ['scale-node-group', 'snapshot-volume', 'rotate-secret', 'update-dns', 'verify-backups'].map((r) => [
    r,
    `arn:aws:states:eu-west-1:111111111111:stateMachine:ops-dev-${r}`,
  ]),
);

/** One StartExecution call as the fake Step Functions received it. */
export interface StartCall {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
}

/**
 * The intake's dependencies against a real guard store (dynalite): Step Functions and SSM faked at the
 * SDK boundary. `started` records every StartExecution name, in order; `starts` the whole calls.
 * `onStart` (optional) runs inside each StartExecution, with the guard store, before it answers: the storm
 * uses it to end each run at once, as the run's end hook would.
 */
export async function intakeOnDynalite(
  db: LocalDynamo,
  stage: StageConfig,
  tableName: string,
  options: { readonly onStart?: (call: StartCall, store: GuardStore) => Promise<void> } = {},
): Promise<{ deps: WebhookDeps; started: string[]; starts: StartCall[]; restore: () => void }> {
  await db.createTable({ name: tableName, partitionKey: 'pk' });
  const started: string[] = [];
  const starts: StartCall[] = [];
  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).callsFake(async (input: StartCall) => {
    started.push(input.name);
    starts.push({ stateMachineArn: input.stateMachineArn, name: input.name, input: input.input });
    await options.onStart?.(input, store);
    return {
      executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    };
  });
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
  const store = new GuardStore({
    doc: db.doc,
    tableName,
    stage: stage.name,
    flags: ssmFlagReader(new SSMClient({ region: 'eu-west-1' }), 5),
  });
  const deps: WebhookDeps = {
    sfn: new SFNClient({ region: 'eu-west-1' }),
    store,
    stateMachines: STATE_MACHINES,
    stage: stage.name,
    automation: stage.automation,
    logger: silentLogger,
    notifier: logNotifier(silentLogger),
    webhookToken: async () => 'bench-token',
  };
  return {
    deps,
    started,
    starts,
    restore: () => {
      sfn.restore();
      ssm.restore();
    },
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export type { Signal };
