import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MalformedEventError,
  manualSignal,
  normaliseDatadogWebhook,
  normaliseEvent,
  type Signal,
  SignalSchema,
  scheduleSignal,
  UnrecognisedEventError,
} from '../../../events/index.js';
import { listSampleFiles, sampleJson, sampleText } from './support.js';

/**
 * Property: whatever arrives, the normalisers either return a Signal that passes SignalSchema, or throw one
 * of the two documented errors. Never a TypeError, never a half-built signal.
 */

type Outcome = 'signal' | 'unrecognised' | 'malformed';

function outcomeOf(run: () => Signal): Outcome {
  let signal: Signal;
  try {
    signal = run();
  } catch (error) {
    if (error instanceof UnrecognisedEventError) return 'unrecognised';
    if (error instanceof MalformedEventError) return 'malformed';
    throw error; // anything else fails the property, with the input shown by fast-check
  }
  const checked = SignalSchema.safeParse(signal);
  if (!checked.success) throw new Error(`invalid Signal: ${checked.error.message}`);
  if (/[\r\n]/.test(signal.summary)) throw new Error(`multi-line summary: ${signal.summary}`);
  return 'signal';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside a JSON document (objects and arrays included). */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  }
  if (!Array.isArray(value) && value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Mutation = { kind: 'delete' } | { kind: 'replace'; value: Json };

function mutateAt(doc: Json, path: (string | number)[], mutation: Mutation): Json {
  if (path.length === 0) return mutation.kind === 'replace' ? mutation.value : null;
  const copy = structuredClone(doc);
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return copy;
    parent = (parent as Record<string | number, Json>)[key] as Json;
  }
  if (parent === null || typeof parent !== 'object') return copy;
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete (parent as Record<string, Json>)[last];
  } else {
    (parent as Record<string | number, Json>)[last] = mutation.value;
  }
  return copy;
}

/** Values that break naive code: wrong types, empty and odd strings, huge and special numbers, deep nesting. */
const nasty: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    '',
    ' ',
    '0',
    '-1',
    'NaN',
    '1e400',
    '9007199254740993',
    '0.0.0.0/0',
    '$ID',
    '<aws.scheduler.schedule-arn>',
    'arn:aws:sts::123456789012:assumed-role/',
    'eks-',
    "pod didn't trigger scale-up: ",
    '[{x 1->2 (max: 3)}]',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    true,
    false,
    0,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER,
    1e308,
    [],
    {},
    [null],
    { items: null },
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'delete' }) },
  { weight: 3, arbitrary: nasty.map((value): Mutation => ({ kind: 'replace', value })) },
);

function mutatedSamples(files: string[], parse: (file: string) => Json): fc.Arbitrary<Json> {
  const docs = files.map(parse);
  return fc.integer({ min: 0, max: docs.length - 1 }).chain((i) => {
    const doc = docs[i] as Json;
    const paths = pathsOf(doc);
    return fc
      .array(fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), mutation), {
        minLength: 1,
        maxLength: 4,
      })
      .map((changes) =>
        changes.reduce<Json>((acc, [p, m]) => mutateAt(acc, paths[p] as (string | number)[], m), doc),
      );
  });
}

const eventBridgeFiles = listSampleFiles().filter(
  (f) => f.endsWith('.json') && !f.startsWith('datadog/webhook-') && !f.startsWith('slack/'),
);
const webhookFiles = listSampleFiles().filter((f) => f.startsWith('datadog/webhook-'));

describe('events properties: no input crashes a normaliser or yields an invalid Signal', () => {
  it('random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (raw) => {
        outcomeOf(() => normaliseEvent(raw));
      }),
      { numRuns: 1500 },
    );
  });

  it('random details under every envelope we recognise', () => {
    const envelopes = eventBridgeFiles.map((f) => sampleJson(f) as Record<string, unknown>);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: envelopes.length - 1 }),
        fc.jsonValue({ maxDepth: 4 }),
        (i, detail) => {
          outcomeOf(() => normaliseEvent({ ...envelopes[i], detail }));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('samples with 1 to 4 random mutations (deleted fields, wrong types, odd values)', () => {
    const outcomes: Record<Outcome, number> = { signal: 0, unrecognised: 0, malformed: 0 };
    fc.assert(
      fc.property(
        mutatedSamples(eventBridgeFiles, (f) => sampleJson(f) as Json),
        (raw) => {
          outcomes[outcomeOf(() => normaliseEvent(raw))] += 1;
        },
      ),
      { numRuns: 4000 },
    );
    // The mutations must exercise every path: many still normalise, many are refused.
    expect(outcomes.signal).toBeGreaterThan(100);
    expect(outcomes.malformed + outcomes.unrecognised).toBeGreaterThan(100);
  });

  it('Datadog webhook bodies: random text, and the samples mutated then re-serialised', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        outcomeOf(() => normaliseDatadogWebhook(text));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        mutatedSamples(webhookFiles, (f) => JSON.parse(sampleText(f)) as Json),
        (doc) => {
          outcomeOf(() => normaliseDatadogWebhook(JSON.stringify(doc)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('Scheduler inputs and manual requests built from random values', () => {
    const schedulerInput = sampleJson('schedule/scheduler-target-input.json') as Json;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), mutation), { minLength: 1, maxLength: 3 }),
        (changes) => {
          const paths = pathsOf(schedulerInput);
          const raw = changes.reduce<Json>(
            (acc, [p, m]) => mutateAt(acc, paths[p % paths.length] as (string | number)[], m),
            schedulerInput,
          );
          outcomeOf(() => scheduleSignal(raw));
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            runbook: nasty,
            parameters: nasty,
            requestedBy: nasty,
            channel: nasty,
            threadTs: nasty,
            responseUrl: nasty,
            at: nasty,
            via: fc.constantFrom<Json>('slack', 'cli', 'email', null),
          },
          { requiredKeys: [] },
        ),
        (request) => {
          outcomeOf(() => manualSignal(request as Parameters<typeof manualSignal>[0]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
