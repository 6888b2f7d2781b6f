/**
 * The provenance index kept current by the cache's extension hooks (set,
 * overwrite, merge, invalidate, expiry, a missed hook repaired by cleanup,
 * version views), on one real Redis, with synthetic descriptors whose shared
 * count is known.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../../src/index.js';
import { eventually, startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { countPostings, randomOrb, sharing } from './synthetic.js';

let redis: TestRedis;
let cache: FeatureCache;
const opts = { limit: 5, verify: false as const, donors: false };

const found = async (c: FeatureCache, id: string) => (await c.searchProvenance({ imageId: id }, opts)).candidates.map((x) => [x.imageId, x.votes]);

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'pv', provenanceIndex: { expectedImages: 1000 } });
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

describe('provenance index maintenance', () => {
  it('set: an image sharing 120 descriptors with a cached one gets ~184 votes for it, itself left out', async () => {
    const a = randomOrb(1);
    await cache.setMany([
      { imageId: 'a', features: { orb: a } },
      { imageId: 'b', features: { orb: sharing(a, 120, 2) } },
      { imageId: 'c', features: { orb: randomOrb(3) } },
    ]);
    const res = await found(cache, 'b');
    expect(res).toHaveLength(1);
    expect(res[0]![0]).toBe('a');
    // one indexed chunk per keypoint, two for the 64 strongest (the first); the query looks up all 8 of each descriptor
    expect(res[0]![1]).toBeGreaterThanOrEqual(175);
    expect(res[0]![1]).toBeLessThanOrEqual(185);
    expect(await found(cache, 'c')).toEqual([]);
  });

  it('overwrite: the old descriptors stop voting at once, cleanup compacts their postings', async () => {
    const base = randomOrb(10);
    await cache.set('ow', { orb: base });
    await cache.set('ow-q', { orb: sharing(base, 80, 11) });
    expect((await found(cache, 'ow-q')).map((x) => x[0])).toEqual(['ow']);
    const before = await countPostings([redis.raw], 'pv');
    const other = randomOrb(12);
    await cache.set('ow', { orb: other });
    expect(await found(cache, 'ow-q')).toEqual([]);
    await cache.set('ow-q2', { orb: sharing(other, 60, 13) });
    expect((await found(cache, 'ow-q2')).map((x) => x[0])).toEqual(['ow']);
    const stale = await countPostings([redis.raw], 'pv');
    expect(stale).toBeGreaterThan(before + 250); // old postings still stored, new ones added
    await cache.cleanup();
    const after = await countPostings([redis.raw], 'pv');
    expect(stale - after).toBeGreaterThanOrEqual(290); // the 300 postings of the old 'ow' (bar degenerate chunks)
    expect((await found(cache, 'ow-q2')).map((x) => x[0])).toEqual(['ow']);
  });

  it('an overwrite with the same descriptors (merge of another feature) keeps the postings', async () => {
    const orb = randomOrb(20);
    await cache.set('same', { orb });
    const before = await countPostings([redis.raw], 'pv');
    await cache.merge('same', { phash: 'ba8c84536bd3c366' });
    expect(await countPostings([redis.raw], 'pv')).toBe(before);
  });

  it('invalidate: the image stops being a candidate; cleanup removes its postings', async () => {
    const x = randomOrb(30);
    await cache.setMany([
      { imageId: 'inv', features: { orb: x } },
      { imageId: 'inv-q', features: { orb: sharing(x, 90, 31) } },
    ]);
    expect((await found(cache, 'inv-q')).map((r) => r[0])).toEqual(['inv']);
    await cache.invalidate('inv');
    expect(await found(cache, 'inv-q')).toEqual([]);
    const before = await countPostings([redis.raw], 'pv');
    await cache.cleanup();
    expect(before - (await countPostings([redis.raw], 'pv'))).toBeGreaterThanOrEqual(290);
  });

  it('an overwrite without orb removes the image from the index', async () => {
    const x = randomOrb(40);
    await cache.setMany([
      { imageId: 'drop', features: { orb: x } },
      { imageId: 'drop-q', features: { orb: sharing(x, 90, 41) } },
    ]);
    await cache.set('drop', { phash: 'ba8c84536bd3c366' });
    expect(await found(cache, 'drop-q')).toEqual([]);
  });

  it('expiry: a record removed by its TTL leaves the index (through the expiry tracker)', async () => {
    const x = randomOrb(50);
    await cache.set('exp-q', { orb: sharing(x, 90, 51) });
    await cache.set('exp', { orb: x }, { ttlSeconds: 1 });
    expect((await found(cache, 'exp-q')).map((r) => r[0])).toEqual(['exp']);
    const gone = await eventually(async () => !(await hasForward('exp')), 8000, 100);
    expect(gone).toBe(true);
    expect(await found(cache, 'exp-q')).toEqual([]);
  });

  it('a removal no hook saw (raw DEL) is filtered at query time and repaired by cleanup', async () => {
    const x = randomOrb(60);
    await cache.setMany([
      { imageId: 'raw', features: { orb: x } },
      { imageId: 'raw-q', features: { orb: sharing(x, 90, 61) } },
    ]);
    await redis.raw.del('pv:1.0:raw');
    expect(await found(cache, 'raw-q')).toEqual([]);
    expect(await hasForward('raw')).toBe(true);
    const fixed = (await cache.cleanup()).extension_entries ?? 0;
    expect(fixed).toBeGreaterThanOrEqual(290);
    expect(await hasForward('raw')).toBe(false);
  });

  it('cleanup indexes records cached before the index was enabled (and only those with descriptors)', async () => {
    const x = randomOrb(80);
    const before = await createFeatureCache({ redis: redis.url, prefix: 'late' });
    try {
      await before.setMany([
        { imageId: 'old', features: { orb: x } },
        { imageId: 'old-q', features: { orb: sharing(x, 90, 81) } },
        { imageId: 'old-plain', features: { phash: 'ba8c84536bd3c366' } },
      ]);
    } finally {
      await before.close();
    }
    const late = await createFeatureCache({ redis: redis.url, prefix: 'late', provenanceIndex: { expectedImages: 1000 } });
    try {
      expect(await found(late, 'old-q')).toEqual([]);
      expect((await late.cleanup()).extension_entries).toBe(2);
      expect((await found(late, 'old-q')).map((r) => r[0])).toEqual(['old']);
      expect((await found(late, 'old')).map((r) => r[0])).toEqual(['old-q']);
      // a second cleanup finds nothing left to index
      expect((await late.cleanup()).extension_entries).toBe(0);
    } finally {
      await late.close();
    }
  });

  it('version views: a view with its own index, a view inheriting the parent\'s, a view without', async () => {
    const x = randomOrb(70);
    const own = await cache.withVersion('2.0', { provenanceIndex: { expectedImages: 1000 } });
    const inherited = await cache.withVersion('3.0');
    const none = await cache.withVersion('4.0', { provenanceIndex: false });
    try {
      for (const v of [own, inherited]) {
        await v.setMany([
          { imageId: 'v', features: { orb: x } },
          { imageId: 'v-q', features: { orb: sharing(x, 70, 71) } },
        ]);
        expect((await found(v, 'v-q')).map((r) => r[0])).toEqual(['v']);
      }
      // the root's index does not hold the views' records
      await cache.set('root-q', { orb: sharing(x, 70, 72) });
      expect(await found(cache, 'root-q')).toEqual([]);
      await expect(none.searchProvenance({ imageId: 'v-q' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
      await cache.cleanup();
      expect((await found(own, 'v-q')).map((r) => r[0])).toEqual(['v']);
    } finally {
      await own.close();
      await inherited.close();
      await none.close();
    }
  });

  it('bad input: unknown image NOT_FOUND, no orb INVALID_ARGUMENT, bad options INVALID_ARGUMENT, no index INVALID_OPTIONS', async () => {
    await expect(cache.searchProvenance({ imageId: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await cache.set('no-orb', { phash: 'ba8c84536bd3c366' });
    await expect(cache.searchProvenance({ imageId: 'no-orb' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.searchProvenance({ imageId: 'a' }, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.searchProvenance({ imageId: 'a' }, { limit: 100_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.searchProvenance({ imageId: 'bad\n' })).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    await expect(cache.searchProvenance({ image: Buffer.from('not an image') })).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    const plain = await createFeatureCache({ redis: redis.url, prefix: 'plain' });
    try {
      await expect(plain.searchProvenance({ imageId: 'a' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    } finally {
      await plain.close();
    }
  });
});

/** Whether the forward map holds `id` (any shard). */
async function hasForward(id: string): Promise<boolean> {
  for (let g = 0; g < 256; g++) if (await redis.raw.hexists(`pv:@x:1.0:prov:f:{prov.f${g}}`, id)) return true;
  return false;
}
