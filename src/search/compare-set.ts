/**
 * compareSet: every pair within a radius inside one set of images, from one
 * batch lookup and popcount in process (no index needed).
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { Features } from '../types.js';
import { isHash64, popcount32 } from './hash64.js';
import { compareOptionsSchema, parseArgs, type CompareOptions } from './options.js';

export interface ComparePair {
  a: string;
  b: string;
  distance: number;
}

export interface CompareResult {
  field: string;
  maxDistance: number;
  /** Pairs within maxDistance, nearest first, then by (a, b) in input order. */
  pairs: ComparePair[];
  /** IDs without a cached record. */
  missing: string[];
  /** IDs whose record has no valid 64-bit hash in `field`. */
  without_hash: string[];
  /** Images compared (with a hash). */
  compared: number;
}

/** Anything that reads many records at once, aligned with the IDs (FeatureCache.getMany). */
export type GetManyFn = (imageIds: string[]) => Promise<Array<{ features: Features } | null>>;

/**
 * All pairs of `imageIds` whose `field` hashes are within `maxDistance`.
 * Duplicate IDs are compared once. 1,000 IDs (~500,000 pairs) take a few ms
 * after the lookup. Throws INVALID_ARGUMENT on bad input.
 */
export async function compareSet(getMany: GetManyFn, imageIds: string[], options: CompareOptions): Promise<CompareResult> {
  const o = parseArgs(compareOptionsSchema, options, 'compare option');
  if (!Array.isArray(imageIds)) throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, 'imageIds must be an array');
  const ids = [...new Set(imageIds)];
  if (ids.length > o.maxIds) {
    throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `compareSet takes at most ${o.maxIds} image IDs (got ${ids.length})`, {
      details: { maxIds: o.maxIds },
    });
  }
  const records = ids.length > 0 ? await getMany(ids) : [];
  const missing: string[] = [];
  const withoutHash: string[] = [];
  const keep: string[] = [];
  const hi = new Int32Array(ids.length);
  const lo = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const rec = records[i];
    if (!rec) return void missing.push(id);
    const h = rec.features[o.field];
    if (!isHash64(h)) return void withoutHash.push(id);
    hi[keep.length] = parseInt(h.slice(0, 8), 16) | 0;
    lo[keep.length] = parseInt(h.slice(8), 16) | 0;
    keep.push(id);
  });
  const pairs = pairsWithin(hi, lo, keep.length, o.maxDistance).map(([i, j, d]) => ({ a: keep[i]!, b: keep[j]!, distance: d }));
  return { field: o.field, maxDistance: o.maxDistance, pairs, missing, without_hash: withoutHash, compared: keep.length };
}

/** Index pairs (i < j) of n hashes (hi/lo halves) within distance r, sorted by distance, i, j. */
export function pairsWithin(hi: Int32Array, lo: Int32Array, n: number, r: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const hi1 = hi[i]!;
    const lo1 = lo[i]!;
    for (let j = i + 1; j < n; j++) {
      const d = popcount32(hi1 ^ hi[j]!) + popcount32(lo1 ^ lo[j]!);
      if (d <= r) out.push([i, j, d]);
    }
  }
  return out.sort((x, y) => x[2] - y[2] || x[0] - y[0] || x[1] - y[1]);
}
