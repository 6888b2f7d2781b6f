/** FeatureCache.inspect() on a real redis-server: remaining TTL, stored bytes, groups, a missing image, the bounded group search. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'insp', featureVersion: '1.0' });
});
afterAll(async () => {
  await cache.close();
  await redis.stop();
});

describe('inspect', () => {
  it('answers the TTL left, the STRLEN and MEMORY USAGE of the record, and its groups', async () => {
    await cache.set('a', { phash: 'ff00', emb: new Float32Array([1, 2, 3]) }, { ttlSeconds: 500, groups: ['g1', 'g2'] });
    await cache.set('b', { phash: 'aa' }, { groups: ['g2', 'g3'] }); // g3 holds only b
    const meta = await cache.inspect('a');
    expect(meta).not.toBeNull();
    // the TTL carries the cache's jitter: compare with what Redis says
    const pttl = await redis.raw.pttl('insp:1.0:a');
    expect(Math.abs(meta!.ttlSeconds! - pttl / 1000)).toBeLessThanOrEqual(1);
    expect(meta!.storedBytes).toBe(await redis.raw.strlen('insp:1.0:a'));
    expect(meta!.storedBytes).toBeGreaterThan(12); // at least the float32 bytes
    expect(meta!.memoryBytes).toBeGreaterThan(meta!.storedBytes);
    expect(meta!.groups).toEqual(['g1', 'g2']);
    expect(meta!.groupsComplete).toBe(true);
    expect(meta!.version).toBe('1.0');
  });

  it('null TTL for a record without expiry', async () => {
    await redis.raw.persist('insp:1.0:b');
    const meta = await cache.inspect('b');
    expect(meta!.ttlSeconds).toBeNull();
    expect(meta!.groups).toEqual(['g2', 'g3']);
  });

  it('null for a missing image (also one left only in a group set)', async () => {
    expect(await cache.inspect('nope')).toBeNull();
    await cache.set('gone', { x: 1 }, { groups: ['g1'] });
    await redis.raw.del('insp:1.0:gone');
    expect(await cache.inspect('gone')).toBeNull();
  });

  it('groups of another version are not listed', async () => {
    const v2 = await cache.withVersion('2.0');
    await v2.set('a', { x: 2 }, { groups: ['other'] });
    expect((await cache.inspect('a'))!.groups).toEqual(['g1', 'g2']);
    expect((await v2.inspect('a'))!.groups).toEqual(['other']);
    await v2.close();
  });

  it('the group search stops at maxScanSteps and says it is incomplete', async () => {
    const meta = await cache.inspect('a', { maxScanSteps: 0 });
    expect(meta!.groups).toEqual([]);
    expect(meta!.groupsComplete).toBe(false);
    expect(meta!.ttlSeconds).toBeGreaterThan(0);
    await expect(cache.inspect('a', { maxScanSteps: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.inspect('')).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
  });
});
