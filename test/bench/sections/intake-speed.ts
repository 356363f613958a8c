import { loadStage } from '../../../config/index.js';
import { decide } from '../../../functions/intake/decide.js';
import { signalFromValue } from '../../../functions/intake/plan.js';
import { runbookTargets } from '../../../runbooks/registry.js';
import { sampleTexts, speedStormTexts } from '../intake-fixtures.js';
import { type BenchRow, type BenchSection, median } from '../types.js';
import { type SteadyRule, steady } from '../warm-up.js';

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
 *
 * The warm-up lasts until the intake's speed stops rising, not a fixed number of passes. V8 compiles
 * the intake's JavaScript in tiers as it runs (the baseline is native code from the start): measured
 * pass by pass, the intake took about 20 passes (some 40,000 events) to reach its steady speed, and a
 * fixed three-pass warm-up put the measured rounds in the middle of that climb. The rule: after at
 * least 10 passes, stop once the median of the last 5 passes is within 2% of the median of the 5
 * before them (`steady`, test/bench/warm-up.ts), or after WARM_MAX passes, which the row then says.
 * The climb itself is a second row, with no goal: both sides over the warm-up passes.
 */
const GOAL = 0.5;
const ROUNDS = Number(process.env.INTAKE_SPEED_ROUNDS ?? 15);
const SLICE = 50;
const WARM: SteadyRule = { min: 10, window: 5, tolerance: 0.02 };
const WARM_MAX = 100;
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

  // Warm-up: one pass of each at a time until the intake's pass time stops falling (see above). It also
  // counts what one pass does.
  const warmOurs: number[] = [];
  const warmBase: number[] = [];
  while (warmOurs.length < WARM_MAX && !steady(warmOurs, WARM)) {
    warmBase.push(slice(baseline, 0, texts.length));
    warmOurs.push(slice(intake, 0, texts.length));
  }
  const warmPasses = warmOurs.length;
  const decisionsPerPass = decisions / warmPasses;
  const rejectedPerPass = rejected / warmPasses;
  const bytesPerPass = bytes / warmPasses;
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
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const warmRate = (ms: number) => Math.round(((texts.length * warmPasses) / ms) * 1000);
  const converged = steady(warmOurs, WARM);
  const rows: BenchRow[] = [
    {
      name: `intake normalise + decide, ${texts.length} events (recorded samples + generated storm), as the Lambda receives them`,
      value: oursRate,
      unit: 'events/s',
      baseline: { name: 'JSON.parse + JSON.stringify of the same texts', value: baseRate },
      goal: { op: '≥', ratio: GOAL },
      note: `median of ${ROUNDS} rounds after the warm-up, baseline and intake alternating every ${SLICE} events; per pass ${Math.round(decisionsPerPass)} decisions, ${Math.round(rejectedPerPass)} events refused, ${Math.round(bytesPerPass / 1024)} KiB re-serialised by the baseline`,
    },
    {
      name: `the same over the warm-up, while V8 compiles the intake: ${warmPasses} passes (${texts.length * warmPasses} events)`,
      value: warmRate(sum(warmOurs)),
      unit: 'events/s',
      baseline: {
        name: 'JSON.parse + JSON.stringify of the same texts, same passes',
        value: warmRate(sum(warmBase)),
      },
      note: `${converged ? `steady after ${warmPasses} passes: median of the last ${WARM.window} within ${WARM.tolerance * 100}% of the ${WARM.window} before` : `not steady after ${WARM_MAX} passes (the cap)`}; intake pass times ${passTimes(warmOurs)} ms; no goal: the goal is for the steady speed`,
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

/** The first, the middle and the last pass times, for the note. */
function passTimes(passes: readonly number[]): string {
  const at = (i: number) => (passes[i] ?? Number.NaN).toFixed(1);
  return `${at(0)} (first), ${at(Math.floor(passes.length / 2))} (middle), ${at(passes.length - 1)} (last)`;
}
