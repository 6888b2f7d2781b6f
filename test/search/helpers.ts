/** Shared helpers of the similarity tests: seeded hash sets, brute force, a cache with the index. */
import { createFeatureCache, type FeatureCache, type FeatureCacheOptions } from '../../src/index.js';
import { SimilarityIndex, hamming64, type SimilarityOptions } from '../../src/search/index.js';
import { mulberry32 } from '../../bench/lib/prng.js';

/** A small seeded PRNG, so a failing case can be replayed. */
export const rng = mulberry32;

export function randomHash(rand: () => number): bigint {
  const hi = BigInt(Math.floor(rand() * 2 ** 32));
  const lo = BigInt(Math.floor(rand() * 2 ** 32));
  return (hi << 32n) | lo;
}

/** `h` with `k` distinct random bits flipped. */
export function flip(h: bigint, k: number, rand: () => number): bigint {
  const bits = new Set<number>();
  while (bits.size < k) bits.add(Math.floor(rand() * 64));
  let out = h;
  for (const b of bits) out ^= 1n << BigInt(b);
  return out;
}

export const hex = (h: bigint): string => h.toString(16).padStart(16, '0');

/** Uniform hashes plus families of near-duplicates (0..maxFlip bits from a base). */
export function hashSet(seed: number, uniform: number, families: number, familySize: number, maxFlip: number): bigint[] {
  const rand = rng(seed);
  const out: bigint[] = [];
  for (let i = 0; i < uniform; i++) out.push(randomHash(rand));
  for (let f = 0; f < families; f++) {
    const base = randomHash(rand);
    out.push(base);
    for (let i = 1; i < familySize; i++) out.push(flip(base, Math.floor(rand() * (maxFlip + 1)), rand));
  }
  return out;
}

/** The brute-force answer: ids within r, sorted by (distance, id). */
export function bruteForce(all: Map<string, bigint>, q: bigint, r: number, exclude?: string): Array<{ imageId: string; distance: number }> {
  const out: Array<{ imageId: string; distance: number }> = [];
  for (const [imageId, h] of all) {
    if (imageId === exclude) continue;
    const d = hamming64(h, q);
    if (d <= r) out.push({ imageId, distance: d });
  }
  return out.sort((a, b) => a.distance - b.distance || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
}

export interface IndexedCache {
  cache: FeatureCache;
  index: SimilarityIndex;
}

/** A cache whose similarity extension is exposed for direct calls. */
export async function cacheWithIndex(options: FeatureCacheOptions, sim: SimilarityOptions = {}): Promise<IndexedCache> {
  let index: SimilarityIndex | undefined;
  const cache = await createFeatureCache({
    ...options,
    extensions: [(ctx) => (index = new SimilarityIndex(ctx, sim))],
  });
  return { cache, index: index! };
}
