/**
 * The texture-poor tier of searchProvenance (real Redis, real images decoded by
 * sharp): generated smooth images (no ORB keypoints) and their edits are found
 * through the registry and verified by appearance; an unrelated smooth image is
 * not called related; the registry follows set, overwrite, invalidate, expiry
 * and cleanup. Before the tier, a query without keypoints was refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache, type ProvenanceQuery } from '../../../src/index.js';
import { RedisFeatureCache } from '../../../src/cache/feature-cache.js';
import { ProvenanceIndex } from '../../../src/provenance/index/provenance-index.js';
import { extractQueryFeatures } from '../../../src/provenance/index/query-features.js';
import { DEFAULT_VERIFY_SCHEDULE, FRAME_HELD_GRID, fillsGrid, searchProvenance } from '../../../src/provenance/index/search.js';
import { TEXTURE_SHARDS } from '../../../src/provenance/index/texture-registry.js';
import { eventually, startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { edit, type EditName } from '../edits.js';
import { smoothPng } from '../smooth.js';
import { featuresOf, sources, type Source } from './fixture.js';

let redis: TestRedis;
let cache: FeatureCache;
let smooth: Source[];
let textured: Source[];

const PREFIX = 'tt';
const related = (c: { verdict?: string }) => c.verdict !== undefined && c.verdict !== 'unrelated';
const relatedIds = async (q: Parameters<FeatureCache['searchProvenance']>[0]) =>
  (await cache.searchProvenance(q, { limit: 5 })).candidates.filter(related).map((c) => c.imageId);

/** Whether the texture-poor registry holds `id` (any shard). */
async function registered(id: string, version = '1.0'): Promise<boolean> {
  for (let g = 0; g < TEXTURE_SHARDS; g++) if (await redis.raw.hexists(`${PREFIX}:@x:${version}:prov:t:{prov.t${g}}`, id)) return true;
  return false;
}

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: PREFIX, provenanceIndex: { expectedImages: 1000 } });
  const images = await Promise.all([11, 12, 13, 14, 15, 16].map((seed) => smoothPng(seed)));
  smooth = await Promise.all(images.map(async (image, i) => ({ imageId: `smooth-${i}`, image, features: await featuresOf(image) })));
  textured = await sources(2, 820);
  await cache.setMany([...smooth, ...textured].map((s) => ({ imageId: s.imageId, features: s.features })));
}, 60_000);
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

describe('texture-poor tier', () => {
  it('the smooth sources have no keypoints: they are in the registry, the textured ones are not', async () => {
    for (const s of smooth) expect(await registered(s.imageId)).toBe(true);
    for (const s of textured) expect(await registered(s.imageId)).toBe(false);
  });

  it.each<EditName>(['crop70', 'crop50', 'rotate10', 'mirror'])('%s of a smooth image: its source is found by appearance (was refused: no keypoints)', async (name) => {
    const query = await edit(name, smooth[0]!.image, smooth[1]!.image);
    const res = await cache.searchProvenance({ image: query }, { limit: 5 });
    const first = res.candidates[0]!;
    expect(first).toMatchObject({ imageId: 'smooth-0', tier: 'appearance', votes: 0 });
    expect(related(first)).toBe(true);
    // by appearance, or by the perceptual hash for a whole-frame copy (mirror)
    expect(first.reasons?.join(' ')).toMatch(name.startsWith('crop') || name === 'rotate10' ? /looks like/ : /looks like|perceptual hash/);
    expect(res.candidates.filter(related).map((c) => c.imageId)).toEqual(['smooth-0']);
    expect(res.timings_ms.appearance).toBeGreaterThanOrEqual(0);
  });

  it('splice of a textured and a smooth image: the textured half by descriptors, the smooth half by appearance', async () => {
    const query = await edit('splice', textured[0]!.image, smooth[2]!.image);
    const res = await cache.searchProvenance({ image: query }, { limit: 5 });
    const byId = new Map(res.candidates.filter(related).map((c) => [c.imageId, c.tier]));
    expect(byId.get('src-0')).toBe('host');
    expect(byId.get('smooth-2')).toBe('appearance');
    expect(byId.size).toBe(2);
    // without the tier only the textured half is found
    const off = await cache.searchProvenance({ image: query }, { limit: 5, texturePoor: false });
    expect(off.candidates.filter(related).map((c) => c.imageId)).toEqual(['src-0']);
  });

  describe('gated for textured queries', () => {
    /** searchProvenance with the tier gated or not; `read`: the smooth IDs whose records the search read (what the tier verified). */
    async function gated(q: ProvenanceQuery, tierGate: boolean) {
      const index = (cache as RedisFeatureCache).extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex)!;
      const read = new Set<string>();
      const peekMany = (ids: string[]) => {
        for (const id of ids) if (id.startsWith('smooth-')) read.add(id);
        return cache.getMany(ids);
      };
      const res = await searchProvenance({ index, peekMany, extract: extractQueryFeatures }, q, { limit: 5 }, { ...DEFAULT_VERIFY_SCHEDULE, tierGate });
      return { res, read: [...read].sort() };
    }

    it('a query whose frame a verified source holds skips the tier, with the same answer as the ungated search', async () => {
      for (const name of ['crop70', 'mirror'] as const) {
        const query = { image: await edit(name, textured[1]!.image, textured[0]!.image) };
        const [on, off] = [await gated(query, true), await gated(query, false)];
        expect(on.res.candidates.filter(related).map((c) => c.imageId)).toEqual(['src-1']);
        expect(on.res.candidates.map((c) => [c.imageId, c.verdict])).toEqual(off.res.candidates.map((c) => [c.imageId, c.verdict]));
        expect(on.res.timings_ms.appearance).toBeUndefined(); // the tier did not run
        expect(on.read).toEqual([]);
        expect(off.res.timings_ms.appearance).toBeGreaterThanOrEqual(0);
        expect(off.read.length).toBeGreaterThan(0); // ungated: the nearest smooth images verified by appearance
      }
    });

    it('a splice still runs the tier, which verifies only the smooth images near by signature (the smooth half)', async () => {
      const query = { image: await edit('splice', textured[0]!.image, smooth[2]!.image) };
      const [on, off] = [await gated(query, true), await gated(query, false)];
      expect(new Set(on.res.candidates.filter(related).map((c) => c.imageId))).toEqual(new Set(['src-0', 'smooth-2']));
      expect(on.read).toEqual(['smooth-2']);
      expect(off.read.length).toBeGreaterThan(1);
      expect(new Set(off.res.candidates.filter(related).map((c) => c.imageId))).toEqual(new Set(['src-0', 'smooth-2']));
    });

    it('a frame is held when every cell of the grid holds inliers, not by one half', () => {
      const frame = { width: 300, height: 300 };
      const cell = frame.width / FRAME_HELD_GRID;
      /** Two points in each cell of the first `columns` columns. */
      const points = (columns: number) => Array.from({ length: columns * FRAME_HELD_GRID }, (_, k) => [Math.floor(k / FRAME_HELD_GRID) * cell, (k % FRAME_HELD_GRID) * cell]).flatMap(([x, y]) => [x! + 10, y! + 10, x! + 40, y! + 40]);
      expect(fillsGrid(points(FRAME_HELD_GRID), frame)).toBe(true);
      expect(fillsGrid(points(FRAME_HELD_GRID - 1), frame)).toBe(false); // a splice's half: a column of empty cells
      expect(fillsGrid([], frame)).toBe(false);
    });
  });

  it('an unrelated smooth image is not reported related to any smooth source', async () => {
    expect(await relatedIds({ image: await smoothPng(99) })).toEqual([]);
    expect(await relatedIds({ image: await edit('crop70', await smoothPng(98), smooth[0]!.image) })).toEqual([]);
  });

  it('a cached smooth edit queried by ID finds its source, itself left out', async () => {
    await cache.set('smooth-crop', await featuresOf(await edit('crop70', smooth[3]!.image, smooth[0]!.image)));
    try {
      expect(await relatedIds({ imageId: 'smooth-crop' })).toEqual(['smooth-3']);
      // and the source finds its crop (a texture-poor query against every registered image)
      expect(await relatedIds({ imageId: 'smooth-3' })).toContain('smooth-crop');
    } finally {
      await cache.invalidate('smooth-crop');
    }
  });

  it('the registry follows overwrite and invalidate', async () => {
    const query = { image: await edit('crop50', smooth[4]!.image, smooth[0]!.image) };
    await cache.set('tmp', smooth[4]!.features);
    expect(await relatedIds(query)).toEqual(expect.arrayContaining(['tmp', 'smooth-4']));
    // overwritten with a textured image: out of the registry, no longer found
    await cache.set('tmp', textured[1]!.features);
    expect(await registered('tmp')).toBe(false);
    expect(await relatedIds(query)).toEqual(['smooth-4']);
    await cache.set('tmp', smooth[4]!.features);
    expect(await registered('tmp')).toBe(true);
    await cache.invalidate('tmp');
    expect(await registered('tmp')).toBe(false);
    expect(await relatedIds(query)).toEqual(['smooth-4']);
  });

  it('expiry: a smooth record removed by its TTL leaves the registry', async () => {
    await cache.set('exp', smooth[5]!.features, { ttlSeconds: 1 });
    expect(await registered('exp')).toBe(true);
    expect(await eventually(async () => !(await registered('exp')), 8000, 100)).toBe(true);
  });

  it('cleanup: an entry whose record went by a raw DEL is removed; a record cached before the index is registered', async () => {
    await cache.set('raw', smooth[5]!.features);
    await redis.raw.del(`${PREFIX}:1.0:raw`);
    expect(await registered('raw')).toBe(true);
    const plain = await createFeatureCache({ redis: redis.url, prefix: PREFIX });
    try {
      await plain.set('early', smooth[5]!.features);
    } finally {
      await plain.close();
    }
    expect(await registered('early')).toBe(false);
    await cache.cleanup();
    expect(await registered('raw')).toBe(false);
    expect(await registered('early')).toBe(true);
    await cache.invalidate('early');
  });

  it('version views: a view with its own index has its own registry', async () => {
    const view = await cache.withVersion('2.0', { provenanceIndex: { expectedImages: 1000 } });
    try {
      await view.set('v-smooth', smooth[1]!.features);
      expect(await registered('v-smooth', '2.0')).toBe(true);
      expect(await registered('v-smooth')).toBe(false);
      expect((await view.searchProvenance({ image: await edit('crop70', smooth[1]!.image, smooth[0]!.image) })).candidates.filter(related).map((c) => c.imageId)).toEqual(['v-smooth']);
    } finally {
      await view.close();
    }
  });

  it('a query with neither keypoints nor a thumbnail is still refused', async () => {
    await cache.set('bare', { phash: 'ba8c84536bd3c366' });
    await expect(cache.searchProvenance({ imageId: 'bare' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('thumb') });
    await expect(cache.searchProvenance({ features: { orb: smooth[0]!.features.orb! } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
