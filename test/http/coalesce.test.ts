/**
 * The single-image coalescer (src/http/coalesce.ts): concurrent callers share
 * one library call, and each still gets exactly its own answer — including
 * when one caller's input makes the library refuse the whole batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, isFeatureCacheError, type FeatureCache } from '../../src/index.js';
import { coalesceSingleImageIo } from '../../src/http/coalesce.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'co' });
});

afterAll(async () => {
  await cache.close();
  await redis.stop();
});

describe('coalesceSingleImageIo', () => {
  it('answers concurrent reads each with its own record or null, in one MGET', async () => {
    await cache.setMany([
      { imageId: 'a', features: { n: 1 } },
      { imageId: 'b', features: { n: 2 } },
    ]);
    const io = coalesceSingleImageIo(cache);
    const before = Number(/cmdstat_mget:calls=(\d+)/.exec(await redis.raw.info('commandstats'))?.[1] ?? 0);
    const [a, missing, b] = await Promise.all([io.get('a'), io.get('nope'), io.get('b')]);
    const after = Number(/cmdstat_mget:calls=(\d+)/.exec(await redis.raw.info('commandstats'))?.[1] ?? 0);
    expect(a?.features).toEqual({ n: 1 });
    expect(missing).toBeNull();
    expect(b?.features).toEqual({ n: 2 });
    expect(after - before).toBe(1);
  });

  it("a caller's invalid features fail only that caller; the others are written", async () => {
    const io = coalesceSingleImageIo(cache);
    const results = await Promise.allSettled([
      io.set({ imageId: 'w1', features: { ok: true } }),
      io.set({ imageId: 'w2', features: new Map() as never }),
      io.set({ imageId: 'w3', features: { ok: 3 } }),
    ]);
    expect(results[0]!.status).toBe('fulfilled');
    expect(results[2]!.status).toBe('fulfilled');
    expect(results[1]!.status).toBe('rejected');
    const reason = (results[1] as PromiseRejectedResult).reason;
    expect(isFeatureCacheError(reason, 'INVALID_FEATURES')).toBe(true);
    const [w1, w2, w3] = await cache.getMany(['w1', 'w2', 'w3']);
    expect(w1?.features).toEqual({ ok: true });
    expect(w2).toBeNull();
    expect(w3?.features).toEqual({ ok: 3 });
  });

  it('a Redis failure rejects every caller of the batch', async () => {
    const closed = await createFeatureCache({ redis: redis.url, prefix: 'co2' });
    await closed.close();
    const io = coalesceSingleImageIo(closed);
    const results = await Promise.allSettled([io.get('x'), io.get('y')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
