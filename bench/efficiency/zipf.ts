/** Seeded Zipf request streams over a key space, and the static optimum hit rate. */
import { mulberry32 } from '../lib/prng.js';

/** mulberry32 (bench/lib/prng.ts). */
export const prng = mulberry32;

export interface Zipf {
  /** Probability of the item of popularity rank r (0-based), normalised over the key space. */
  readonly probabilities: Float64Array;
  /** Draws the next item: an index 0..n-1 (not the rank: ranks are shuffled over the key space). */
  next(): number;
  /** Sum of the `k` largest probabilities: the best hit rate any cache holding k items can have on this stream. */
  staticOptimum(k: number): number;
}

/**
 * A Zipf(s) distribution over `n` items: P(rank r) ∝ 1 / (r + 1)^s. Ranks are
 * mapped to item indices by a seeded shuffle, so popularity does not follow
 * insertion order or key names.
 */
export function zipf(n: number, s: number, seed: number): Zipf {
  const probabilities = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) total += probabilities[r] = 1 / Math.pow(r + 1, s);
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) {
    probabilities[r] = probabilities[r]! / total;
    cdf[r] = acc += probabilities[r]!;
  }
  const rnd = prng(seed);
  const itemOfRank = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = itemOfRank[i]!;
    itemOfRank[i] = itemOfRank[j]!;
    itemOfRank[j] = t;
  }
  const prefix = new Float64Array(n + 1);
  for (let r = 0; r < n; r++) prefix[r + 1] = prefix[r]! + probabilities[r]!;
  return {
    probabilities,
    next() {
      const u = rnd() * acc;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return itemOfRank[lo]!;
    },
    staticOptimum(k) {
      return prefix[Math.max(0, Math.min(n, Math.floor(k)))]!;
    },
  };
}
