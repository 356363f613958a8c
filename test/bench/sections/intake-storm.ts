import { loadStage, type StageConfig } from '../../../config/index.js';
import type { IntakeResult } from '../../../functions/intake/core.js';
import { handleEvent, handleWebhook } from '../../../functions/intake/ingest.js';
import { releaseLock } from '../../../functions/intake/run-end.js';
import { findRunbook } from '../../../runbooks/registry.js';
import type { RunbookInput } from '../../../runbooks/types.js';
import { startDynalite } from '../../support/dynalite.js';
import {
  autoscalerFailed,
  intakeOnDynalite,
  monitorFlap,
  noise,
  prng,
  STATE_MACHINES,
  type StormItem,
  secretRead,
  volumeDetached,
} from '../intake-fixtures.js';
import type { BenchCheck, BenchRow, BenchSection } from '../types.js';

/**
 * Storm replay (issues 2 and 17): about 10,000 events over 94 minutes of event time, so that every
 * runbook's de-duplication windows (10…60 min, aligned to the epoch) are crossed several times:
 * volumes detached, node groups failing to scale, secrets read by a human, a Datadog monitor flapping
 * Triggered / Recovered / Re-Triggered across three windows, routine noise; events placed one second
 * before, exactly on and one second after window boundaries; and re-deliveries (10%, plus every
 * boundary event) that arrive after the boundary that follows their event. Fed 32 at a time, in
 * delivery order, through the real entry points (`handleEvent`, `handleWebhook`) against the real
 * guard store on dynalite, with Step Functions faked. Each run ends as soon as it starts (its end hook
 * releases the lock, as a run's end does), and deliveries for one resource are not in flight together,
 * so the lock never decides; the storm keeps each resource within its runbook's rate limit.
 *
 * Expected: exactly one StartExecution per runbook + resource + window, where the generator derives
 * the set from the events it made, with a rule written here by hand: which kind of event starts which
 * runbook on which resource, and which window the timestamp it chose falls in (start = floor(time ÷
 * window) × window, the window being the stage's override or else the runbook's default). Nothing here
 * asks `decide()`. A start is read back as (state machine, `resourceKey` of its input, window start
 * written in its execution name); the bench fails when the two sets differ.
 */
const TOTAL = 10_000;
const DUPLICATE_SHARE = 0.1;
const CONCURRENCY = 32;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-22T09:58:00Z');
const T_END = Date.parse('2026-11-22T11:32:00Z');
const CLUSTER = 'dev-platform';

/** One generated event: its traffic, when it occurred, and what the hand rule expects it to start. */
interface Generated {
  readonly item: StormItem;
  readonly at: number;
  /** The runbook and resource this event must start a run for (in its window); none for noise. */
  readonly expects?: { readonly runbook: string; readonly resource: string };
  /** Deliveries with the same lane are never in flight together (one lane per resource). */
  readonly lane: string;
}

/** A delivery: a generated event, the first time or again, at a delivery time. */
interface Delivery {
  readonly event: Generated;
  readonly deliveredAt: number;
  readonly redelivery: boolean;
}

/** The stage's window for a runbook: its override, else the runbook's default (configuration data). */
function windowMinutes(stage: StageConfig, runbook: string): number {
  const override = stage.automation.runbooks[runbook]?.windowMinutes;
  const fallback = findRunbook(runbook)?.defaults.windowMinutes;
  const minutes = override ?? fallback;
  if (minutes === undefined) throw new Error(`no window configured for ${runbook}`);
  return minutes;
}

const windowOf = (at: number, minutes: number): string =>
  new Date(Math.floor(at / (minutes * MINUTE)) * minutes * MINUTE).toISOString();

/** Boundaries of `minutes`-long windows strictly inside [from, to]. */
function boundaries(from: number, to: number, minutes: number): number[] {
  const size = minutes * MINUTE;
  const out: number[] = [];
  for (let b = Math.ceil(from / size) * size; b <= to; b += size) if (b > from) out.push(b);
  return out;
}

function storm(): { events: Generated[]; deliveries: Delivery[] } {
  const random = prng(20261207);
  const between = (from: number, to: number) => from + Math.floor(random() * ((to - from) / 1000)) * 1000;
  const uniqueCount = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
  const events: Generated[] = [];
  let n = 0;
  const volume = (at: number, v: number): Generated => {
    const id = `vol-${v.toString(16).padStart(17, '0')}`;
    return {
      item: volumeDetached(n++, new Date(at), v),
      at,
      expects: { runbook: 'snapshot-volume', resource: id },
      lane: id,
    };
  };
  const group = (at: number, g: string): Generated => ({
    item: autoscalerFailed(n++, new Date(at), g),
    at,
    expects: { runbook: 'scale-node-group', resource: `${CLUSTER}/${g}` },
    lane: g,
  });
  const secret = (at: number, s: string): Generated => ({
    item: secretRead(n++, new Date(at), s),
    at,
    expects: { runbook: 'rotate-secret', resource: s },
    lane: s,
  });
  const flap = (at: number, transition: 'Triggered' | 'Recovered' | 'Re-Triggered'): Generated => ({
    item: monitorFlap(n++, new Date(at), transition),
    at,
    // A monitor that recovers asks for nothing; one that triggers (again) asks to scale its node group.
    ...(transition === 'Recovered'
      ? {}
      : { expects: { runbook: 'scale-node-group', resource: `${CLUSTER}/dev-platform-flap` } }),
    lane: 'flap',
  });

  // Each resource stays within its runbook's rate limit (the guard store counts per wall-clock hour,
  // and the whole replay takes minutes): a volume sees at most 4 windows of 30 min in the storm (the
  // 400 random ones until 11:30), a node group at most 3 of 15 min, a secret at most 2 of 60 min.
  const volumesTo = Date.parse('2026-11-22T11:30:00Z');
  const episodes: Array<{ group: string; from: number; to: number }> = [
    { group: 'dev-platform-a', from: T0, to: Date.parse('2026-11-22T10:20:00Z') },
    {
      group: 'dev-platform-b',
      from: Date.parse('2026-11-22T10:25:00Z'),
      to: Date.parse('2026-11-22T10:50:00Z'),
    },
    { group: 'dev-platform-c', from: Date.parse('2026-11-22T11:10:00Z'), to: T_END },
  ];
  const secretsFrom = Date.parse('2026-11-22T10:00:00Z');
  const flapFrom = Date.parse('2026-11-22T10:10:00Z');
  const flapTo = Date.parse('2026-11-22T10:44:59Z');
  const flaps = ['Triggered', 'Recovered', 'Re-Triggered', 'Recovered'] as const;
  let flapIndex = 0;

  // Right at the boundaries: one second before, on it, one second after, for a resource of each kind.
  // Volumes of their own (no other traffic) take each combination, so an event on the boundary must
  // fall in the window it opens: {before, on} is two runs, {on, after} one, {before, after} two.
  const edges = (b: number) => [b - 1000, b, b + 1000];
  let edgeVolume = 1000;
  for (const b of boundaries(T0, T_END, windowMinutes(loadStage('dev'), 'snapshot-volume')))
    for (const times of [edges(b), [b - 1000, b], [b, b + 1000], [b - 1000, b + 1000], [b]]) {
      const v = edgeVolume++;
      for (const at of times) events.push(volume(at, v));
    }
  for (const e of episodes)
    for (const b of boundaries(e.from + 1000, e.to - 1000, 15))
      for (const at of edges(b)) events.push(group(at, e.group));
  for (const s of ['dev/rds/app-user', 'dev/api/partner-token'])
    for (const b of boundaries(secretsFrom + 1000, T_END - 1000, 60))
      for (const at of edges(b)) events.push(secret(at, s));
  for (const b of boundaries(flapFrom + 1000, flapTo - 1000, 15))
    for (const at of edges(b)) events.push(flap(at, flaps[flapIndex++ % flaps.length] as 'Triggered'));
  const edgeCount = events.length;

  // The rest of the storm, at random times.
  while (events.length < uniqueCount) {
    const r = random();
    if (r < 0.35) events.push(volume(between(T0, volumesTo), Math.floor(random() * 400)));
    else if (r < 0.55) {
      const e = episodes[Math.floor(random() * episodes.length)] as (typeof episodes)[number];
      events.push(group(between(e.from, e.to), e.group));
    } else if (r < 0.65)
      events.push(
        secret(between(secretsFrom, T_END), random() < 0.5 ? 'dev/rds/app-user' : 'dev/api/partner-token'),
      );
    else if (r < 0.8)
      events.push(flap(between(flapFrom, flapTo), flaps[flapIndex++ % flaps.length] as 'Triggered'));
    else {
      const at = between(T0, T_END);
      events.push({ item: noise(n++, new Date(at)), at, lane: `noise-${n}` });
    }
  }

  // Deliveries: each event when it occurs; every boundary event again 2–90 s after its boundary; other
  // re-deliveries up to 5 minutes after the event, until 10% of the stream are re-deliveries.
  const deliveries: Delivery[] = events.map((event) => ({ event, deliveredAt: event.at, redelivery: false }));
  for (const event of events.slice(0, edgeCount))
    deliveries.push({
      event,
      deliveredAt: event.at + 2000 + Math.floor(random() * 88_000),
      redelivery: true,
    });
  while (deliveries.length < TOTAL) {
    const event = events[Math.floor(random() * events.length)] as Generated;
    deliveries.push({ event, deliveredAt: event.at + Math.floor(random() * 5 * MINUTE), redelivery: true });
  }
  deliveries.sort((a, b) => a.deliveredAt - b.deliveredAt);
  return { events, deliveries };
}

/** Runs `work` over `items` in order, at most `concurrency` in flight, never two of one lane at once. */
async function lanePool<T>(
  items: readonly T[],
  concurrency: number,
  laneOf: (item: T) => string,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const busy = new Map<string, Promise<void>>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      const lane = laneOf(item);
      const done = (busy.get(lane) ?? Promise.resolve()).then(() => work(item));
      busy.set(lane, done);
      await done;
      if (busy.get(lane) === done) busy.delete(lane);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** `20261122T1015Z` (an execution name's last part) as an ISO time. */
function windowFromName(name: string): string {
  const m = /-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z$/.exec(name);
  if (!m) return `unreadable window in ${name}`;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`).toISOString();
}

export async function run(): Promise<BenchSection> {
  const stage = loadStage('dev');
  const { events, deliveries } = storm();

  // What must happen, from the generator's own keys: runbook + resource + window of each event.
  const key = (runbook: string, resource: string, window: string) => `${runbook} ${resource} ${window}`;
  const expected = new Set<string>();
  for (const e of events)
    if (e.expects)
      expected.add(
        key(e.expects.runbook, e.expects.resource, windowOf(e.at, windowMinutes(stage, e.expects.runbook))),
      );

  const runbookOfArn = new Map(Object.entries(STATE_MACHINES).map(([runbook, arn]) => [arn, runbook]));
  const db = await startDynalite();
  // Each run ends at once: its end hook releases the lock (functions/intake/run-end.ts), so the next
  // window's run on the resource is not held back by the lock.
  const { deps, starts, restore } = await intakeOnDynalite(db, stage, 'storm', {
    onStart: async (call, store) => releaseLock(store, JSON.parse(call.input) as RunbookInput),
  });
  const headers = { 'x-ops-webhook-token': 'bench-token' };
  const outcomes = new Map<string, number>();
  const tally = (results: IntakeResult[]) => {
    for (const r of results)
      for (const g of r.decision.guards)
        if (g.outcome === 'block') outcomes.set(g.name, (outcomes.get(g.name) ?? 0) + 1);
  };
  try {
    await lanePool(
      deliveries,
      CONCURRENCY,
      (d) => d.event.lane,
      async ({ event: { item } }) => {
        if (item.kind === 'event') tally(await handleEvent(item.event, deps));
        else {
          const res = await handleWebhook({ headers, body: item.body }, deps);
          if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
        }
      },
    );
  } finally {
    restore();
    await db.stop();
  }

  const observed = starts.map((s) =>
    key(
      runbookOfArn.get(s.stateMachineArn) ?? s.stateMachineArn,
      (JSON.parse(s.input) as RunbookInput).resourceKey,
      windowFromName(s.name),
    ),
  );
  const startedSet = new Set(observed);
  const missing = [...expected].filter((k) => !startedSet.has(k));
  const unexpected = [...startedSet].filter((k) => !expected.has(k));
  const repeated = observed.length - startedSet.size;
  const ok = missing.length === 0 && unexpected.length === 0 && repeated === 0;
  const windowsCrossed = (runbook: string) => {
    const windows = new Set(
      [...expected].filter((k) => k.startsWith(`${runbook} `)).map((k) => k.split(' ')[2]),
    );
    return `${runbook} ${windowMinutes(stage, runbook)} min: ${windows.size}`;
  };
  const redeliveries = deliveries.filter((d) => d.redelivery).length;
  const flapRuns = [...expected].filter((k) => k.includes('/dev-platform-flap ')).length;
  const blocked = [...outcomes].map(([g, c]) => `${g} ${c}`).join(', ') || 'none';
  const rows: BenchRow[] = [
    {
      name: 'StartExecution calls',
      value: observed.length,
      unit: 'runs',
      baseline: { name: "runbook + resource + window among the generator's events", value: expected.size },
      goal: { op: '≤', ratio: 1 },
      note: `${deliveries.length} deliveries (${redeliveries} re-deliveries), ${CONCURRENCY} in flight; windows: ${['snapshot-volume', 'scale-node-group', 'rotate-secret'].map(windowsCrossed).join(', ')}; the flapping monitor ${flapRuns} runs; guards that blocked (per decision): ${blocked}`,
    },
  ];
  const checks: BenchCheck[] = [
    {
      name: "exactly the generator's runbook + resource + window set is started, each once",
      ok,
      detail: ok
        ? `${observed.length} starts for ${expected.size} expected, none missing, none unexpected, none repeated`
        : `${observed.length} starts for ${expected.size} expected; missing ${missing.length} (${missing.slice(0, 3).join('; ')}), unexpected ${unexpected.length} (${unexpected.slice(0, 3).join('; ')}), repeated ${repeated}`,
    },
  ];
  return { title: 'Intake: storm replay across de-duplication windows (issues 2, 17)', rows, checks };
}
