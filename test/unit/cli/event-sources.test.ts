import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lazySourceFor, signalFromTextLazily } from '../../../bin/cli/event-sources.js';
import type { Io } from '../../../bin/cli/io.js';
import { safeJson } from '../../../bin/cli/sanitise.js';
import { renderPlan } from '../../../bin/commands/plan.js';
import { loadStage, stageNames } from '../../../config/index.js';
import {
  BACKUP_VERIFICATION_DETAIL_TYPE,
  BACKUP_VERIFICATION_SOURCE,
  CANARY_DETAIL_TYPE,
  CANARY_SOURCE,
  CLOUDTRAIL_API_CALL,
  CLOUDTRAIL_CONSOLE_SIGN_IN,
  DATADOG_DETAIL_TYPE,
  DATADOG_PARTNER_SOURCE_PREFIX,
  EVENT_RULES,
  KUBERNETES_EVENT_DETAIL_TYPE,
  KUBERNETES_EVENT_SOURCE,
  SWEEP_DETAIL_TYPE,
  SWEEP_SOURCE,
} from '../../../events/index.js';
import { AUTOSCALING_DETAIL_TYPES } from '../../../events/sources/autoscaling/schema.js';
import { SCHEDULED_EVENT_DETAIL_TYPE } from '../../../events/sources/schedule/schema.js';
import { normaliseOptions, planEvent, signalFromText } from '../../../functions/intake/plan.js';
import { ROOT } from '../../support/ops-cli.js';

/**
 * `ops plan` loads only the normaliser its event needs (bin/cli/event-sources.ts). Its answer must be
 * `signalFromText`'s (functions/intake/plan.ts, every source through events/index.ts's `normaliseEvent`):
 * checked for every recorded sample and for every pairing of the sources and detail-types events/ knows
 * (its constants and rule patterns, and near misses), signal for signal and error for error. And the
 * pre-built command (dist/plan.mjs, which the vitest set-up builds) prints what the source prints.
 */

const options = normaliseOptions(loadStage('dev'));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
const SAMPLES = files(join(ROOT, 'events/samples'));
const CORPUS = files(join(ROOT, 'test/fixtures/cloudtrail'));

type Outcome = { signal: unknown } | { error: { name: string; message: string; source?: unknown } };

function outcome(read: () => unknown): Outcome {
  try {
    return { signal: read() };
  } catch (err) {
    const e = err as Error & { source?: unknown };
    return { error: { name: e.name, message: e.message, source: e.source } };
  }
}

async function lazily(text: string): Promise<Outcome> {
  try {
    return { signal: await signalFromTextLazily(text, options) };
  } catch (err) {
    const e = err as Error & { source?: unknown };
    return { error: { name: e.name, message: e.message, source: e.source } };
  }
}

describe('ops plan: each event source loaded on demand', () => {
  it('reads every sample and every recorded CloudTrail fixture as signalFromText does', async () => {
    const checked = [...SAMPLES, ...CORPUS];
    expect(SAMPLES.length).toBeGreaterThan(50);
    for (const file of checked) {
      const text = readFileSync(file, 'utf8');
      expect(await lazily(text), relative(ROOT, file)).toEqual(outcome(() => signalFromText(text, options)));
    }
  });

  it('claims every sample event that normaliseEvent recognises (none falls back to loading every source)', () => {
    const recognised = SAMPLES.map(
      (file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
    )
      .filter((event) => 'detail-type' in event || 'scheduleArn' in event)
      .filter((event) => 'signal' in outcome(() => signalFromText(JSON.stringify(event), options)));
    // Every source with samples: CloudTrail, autoscaling, cluster-autoscaler, Datadog, both schedules, backups.
    expect(recognised.length).toBeGreaterThan(40);
    for (const event of recognised)
      expect(lazySourceFor(event), `${event.source} / ${event['detail-type']}`).toBeDefined();
  });

  it('gives the same signal or error for every pairing of known sources and detail-types', async () => {
    // The strings events/ knows, from its constants and its rules' patterns, and near misses of them.
    const patterns = EVENT_RULES.map((r) => r.pattern as Record<string, unknown>);
    const listed = (key: string) =>
      patterns
        .flatMap((p) => (Array.isArray(p[key]) ? (p[key] as unknown[]) : []))
        .filter((v): v is string => typeof v === 'string');
    const sources = new Set<unknown>([
      ...listed('source'),
      KUBERNETES_EVENT_SOURCE,
      `${DATADOG_PARTNER_SOURCE_PREFIX}/datadog`,
      DATADOG_PARTNER_SOURCE_PREFIX,
      `${DATADOG_PARTNER_SOURCE_PREFIX}x/datadog`,
      BACKUP_VERIFICATION_SOURCE,
      SWEEP_SOURCE,
      CANARY_SOURCE,
      'aws.autoscaling',
      'aws.events',
      'aws.ec2',
      'aws',
      'ops.other',
      undefined,
      42,
    ]);
    const detailTypes = new Set<unknown>([
      ...listed('detail-type'),
      CLOUDTRAIL_API_CALL,
      CLOUDTRAIL_CONSOLE_SIGN_IN,
      ...Object.values(AUTOSCALING_DETAIL_TYPES),
      KUBERNETES_EVENT_DETAIL_TYPE,
      DATADOG_DETAIL_TYPE,
      SCHEDULED_EVENT_DETAIL_TYPE,
      BACKUP_VERIFICATION_DETAIL_TYPE,
      SWEEP_DETAIL_TYPE,
      CANARY_DETAIL_TYPE,
      'Other',
      undefined,
    ]);
    // One body per kind of sample, each put under every envelope.
    const bodies = new Map<string, Record<string, unknown>>();
    for (const file of SAMPLES) {
      const event = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      bodies.set(`${event.source}|${event['detail-type']}|${'scheduleArn' in event}`, event);
    }
    let pairs = 0;
    for (const body of bodies.values())
      for (const source of sources)
        for (const detailType of detailTypes) {
          const event: Record<string, unknown> = { ...body };
          if (source === undefined) delete event.source;
          else event.source = source;
          if (detailType === undefined) delete event['detail-type'];
          else event['detail-type'] = detailType;
          const text = JSON.stringify(event);
          expect(await lazily(text), `${String(source)} / ${String(detailType)}`).toEqual(
            outcome(() => signalFromText(text, options)),
          );
          pairs++;
        }
    expect(pairs).toBeGreaterThan(1000);
  });
});

describe('ops plan: the pre-built command prints what the source prints', () => {
  it('for every sample, in every stage, as JSON and as the summary', async () => {
    // dist/plan.mjs: the bundle and its code cache, as bin/ops.mjs runs it.
    const { plan } = (await import(pathToFileURL(join(ROOT, 'dist', 'plan.mjs')).href)) as {
      plan: typeof import('../../../bin/commands/plan.js').plan;
    };
    for (const stageName of stageNames()) {
      const stage = loadStage(stageName);
      for (const file of SAMPLES) {
        for (const json of [false, true]) {
          const out: string[] = [];
          const err: string[] = [];
          const io: Io = {
            out: (t) => out.push(t),
            err: (t) => err.push(t),
            colour: false,
            env: {},
            readStdin: async () => '',
          };
          const built = await plan(
            file,
            { stage: stageName, json },
            { io, loadStage: () => stage, stageNames },
          )
            .then((code) => ({ code, out }))
            .catch((e: Error) => ({ error: e.message }));
          const expected = outcome(() => planEvent(readFileSync(file, 'utf8'), stage));
          if ('signal' in expected) {
            const output = expected.signal as Parameters<typeof renderPlan>[1];
            const text = json ? safeJson(output) : renderPlan(io, output, stage.name);
            expect(built, `${stageName} ${relative(ROOT, file)}`).toEqual({ code: 0, out: [text] });
          } else {
            expect('error' in built, `${stageName} ${relative(ROOT, file)}`).toBe(true);
          }
          expect(err).toEqual([]);
        }
      }
    }
  });
});
