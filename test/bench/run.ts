/**
 * `npm run bench [-- <section> …]`: every benchmark section in test/bench/sections/, printed as
 * Markdown tables and written to bench-results/ (gitignored): latest.json with every section, and per
 * section <name>.json and <name>.svg (a bar chart of its ratios against their goals). Exit 1 when a section
 * throws or one of its checks fails.
 *
 * Adding a section: create test/bench/sections/<name>.ts exporting `run(): Promise<BenchSection>`
 * (see test/bench/types.ts). A module exporting a `<name>Section()` function instead is accepted too.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { meetsGoal, sectionSvg } from './chart.js';
import type { BenchSection } from './types.js';

const SECTIONS = join(import.meta.dirname, 'sections');
const OUT = join(import.meta.dirname, '../../bench-results');

type SectionModule = Record<string, unknown>;

function runnerOf(mod: SectionModule): (() => Promise<BenchSection>) | undefined {
  if (typeof mod.run === 'function') return mod.run as () => Promise<BenchSection>;
  const named = Object.entries(mod).find(([k, v]) => k.endsWith('Section') && typeof v === 'function');
  return named?.[1] as (() => Promise<BenchSection>) | undefined;
}

/**
 * What the runner holds every section to (issue 17): each figure carries a baseline measured in the same
 * run (a figure without one cannot be compared with anything), and each goal a row states is met. Either
 * failing is a failed check, so the run exits 1.
 */
function withRunnerChecks(section: BenchSection): BenchSection {
  const bare = section.rows.filter((r) => !r.baseline || r.baseline.value === 0).map((r) => r.name);
  const missed = section.rows.filter((r) => meetsGoal(r) === false).map((r) => r.name);
  return {
    ...section,
    checks: [
      ...(section.checks ?? []),
      {
        name: 'every figure has a same-run baseline',
        ok: bare.length === 0,
        detail: bare.length === 0 ? `${section.rows.length} figures` : `without one: ${bare.join('; ')}`,
      },
      {
        name: 'every goal is met',
        ok: missed.length === 0,
        detail:
          missed.length === 0
            ? `${section.rows.filter((r) => r.goal).length} goals`
            : `missed: ${missed.join('; ')}`,
      },
    ],
  };
}

function format(section: BenchSection): string {
  const lines = [
    `## ${section.title}`,
    '',
    '| measure | value | baseline | ratio | goal | note |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of section.rows) {
    const base = r.baseline ? `${r.baseline.value} ${r.unit} (${r.baseline.name})` : '';
    const ratio = r.baseline && r.baseline.value !== 0 ? `${(r.value / r.baseline.value).toFixed(2)}×` : '';
    const ok = meetsGoal(r);
    const verdict = ok === undefined ? 'not measurable (no baseline)' : ok ? 'met' : 'MISSED';
    const goal = r.goal ? `${r.goal.op} ${r.goal.ratio}× ${verdict}` : '';
    lines.push(`| ${r.name} | ${r.value} ${r.unit} | ${base} | ${ratio} | ${goal} | ${r.note ?? ''} |`);
  }
  for (const c of section.checks ?? []) lines.push('', `${c.ok ? 'PASS' : 'FAIL'}: ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

async function main(filter: string[]): Promise<number> {
  const files = readdirSync(SECTIONS)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .filter((f) => filter.length === 0 || filter.some((name) => f.replace(/\.ts$/, '') === name));
  if (files.length === 0) {
    console.error(`bench: no section matches ${filter.join(', ')}`);
    return 2;
  }
  const results: Array<{ file: string; section?: BenchSection; error?: string; seconds: number }> = [];
  let failed = false;
  for (const file of files) {
    const started = performance.now();
    try {
      const mod = (await import(pathToFileURL(join(SECTIONS, file)).href)) as SectionModule;
      const run = runnerOf(mod);
      if (!run) throw new Error(`${file} exports no run() function`);
      const section = withRunnerChecks(await run());
      const seconds = (performance.now() - started) / 1000;
      console.log(`${format(section)}\n\n(${file}: ${seconds.toFixed(1)} s)\n`);
      if (section.checks?.some((c) => !c.ok)) failed = true;
      // Per section: its figures as JSON and a small bar chart of its ratios, next to latest.json.
      const name = file.replace(/\.ts$/, '');
      mkdirSync(OUT, { recursive: true });
      const at = new Date().toISOString();
      writeFileSync(
        join(OUT, `${name}.json`),
        `${JSON.stringify({ at, node: process.version, seconds, section }, null, 2)}\n`,
      );
      writeFileSync(join(OUT, `${name}.svg`), sectionSvg(section));
      results.push({ file, section, seconds });
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`## ${file}\n\nFAILED: ${message}\n`);
      results.push({ file, error: message, seconds: (performance.now() - started) / 1000 });
    }
  }
  mkdirSync(OUT, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    sections: results,
  };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to bench-results/latest.json${failed ? ' — FAILED' : ''}`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
