import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStage } from '../../../config/index.js';
import { decide } from '../../../functions/intake/decide.js';
import { signalFromText } from '../../../functions/intake/plan.js';
import { runbookTargets } from '../../../runbooks/registry.js';
import {
  autoscalerFailed,
  monitorFlap,
  noise,
  prng,
  type StormItem,
  secretRead,
  volumeDetached,
} from '../intake-fixtures.js';
import { type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Intake speed (issue 17: "intake normalise + decide ≥ 0.5× the speed of `JSON.parse` +
 * `JSON.stringify` of the same events in the same run"). The events are every recorded sample under
 * events/samples (Slack's aside: it has its own entry point) and a generated storm like the storm
 * replay's (volumes detached, node groups failing to scale, secrets read, a flapping Datadog monitor
 * over webhooks, routine noise the intake rejects), each as the text it arrives as.
 *
 * One pass over the events is either the intake's pure path for each (the text parsed, normalised
 * into a Signal with the options the intake passes per event, and decided against the dev stage:
 * what `ops plan` runs and the Lambda runs before its guard store), or the baseline for each
 * (`JSON.stringify(JSON.parse(text))`). Passes alternate, baseline then intake, for several rounds
 * after a warm-up; each figure is the median pass. Rejected input counts: the intake refuses noise
 * with a clear error, which is part of its work.
 */
const GOAL = 0.5;
const ROUNDS = Number(process.env.INTAKE_SPEED_ROUNDS ?? 15);
const STORM = 2000;
const SAMPLES = join(import.meta.dirname, '../../../events/samples');

function sampleTexts(): string[] {
  const texts: string[] = [];
  for (const dir of readdirSync(SAMPLES)) {
    if (dir === 'slack' || dir.includes('.')) continue;
    for (const f of readdirSync(join(SAMPLES, dir)).filter(
      (x) => x.endsWith('.json') && !x.includes('template'),
    )) {
      texts.push(readFileSync(join(SAMPLES, dir, f), 'utf8'));
    }
  }
  return texts;
}

function stormTexts(): string[] {
  const random = prng(20261207);
  const base = Date.parse('2026-11-22T10:00:00Z');
  const groups = ['dev-platform-a', 'dev-platform-b', 'dev-platform-c'];
  const flaps = ['Triggered', 'Recovered', 'Re-Triggered', 'Recovered'] as const;
  const texts: string[] = [];
  for (let i = 0; i < STORM; i++) {
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

export async function run(): Promise<BenchSection> {
  const dev = loadStage('dev');
  const ctx = { stage: dev.name, automation: dev.automation };
  const prefix = dev.automation.automationRolePrefix;
  const texts = [...sampleTexts(), ...stormTexts()];

  let decisions = 0;
  let rejected = 0;
  const intakePass = () => {
    for (const text of texts) {
      try {
        // As the intake calls it per event (functions/intake/ingest.ts).
        const signal = signalFromText(text, {
          automationRolePrefix: prefix,
          runbookTargets: runbookTargets(),
        });
        decisions += decide(signal, ctx).length;
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        rejected++;
      }
    }
  };
  let bytes = 0;
  const baselinePass = () => {
    for (const text of texts) bytes += JSON.stringify(JSON.parse(text)).length;
  };
  const timed = (pass: () => void) => {
    const t = performance.now();
    pass();
    return performance.now() - t;
  };

  for (let i = 0; i < 3; i++) {
    baselinePass();
    intakePass();
  }
  const rejectedPerPass = rejected / 3;
  const decisionsPerPass = decisions / 3;
  const bytesPerPass = bytes / 3;
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push(timed(baselinePass));
    ours.push(timed(intakePass));
  }
  const perSecond = (ms: number) => Math.round((texts.length / ms) * 1000);
  const oursRate = perSecond(median(ours));
  const baseRate = perSecond(median(base));
  const ratio = oursRate / baseRate;
  const rows: BenchRow[] = [
    {
      name: `intake normalise + decide, ${texts.length} events (recorded samples + generated storm), text in`,
      value: oursRate,
      unit: 'events/s',
      baseline: { name: 'JSON.parse + JSON.stringify of the same texts', value: baseRate },
      goal: { op: '≥', ratio: GOAL },
      note: `median pass of ${ROUNDS}, baseline and intake passes alternating; per pass ${Math.round(decisionsPerPass)} decisions, ${Math.round(rejectedPerPass)} events refused, ${Math.round(bytesPerPass / 1024)} KiB re-serialised by the baseline`,
    },
  ];
  return {
    title: 'Intake speed: normalise + decide against JSON.parse + JSON.stringify (issue 17)',
    rows,
    checks: [
      {
        name: `intake normalise + decide ≥ ${GOAL}× JSON.parse + JSON.stringify of the same events (issue 17)`,
        ok: ratio >= GOAL,
        detail: `${oursRate} vs ${baseRate} events/s (${ratio.toFixed(3)}×)`,
      },
    ],
  };
}
