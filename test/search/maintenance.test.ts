/** Every path that must keep the index right: set, overwrite, merge, invalidate, expiry, version bump, cleanup. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { SimilarityIndex } from '../../src/search/index.js';
import { shardEntries } from '../../src/search/dict-shard.js';
import { eventually, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { cacheWithIndex, hex, type IndexedCache } from './helpers.js';

let redis: TestRedis;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await redis.stop();
});

async function indexed(prefix: string, extra: Parameters<typeof cacheWithIndex>[0] = {}, sim = {}): Promise<IndexedCache> {
  const ic = await cacheWithIndex({ redis: redis.url, prefix, ...extra }, { expectedImages: 1000, tables: 4, ...sim });
  closers.push(() => ic.cache.close());
  return ic;
}

async function plain(prefix: string, featureVersion = '1.0'): Promise<FeatureCache> {
  const c = await createFeatureCache({ redis: redis.url, prefix, featureVersion, trackExpiry: false });
  closers.push(() => c.close());
  return c;
}

const H1 = '8f3c0a5e91d2b746';
const H2 = '0f0f0f0f12345678';
/** `h` with k bits flipped, starting at bit `from`: distance k from h. */
const near = (h: string, k: number, from = 0): string => hex(BigInt(`0x${h}`) ^ (((1n << BigInt(k)) - 1n) << BigInt(from)));

async function ids(index: SimilarityIndex, hash: string, r = 0): Promise<string[]> {
  return (await index.searchSimilar({ phash: hash }, { maxDistance: r, limit: 100 })).neighbors.map((n) => n.imageId);
}

/**
 * Whether the dictionary holds the image, and how many copies of its table
 * entry for `hash` (shard pointer + rest, in the hash's bucket) all tables
 * hold, read raw. Entries do not name images: copies that another indexed
 * image of the same dictionary shard accounts for (same bits) are not counted.
 */
async function footprint(index: SimilarityIndex, imageId: string, hash: string): Promise<{ dict: boolean; entries: number }> {
  const fi = index.fields.get('phash')!;
  const { layout } = fi;
  const [d] = await fi.store.dictGet([imageId]);
  const parts = (h: bigint) => [Number(h >> 32n), Number(h & 0xffffffffn)] as const;
  const [hi, lo] = parts(BigInt(`0x${hash}`));
  const shard = layout.dictShard(imageId);
  const others = shardEntries(await redis.raw.getBuffer(layout.dictKey(shard)))
    .filter((e) => e.imageId !== imageId)
    .map((e) => parts(e.hash));
  let entries = 0;
  for (const t of layout.tables) {
    const b = layout.bucket(t, hi, lo);
    const v = await redis.raw.hgetBuffer(layout.tableKey(t, b), layout.bucketField(t, b));
    const e = layout.entry(t, shard, hi, lo);
    if (v) for (let o = 0; o < v.length; o += layout.width) if (v.subarray(o, o + layout.width).equals(e)) entries++;
    entries -= others.filter(([ohi, olo]) => layout.bucket(t, ohi, olo) === b && layout.entry(t, shard, ohi, olo).equals(e)).length;
  }
  return { dict: d !== null, entries };
}

describe('write paths', () => {
  it('set indexes the image in every table; overwrite with a new hash moves it; an overwrite without phash drops it', async () => {
    const { cache, index } = await indexed('w1');
    await cache.set('a', { phash: H1 });
    expect(await ids(index, H1)).toEqual(['a']);
    expect(await footprint(index, 'a', H1)).toEqual({ dict: true, entries: 4 });

    await cache.set('a', { phash: H2 });
    expect(await footprint(index, 'a', H1)).toEqual({ dict: true, entries: 0 }); // removed eagerly, not left to queries
    expect(await ids(index, H1, 3)).toEqual([]);
    expect(await ids(index, H2)).toEqual(['a']);
    expect(await footprint(index, 'a', H2)).toEqual({ dict: true, entries: 4 });

    await cache.set('a', { other: 1 });
    expect(await ids(index, H2, 3)).toEqual([]);
    expect(await footprint(index, 'a', H2)).toEqual({ dict: false, entries: 0 });
  });

  it('merge that adds a phash indexes the merged record', async () => {
    const { cache, index } = await indexed('w2');
    await cache.set('m', { color: [1, 2, 3] });
    expect(await ids(index, H1)).toEqual([]);
    await cache.merge('m', { phash: H1 });
    expect(await ids(index, H1)).toEqual(['m']);
  });

  it('rewriting the same hash is idempotent (no duplicate entries)', async () => {
    const { cache, index } = await indexed('w3');
    for (let i = 0; i < 3; i++) await cache.setMany([{ imageId: 'x', features: { phash: H1 } }, { imageId: 'x', features: { phash: H1 } }]);
    expect(await footprint(index, 'x', H1)).toEqual({ dict: true, entries: 4 });
  });
});

describe('removal paths', () => {
  it('invalidate and invalidateGroup remove the entries', async () => {
    const { cache, index } = await indexed('r1');
    await cache.setMany([
      { imageId: 'a', features: { phash: H1 } },
      { imageId: 'b', features: { phash: near(H1, 1, 3) }, groups: ['g'] },
      { imageId: 'c', features: { phash: near(H1, 1, 9) }, groups: ['g'] },
    ]);
    expect(await ids(index, H1, 1)).toEqual(['a', 'b', 'c']);
    await cache.invalidate('a');
    expect(await ids(index, H1, 1)).toEqual(['b', 'c']);
    expect(await footprint(index, 'a', H1)).toEqual({ dict: false, entries: 0 });
    await cache.invalidateGroup('g');
    expect(await ids(index, H1, 1)).toEqual([]);
    expect(await footprint(index, 'b', near(H1, 1, 3))).toEqual({ dict: false, entries: 0 });
  });

  it('TTL expiry removes the entries (keyspace notification -> afterRemove)', async () => {
    const { cache, index } = await indexed('r2', { ttlSeconds: 1, ttlJitter: 0 });
    await cache.setMany([
      { imageId: 'short', features: { phash: H1 } },
      { imageId: 'long', features: { phash: near(H1, 1) }, ttlSeconds: 3600 },
    ]);
    expect(await footprint(index, 'short', H1)).toEqual({ dict: true, entries: 4 });
    // the signal: the index entry disappears once Redis expired the record and the tracker told the index
    expect(await eventually(async () => !(await footprint(index, 'short', H1)).dict, 10_000)).toBe(true);
    expect(await footprint(index, 'short', H1)).toEqual({ dict: false, entries: 0 });
    expect(await ids(index, H1, 1)).toEqual(['long']);
  });

  it('a removal hook for an image written again since keeps its new entries', async () => {
    const { cache, index } = await indexed('r3');
    await cache.set('a', { phash: H1 });
    await index.afterRemove(['a']); // a late notification: the record still exists
    expect(await ids(index, H1)).toEqual(['a']);
  });
});

describe('versions', () => {
  it('a version bump isolates the index and cleanup reclaims the old version\'s keys', async () => {
    const v1 = await indexed('ver', { featureVersion: '1.0' });
    await v1.cache.setMany(Array.from({ length: 20 }, (_, i) => ({ imageId: `i${i}`, features: { phash: near(H1, i) } })));
    expect(await ids(v1.index, H1, 1)).toEqual(['i0', 'i1']);
    const v2 = await indexed('ver', { featureVersion: '2.0' });
    expect(await ids(v2.index, H1, 1)).toEqual([]);
    expect((await redis.raw.keys('ver:@x:1.0:*')).length).toBeGreaterThan(0);
    const result = await v2.cache.cleanup();
    expect(result.cleaned_keys).toBeGreaterThan(0); // the core cleanup reclaims other versions' index keys
    expect(await redis.raw.keys('ver:@x:1.0:*')).toEqual([]);
  });
});

describe('repair', () => {
  it('queries skip stale entries and repair them; cleanup() fixes records changed or removed behind the index', async () => {
    const { cache, index } = await indexed('rep');
    await cache.setMany([
      { imageId: 'gone', features: { phash: H1 } },
      { imageId: 'moved', features: { phash: near(H1, 1) } },
      { imageId: 'kept', features: { phash: near(H1, 2, 50) } },
      { imageId: 'gone2', features: { phash: H2 } },
      { imageId: 'moved2', features: { phash: near(H2, 7) } },
    ]);
    // writes the index never hears about (a cache without the extension; raw deletes = lost events)
    const blind = await plain('rep');
    await redis.raw.unlink('rep:1.0:gone', 'rep:1.0:gone2');
    await blind.set('moved', { phash: near(H1, 2, 30) });
    await blind.set('moved2', { phash: near(H2, 3, 40) });

    const res = await index.searchSimilar({ phash: H1 }, { maxDistance: 2, limit: 10 });
    expect(res.neighbors.map((n) => n.imageId)).toEqual(['kept', 'moved']);
    expect(res.neighbors[1]).toMatchObject({ imageId: 'moved', distance: 2 }); // its current hash, verified against the record
    expect(res.stale_skipped).toBe(2);
    expect(await footprint(index, 'gone', H1)).toEqual({ dict: false, entries: 0 });
    expect(await ids(index, near(H1, 2, 30))).toEqual(['moved']);

    // nothing queried H2: only cleanup can find these
    expect(await footprint(index, 'gone2', H2)).toMatchObject({ dict: true });
    const fixed = await index.cleanup();
    expect(fixed).toBe(2);
    expect(await footprint(index, 'gone2', H2)).toEqual({ dict: false, entries: 0 });
    expect(await ids(index, near(H2, 3, 40))).toEqual(['moved2']);
    expect(await ids(index, near(H2, 7))).toEqual([]);
    expect(await index.cleanup()).toBe(0);
  });
});

describe('degenerate buckets', () => {
  it('a bucket over the cap is marked, reported by queries, and never grows', async () => {
    const { cache, index } = await indexed('deg', {}, { bucketCap: 16 });
    const flat = '0000000000000000';
    await cache.setMany(Array.from({ length: 40 }, (_, i) => ({ imageId: `flat${String(i).padStart(2, '0')}`, features: { phash: flat } })));
    await cache.set('other', { phash: H1 });
    const res = await index.searchSimilar({ phash: flat }, { maxDistance: 0, limit: 100 });
    expect(res.truncated).toBe(true);
    expect(res.capped_buckets).toBe(1); // r = 0 probes one table
    // at least the 16 stored entries; flat images sharing a dictionary shard with one of them are found too
    expect(res.neighbors.length).toBeGreaterThanOrEqual(16);
    expect(res.neighbors.length).toBeLessThanOrEqual(40);
    expect(res.neighbors.every((n) => n.distance === 0 && n.imageId.startsWith('flat'))).toBe(true);
    const fi = index.fields.get('phash')!;
    const t = fi.layout.tables[0]!;
    const v = (await redis.raw.hgetBuffer(fi.layout.tableKey(t, 0), fi.layout.bucketField(t, 0)))!;
    expect(v.length).toBe(17 * fi.layout.width);
    expect(v.subarray(16 * fi.layout.width).equals(Buffer.alloc(fi.layout.width, 0xff))).toBe(true); // the sentinel entry
    // a query far from the flat hash is not affected
    const other = await index.searchSimilar({ phash: H1 }, { maxDistance: 4, limit: 10 });
    expect(other).toMatchObject({ truncated: false, capped_buckets: 0 });
    expect(other.neighbors.map((n) => n.imageId)).toEqual(['other']);
  });
});
