/**
 * Coalescing of concurrent single-image calls (src/cache/coalescer.ts):
 * callers in one event-loop turn share one round trip, and each still gets
 * exactly its own answer and its own errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, isFeatureCacheError, type FeatureCache } from '../../src/index.js';
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let cache: FeatureCache;

const calls = async (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await redis.raw.info('commandstats'))?.[1] ?? 0);

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'co' });
});

afterAll(async () => {
  await cache.close();
  await redis.stop();
});

describe('concurrent get() and set() calls', () => {
  it('answer each reader with its own record or null, in one MGET', async () => {
    await cache.setMany([
      { imageId: 'a', features: { n: 1 } },
      { imageId: 'b', features: { n: 2 } },
    ]);
    const [mget0, get0] = [await calls('mget'), await calls('get')];
    const [a, missing, b] = await Promise.all([cache.get('a'), cache.get('nope'), cache.get('b')]);
    expect(a?.features).toEqual({ n: 1 });
    expect(missing).toBeNull();
    expect(b?.features).toEqual({ n: 2 });
    expect((await calls('mget')) - mget0).toBe(1);
    expect((await calls('get')) - get0).toBe(0);
  });

  it('are written in one script call; a caller\'s bad input fails only that caller', async () => {
    const evals0 = (await calls('evalsha')) + (await calls('eval'));
    const results = await Promise.allSettled([
      cache.set('w1', { ok: true }),
      cache.set('w2', new Map() as never),
      cache.set('', { ok: 2 }),
      cache.set('w3', { ok: 3 }, { ttlSeconds: 0 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(isFeatureCacheError((results[1] as PromiseRejectedResult).reason, 'INVALID_FEATURES')).toBe(true);
    expect(isFeatureCacheError((results[2] as PromiseRejectedResult).reason, 'INVALID_IMAGE_ID')).toBe(true);
    expect((await calls('evalsha')) + (await calls('eval')) - evals0).toBe(1);
    const [w1, w2, w3] = await cache.getMany(['w1', 'w2', 'w3']);
    expect(w1?.features).toEqual({ ok: true });
    expect(w2).toBeNull();
    expect(w3?.features).toEqual({ ok: 3 });
    expect(await redis.raw.pttl('co:1.0:w3')).toBe(-1);
  });

  it('keep each writer\'s own options (TTL, groups) inside a shared batch', async () => {
    await Promise.all([cache.set('o1', { v: 1 }, { groups: ['g1'] }), cache.set('o2', { v: 2 }, { ttlSeconds: 5, groups: ['g2'] }), cache.set('o3', { v: 3 })]);
    expect(await cache.listGroup('g1')).toEqual(['o1']);
    expect(await cache.listGroup('g2')).toEqual(['o2']);
    const ttl = await redis.raw.pttl('co:1.0:o2');
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(5500);
    expect(await redis.raw.pttl('co:1.0:o3')).toBeGreaterThan(1_000_000_000);
  });

  it('count hits, misses and writes per image, as single calls would', async () => {
    const c = await createFeatureCache({ redis: redis.url, prefix: 'co-stats', statsFlushIntervalMs: 10 });
    try {
      await Promise.all(Array.from({ length: 30 }, (_, i) => c.set(`s${i}`, { i })));
      await Promise.all(Array.from({ length: 40 }, (_, i) => c.get(`s${i}`)));
      const s = await c.stats();
      expect([s.cache_hits, s.cache_misses, s.cached_images]).toEqual([30, 10, 30]);
    } finally {
      await c.close();
    }
  });

  it('run in the order they were made, also beside calls that bypass the queues', async () => {
    await cache.set('ord', { v: 'old' });
    // a read queued before the write, then a read of the written key: the second sees the write
    const [, , after] = await Promise.all([cache.get('x'), cache.set('ord', { v: 'new' }), cache.get('ord')]);
    expect(after?.features).toEqual({ v: 'new' });
    // set then invalidate: the record is gone
    await Promise.all([cache.set('ord2', { v: 1 }), cache.invalidate('ord2')]);
    expect(await cache.get('ord2')).toBeNull();
    // set then setMany: the later write wins
    await Promise.all([cache.set('ord3', { v: 'set' }), cache.setMany([{ imageId: 'ord3', features: { v: 'setMany' } }])]);
    expect((await cache.get('ord3'))?.features).toEqual({ v: 'setMany' });
    // set then getMany / merge / listGroup see the write
    const [, many] = await Promise.all([cache.set('ord4', { v: 4 }, { groups: ['ordg'] }), cache.getMany(['ord4'])]);
    expect(many[0]?.features).toEqual({ v: 4 });
    const [, merged] = await Promise.all([cache.set('ord5', { a: 1 }), cache.merge('ord5', { b: 2 })]);
    expect(merged.features).toEqual({ a: 1, b: 2 });
    const [, listed] = await Promise.all([cache.set('ord6', { v: 6 }, { groups: ['ordg'] }), cache.listGroup('ordg')]);
    expect(listed).toEqual(['ord4', 'ord6']);
  });

  it('count one error per failed call, as single calls would', async () => {
    const r = await startTestRedis();
    const c = await createFeatureCache({ redis: r.url, prefix: 'co-err', commandTimeoutMs: 300, statsFlushIntervalMs: 10 });
    try {
      await r.stop();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => c.get(`e${i}`)));
      expect(results.every((x) => x.status === 'rejected')).toBe(true);
      await r.restart();
      // stats() calls that fail while the client reconnects (a loaded machine)
      // are failed calls too, and count one error each: allow exactly those.
      let failedStats = 0;
      let errors: number | undefined;
      const settled = await eventually(
        async () => {
          const stats = await c.stats().catch(() => null);
          if (stats === null) failedStats++;
          errors = stats?.cache_errors;
          return errors !== undefined && errors >= 20;
        },
        20_000,
        100,
      );
      expect(settled).toBe(true);
      // the counters are flushed every 10 ms: give the last flush a moment
      await new Promise((res) => setTimeout(res, 100));
      errors = (await c.stats()).cache_errors;
      expect(errors).toBeGreaterThanOrEqual(20);
      expect(errors).toBeLessThanOrEqual(20 + failedStats);
    } finally {
      await c.close();
      await r.stop();
    }
  });

  it('still get their answers when close() is called right after them', async () => {
    const c = await createFeatureCache({ redis: redis.url, prefix: 'co-close' });
    const pending = [c.set('x', { v: 1 }), c.set('y', { v: 2 })];
    await c.close();
    await expect(Promise.all(pending)).resolves.toBeDefined();
    expect(await redis.raw.exists('co-close:1.0:x', 'co-close:1.0:y')).toBe(2);
  });

  it('a Redis failure rejects every caller of the batch with REDIS_UNAVAILABLE', async () => {
    const down = await startTestRedis();
    const c = await createFeatureCache({ redis: down.url, prefix: 'co-down', commandTimeoutMs: 300 });
    try {
      await down.stop();
      const results = await Promise.allSettled([c.get('x'), c.get('y'), c.set('z', { v: 1 })]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(isFeatureCacheError((r as PromiseRejectedResult).reason, 'REDIS_UNAVAILABLE')).toBe(true);
      }
    } finally {
      await c.close();
    }
  });

  it('are one round trip each with coalesce: false', async () => {
    const c = await createFeatureCache({ redis: redis.url, prefix: 'co', coalesce: false });
    try {
      const [mget0, get0] = [await calls('mget'), await calls('get')];
      await Promise.all([c.get('a'), c.get('b')]);
      expect((await calls('mget')) - mget0).toBe(0);
      expect((await calls('get')) - get0).toBe(2);
    } finally {
      await c.close();
    }
  });
});
