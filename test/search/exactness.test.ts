/** Results equal a brute-force scan, on random and clustered sets, at radii 0..10, for several m. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { bruteForce, cacheWithIndex, flip, hashSet, hex, randomHash, rng, type IndexedCache } from './helpers.js';

let redis: TestRedis;
const open: IndexedCache[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(open.map((o) => o.cache.close()));
  await redis.stop();
});

async function loaded(prefix: string, hashes: bigint[], tables: number): Promise<{ ic: IndexedCache; all: Map<string, bigint> }> {
  const ic = await cacheWithIndex({ redis: redis.url, prefix, ttlSeconds: 0 }, { tables, expectedImages: hashes.length, bucketCap: 100_000 });
  open.push(ic);
  const all = new Map<string, bigint>();
  hashes.forEach((h, i) => all.set(`img-${i}`, h));
  await ic.cache.setMany([...all].map(([imageId, h]) => ({ imageId, features: { phash: hex(h), n: 1 } })));
  return { ic, all };
}

async function expectExact(ic: IndexedCache, all: Map<string, bigint>, queries: bigint[], radii: number[]): Promise<number> {
  let nonEmpty = 0;
  for (const r of radii) {
    for (const q of queries) {
      const res = await ic.index.searchSimilar({ phash: hex(q) }, { maxDistance: r, limit: 1000 });
      const want = bruteForce(all, q, r);
      expect(res.neighbors.map((n) => ({ imageId: n.imageId, distance: n.distance })), `r=${r} q=${hex(q)}`).toEqual(want);
      expect(res.truncated).toBe(false);
      expect(res.stale_skipped).toBe(0);
      if (want.length > 0) nonEmpty++;
    }
  }
  return nonEmpty;
}

describe.each([3, 4, 5, 6])('m = %i tables', (m) => {
  it('clustered set (families of near-duplicates): exact at every radius 0..10', async () => {
    const hashes = hashSet(100 + m, 1000, 120, 12, 8);
    const { ic, all } = await loaded(`clu${m}`, hashes, m);
    const rand = rng(m);
    // queries: stored hashes, near variants of stored hashes, random hashes
    const queries = Array.from({ length: 24 }, (_, i) => {
      const base = hashes[Math.floor(rand() * hashes.length)]!;
      return i % 3 === 0 ? base : i % 3 === 1 ? flip(base, 1 + (i % 7), rand) : randomHash(rand);
    });
    const nonEmpty = await expectExact(ic, all, queries, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(nonEmpty).toBeGreaterThan(100); // the check compared real neighbour lists, not only empty ones
  });
});

describe('uniform set', () => {
  it('random hashes: exact at radii 0..10 (m = 4)', async () => {
    const hashes = hashSet(42, 3000, 0, 0, 0);
    const { ic, all } = await loaded('uni', hashes, 4);
    const rand = rng(9);
    const queries = Array.from({ length: 20 }, (_, i) => flip(hashes[i * 17]!, i % 11, rand));
    await expectExact(ic, all, queries, [0, 2, 4, 6, 8, 10]);
  });

  it('limit keeps the nearest (ties by id) and reports has_more; by-image queries exclude the image itself', async () => {
    const base = 0x0123456789abcdefn;
    const rand = rng(5);
    const hashes = [base, ...Array.from({ length: 40 }, (_, i) => flip(base, 1 + (i % 4), rand))];
    const { ic, all } = await loaded('lim', hashes, 4);
    const res = await ic.index.searchSimilar({ imageId: 'img-0' }, { maxDistance: 4, limit: 10, withFeatures: true });
    const want = bruteForce(all, base, 4, 'img-0');
    expect(want.length).toBe(40);
    expect(res.neighbors.map((n) => n.imageId)).toEqual(want.slice(0, 10).map((w) => w.imageId));
    expect(res.has_more).toBe(true);
    expect(res.neighbors[0]!.features).toEqual({ phash: hex(all.get(res.neighbors[0]!.imageId)!), n: 1 });
    const self = await ic.index.searchSimilar({ imageId: 'img-0' }, { maxDistance: 0, limit: 10, includeSelf: true });
    expect(self.neighbors).toEqual([{ imageId: 'img-0', distance: 0, hash: hex(base) }]);
  });
});
