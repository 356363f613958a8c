/**
 * What a benchmark section returns (`test/bench/sections/<name>.ts` exports `run(): Promise<BenchSection>`).
 * `npm run bench` runs every section, prints them, writes bench-results/latest.json, and fails if any
 * section's check fails. A measurement worth comparing carries the baseline measured in the same run.
 */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly note?: string;
  /** The goal for value ÷ baseline (e.g. `{ op: '≤', ratio: 1.2 }`): drawn in the section's chart. */
  readonly goal?: { readonly op: '≤' | '≥'; readonly ratio: number };
}

/** A property the benchmark must hold (e.g. "exactly one run per runbook + resource + window"). */
export interface BenchCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BenchSection {
  readonly title: string;
  readonly rows: BenchRow[];
  readonly checks?: BenchCheck[];
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
