/**
 * searchProvenance on generated textured images (real Redis, real images
 * decoded by sharp): the source of a crop, a rotation, a mirror image (found by
 * the mirrored query), a rescale, both halves of a splice and the donor of a
 * pasted patch (the two-tier search).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../../src/index.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { edit, type EditName } from '../edits.js';
import { featuresOf, sources, type Source } from './fixture.js';

let redis: TestRedis;
let cache: FeatureCache;
let src: Source[];

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'ps', provenanceIndex: { expectedImages: 1000 } });
  src = await sources(6);
  await cache.setMany(src.map((s) => ({ imageId: s.imageId, features: s.features })));
}, 60_000);
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

const related = (c: { verdict?: string }) => c.verdict !== undefined && c.verdict !== 'unrelated';

describe('searchProvenance on edited images', () => {
  it.each<[EditName, string]>([
    ['crop50', 'cropped'],
    ['rotate10', 'rotated 10°'],
    ['mirror', 'mirrored'],
    ['scale50', 'resized'],
  ])('%s: the source comes first, verified (%s)', async (name, reason) => {
    const query = await edit(name, src[0]!.image, src[1]!.image);
    const res = await cache.searchProvenance({ image: query }, { limit: 5 });
    const first = res.candidates[0]!;
    expect(first.imageId).toBe('src-0');
    expect(first.tier).toBe('host');
    expect(related(first)).toBe(true);
    expect(first.reasons?.join(' ')).toContain(reason);
    // nothing unrelated is called related
    expect(res.candidates.filter(related).map((c) => c.imageId)).toEqual(['src-0']);
    expect(res.timings_ms.total).toBeGreaterThan(0);
  });

  it('splice: both halves\' sources are found and verified', async () => {
    const query = await edit('splice', src[2]!.image, src[3]!.image);
    const res = await cache.searchProvenance({ image: query }, { limit: 5 });
    expect(res.candidates.filter(related).map((c) => c.imageId).sort()).toEqual(['src-2', 'src-3']);
  });

  it('a quarter-size pasted patch: the host, then its donor found by the search with the unexplained keypoints', async () => {
    const patch = await sharp(src[5]!.image).extract({ left: 100, top: 80, width: 320, height: 240 }).png().toBuffer();
    const query = await sharp(src[4]!.image).composite([{ input: patch, left: 300, top: 220 }]).png().toBuffer();
    // limit 1: the first tier keeps only the host, so the donor can only come from the second
    const res = await cache.searchProvenance({ image: query }, { limit: 1 });
    expect(res.candidates.map((c) => [c.imageId, c.tier])).toEqual([
      ['src-4', 'host'],
      ['src-5', 'donor'],
    ]);
    expect(res.candidates.every(related)).toBe(true);
    expect(res.timings_ms.donors).toBeGreaterThan(0);
    // without the second tier, only the host
    const one = await cache.searchProvenance({ image: query }, { limit: 1, donors: false });
    expect(one.candidates.map((c) => c.imageId)).toEqual(['src-4']);
  });

  it('a query by a cached edit\'s ID finds its source (itself left out); verify: false only votes', async () => {
    const crop = await edit('crop70', src[1]!.image, src[2]!.image);
    await cache.set('crop-of-1', await featuresOf(crop));
    const res = await cache.searchProvenance({ imageId: 'crop-of-1' }, { limit: 3 });
    expect(res.candidates[0]).toMatchObject({ imageId: 'src-1', tier: 'host', verdict: 'derived' });
    expect(res.candidates.some((c) => c.imageId === 'crop-of-1')).toBe(false);
    const votes = await cache.searchProvenance({ imageId: 'crop-of-1' }, { limit: 3, verify: false });
    expect(votes.candidates[0]!.imageId).toBe('src-1');
    expect(votes.candidates[0]!.verdict).toBeUndefined();
    expect(votes.timings_ms.donors).toBeUndefined();
  });
});
