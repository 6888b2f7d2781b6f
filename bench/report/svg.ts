/**
 * Minimal SVG charts (no dependency): horizontal grouped bars with optional
 * min-max whiskers, and lines over a numeric x axis. Rendered to PNG by render.ts.
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
  /** Log scale for the value axis (for values spanning decades). @default false */
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

const COLORS = ['#2f6db5', '#e07b39', '#3a9a5b', '#b84a62', '#7a5bb5', '#8c8c8c'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

/** Grouped horizontal bars, one group per category. */
export function barChartSvg(c: BarChart): string {
  const left = 390;
  const right = 110;
  const barH = 16;
  const groupGap = 12;
  const top = 60;
  const width = 1100;
  const groupH = c.series.length * barH + groupGap;
  const perRow = 4;
  const legendRows = Math.ceil(c.series.length / perRow);
  const height = top + c.categories.length * groupH + 20 + legendRows * 20;
  const all = c.series.flatMap((s) => [...s.values, ...(s.high ?? [])]).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(1, ...all);
  const minPos = Math.max(1e-9, Math.min(...all, max));
  const plotW = width - left - right;
  const x = (v: number) => {
    if (!Number.isFinite(v) || v <= 0) return 0;
    if (!c.log) return (v / max) * plotW;
    const lo = Math.log10(minPos) - 0.3;
    return ((Math.log10(v) - lo) / (Math.log10(max) - lo)) * plotW;
  };
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="28" font-size="20" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
  parts.push(`<text x="${width / 2}" y="48" font-size="13" text-anchor="middle" fill="#555">${esc(c.unit)}${c.log ? ' (log scale)' : ''}</text>`);
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
    const lx = left + (si % perRow) * 170;
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
