/**
 * The donor tier's region pass (src/provenance/index/donor-region.ts): a faint
 * patch pasted into a textured host keeps almost none of its keypoints in the
 * composite (the host fills the keypoint budget, so the extractor's CLAHE pass
 * never runs), and is found only when the region the host does not show is cut
 * out and extracted again. Real Redis, real images decoded by sharp.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type ProvenanceCandidate } from '../../../src/index.js';
import { RedisFeatureCache } from '../../../src/cache/feature-cache.js';
import { ProvenanceIndex } from '../../../src/provenance/index/provenance-index.js';
import { extractQueryFeatures } from '../../../src/provenance/index/query-features.js';
import { DEFAULT_VERIFY_SCHEDULE, searchProvenance } from '../../../src/provenance/index/search.js';
import { extractOrb } from '../../../src/features/index.js';
import { largestEmptyRectangle, occludedRegion } from '../../../src/provenance/index/donor-region.js';
import type { Homography } from '../../../src/provenance/homography.js';
import { texturedImage } from '../../../bench/provenance/textures.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { featuresOf, sources } from './fixture.js';
import { randomOrb } from './synthetic.js';

let redis: TestRedis;
let cache: RedisFeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  const c = await createFeatureCache({ redis: redis.url, prefix: 'pr', provenanceIndex: { expectedImages: 1000 } });
  if (!(c instanceof RedisFeatureCache)) throw new Error('expected a RedisFeatureCache');
  cache = c;
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

const related = (c: { verdict?: string }) => c.verdict !== undefined && c.verdict !== 'unrelated';
const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1] as unknown as Homography;

describe('the occluded region', () => {
  it('is the largest rectangle of cells without an explained keypoint', () => {
    // 6 x 4 cells, a 3 x 2 hole at (2, 1)
    const occupied = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(largestEmptyRectangle(occupied, 6, 4)).toEqual({ left: 2, top: 1, width: 3, height: 2 });
  });

  it('needs host keypoints inside it: a smooth area of the host is no region', () => {
    // explained keypoints everywhere but a 200 x 160 hole at (200, 160) of a 640 x 480 frame
    const explained: number[] = [];
    for (let y = 8; y < 480; y += 16) for (let x = 8; x < 640; x += 16) if (!(x >= 200 && x < 400 && y >= 160 && y < 320)) explained.push(x, y);
    const inHole = (n: number) => Uint16Array.from(Array.from({ length: n }, (_, i) => [210 + (i % 10) * 18, 170 + Math.floor(i / 10) * 14]).flat());
    const host = (keypoints: Uint16Array) => ({ orb: { width: 640, height: 480, keypoints, descriptors: new Uint8Array(16 * keypoints.length) }, inverse: IDENTITY });
    const box = occludedRegion({ width: 640, height: 480 }, explained, [host(inHole(40))]);
    expect(box).not.toBeNull();
    expect(box!.left).toBeGreaterThanOrEqual(192);
    expect(box!.left + box!.width).toBeLessThanOrEqual(416);
    expect(occludedRegion({ width: 640, height: 480 }, explained, [host(inHole(5))])).toBeNull();
  });
});

describe('searchProvenance: a faint pasted patch', () => {
  let query: Buffer;

  beforeAll(async () => {
    // a low-contrast photo: its keypoints come from the extractor's CLAHE pass
    const faint = await sharp(await texturedImage(800)).linear(0.2, 128 * 0.8).png().toBuffer();
    const host = await texturedImage(801);
    const others = await sources(3);
    await cache.setMany([
      { imageId: 'faint', features: await featuresOf(faint) },
      { imageId: 'host', features: await featuresOf(host) },
      ...others.map((s) => ({ imageId: s.imageId, features: s.features })),
    ]);
    const patch = await sharp(faint).extract({ left: 100, top: 80, width: 320, height: 240 }).png().toBuffer();
    query = await sharp(host).composite([{ input: patch, left: 200, top: 150 }]).png().toBuffer();
  }, 60_000);

  it('the host, then the faint donor from the region the host does not show (nothing else related)', async () => {
    const res = await cache.searchProvenance({ image: query }, { limit: 5 });
    expect(res.candidates.filter(related).map((c) => [c.imageId, c.tier])).toEqual([
      ['host', 'host'],
      ['faint', 'donor'],
    ]);
  });

  it('features without the image: the region pass is skipped (the query keypoints alone do not find it)', async () => {
    const features = await featuresOf(query);
    const mirrored = await extractOrb(query, { mirror: true });
    const without = await cache.searchProvenance({ features, mirrored }, { limit: 5 });
    expect(without.candidates.filter(related).map((c) => c.imageId)).toEqual(['host']);
    const withImage = await cache.searchProvenance({ features, mirrored, image: query }, { limit: 5 });
    expect(withImage.candidates.filter(related).map((c) => c.imageId)).toEqual(['host', 'faint']);
  });
});

describe('searchProvenance: the order of the unverified once a host is related', () => {
  it('the donor shortlist (voted by the keypoints no host explains) comes before unverified hosts', async () => {
    const query = randomOrb(401);
    const at = (orb: typeof query, from: number, count: number, seed: number, keepPositions: boolean) => {
      const own = randomOrb(seed);
      own.descriptors.set(orb.descriptors.subarray(32 * from, 32 * (from + count)), 0);
      if (keepPositions) own.keypoints.set(orb.keypoints.subarray(2 * from, 2 * (from + count)), 0);
      return own;
    };
    await cache.setMany([
      // the host: 150 of the query's keypoints; a decoy: 30 of the host's descriptors, scattered; a donor candidate: 6 of the others, scattered
      { imageId: 'do-host', features: { orb: at(query, 0, 150, 402, true) } },
      { imageId: 'do-decoy', features: { orb: at(query, 0, 30, 403, false) } },
      { imageId: 'do-donor', features: { orb: at(query, 200, 6, 404, false) } },
    ]);
    const index = cache.extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex)!;
    const run = (donorRegion: boolean) =>
      searchProvenance({ index, peekMany: (ids) => cache.getMany(ids), extract: extractQueryFeatures }, { features: { orb: query } }, { limit: 2 }, { ...DEFAULT_VERIFY_SCHEDULE, donorRegion });
    const order = (list: ProvenanceCandidate[]) => list.map((c) => [c.imageId, c.tier]);
    expect(order((await run(false)).candidates)).toEqual([
      ['do-host', 'host'],
      ['do-decoy', 'host'],
      ['do-donor', 'donor'],
    ]);
    const now = (await cache.searchProvenance({ features: { orb: query } }, { limit: 2 })).candidates;
    expect(order(now)).toEqual([
      ['do-host', 'host'],
      ['do-donor', 'donor'],
      ['do-decoy', 'host'],
    ]);
    expect(now.filter(related).map((c) => c.imageId)).toEqual(['do-host']);
  });
});
