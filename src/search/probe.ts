/**
 * Multi-index hashing probe plan (Norouzi, Punjani, Fleet 2012). With the hash
 * cut into m disjoint substrings and r = m*r' + a (0 <= a < m), any hash within
 * distance r of the query has, by the pigeonhole principle, a substring within
 * r' in one of the first a+1 tables or within r'-1 in one of the others. So
 * table i is probed at radius r' (i <= a) or r'-1 (else; skipped when negative).
 */

/** Radius to probe in each of m tables for a search radius r. */
export function tableRadii(r: number, m: number): number[] {
  const rp = Math.floor(r / m);
  const a = r - m * rp;
  return Array.from({ length: m }, (_, i) => (i <= a ? rp : rp - 1));
}

const maskCache = new Map<string, { masks: Uint32Array; dists: Uint8Array }>();

/**
 * Every `len`-bit XOR mask with at most `radius` bits set, in order of
 * increasing weight, with its weight. Cached per (len, radius).
 */
export function flipMasks(len: number, radius: number): { masks: Uint32Array; dists: Uint8Array } {
  const key = `${len}:${radius}`;
  const hit = maskCache.get(key);
  if (hit) return hit;
  const masks: number[] = [];
  const dists: number[] = [];
  const pick = (from: number, left: number, acc: number, weight: number) => {
    if (left === 0) {
      masks.push(acc >>> 0);
      dists.push(weight);
      return;
    }
    for (let b = from; b <= len - left; b++) pick(b + 1, left - 1, acc | (2 ** b >>> 0), weight);
  };
  for (let w = 0; w <= Math.min(radius, len); w++) pick(0, w, 0, w);
  const out = { masks: Uint32Array.from(masks), dists: Uint8Array.from(dists) };
  maskCache.set(key, out);
  return out;
}

/** Number of buckets a query of radius r probes with this table layout. */
export function probeCount(r: number, lens: number[]): number {
  const radii = tableRadii(r, lens.length);
  let n = 0;
  lens.forEach((len, i) => {
    const ri = radii[i]!;
    if (ri < 0) return;
    let c = 1;
    let sum = 1;
    for (let k = 1; k <= ri; k++) {
      c = (c * (len - k + 1)) / k;
      sum += c;
    }
    n += sum;
  });
  return Math.round(n);
}
