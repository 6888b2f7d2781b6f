/**
 * merge() validates before it writes, and every public call counts a failure
 * once, in one place (issue 11, item 6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'merr', trackExpiry: false, batchSize: 100 });
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

/** Runs `fn` with Redis refusing every write (maxmemory 1, noeviction), then gives Redis its room back. */
async function whileFull(fn: () => Promise<void>): Promise<void> {
  await redis.raw.config('SET', 'maxmemory-policy', 'noeviction');
  await redis.raw.config('SET', 'maxmemory', '1');
  try {
    await fn();
  } finally {
    await redis.raw.config('SET', 'maxmemory', '0');
  }
}

describe('merge() validates everything before its first write', () => {
  it('a bad group name fails the call and writes nothing (new and existing records)', async () => {
    const errorsBefore = (await cache.stats()).cache_errors;
    await expect(cache.merge('m-new', { a: 1 }, { groups: ['ok', ''] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await redis.raw.exists('merr:1.0:m-new')).toBe(0);
    expect(await cache.get('m-new')).toBeNull();

    await cache.set('m-old', { a: 1 });
    await expect(cache.merge('m-old', { b: 2 }, { groups: [42 as unknown as string] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.merge('m-old', { b: 2 }, { groups: 'g' as unknown as string[] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await cache.get('m-old'))?.features).toEqual({ a: 1 });
    expect(await redis.raw.keys('merr:@g:*')).toEqual([]);
    // a caller's mistake is not a cache error
    expect((await cache.stats()).cache_errors).toBe(errorsBefore);
  });
});

describe('cache_errors: one per failed call, counted in one place', () => {
  it('counts a failed compare-and-set, and a failed batch of several chunks once', async () => {
    await cache.set('cas', { a: 1 });
    const before = (await cache.stats()).cache_errors;
    await whileFull(async () => {
      // the read succeeds, the compare-and-set write is refused
      await expect(cache.merge('cas', { b: 2 })).rejects.toMatchObject({ code: 'REDIS_FULL' });
      // three chunks of 100, each refused: one failed call
      const items = Array.from({ length: 250 }, (_, i) => ({ imageId: `many-${i}`, features: { i } }));
      await expect(cache.setMany(items)).rejects.toMatchObject({ code: 'REDIS_FULL' });
      await expect(cache.set('one', { a: 1 })).rejects.toMatchObject({ code: 'REDIS_FULL' });
    });
    expect((await cache.stats()).cache_errors - before).toBe(3);
    expect((await cache.get('cas'))?.features).toEqual({ a: 1 });
  });
});
