import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

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
