/** Small statistics of the provenance bench. */
export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const median = (values: number[]) => quantile(values, 0.5);
export const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
export const pct = (hit: number, total: number) => (total === 0 ? null : round((100 * hit) / total, 1));
