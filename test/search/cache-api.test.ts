import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let indexed: FeatureCache;
let plain: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  indexed = await createFeatureCache({ redis: redis.url, prefix: 'api', similarity: { fields: ['phash'], expectedImages: 1000 } });
  plain = await createFeatureCache({ redis: redis.url, prefix: 'plain' });
});
afterAll(async () => {
  await indexed.close();
  await plain.close();
  await redis.stop();
});

describe('searchSimilar and compareSet on the FeatureCache', () => {
  it('finds near duplicates through the `similarity` option, nearest first', async () => {
    await indexed.setMany([
      { imageId: 'orig', features: { phash: 'ba8c84536bd3c366' } },
      { imageId: 'one-bit', features: { phash: 'ba8c84536bd3c367' } },
      { imageId: 'three-bits', features: { phash: 'ba8c84536bd3c361' } },
      { imageId: 'far', features: { phash: '45737bac942c3c99' } },
    ]);
    const res = await indexed.searchSimilar({ imageId: 'orig' }, { maxDistance: 4, limit: 10 });
    expect(res.neighbors.map((n) => [n.imageId, n.distance])).toEqual([
      ['one-bit', 1],
      ['three-bits', 3],
    ]);
    await expect(indexed.searchSimilar({ imageId: 'nobody' }, { maxDistance: 4 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('searchSimilar without an index is a clear INVALID_OPTIONS; compareSet works without one', async () => {
    await expect(plain.searchSimilar({ phash: 'ba8c84536bd3c366' }, { maxDistance: 4 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await plain.setMany([
      { imageId: 'a', features: { phash: 'ffd7918181c9ffff' } },
      { imageId: 'b', features: { phash: 'ffd7918181c9fffe' } },
      { imageId: 'c', features: { phash: '0026273b2b19550e' } },
    ]);
    const res = await plain.compareSet(['a', 'b', 'c', 'missing'], { maxDistance: 3 });
    expect(res.pairs).toEqual([{ a: 'a', b: 'b', distance: 1 }]);
    await expect(plain.compareSet(['ok', 'bad\n'], { maxDistance: 3 })).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
  });
});

describe('a view made by withVersion', () => {
  it('keeps its own similarity index, fed by expiry events routed from the parent', async () => {
    const view = await plain.withVersion('1.0+phash.1', { similarity: { expectedImages: 1000 } });
    await view.setMany([
      { imageId: 'v1', features: { phash: 'ba8c84536bd3c366' } },
      { imageId: 'v2', features: { phash: 'ba8c84536bd3c367' }, ttlSeconds: 1 },
    ]);
    let res = await view.searchSimilar({ phash: 'ba8c84536bd3c366' }, { maxDistance: 2 });
    expect(res.neighbors.map((n) => n.imageId)).toEqual(['v1', 'v2']);
    // v2 expires; the parent's tracker routes the event to the view's index
    expect(await eventually(async () => (await view.stats()).cached_images === 1, 8000, 100)).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // the tracker flushes removals every 50 ms
    res = await view.searchSimilar({ phash: 'ba8c84536bd3c366' }, { maxDistance: 2 });
    expect(res.neighbors.map((n) => n.imageId)).toEqual(['v1']);
    expect(res.stale_skipped).toBe(0); // removed by the routed event, not skipped at query time
    // the root's cleanup keeps the versions of its open views: records and index
    await plain.cleanup();
    expect((await view.get('v1'))?.features.phash).toBe('ba8c84536bd3c366');
    res = await view.searchSimilar({ phash: 'ba8c84536bd3c366' }, { maxDistance: 0 });
    expect(res.neighbors.map((n) => n.imageId)).toEqual(['v1']);
    await expect(plain.searchSimilar({ phash: 'ba8c84536bd3c366' }, { maxDistance: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await view.close();
  });
});

describe('cleanup with two indexes', () => {
  it('a root and a view, each with its own index, keep both through cleanup()', async () => {
    const root = await createFeatureCache({ redis: redis.url, prefix: 'two', similarity: { expectedImages: 1000 } });
    const view = await root.withVersion('1.0+x.1', { similarity: { expectedImages: 1000 } });
    try {
      await root.set('r1', { phash: 'ffd7918181c9ffff' });
      await view.set('v1', { phash: '0026273b2b19550e' });
      await root.cleanup();
      await view.cleanup();
      expect((await root.searchSimilar({ phash: 'ffd7918181c9ffff' }, { maxDistance: 0 })).neighbors.map((n) => n.imageId)).toEqual(['r1']);
      expect((await view.searchSimilar({ phash: '0026273b2b19550e' }, { maxDistance: 0 })).neighbors.map((n) => n.imageId)).toEqual(['v1']);
    } finally {
      await root.close();
    }
  });
});
