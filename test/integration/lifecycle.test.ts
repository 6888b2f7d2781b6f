import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const open: FeatureCache[] = [];

async function cacheWith(opts: Parameters<typeof createFeatureCache>[0] = {}): Promise<FeatureCache> {
  const c = await createFeatureCache({ redis: redis.url, ...opts });
  open.push(c);
  return c;
}

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await redis.stop();
});

describe('versions', () => {
  it('a record written under 1.0 is a miss for a 2.0 reader, and cleanup reclaims it', async () => {
    const v1 = await cacheWith({ prefix: 'ver', featureVersion: '1.0' });
    const v2 = await cacheWith({ prefix: 'ver', featureVersion: '2.0' });
    await v1.setMany(Array.from({ length: 30 }, (_, i) => ({ imageId: `img${i}`, features: { v: 1 }, groups: ['g'] })));
    await v2.set('img0', { v: 2 });
    expect(await v2.get('img1')).toBeNull();
    expect((await v2.get('img0'))!.features.v).toBe(2);
    expect((await v1.get('img0'))!.features.v).toBe(1);

    const result = await v2.cleanup();
    expect(result.stale_version_records).toBe(30);
    expect(result.cleaned_keys).toBeGreaterThanOrEqual(30);
    expect(await v1.get('img5')).toBeNull();
    expect((await v2.get('img0'))!.features.v).toBe(2);
    expect(await redis.raw.exists('ver:1.0:img5', 'ver:@g:1.0:g', 'ver:@n:1.0')).toBe(0);
    expect((await v2.stats()).cached_images).toBe(1);
  });
});

describe('TTL', () => {
  it('applies the default TTL with jitter inside its bounds', async () => {
    const c = await cacheWith({ prefix: 'ttl', ttlSeconds: 1000, ttlJitter: 0.1 });
    await c.setMany(Array.from({ length: 200 }, (_, i) => ({ imageId: `t${i}`, features: { i } })));
    const pipe = redis.raw.pipeline();
    for (let i = 0; i < 200; i++) pipe.pttl(`ttl:1.0:t${i}`);
    const ttls = ((await pipe.exec()) ?? []).map(([, v]) => Number(v));
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(900_000 - 2000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(1_100_000);
    // jitter really spreads them: not all within 1% of each other
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(50_000);
  });

  it('ttlSeconds: 0 means no expiry, per write and as the default', async () => {
    const c = await cacheWith({ prefix: 'ttl0', ttlSeconds: 0 });
    await c.set('forever', { v: 1 });
    expect(await redis.raw.pttl('ttl0:1.0:forever')).toBe(-1);
    const d = await cacheWith({ prefix: 'ttl1', ttlSeconds: 60, ttlJitter: 0 });
    await d.set('override', { v: 1 }, { ttlSeconds: 0 });
    await d.set('short', { v: 1 }, { ttlSeconds: 5 });
    expect(await redis.raw.pttl('ttl1:1.0:override')).toBe(-1);
    const short = await redis.raw.pttl('ttl1:1.0:short');
    expect(short).toBeGreaterThan(3000);
    expect(short).toBeLessThanOrEqual(5000);
  });

  it('sliding TTL extends the TTL of records that are read', async () => {
    const c = await cacheWith({ prefix: 'slide', ttlSeconds: 100, ttlJitter: 0, ttlStrategy: 'sliding' });
    await c.set('s', { v: 1 }, { ttlSeconds: 2 });
    expect(await redis.raw.pttl('slide:1.0:s')).toBeLessThanOrEqual(2000);
    await c.get('s');
    expect(await redis.raw.pttl('slide:1.0:s')).toBeGreaterThan(90_000);
    // a record written without expiry stays pinned when read
    await c.set('pinned', { v: 2 }, { ttlSeconds: 0 });
    expect((await c.getMany(['pinned', 's', 'nope'])).map((r) => r?.features.v ?? null)).toEqual([2, 1, null]);
    expect(await redis.raw.pttl('slide:1.0:pinned')).toBe(-1);
  });

  it('rejects a negative or fractional TTL', async () => {
    const c = await cacheWith({ prefix: 'ttlbad' });
    await expect(c.set('x', { v: 1 }, { ttlSeconds: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(c.set('x', { v: 1 }, { ttlSeconds: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('merge', () => {
  it('adds feature types without losing the others', async () => {
    const c = await cacheWith({ prefix: 'merge' });
    await c.set('m', { fast: { a: 1 }, orb: { n: 2 } });
    const rec = await c.merge('m', { phash: 'ffd7918181c9ffff', orb: { n: 3 } });
    expect(rec.features).toEqual({ fast: { a: 1 }, orb: { n: 3 }, phash: 'ffd7918181c9ffff' });
    expect((await c.get('m'))!.features).toEqual(rec.features);
    const fresh = await c.merge('new', { only: 1 });
    expect(fresh.features).toEqual({ only: 1 });
  });

  it('loses no feature type when 40 writers merge into one record at once (two instances)', async () => {
    const a = await cacheWith({ prefix: 'mergec' });
    const b = await cacheWith({ prefix: 'mergec' });
    await a.set('hot', { base: 0 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).merge('hot', { [`t${i}`]: i })));
    const rec = await a.get('hot');
    expect(Object.keys(rec!.features)).toHaveLength(41);
    for (let i = 0; i < 40; i++) expect(rec!.features[`t${i}`]).toBe(i);
    expect((await a.stats()).cached_images).toBe(1);
  });
});

describe('groups', () => {
  it('lists and invalidates a group; the group lives at least as long as its members', async () => {
    const c = await cacheWith({ prefix: 'grp', ttlSeconds: 100, ttlJitter: 0 });
    await c.setMany([
      { imageId: 'p1', features: { v: 1 }, groups: ['project-a'] },
      { imageId: 'p2', features: { v: 2 }, groups: ['project-a', 'upload-7'], ttlSeconds: 500 },
      { imageId: 'p3', features: { v: 3 }, groups: ['upload-7'] },
    ]);
    await c.set('p4', { v: 4 }, { groups: ['project-a'], ttlSeconds: 10 });
    expect(await c.listGroup('project-a')).toEqual(['p1', 'p2', 'p4']);
    const groupTtl = await redis.raw.pttl('grp:@g:1.0:project-a');
    expect(groupTtl).toBeGreaterThan(490_000);
    expect(await c.invalidateGroup('upload-7')).toBe(2);
    expect(await c.get('p2')).toBeNull();
    expect(await c.get('p3')).toBeNull();
    expect((await c.get('p1'))!.features.v).toBe(1);
    // p2 is gone, so it drops out of project-a's listing
    expect(await c.listGroup('project-a')).toEqual(['p1', 'p4']);
    expect(await c.listGroup('unknown')).toEqual([]);
  });

  it('reads a large group in SSCAN steps (never SMEMBERS) and prunes the members that are gone', async () => {
    const c = await cacheWith({ prefix: 'grpbig' });
    const ids = Array.from({ length: 3000 }, (_, i) => `b${String(i).padStart(4, '0')}`);
    await c.setMany(ids.map((imageId) => ({ imageId, features: { v: 1 }, groups: ['big'] })));
    await redis.raw.unlink(...ids.filter((_, i) => i % 3 === 0).map((id) => `grpbig:1.0:${id}`));
    const smembers = async () => Number(/cmdstat_smembers:calls=(\d+)/.exec(await redis.raw.info('commandstats'))?.[1] ?? 0);
    const before = await smembers();
    const live = ids.filter((_, i) => i % 3 !== 0);
    expect(await c.listGroup('big')).toEqual(live);
    expect(await smembers()).toBe(before);
    expect(await redis.raw.scard('grpbig:@g:1.0:big')).toBe(2000);
    expect(await c.invalidateGroup('big')).toBe(2000);
  });

  it('a member without expiry makes its group persistent', async () => {
    const c = await cacheWith({ prefix: 'grp0', ttlSeconds: 100 });
    await c.set('x', { v: 1 }, { groups: ['g'] });
    await c.set('y', { v: 1 }, { groups: ['g'], ttlSeconds: 0 });
    expect(await redis.raw.pttl('grp0:@g:1.0:g')).toBe(-1);
  });

  it('rejects bad group names', async () => {
    const c = await cacheWith({ prefix: 'grpbad' });
    await expect(c.listGroup('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(c.set('x', { v: 1 }, { groups: ['a\nb'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('cleanup removes group entries whose record is gone', async () => {
    const c = await cacheWith({ prefix: 'grpclean' });
    await c.setMany(Array.from({ length: 10 }, (_, i) => ({ imageId: `m${i}`, features: { i }, groups: ['batch'] })));
    // records disappear behind the cache's back (as eviction would do)
    await redis.raw.unlink('grpclean:1.0:m0', 'grpclean:1.0:m1', 'grpclean:1.0:m2');
    const result = await c.cleanup();
    expect(result.orphan_group_entries).toBe(3);
    expect(await redis.raw.scard('grpclean:@g:1.0:batch')).toBe(7);
    expect((await c.cleanup()).orphan_group_entries).toBe(0);
  });
});

describe('stats', () => {
  it('counts per image and keeps cached_images exact after overwrites, invalidations and expiry', async () => {
    const c = await cacheWith({ prefix: 'st', ttlJitter: 0 });
    const other = await cacheWith({ prefix: 'st' });
    await c.setMany(Array.from({ length: 100 }, (_, i) => ({ imageId: `s${i}`, features: { i } })));
    await c.setMany(Array.from({ length: 50 }, (_, i) => ({ imageId: `s${i}`, features: { i, again: true } })));
    let s = await other.stats();
    expect(s.cached_images).toBe(100);

    const ids = Array.from({ length: 100 }, (_, i) => `s${i + 10}`); // 90 present, 10 missing
    const got = await c.getMany(ids);
    expect(got.filter(Boolean)).toHaveLength(90);
    s = await c.stats();
    expect(s.cache_hits).toBe(90);
    expect(s.cache_misses).toBe(10);
    expect(s.hit_rate).toBeCloseTo(0.9, 10);
    expect(s.cache_writes).toBe(150);

    expect(await c.invalidateMany(['s0', 's1', 's1', 'nope'])).toBe(2);
    s = await other.stats();
    expect(s.cached_images).toBe(98); // the counter lives in Redis: every instance sees it at once
    expect((await c.stats()).cache_invalidations).toBe(2);
    // counters of one instance reach the others with its next periodic flush
    expect(await eventually(async () => (await other.stats()).cache_hits === 90, 3000)).toBe(true);

    await c.setMany(Array.from({ length: 20 }, (_, i) => ({ imageId: `e${i}`, features: { i }, ttlSeconds: 1 })));
    expect((await c.stats()).cached_images).toBe(118);
    const settled = await eventually(async () => (await c.stats()).cached_images === 98, 8000, 100);
    expect(settled).toBe(true);
    expect(s.cached_images_exact).toBe(true);
    // operations: 150 writes + 100 reads + 3 distinct invalidation attempts + 20 writes
    expect((await c.stats()).cache_operations).toBe(273);
  });

  it('keeps cached_images exact under LRU eviction (volatile-lru: records have TTLs, bookkeeping keys do not)', async () => {
    const small = await startTestRedis({ maxmemory: '4mb', 'maxmemory-policy': 'volatile-lru' });
    const c = await createFeatureCache({ redis: small.url, prefix: 'ev', compression: 'none' });
    try {
      const blob = () => new Uint8Array(2000).map(() => (Math.random() * 256) | 0);
      for (let round = 0; round < 10; round++) {
        await c.setMany(Array.from({ length: 400 }, (_, i) => ({ imageId: `ev${round}-${i}`, features: { blob: blob() } })));
      }
      const evicted = Number(/evicted_keys:(\d+)/.exec(await small.raw.info('stats'))?.[1]);
      expect(evicted).toBeGreaterThan(0);
      const actual = async () => {
        let n = 0;
        let cursor = '0';
        do {
          const [next, keys] = await small.raw.scan(cursor, 'MATCH', 'ev:[^@]*', 'COUNT', 1000);
          cursor = next;
          n += keys.length;
        } while (cursor !== '0');
        return n;
      };
      expect(await eventually(async () => (await c.stats()).cached_images === (await actual()), 5000)).toBe(true);
      expect((await c.stats()).cached_images_exact).toBe(true);
    } finally {
      await c.close();
      await small.stop();
    }
  });
});

describe('corrupt records', () => {
  it('treats foreign, truncated and hostile bytes as misses, counts errors and keeps serving', async () => {
    const c = await cacheWith({ prefix: 'bad' });
    await c.set('good', { v: 1, emb: new Float32Array(300).fill(0.5) });
    const good = (await redis.raw.getBuffer('bad:1.0:good'))!;
    await redis.raw.set('bad:1.0:json', '{"v":1}');
    await redis.raw.set('bad:1.0:truncated', good.subarray(0, good.length - 7));
    await redis.raw.set('bad:1.0:empty', '');
    const bomb = Buffer.from(good);
    bomb[bomb.length - 2] = 0xff;
    await redis.raw.set('bad:1.0:flipped', bomb);
    const before = (await c.stats()).cache_errors;
    const got = await c.getMany(['json', 'truncated', 'empty', 'good']);
    expect(got.slice(0, 3)).toEqual([null, null, null]);
    expect(got[3]!.features.v).toBe(1);
    const s = await c.stats();
    expect(s.cache_errors - before).toBe(3);
    const flipped = await c.get('flipped');
    expect(flipped === null || flipped.features.v === 1).toBe(true);
    // overwriting a corrupt record repairs it
    await c.set('json', { v: 2 });
    expect((await c.get('json'))!.features.v).toBe(2);
  });
});

describe('withVersion', () => {
  it('gives a view under another version on the same connection; closing the view leaves the parent open', async () => {
    const parent = await createFeatureCache({ redis: redis.url, prefix: 'view', featureVersion: '1.0' });
    const view = await parent.withVersion('1.0+phash.1');
    expect(view.featureVersion).toBe('1.0+phash.1');
    await view.setMany([
      { imageId: 'a', features: { phash: 'ffd7918181c9ffff' } },
      { imageId: 'b', features: { phash: '0026273b2b19550e' } },
    ]);
    await parent.set('a', { user: true });
    expect((await view.get('a'))!.features).toEqual({ phash: 'ffd7918181c9ffff' });
    expect((await parent.get('a'))!.features).toEqual({ user: true });
    expect(await parent.get('b')).toBeNull();
    expect((await view.stats()).cached_images).toBe(2);
    expect((await parent.stats()).cached_images).toBe(1);
    // the parent's expiry tracker keeps the view's count exact
    await view.set('short', { v: 1 }, { ttlSeconds: 1 });
    expect((await view.stats()).cached_images).toBe(3);
    expect(await eventually(async () => (await view.stats()).cached_images === 2, 8000, 100)).toBe(true);
    await expect(parent.withVersion('bad version')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });

    await view.close();
    expect((await parent.get('a'))!.features.user).toBe(true);
    const again = await parent.withVersion('1.0+phash.1');
    // two open views of one version are independent: closing one leaves the other's
    // version in use, so cleanup keeps its records
    const twin = await parent.withVersion('1.0+phash.1');
    await twin.close();
    expect((await parent.cleanup()).stale_version_records).toBe(0);
    expect((await again.get('a'))!.features).toEqual({ phash: 'ffd7918181c9ffff' });
    await parent.close();
    await expect(again.get('a')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
