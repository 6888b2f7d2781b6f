/** Bad queries fail with typed errors; compareSet finds every pair within the radius. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, FeatureCacheError } from '../../src/errors.js';
import { SimilarityIndex, UNKNOWN_IMAGE_CODE, compareSet, hamming64 } from '../../src/search/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { cacheWithIndex, hashSet, hex, type IndexedCache } from './helpers.js';

let redis: TestRedis;
let ic: IndexedCache;

beforeAll(async () => {
  redis = await startTestRedis();
  ic = await cacheWithIndex({ redis: redis.url, prefix: 'q' }, { expectedImages: 10_000, maxRadius: 10, maxLimit: 50 });
  await ic.cache.set('a', { phash: '8f3c0a5e91d2b746', dhash: '0000ffff0000ffff' });
  await ic.cache.set('nohash', { color: 1 });
});
afterAll(async () => {
  await ic.cache.close();
  await redis.stop();
});

async function codeOf(p: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown> }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeatureCacheError);
  return { code: (err as FeatureCacheError).code, details: (err as FeatureCacheError).details };
}

describe('bad queries', () => {
  const search = (q: unknown, o: unknown) => ic.index.searchSimilar(q as never, o as never);

  it('malformed hashes are INVALID_ARGUMENT', async () => {
    for (const phash of ['xyz', '8f3c0a5e91d2b74', '8f3c0a5e91d2b7466', '8f3c0a5e91d2b74g', 12, null]) {
      expect((await codeOf(search({ phash }, { maxDistance: 2 }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    }
    expect((await codeOf(search({ hash: 'nothex' }, { maxDistance: 2 }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect((await codeOf(search({}, { maxDistance: 2 }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('a radius above the supported maximum, a negative or fractional radius, a limit above the maximum are INVALID_ARGUMENT', async () => {
    const above = await codeOf(search({ phash: '8f3c0a5e91d2b746' }, { maxDistance: 11 }));
    expect(above).toEqual({ code: ErrorCodes.INVALID_ARGUMENT, details: { maxRadius: 10 } });
    for (const maxDistance of [-1, 2.5, '3', undefined]) {
      expect((await codeOf(search({ phash: '8f3c0a5e91d2b746' }, { maxDistance }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    }
    expect((await codeOf(search({ phash: '8f3c0a5e91d2b746' }, { maxDistance: 2, limit: 51 }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('an unknown image ID is a typed error naming the reason; an image without the hash, an unindexed field are INVALID_ARGUMENT', async () => {
    const unknown = await codeOf(search({ imageId: 'missing' }, { maxDistance: 2 }));
    expect(unknown.code).toBe(UNKNOWN_IMAGE_CODE);
    expect(unknown.details).toMatchObject({ reason: 'unknown_image', imageId: 'missing' });
    expect(await codeOf(search({ imageId: 'nohash' }, { maxDistance: 2 }))).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, details: { reason: 'no_hash' } });
    expect(await codeOf(search({ imageId: 'a', field: 'dhash' }, { maxDistance: 2 }))).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, details: { field: 'dhash' } });
    expect((await codeOf(search({ dhash: '0000ffff0000ffff' }, { maxDistance: 2 }))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('an index built with another layout is refused, not corrupted', async () => {
    const c2 = await cacheWithIndex({ redis: redis.url, prefix: 'q' }, { expectedImages: 10_000, tables: 4 });
    const other: SimilarityIndex = c2.index;
    expect(ic.index.options.tables).not.toBe(4);
    try {
      expect((await codeOf(other.searchSimilar({ phash: '8f3c0a5e91d2b746' }, { maxDistance: 1 }))).code).toBe(ErrorCodes.INVALID_OPTIONS);
      await c2.cache.set('b', { phash: '8f3c0a5e91d2b746' }); // the hook fails and is logged; the write succeeds
      expect((await ic.index.searchSimilar({ phash: '8f3c0a5e91d2b746' }, { maxDistance: 0 })).neighbors.map((n) => n.imageId)).toEqual(['a']);
    } finally {
      await c2.cache.close();
    }
  });
});

describe('dhash and phash indexed side by side', () => {
  it('each field has its own index', async () => {
    const both = await cacheWithIndex({ redis: redis.url, prefix: 'both' }, { fields: ['phash', 'dhash'], expectedImages: 1000 });
    try {
      await both.cache.set('x', { phash: '8f3c0a5e91d2b746', dhash: '0000ffff0000ffff' });
      await both.cache.set('y', { phash: '8f3c0a5e91d2b747' });
      const byD = await both.index.searchSimilar({ dhash: '0000ffff0000fffe' }, { maxDistance: 1 });
      expect(byD.neighbors).toEqual([{ imageId: 'x', distance: 1, hash: '0000ffff0000ffff' }]);
      const byP = await both.index.searchSimilar({ imageId: 'x', field: 'phash' }, { maxDistance: 1 });
      expect(byP.neighbors.map((n) => n.imageId)).toEqual(['y']);
    } finally {
      await both.cache.close();
    }
  });
});

describe('compareSet', () => {
  it('returns exactly the pairs within the radius, and lists missing and hash-less IDs', async () => {
    const hashes = hashSet(77, 300, 30, 10, 6);
    const ids = hashes.map((_, i) => `c${i}`);
    await ic.cache.setMany(hashes.map((h, i) => ({ imageId: ids[i]!, features: { phash: hex(h) } })));
    const res = await ic.index.compareSet([...ids, 'c0', 'ghost', 'nohash'], { maxDistance: 6 });
    const want: Array<{ a: string; b: string; distance: number }> = [];
    for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) {
      const d = hamming64(hashes[i]!, hashes[j]!);
      if (d <= 6) want.push({ a: ids[i]!, b: ids[j]!, distance: d });
    }
    want.sort((x, y) => x.distance - y.distance || ids.indexOf(x.a) - ids.indexOf(y.a) || ids.indexOf(x.b) - ids.indexOf(y.b));
    expect(want.length).toBeGreaterThan(200);
    expect(res.pairs).toEqual(want);
    expect(res).toMatchObject({ missing: ['ghost'], without_hash: ['nohash'], compared: hashes.length, field: 'phash' });
  });

  it('works over any getMany (the FeatureCache), and validates its input', async () => {
    const res = await compareSet((ids) => ic.cache.getMany(ids), ['a', 'c0'], { maxDistance: 64 });
    expect(res.pairs).toHaveLength(1);
    const bad = await codeOf(compareSet((ids) => ic.cache.getMany(ids), ['a'], { maxDistance: 65 }));
    expect(bad.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    const tooMany = await codeOf(compareSet(() => Promise.resolve([]), ['a', 'b', 'c'], { maxDistance: 1, maxIds: 2 }));
    expect(tooMany).toEqual({ code: ErrorCodes.INVALID_ARGUMENT, details: { maxIds: 2 } });
  });
});
