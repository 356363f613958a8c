import { loadStage } from '../../../config/index.js';
import { decide } from '../../../functions/intake/decide.js';
import { signalFromValue } from '../../../functions/intake/plan.js';
import { runbookTargets } from '../../../runbooks/registry.js';
import { sampleTexts, speedStormTexts } from '../intake-fixtures.js';
import { type BenchRow, type BenchSection, median } from '../types.js';

/**
 * Intake speed (issue 17: "intake normalise + decide ≥ 0.5× the speed of `JSON.parse` +
 * `JSON.stringify` of the same events in the same run"). The events are every recorded sample under
 * events/samples (Slack's aside: it has its own entry point) and a generated storm like the storm
 * replay's (volumes detached, node groups failing to scale, secrets read, a flapping Datadog monitor
 * over webhooks, routine noise the intake rejects), each as the text it arrives as.
 *
 * The intake's work for one event is what the Lambda does before its guard store: the event as the
 * Lambda runtime hands it over (parsed; a Datadog webhook body as its text) normalised into a Signal
 * with the options the intake passes per event, then decided against the dev stage (`signalFromValue`
 * + `decide`, as `ops plan` runs them). The baseline for the same event is
 * `JSON.stringify(JSON.parse(text))` of its text. After a warm-up, each round runs both over every
 * event, alternating every few events (a burst of load on the shared machine hits both alike); each
 * figure is the median round. Rejected input counts: the intake refuses noise
 * with a clear error, which is part of its work.
 */
const GOAL = 0.5;
const ROUNDS = Number(process.env.INTAKE_SPEED_ROUNDS ?? 15);
const SLICE = 50;
export async function run(): Promise<BenchSection> {
  const dev = loadStage('dev');
  const ctx = { stage: dev.name, automation: dev.automation };
  const prefix = dev.automation.automationRolePrefix;
  const texts = [...sampleTexts(), ...speedStormTexts()];
  // The Lambda runtime hands the intake a parsed event (a webhook body stays text): parsed once, here.
  const values: unknown[] = texts.map((t) => JSON.parse(t));

  let decisions = 0;
  let rejected = 0;
  const intake = (i: number) => {
    const text = texts[i] as string;
    try {
      // As the intake calls it per event (functions/intake/ingest.ts).
      const signal = signalFromValue(values[i], text, {
        automationRolePrefix: prefix,
        runbookTargets: runbookTargets(),
      });
      decisions += decide(signal, ctx).length;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      rejected++;
    }
  };
  let bytes = 0;
  const baseline = (i: number) => {
    bytes += JSON.stringify(JSON.parse(texts[i] as string)).length;
  };
  /** Time of `work` over texts[from, to). */
  const slice = (work: (i: number) => void, from: number, to: number) => {
    const t = performance.now();
    for (let i = from; i < to; i++) work(i);
    return performance.now() - t;
  };

  // Warm-up: three passes of each, which also counts what one pass does.
  for (let i = 0; i < 3; i++) {
    slice(baseline, 0, texts.length);
    slice(intake, 0, texts.length);
  }
  const decisionsPerPass = decisions / 3;
  const rejectedPerPass = rejected / 3;
  const bytesPerPass = bytes / 3;
  // Each round is one pass of each, in slices of SLICE events, baseline and intake alternating
  // slice by slice: a burst of load on the shared machine hits both sides alike.
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let oursMs = 0;
    let baseMs = 0;
    for (let from = 0; from < texts.length; from += SLICE) {
      const to = Math.min(from + SLICE, texts.length);
      baseMs += slice(baseline, from, to);
      oursMs += slice(intake, from, to);
    }
    ours.push(oursMs);
    base.push(baseMs);
  }
  const perSecond = (ms: number) => Math.round((texts.length / ms) * 1000);
  const oursRate = perSecond(median(ours));
  const baseRate = perSecond(median(base));
  const ratio = oursRate / baseRate;
  const rows: BenchRow[] = [
    {
      name: `intake normalise + decide, ${texts.length} events (recorded samples + generated storm), as the Lambda receives them`,
      value: oursRate,
      unit: 'events/s',
      baseline: { name: 'JSON.parse + JSON.stringify of the same texts', value: baseRate },
      goal: { op: '≥', ratio: GOAL },
      note: `median of ${ROUNDS} rounds, baseline and intake alternating every ${SLICE} events; per pass ${Math.round(decisionsPerPass)} decisions, ${Math.round(rejectedPerPass)} events refused, ${Math.round(bytesPerPass / 1024)} KiB re-serialised by the baseline`,
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
