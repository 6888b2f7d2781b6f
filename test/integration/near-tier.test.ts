/**
 * The near tier (src/cache/near-tier.ts, near-cache.ts, invalidation.ts) on a
 * real redis-server: reads served in process, dropped on Redis's own
 * invalidation messages whoever wrote (another featcache, raw SET/DEL/EXPIRE,
 * FLUSHALL), flushed and bypassed while the invalidation connection is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, isFeatureCacheError, type FeatureCache } from '../../src/index.js';
import type { RedisFeatureCache } from '../../src/cache/feature-cache.js';
import { commandCalls, eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let reader: RedisFeatureCache;
let writer: FeatureCache;

const near = () => reader.near!;
const inTier = (id: string) => near().tier.get('nt:1.0:', id) !== undefined;

/** Resolves when Redis's invalidation message naming `key` reaches the reader. */
function invalidationOf(key: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (e: { source: string; keys?: string[] | null }) => {
      if (e.source === 'redis' && (e.keys === null || e.keys?.includes(key))) {
        reader.off('invalidate', on);
        resolve(performance.now());
      }
    };
    reader.on('invalidate', on);
  });
}

beforeAll(async () => {
  // DEBUG SET-ACTIVE-EXPIRE: the TTL test keeps Redis from deleting expired keys on its own
  redis = await startTestRedis({ 'enable-debug-command': 'local' });
  reader = (await createFeatureCache({ redis: redis.url, prefix: 'nt', nearCache: { maxBytes: 1 << 20 } })) as RedisFeatureCache;
  writer = await createFeatureCache({ redis: redis.url, prefix: 'nt' });
});

afterAll(async () => {
  await reader.close();
  await writer.close();
  await redis.stop();
});

describe('near tier', () => {
  it('is off by default', () => {
    expect((writer as RedisFeatureCache).near).toBeNull();
  });

  it('answers repeated reads in process, counted as hits', async () => {
    await writer.set('a', { v: new Float32Array([1, -0, NaN]) });
    expect((await reader.get('a'))?.features.v).toEqual(new Float32Array([1, -0, NaN]));
    const stats0 = await reader.stats();
    const before = await commandCalls(redis.raw, 'get');
    for (let i = 0; i < 50; i++) expect(Object.is(((await reader.get('a'))!.features.v as Float32Array)[1], -0)).toBe(true);
    const [batch] = await reader.getMany(['a']);
    expect(batch?.features.v).toEqual(new Float32Array([1, -0, NaN]));
    expect(await commandCalls(redis.raw, 'get')).toBe(before);
    expect(await commandCalls(redis.raw, 'mget')).toBe(0);
    const stats1 = await reader.stats();
    expect(stats1.cache_hits - stats0.cache_hits).toBe(51);
  });

  it('applies `types` to whole records kept in the tier', async () => {
    await writer.set('t', { a: [1], b: [2] });
    await reader.get('t');
    expect((await reader.get('t', { types: ['b'] }))?.features).toEqual({ b: [2] });
    expect((await reader.get('t'))?.features).toEqual({ a: [1], b: [2] });
  });

  it('drops a key written by another featcache, by raw SET, DEL and EXPIRE', async () => {
    await writer.set('w', { n: [1] });
    await reader.get('w');
    expect(inTier('w')).toBe(true);
    let delivered = invalidationOf('nt:1.0:w');
    await writer.set('w', { n: [2] });
    await delivered;
    expect((await reader.get('w'))?.features).toEqual({ n: [2] });

    await writer.set('other', { n: [3] });
    delivered = invalidationOf('nt:1.0:w');
    await redis.raw.set('nt:1.0:w', (await redis.raw.getBuffer('nt:1.0:other'))!);
    await delivered;
    expect((await reader.get('w'))?.features).toEqual({ n: [3] });

    delivered = invalidationOf('nt:1.0:w');
    await redis.raw.pexpire('nt:1.0:w', 1);
    await delivered;
    expect(inTier('w')).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(await reader.get('w')).toBeNull();

    await writer.set('d', { n: [4] });
    await reader.get('d');
    delivered = invalidationOf('nt:1.0:d');
    await redis.raw.del('nt:1.0:d');
    await delivered;
    expect(await reader.get('d')).toBeNull();
  });

  it('is flushed by FLUSHALL', async () => {
    await writer.set('f', { n: [1] });
    await reader.get('f');
    const delivered = invalidationOf('nt:1.0:f');
    await redis.raw.flushall();
    await delivered;
    expect(near().tier.size).toBe(0);
    expect(await reader.get('f')).toBeNull();
  });

  it("sees this process's own writes at once, awaited or not", async () => {
    await reader.set('own', { n: [1] });
    await reader.get('own');
    const pending = reader.set('own', { n: [2] });
    expect((await reader.get('own'))?.features).toEqual({ n: [2] });
    await pending;
    await reader.invalidate('own');
    expect(await reader.get('own')).toBeNull();
  });

  it('drops least recently used entries past maxBytes, and entries past maxAgeMs', async () => {
    const small = (await createFeatureCache({
      redis: redis.url,
      prefix: 'nt',
      nearCache: { maxBytes: 4096, maxAgeMs: 200 },
    })) as RedisFeatureCache;
    try {
      const evicted: string[] = [];
      small.on('evict', (e) => evicted.push(`${e.reason}:${e.key}`));
      const big = Float32Array.from({ length: 256 }, () => Math.random()); // ~1 KiB encoded, incompressible
      await small.setMany([0, 1, 2, 3, 4, 5].map((i) => ({ imageId: `lru${i}`, features: { big } })));
      for (let i = 0; i < 6; i++) await small.get(`lru${i}`);
      expect(small.near!.tier.usedBytes).toBeLessThanOrEqual(4096);
      expect(evicted.filter((e) => e.startsWith('size:'))[0]).toBe('size:nt:1.0:lru0');
      await new Promise((r) => setTimeout(r, 250));
      const last = small.near!.tier.size;
      expect(last).toBeGreaterThan(0);
      await small.get('lru5');
      expect(evicted).toContain('age:nt:1.0:lru5');
    } finally {
      await small.close();
    }
  });

  it("never serves a record past its TTL, though Redis has not deleted it (no invalidation sent)", async () => {
    const key = 'nt:1.0:ttl';
    const expired: string[] = [];
    const invalidated: Array<string[] | null> = [];
    const onEvict = (e: { key: string; reason: string }) => expired.push(`${e.reason}:${e.key}`);
    const onInvalidate = (e: { source: string; keys?: string[] | null }) => e.source === 'redis' && invalidated.push(e.keys ?? null);
    reader.on('evict', onEvict);
    // Redis then deletes an expired key only when a command touches it: no invalidation until then
    await redis.raw.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    try {
      await writer.set('ttl', { n: [1] }, { ttlSeconds: 2 });
      expect((await reader.get('ttl'))?.features).toEqual({ n: [1] });
      expect(inTier('ttl')).toBe(true); // so the write's own invalidation has been delivered
      reader.on('invalidate', onInvalidate);
      // past the record's real expiry (the TTL may carry jitter: ask Redis)
      const pttl = await redis.raw.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, pttl + 20));
      expect(invalidated.filter((keys) => keys === null || keys.includes(key))).toEqual([]);
      expect(await reader.get('ttl')).toBeNull();
      expect(expired).toContain(`ttl:${key}`);
    } finally {
      await redis.raw.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
      reader.off('evict', onEvict);
      reader.off('invalidate', onInvalidate);
    }
  });

  it('keeps a record without TTL up to maxAgeMs', async () => {
    await writer.set('forever', { n: [1] }, { ttlSeconds: 0 });
    await reader.get('forever');
    const e = (reader.near!.tier as unknown as { versions: Map<string, { entries: Map<string, { expiresAt: number }> }> }).versions.get('nt:1.0:')!.entries.get('forever')!;
    expect(e.expiresAt - Date.now()).toBeGreaterThan(50_000); // maxAgeMs: 60 s by default
  });

  it('refuses sliding TTLs', async () => {
    const err = await createFeatureCache({ redis: redis.url, nearCache: { maxBytes: 4096 }, ttlStrategy: 'sliding' }).catch((e: unknown) => e);
    expect(isFeatureCacheError(err) && err.code).toBe('INVALID_OPTIONS');
  });

  // the delivery delays over 10,000 writes (featcache, raw SET/DEL/PEXPIRE) are measured by npm run bench:near
  it('stops serving an overwritten value once its invalidation is delivered: 0 stale reads over 500 writes by another client', async () => {
    const N = 500;
    let stale = 0;
    await writer.set('s', { n: [-1] });
    for (let i = 0; i < N; i++) {
      // fills the tier with the current value (a fill that crossed the last invalidation is refused: read again)
      expect(await eventually(async () => ((await reader.get('s')) !== null && inTier('s')), 5000, 1)).toBe(true);
      const delivered = invalidationOf('nt:1.0:s');
      await writer.set('s', { n: [i] });
      await delivered;
      if (inTier('s')) stale++;
      const got = await reader.get('s');
      if ((got?.features.n as number[] | undefined)?.[0] !== i) stale++;
    }
    expect(stale).toBe(0);
  }, 120_000);

  it('flushes and bypasses the tier when its invalidation connection is killed, then comes back', async () => {
    const rounds = 20; // 200 rounds with timings: npm run bench:near
    let stale = 0;
    for (let i = 0; i < rounds; i++) {
      await writer.set('k', { n: [i] });
      // a fill is refused when the write's invalidation arrives after the read was sent: read again
      expect(await eventually(async () => (await reader.get('k')) !== null && inTier('k'), 10_000, 1)).toBe(true);
      const id = near().invalidationClientId;
      expect(id).not.toBeNull();
      await redis.raw.client('KILL', 'ID', String(id));
      // a raw write the killed connection can no longer announce
      await writer.set('k', { n: [i + 1000] });
      const got = await reader.get('k');
      if ((got?.features.n as number[] | undefined)?.[0] !== i + 1000) stale++;
      expect(await eventually(() => near().tier.isLive, 30_000, 5)).toBe(true);
    }
    expect(stale).toBe(0);
  }, 120_000);
});

describe('events', () => {
  it('tell hits (with their source), misses, sets and invalidations', async () => {
    const seen: string[] = [];
    const onHit = (e: { imageId: string; source: string }) => seen.push(`hit:${e.imageId}:${e.source}`);
    reader.on('hit', onHit);
    reader.on('miss', (e) => seen.push(`miss:${e.imageId}`));
    reader.on('set', (e) => seen.push(`set:${e.imageIds.join(',')}`));
    reader.on('invalidate', (e) => e.source === 'call' && seen.push(`invalidate:${e.imageIds.join(',')}`));
    await reader.set('e', { n: [1] });
    await reader.get('e');
    await reader.get('e');
    await reader.get('none');
    await reader.invalidate('e');
    reader.off('hit', onHit);
    await reader.set('e', { n: [1] });
    await reader.get('e');
    expect(seen).toEqual(['set:e', 'hit:e:redis', 'hit:e:near', 'miss:none', 'invalidate:e', 'set:e']);
  });

  it('a listener that throws does not fail the call; it is reported on error', async () => {
    const errors: string[] = [];
    const bad = () => {
      throw new Error('listener bug');
    };
    reader.on('miss', bad);
    reader.on('error', (e) => errors.push(`${e.operation}:${e.error.message}`));
    expect(await reader.get('nothing-here')).toBeNull();
    expect(errors).toEqual(['miss listener:listener bug']);
    reader.off('miss', bad);
  });
});

describe('serve stale', () => {
  it('answers from the grace copy, flagged stale, while Redis is down and within serveStaleMs; never records it did not hold', async () => {
    const down = await startTestRedis();
    const cache = (await createFeatureCache({
      redis: down.url,
      prefix: 'st',
      commandTimeoutMs: 200,
      nearCache: { maxBytes: 1 << 20, serveStaleMs: 1500 },
    })) as RedisFeatureCache;
    try {
      await cache.setMany([
        { imageId: 'a', features: { n: [1] } },
        { imageId: 'b', features: { n: [2] } },
      ]);
      await cache.get('a');
      await cache.get('b');
      await down.proc.stop();
      expect(await eventually(() => !cache.near!.tier.isLive, 5000, 5)).toBe(true);
      const a = await cache.get('a');
      expect(a).toMatchObject({ imageId: 'a', features: { n: [1] }, stale: true });
      const both = await cache.getMany(['a', 'b']);
      expect(both.map((r) => r?.stale)).toEqual([true, true]);
      const missing = await cache.get('never-read').catch((e: unknown) => e);
      expect(isFeatureCacheError(missing) && missing.code).toBe('REDIS_UNAVAILABLE');
      expect(cache.near!.tier.staleServed).toBe(3);
      await new Promise((r) => setTimeout(r, 1600));
      const late = await cache.get('a').catch((e: unknown) => e);
      expect(isFeatureCacheError(late) && late.code).toBe('REDIS_UNAVAILABLE');
    } finally {
      await cache.close();
      await down.stop();
    }
  });
});

describe('getOrCompute soft and hard timeouts', () => {
  const slow = (ms: number, n: number) => async () => {
    await new Promise((r) => setTimeout(r, ms));
    return { n: [n] };
  };

  it('past the hard timeout fails with COMPUTE_FAILED; the computation goes on and stores its result', async () => {
    const err = await reader.getOrCompute('hard', slow(300, 7), { hardTimeoutMs: 50 }).catch((e: unknown) => e);
    expect(isFeatureCacheError(err) && err.code).toBe('COMPUTE_FAILED');
    expect(await eventually(async () => (await reader.get('hard')) !== null, 3000, 20)).toBe(true);
    expect((await reader.get('hard'))?.features).toEqual({ n: [7] });
  });

  it('past the soft timeout answers the previous value, flagged stale, while the computation goes on', async () => {
    const cache = (await createFeatureCache({
      redis: redis.url,
      prefix: 'nt',
      nearCache: { maxBytes: 1 << 20, serveStaleMs: 10_000 },
    })) as RedisFeatureCache;
    try {
      await writer.set('soft', { n: [1] });
      await cache.get('soft');
      // removed by another client: the tier drops it and keeps the value it had
      const gone = new Promise<void>((resolve) => cache.on('invalidate', (e) => e.source === 'redis' && e.keys?.includes('nt:1.0:soft') && resolve()));
      await redis.raw.del('nt:1.0:soft');
      await gone;
      const started = performance.now();
      const answer = await cache.getOrCompute('soft', slow(400, 2), { softTimeoutMs: 30, hardTimeoutMs: 5000 });
      expect(performance.now() - started).toBeLessThan(300);
      expect(answer).toMatchObject({ features: { n: [1] }, stale: true });
      expect(await eventually(async () => (await cache.get('soft')) !== null, 3000, 20)).toBe(true);
      expect((await cache.get('soft'))?.features).toEqual({ n: [2] });
      // without a previous value the soft timeout waits for the computation
      const fresh = await cache.getOrCompute('never-seen', slow(100, 3), { softTimeoutMs: 10 });
      expect(fresh).toMatchObject({ features: { n: [3] } });
      expect(fresh.stale).toBeUndefined();
    } finally {
      await cache.close();
    }
  });
});

describe('Redis refusing CLIENT TRACKING', () => {
  it('the cache starts and serves from Redis, with the tier bypassed', async () => {
    await redis.raw.call('ACL', 'SETUSER', 'notrack', 'on', '>pw', '~*', '&*', '+@all', '-client');
    const cache = (await createFeatureCache({
      redis: `redis://notrack:pw@127.0.0.1:${redis.port}`,
      prefix: 'na',
      connectTimeoutMs: 500,
      nearCache: { maxBytes: 1 << 20 },
    })) as RedisFeatureCache;
    try {
      await cache.set('x', { n: [1] });
      expect((await cache.get('x'))?.features).toEqual({ n: [1] });
      expect((await cache.get('x'))?.features).toEqual({ n: [1] });
      expect(cache.near!.tier.isLive).toBe(false);
      expect(cache.near!.tier.size).toBe(0);
    } finally {
      await cache.close();
    }
  });
});
