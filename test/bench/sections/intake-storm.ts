import { loadStage } from '../../../config/index.js';
import { decide } from '../../../functions/intake/decide.js';
import { handleEvent, handleWebhook } from '../../../functions/intake/ingest.js';
import { signalFromText } from '../../../functions/intake/plan.js';
import { startDynalite } from '../../support/dynalite.js';
import {
  autoscalerFailed,
  intakeOnDynalite,
  monitorFlap,
  noise,
  pool,
  prng,
  type StormItem,
  secretRead,
  volumeDetached,
} from '../intake-fixtures.js';
import type { BenchSection } from '../types.js';

/**
 * Storm replay (issue 2): 10,000 events in nine minutes: volumes detached, node groups failing to scale,
 * secrets read by a human, a Datadog monitor flapping Triggered / Recovered / Re-Triggered over webhooks,
 * routine noise, and 10% exact re-deliveries, fed 32 at a time through the real entry points
 * (`handleEvent`, `handleWebhook`) against the real guard store on dynalite, with Step Functions faked.
 *
 * Expected: exactly one StartExecution per distinct runbook + resource + window, i.e. per distinct
 * execution name among the start decisions the pure `decide` makes for the unique events. The bench
 * fails when that does not hold.
 */
const TOTAL = 10_000;
const DUPLICATE_SHARE = 0.1;
const CONCURRENCY = 32;
const STORM_START = Date.parse('2026-11-22T10:00:00Z'); // aligned with every runbook's window (10…60 min)
const STORM_MINUTES = 9;

function stormTraffic(): { unique: StormItem[]; stream: StormItem[] } {
  const random = prng(20261122);
  const uniqueCount = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
  const at = (i: number) => new Date(STORM_START + Math.floor((i / uniqueCount) * STORM_MINUTES * 60_000));
  const groups = ['dev-platform-a', 'dev-platform-b', 'dev-platform-c'];
  const flaps: Array<'Triggered' | 'Recovered' | 'Re-Triggered'> = [
    'Triggered',
    'Recovered',
    'Re-Triggered',
    'Recovered',
  ];
  const unique: StormItem[] = [];
  for (let i = 0; i < uniqueCount; i++) {
    const r = random();
    if (r < 0.35) unique.push(volumeDetached(i, at(i), Math.floor(random() * 400)));
    else if (r < 0.55)
      unique.push(autoscalerFailed(i, at(i), groups[Math.floor(random() * groups.length)] as string));
    else if (r < 0.65)
      unique.push(secretRead(i, at(i), random() < 0.5 ? 'dev/rds/app-user' : 'dev/api/partner-token'));
    else if (r < 0.8) unique.push(monitorFlap(i, at(i), flaps[i % flaps.length] as 'Triggered'));
    else unique.push(noise(i, at(i)));
  }
  const stream = [...unique];
  while (stream.length < TOTAL) {
    const copy = unique[Math.floor(random() * unique.length)] as StormItem;
    stream.splice(Math.floor(random() * (stream.length + 1)), 0, copy);
  }
  return { unique, stream };
}

export async function run(): Promise<BenchSection> {
  const stage = loadStage('dev');
  const { unique, stream } = stormTraffic();

  // What must happen: the distinct execution names among the pure decisions for the unique events.
  const expected = new Set<string>();
  for (const item of unique) {
    const text = item.kind === 'event' ? JSON.stringify(item.event) : item.body;
    for (const d of decide(
      signalFromText(text, { automationRolePrefix: stage.automation.automationRolePrefix }),
      {
        stage: stage.name,
        automation: stage.automation,
      },
    )) {
      if (d.action === 'start' && d.executionName) expected.add(d.executionName);
    }
  }

  const db = await startDynalite();
  const { deps, started, restore } = await intakeOnDynalite(db, stage, 'storm');
  const headers = { 'x-ops-webhook-token': 'bench-token' };
  const t = performance.now();
  try {
    await pool(stream, CONCURRENCY, async (item) => {
      if (item.kind === 'event') await handleEvent(item.event, deps);
      else {
        const res = await handleWebhook({ headers, body: item.body }, deps);
        if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
      }
    });
  } finally {
    restore();
    await db.stop();
  }
  const seconds = (performance.now() - t) / 1000;

  const startedSet = new Set(started);
  const missing = [...expected].filter((n) => !startedSet.has(n));
  const unexpected = [...startedSet].filter((n) => !expected.has(n));
  const repeated = started.length - startedSet.size;
  const flapRuns = started.filter((n) => n.startsWith('scale-node-group-')).length;
  const ok =
    started.length === expected.size && missing.length === 0 && unexpected.length === 0 && repeated === 0;
  return {
    title: 'Intake: storm replay (issue 2)',
    rows: [
      {
        name: `events replayed (${Math.round(DUPLICATE_SHARE * 100)}% re-deliveries, ${CONCURRENCY} in flight)`,
        value: stream.length,
        unit: 'events',
      },
      {
        name: 'distinct runbook + resource + window among them',
        value: expected.size,
        unit: 'runs expected',
      },
      { name: 'StartExecution calls', value: started.length, unit: 'runs' },
      { name: 'scale-node-group runs (3 node groups + the flapping monitor)', value: flapRuns, unit: 'runs' },
      {
        name: 'storm throughput (real guard store on dynalite)',
        value: Math.round(stream.length / seconds),
        unit: 'events/s',
      },
    ],
    checks: [
      {
        name: 'exactly one run per distinct runbook + resource + window',
        ok,
        detail: ok
          ? `${started.length} starts for ${expected.size} distinct runbook + resource + window, none repeated`
          : `${started.length} starts for ${expected.size} expected; missing ${missing.length}, unexpected ${unexpected.length}, repeated ${repeated}`,
      },
    ],
  };
}
