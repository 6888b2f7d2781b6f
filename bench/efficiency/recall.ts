/** Brute-force cosine top-10 and recall@10 of an approximate copy of a vector set. */

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Indices of the 10 vectors most cosine-similar to `q` (the query itself excluded). */
export function top10(q: Float32Array, set: Float32Array[], norms: Float64Array, exclude: number): number[] {
  const best: Array<[number, number]> = [];
  for (let i = 0; i < set.length; i++) {
    if (i === exclude) continue;
    const sim = dot(q, set[i]!) / norms[i]!;
    if (best.length < 10 || sim > best[best.length - 1]![1]) {
      best.push([i, sim]);
      best.sort((a, b) => b[1] - a[1]);
      if (best.length > 10) best.pop();
    }
  }
  return best.map(([i]) => i);
}

/**
 * Mean fraction of the true top-10 (float32 `truth`) found in the top-10 over
 * `approx` (queries are the float32 vectors at `queryIdx`).
 */
export function recallAt10(truth: Float32Array[], approx: Float32Array[], queryIdx: number[]): number {
  const norm = (set: Float32Array[]) => Float64Array.from(set, (v) => Math.sqrt(dot(v, v)) || 1);
  const nt = norm(truth);
  const na = norm(approx);
  let found = 0;
  for (const qi of queryIdx) {
    const q = truth[qi]!;
    const want = new Set(top10(q, truth, nt, qi));
    for (const i of top10(q, approx, na, qi)) if (want.has(i)) found++;
  }
  return found / (10 * queryIdx.length);
}
