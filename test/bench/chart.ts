import type { BenchRow, BenchSection } from './types.js';

/**
 * A small SVG bar chart of one section: each row that has a same-run baseline, as its ratio to that
 * baseline (1× is the baseline), with the row's goal drawn as a mark and the bar coloured by whether
 * the goal holds. Plain SVG text, no chart library; a regression shows as a red bar past its mark.
 */
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const ratioOf = (r: BenchRow): number | undefined =>
  r.baseline && r.baseline.value !== 0 ? r.value / r.baseline.value : undefined;

export function meetsGoal(r: BenchRow): boolean | undefined {
  const ratio = ratioOf(r);
  if (ratio === undefined || !r.goal) return undefined;
  return r.goal.op === '≤' ? ratio <= r.goal.ratio : ratio >= r.goal.ratio;
}

export function sectionSvg(section: BenchSection): string {
  const rows = section.rows.filter((r) => ratioOf(r) !== undefined);
  const label = 330;
  const plot = 420;
  const bar = 16;
  const gap = 6;
  const top = 40;
  const height = top + rows.length * (bar + gap) + 30;
  const width = label + plot + 70;
  const max =
    Math.max(1.5, ...rows.map((r) => ratioOf(r) ?? 0), ...rows.map((r) => r.goal?.ratio ?? 0)) * 1.05;
  const x = (ratio: number) => label + (ratio / max) * plot;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">${esc(section.title.slice(0, 110))}</text>`,
    `<text x="8" y="33" fill="#555">ratio to the same-run baseline (1× = baseline); mark = goal</text>`,
  ];
  rows.forEach((r, i) => {
    const ratio = ratioOf(r) ?? 0;
    const y = top + i * (bar + gap);
    const ok = meetsGoal(r);
    const fill = ok === undefined ? '#7a8ca3' : ok ? '#3a9a5b' : '#c8453b';
    parts.push(
      `<text x="${label - 6}" y="${y + bar - 4}" text-anchor="end">${esc(r.name.slice(0, 48))}</text>`,
      `<rect x="${label}" y="${y}" width="${Math.max(1, x(ratio) - label).toFixed(1)}" height="${bar}" fill="${fill}"/>`,
      `<text x="${(x(ratio) + 4).toFixed(1)}" y="${y + bar - 4}">${ratio.toFixed(2)}×</text>`,
    );
    if (r.goal) {
      const gx = x(r.goal.ratio).toFixed(1);
      parts.push(
        `<line x1="${gx}" x2="${gx}" y1="${y - 2}" y2="${y + bar + 2}" stroke="black" stroke-width="2"/>`,
      );
    }
  });
  const one = x(1).toFixed(1);
  const bottom = top + rows.length * (bar + gap);
  parts.push(
    `<line x1="${one}" x2="${one}" y1="${top - 4}" y2="${bottom}" stroke="#999" stroke-dasharray="3 3"/>`,
    `<text x="${one}" y="${bottom + 14}" text-anchor="middle" fill="#555">1×</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
