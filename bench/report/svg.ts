/**
 * Minimal SVG charts (no dependency): horizontal grouped bars with optional
 * min-max whiskers over a value axis (linear from 0, or log from a power of
 * ten) with ticks, gridlines and the unit, and lines over a numeric x axis.
 * Rendered to PNG by render.ts.
 */

export interface BarSeries {
  name: string;
  values: number[];
  /** Whiskers (e.g. min and max of the runs), same length as values. */
  low?: number[];
  high?: number[];
}

export interface BarChart {
  title: string;
  unit: string;
  categories: string[];
  series: BarSeries[];
  /** Log scale for the value axis (values spanning decades); its origin is a power of ten. @default false */
  log?: boolean;
}

export interface LineSeries {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  yMin?: number;
  yMax?: number;
}

const COLORS = ['#2f6db5', '#e07b39', '#3a9a5b', '#b84a62', '#7a5bb5', '#8c8c8c', '#c9a227', '#2aa6a6'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

/** A value axis: where a value lands (0..1 of the plot) and the labelled ticks. */
interface ValueAxis {
  pos(v: number): number;
  ticks: Array<{ v: number; label: string; major: boolean }>;
  caption: string;
}

/** Tick labels: 2.5k, 100k, 1M; plain numbers below 1,000. */
export function tickLabel(v: number): string {
  const abs = Math.abs(v);
  for (const [div, suffix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (abs >= div) return `${Number((v / div).toPrecision(3))}${suffix}`;
  }
  return Number(v.toPrecision(3)).toString();
}

/** Linear axis from 0 to a round maximum, with 4-8 ticks at 1, 2, 2.5 or 5 x 10^k. */
export function linearAxis(max: number, unit: string): ValueAxis {
  const rough = Math.max(max, 1e-9) / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * mag >= rough) ?? 10) * mag;
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push({ v, label: tickLabel(v), major: true });
  return { pos: (v) => (Number.isFinite(v) && v > 0 ? Math.min(v / top, 1) : 0), ticks, caption: unit };
}

/**
 * Log axis from the decade at or below the smallest value to the decade at or
 * above the largest: the origin is a power of ten, never an arbitrary point, and
 * every decade is a labelled gridline (with 2 and 5 between them when the axis
 * spans at most three decades), so bar lengths read against the ticks.
 */
export function logAxis(min: number, max: number, unit: string): ValueAxis {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, 1e-9))));
  const ticks: ValueAxis['ticks'] = [];
  for (let d = lo; d <= hi; d++) {
    ticks.push({ v: 10 ** d, label: tickLabel(10 ** d), major: true });
    if (d < hi && hi - lo <= 3) for (const f of [2, 5]) ticks.push({ v: f * 10 ** d, label: tickLabel(f * 10 ** d), major: false });
  }
  const pos = (v: number) => (Number.isFinite(v) && v > 0 ? Math.min(Math.max((Math.log10(v) - lo) / (hi - lo), 0), 1) : 0);
  return { pos, ticks, caption: `${unit} (log scale: each labelled decade is 10x the one before)` };
}

/** Grouped horizontal bars, one group per category, over a value axis with ticks and its unit. */
export function barChartSvg(c: BarChart): string {
  const left = 390;
  const right = 110;
  const barH = 16;
  const groupGap = 12;
  const top = 60;
  const width = 1100;
  const groupH = c.series.length * barH + groupGap;
  const perRow = 3;
  const legendRows = Math.ceil(c.series.length / perRow);
  const plotBottom = top + c.categories.length * groupH;
  const axisH = 50;
  const height = plotBottom + axisH + 10 + legendRows * 20;
  const all = c.series.flatMap((s) => [...s.values, ...(s.high ?? []), ...(s.low ?? [])]).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...all, 1e-9);
  const min = Math.min(...all, max);
  const axis = c.log ? logAxis(min, max, c.unit) : linearAxis(max, c.unit);
  const plotW = width - left - right;
  const x = (v: number) => axis.pos(v) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="28" font-size="20" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
  parts.push(`<text x="${width / 2}" y="48" font-size="13" text-anchor="middle" fill="#555">${esc(axis.caption)}</text>`);
  // gridlines and tick labels under the bars
  for (const t of axis.ticks) {
    const tx = (left + x(t.v)).toFixed(1);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${plotBottom}" stroke="${t.major ? '#ccc' : '#eee'}"/>`);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${plotBottom}" y2="${plotBottom + 5}" stroke="#333"/>`);
    parts.push(`<text x="${tx}" y="${plotBottom + 18}" font-size="${t.major ? 12 : 10}" text-anchor="middle" fill="${t.major ? '#222' : '#777'}">${esc(t.label)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top - 4}" y2="${plotBottom}" stroke="#333"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${plotBottom + 38}" font-size="13" text-anchor="middle">${esc(c.unit)}</text>`);
  c.categories.forEach((cat, ci) => {
    const gy = top + ci * groupH;
    parts.push(`<text x="${left - 8}" y="${gy + (c.series.length * barH) / 2 + 5}" font-size="13" text-anchor="end">${esc(cat)}</text>`);
    c.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      const y = gy + si * barH;
      const w = x(v);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${COLORS[si % COLORS.length]}"/>`);
      const lo = s.low?.[ci];
      const hi = s.high?.[ci];
      if (lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) {
        const cy = y + (barH - 3) / 2;
        parts.push(`<line x1="${left + x(lo)}" x2="${left + x(hi)}" y1="${cy}" y2="${cy}" stroke="#222" stroke-width="1.5"/>`);
        parts.push(`<line x1="${left + x(lo)}" x2="${left + x(lo)}" y1="${cy - 4}" y2="${cy + 4}" stroke="#222"/>`);
        parts.push(`<line x1="${left + x(hi)}" x2="${left + x(hi)}" y1="${cy - 4}" y2="${cy + 4}" stroke="#222"/>`);
      }
      if (Number.isFinite(v)) parts.push(`<text x="${left + Math.max(w, x(hi ?? 0)) + 6}" y="${y + barH - 5}" font-size="11">${fmt(v)}</text>`);
    });
  });
  c.series.forEach((s, si) => {
    const legendY = height - 16 - (legendRows - 1 - Math.floor(si / perRow)) * 20;
    const lx = left + (si % perRow) * 230;
    parts.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${legendY}" font-size="12">${esc(s.name)}</text>`);
  });
  return wrap(width, height, parts);
}

/** Lines over a numeric x axis with a legend. */
export function lineChartSvg(c: LineChart): string {
  const width = 900;
  const height = 520;
  const m = { l: 80, r: 220, t: 60, b: 60 };
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = c.yMin ?? Math.min(...ys);
  const y1 = c.yMax ?? Math.max(...ys);
  const px = (v: number) => m.l + ((v - x0) / (x1 - x0 || 1)) * (width - m.l - m.r);
  const py = (v: number) => height - m.b - ((v - y0) / (y1 - y0 || 1)) * (height - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="30" font-size="20" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
  parts.push(`<line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="#333"/>`);
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#333"/>`);
  for (let i = 0; i <= 5; i++) {
    const yv = y0 + ((y1 - y0) * i) / 5;
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${py(yv)}" y2="${py(yv)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 8}" y="${py(yv) + 4}" font-size="12" text-anchor="end">${fmt(yv)}</text>`);
  }
  for (const xv of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(xv)}" y="${height - m.b + 18}" font-size="12" text-anchor="middle">${fmt(xv)}</text>`);
  }
  parts.push(`<text x="${(m.l + width - m.r) / 2}" y="${height - 16}" font-size="13" text-anchor="middle">${esc(c.xLabel)}</text>`);
  parts.push(`<text x="20" y="${(m.t + height - m.b) / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 20 ${(m.t + height - m.b) / 2})">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3.5" fill="${color}"/>`);
    const ly = m.t + 10 + si * 22;
    parts.push(`<line x1="${width - m.r + 15}" x2="${width - m.r + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${width - m.r + 46}" y="${ly + 4}" font-size="12">${esc(s.name)}</text>`);
  });
  return wrap(width, height, parts);
}

function wrap(width: number, height: number, parts: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">` +
    `<rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`
  );
}
