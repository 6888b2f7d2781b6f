/** searchSimilar with orientations: 'all' finds rotated and mirrored copies on the phash index. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { extractFeatures } from '../../src/features/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { smoothNoisePng, texturedPng } from '../features/fixtures.js';

let redis: TestRedis;
let cache: FeatureCache;
let sourceDihedral: string[];

const HASHES = { extractors: ['phash', 'phash_dihedral'] } as const;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'orient', similarity: { fields: ['phash'], expectedImages: 1000 }, trackExpiry: false });
  const source = await texturedPng(41, 400, 300);
  const copies: Array<[string, Buffer]> = [
    ['source', source],
    ['rotated-90', await sharp(source).rotate(90).png().toBuffer()],
    ['mirrored', await sharp(source).flop().png().toBuffer()],
    ['recompressed', await sharp(source).jpeg({ quality: 80 }).toBuffer()],
    ['unrelated-1', await texturedPng(42, 400, 300)],
    ['unrelated-2', await smoothNoisePng(43, 300, 300)],
  ];
  for (const [imageId, png] of copies) {
    const f = await extractFeatures(png, HASHES);
    if (imageId === 'source') sourceDihedral = f.phash_dihedral;
    await cache.set(imageId, f);
  }
}, 60_000);

afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

describe("searchSimilar(query, { orientations: 'all' })", () => {
  it('finds the 90°-rotated and the mirrored copy, saying which orientation matched; without it only the plain copy', async () => {
    const plain = await cache.searchSimilar({ imageId: 'source' }, { maxDistance: 8 });
    expect(plain.neighbors.map((n) => n.imageId)).toEqual(['recompressed']);
    expect(plain.neighbors[0]!.orientation).toBeUndefined();
    expect(plain.orientations).toBeUndefined();

    const all = await cache.searchSimilar({ imageId: 'source' }, { maxDistance: 8, orientations: 'all' });
    const found = Object.fromEntries(all.neighbors.map((n) => [n.imageId, n.orientation]));
    expect(found).toEqual({ 'rotated-90': 'rot90', mirrored: 'mirror', recompressed: 'identity' });
    expect(all.orientations).toBe('all');
    expect(all.neighbors.find((n) => n.imageId === 'rotated-90')!.distance).toBe(0);
    expect(all.neighbors.find((n) => n.imageId === 'mirrored')!.distance).toBe(0);
  });

  it('works from the other side: the rotated copy finds its source (rotated back, i.e. by 270°)', async () => {
    const res = await cache.searchSimilar({ imageId: 'rotated-90' }, { maxDistance: 8, orientations: 'all' });
    expect(res.neighbors.find((n) => n.imageId === 'source')?.orientation).toBe('rot270');
  });

  it('takes the dihedral hashes directly, and refuses a single hash or a record without them', async () => {
    const res = await cache.searchSimilar({ phash_dihedral: sourceDihedral }, { maxDistance: 8, orientations: 'all' });
    expect(res.neighbors.map((n) => n.imageId).sort()).toEqual(['mirrored', 'recompressed', 'rotated-90', 'source']);
    const identity = await cache.searchSimilar({ phash_dihedral: sourceDihedral }, { maxDistance: 8 });
    expect(identity.neighbors.map((n) => n.imageId).sort()).toEqual(['recompressed', 'source']);

    await expect(cache.searchSimilar({ phash: sourceDihedral[0]! }, { maxDistance: 8, orientations: 'all' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'no_dihedral' },
    });
    await cache.set('hash-only', { phash: sourceDihedral[0]! });
    await expect(cache.searchSimilar({ imageId: 'hash-only' }, { maxDistance: 8, orientations: 'all' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'no_dihedral' },
    });
    await cache.invalidate('hash-only');
    await expect(cache.searchSimilar({ phash_dihedral: ['00'] }, { maxDistance: 8, orientations: 'all' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.searchSimilar({ imageId: 'source' }, { maxDistance: 8, orientations: 'some' as 'all' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
