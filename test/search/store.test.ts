/**
 * Layout details of the index store: entries that name a dictionary shard
 * (not an image) and are shared by count, orphaned entries, the dictionary
 * shard strings, pointer widths, and the number of script calls per write chunk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache } from '../../src/index.js';
import { shardEntries, shardIds } from '../../src/search/dict-shard.js';
import type { SimilarityIndex } from '../../src/search/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { bruteForce, cacheWithIndex, flip, hashSet, hex, rng, type IndexedCache } from './helpers.js';

let redis: TestRedis;
const open: IndexedCache[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(open.map((o) => o.cache.close()));
  await redis.stop();
});

async function indexed(prefix: string, sim: Parameters<typeof cacheWithIndex>[1], batchSize = 100): Promise<IndexedCache> {
  const ic = await cacheWithIndex({ redis: redis.url, prefix, ttlSeconds: 0, batchSize, trackExpiry: false }, sim);
  open.push(ic);
  return ic;
}

/** Copies of `entry` in the bucket of table t that holds hash h. */
async function copies(index: SimilarityIndex, t: number, h: bigint, imageId: string): Promise<number> {
  const { layout } = index.fields.get('phash')!;
  const table = layout.tables[t]!;
  const hi = Number(h >> 32n);
  const lo = Number(h & 0xffffffffn);
  const b = layout.bucket(table, hi, lo);
  const v = await redis.raw.hgetBuffer(layout.tableKey(table, b), layout.bucketField(table, b));
  const e = layout.entry(table, layout.dictShard(imageId), hi, lo);
  let n = 0;
  if (v) for (let o = 0; o < v.length; o += layout.width) if (v.subarray(o, o + layout.width).equals(e)) n++;
  return n;
}

const ids = async (index: SimilarityIndex, h: bigint, r: number) =>
  (await index.searchSimilar({ phash: hex(h) }, { maxDistance: r, limit: 100 })).neighbors.map((n) => n.imageId);

describe('shared entries', () => {
  it('two images of one dictionary shard whose hashes differ outside every bucket and rest share entries by count', async () => {
    // m = 3, F = 8: buckets cover bits 0-23, rests bits 8-55; bit 63 is in neither, and one shard holds every image
    const { cache, index } = await indexed('shared', { expectedImages: 1000, tables: 3, bucketBits: 8, dictionaryBits: 0 });
    const h = 0x8f3c0a5e91d2b746n;
    await cache.setMany([
      { imageId: 'a', features: { phash: hex(h) } },
      { imageId: 'b', features: { phash: hex(h ^ 1n) } },
    ]);
    for (let t = 0; t < 3; t++) expect(await copies(index, t, h, 'a')).toBe(2);
    expect(await ids(index, h, 1)).toEqual(['a', 'b']);

    await cache.invalidate('a');
    for (let t = 0; t < 3; t++) expect(await copies(index, t, h, 'b')).toBe(1);
    expect(await ids(index, h, 1)).toEqual(['b']);
    await cache.invalidate('b');
    for (let t = 0; t < 3; t++) expect(await copies(index, t, h, 'b')).toBe(0);
  });

  it('an orphaned entry (no image of its shard has its bits) is skipped by a query, counted and removed', async () => {
    const { cache, index } = await indexed('orphan', { expectedImages: 1000, tables: 3, bucketBits: 8, dictionaryBits: 2 });
    const h = 0x0123456789abcdefn;
    await cache.set('real', { phash: hex(h) });
    const fi = index.fields.get('phash')!;
    const ghostShard = (fi.layout.dictShard('real') + 1) % 4;
    // what a lost removal leaves behind: table entries whose dictionary image is gone
    await fi.store.applyBuckets([], fi.store.opsFor(ghostShard, h ^ 2n));
    const res = await index.searchSimilar({ phash: hex(h) }, { maxDistance: 2, limit: 10 });
    expect(res.neighbors.map((n) => n.imageId)).toEqual(['real']);
    expect(res.stale_skipped).toBe(3); // one per table
    const again = await index.searchSimilar({ phash: hex(h) }, { maxDistance: 2, limit: 10 });
    expect(again).toMatchObject({ stale_skipped: 0, survivors: 3 });
  });
});

describe('dictionary shards', () => {
  it('hold IDs with glob characters, spaces, UTF-8, prefixes of each other and 512 bytes, and tell them apart', async () => {
    const { cache, index } = await indexed('dict', { expectedImages: 1000, tables: 3, dictionaryBits: 0 });
    const weird = ['a', 'aa', 'a a', 'img_1', 'img_10', 'img_1*', 'x?[]{}', '图像-7', 'café', 'z'.repeat(512)];
    const rand = rng(3);
    const base = 0x5555aaaa5555aaaan;
    const hashes = weird.map((_, i) => flip(base, i % 4, rand));
    await cache.setMany(weird.map((imageId, i) => ({ imageId, features: { phash: hex(hashes[i]!) } })));
    const fi = index.fields.get('phash')!;
    const blob = await redis.raw.getBuffer(fi.layout.dictKey(0));
    expect(shardIds(blob!)).toEqual(weird);
    expect(shardEntries(blob).map((e) => e.hash)).toEqual(hashes);
    const all = new Map(weird.map((id, i) => [id, hashes[i]!] as const));
    const res = await index.searchSimilar({ phash: hex(base) }, { maxDistance: 3, limit: 100 });
    expect(res.neighbors.map((n) => ({ imageId: n.imageId, distance: n.distance }))).toEqual(bruteForce(all, base, 3));

    // remove every other one (including 'a', a prefix of others); re-set one with a new hash
    await cache.invalidateMany(weird.filter((_, i) => i % 2 === 0));
    const moved = flip(base, 5, rand);
    await cache.set('aa', { phash: hex(moved) });
    all.set('aa', moved);
    for (const [i, id] of weird.entries()) if (i % 2 === 0) all.delete(id);
    const after = shardEntries(await redis.raw.getBuffer(fi.layout.dictKey(0)));
    expect(new Map(after.map((e) => [e.imageId, e.hash]))).toEqual(all);
    for (const r of [3, 6]) {
      const got = await index.searchSimilar({ phash: hex(base) }, { maxDistance: r, limit: 100 });
      expect(got.neighbors.map((n) => ({ imageId: n.imageId, distance: n.distance }))).toEqual(bruteForce(all, base, r));
    }
    // the last image out deletes the shard key
    await cache.invalidateMany([...all.keys()]);
    expect(await redis.raw.exists(fi.layout.dictKey(0))).toBe(0);
  });
});

describe.each([
  [0, 1],
  [8, 2],
  [16, 3],
])('dictionaryBits %i (%i-byte shard pointers)', (dictionaryBits, ptrBytes) => {
  it('answers exactly at radii 0..8', async () => {
    const hashes = hashSet(500 + dictionaryBits, 600, 40, 8, 6);
    const ic = await indexed(`ptr${dictionaryBits}`, { expectedImages: hashes.length, dictionaryBits }, 500);
    expect(ic.index.fields.get('phash')!.layout.ptrBytes).toBe(ptrBytes);
    const all = new Map(hashes.map((h, i) => [`p${i}`, h] as const));
    await ic.cache.setMany([...all].map(([imageId, h]) => ({ imageId, features: { phash: hex(h) } })));
    const rand = rng(dictionaryBits);
    for (let q = 0; q < 12; q++) {
      const query = flip(hashes[Math.floor(rand() * hashes.length)]!, q % 4, rand);
      for (const r of [0, 2, 4, 6, 8]) {
        const res = await ic.index.searchSimilar({ phash: hex(query) }, { maxDistance: r, limit: 1000 });
        expect(res.neighbors.map((n) => ({ imageId: n.imageId, distance: n.distance }))).toEqual(bruteForce(all, query, r));
      }
    }
  });
});

describe('round trips', () => {
  it('a write chunk costs one dictionary script per hash slot touched and one table script per table shard', async () => {
    // script calls, whether ioredis sent them as EVALSHA or (first time) EVAL
    const evalshaCalls = async () => {
      const stats = await redis.raw.info('commandstats');
      return ['evalsha', 'eval'].reduce((n, c) => n + Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
    };
    const items = hashSet(9, 1000, 0, 0, 0).map((h, i) => ({ imageId: `rt${i}`, features: { phash: hex(h) } }));
    // the same chunk through a cache without the index and one with it: the difference is the index's calls
    const plain = await createFeatureCache({ redis: redis.url, prefix: 'rtp', ttlSeconds: 0, batchSize: 1000, trackExpiry: false });
    const c0 = await evalshaCalls();
    await plain.setMany(items);
    const recordsOnly = (await evalshaCalls()) - c0;
    const c0b = await evalshaCalls();
    await plain.setMany(items);
    const recordsOverwrite = (await evalshaCalls()) - c0b;
    await plain.close();
    const { cache, index } = await indexed('rt', { expectedImages: 1_000_000 }, 1000);
    await index.fields.get('phash')!.ensureLayout();
    const c1 = await evalshaCalls();
    await cache.setMany(items);
    const withIndex = (await evalshaCalls()) - c1;
    // one node: one dictionary script for the whole chunk (a Cluster: one per slot group, at most 64), 3 tables of one key each
    expect(withIndex - recordsOnly).toBe(1 + 3);
    // writing the same hashes again touches the dictionary only
    const c2 = await evalshaCalls();
    await cache.setMany(items);
    expect((await evalshaCalls()) - c2 - recordsOverwrite).toBe(1);
  });
});
