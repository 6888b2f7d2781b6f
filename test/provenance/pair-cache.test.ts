/**
 * cache.verifyPair on real Redis: one verification per unchanged ordered pair,
 * the cached verdict never served after a record changes or is invalidated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { PAIR_VERDICT_TTL_SECONDS } from '../../src/provenance/pair-cache.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { edit, texturedPng, verifyFeaturesOf, type VerifyFixture } from './edits.js';

let redis: TestRedis;
let cache: FeatureCache;
let source: VerifyFixture;
let cropped: VerifyFixture;
let other: VerifyFixture;

const verdictKeys = () => redis.raw.keys('pc:@p:*');

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'pc' });
  const a = await texturedPng(100);
  const o = await texturedPng(101);
  [source, cropped, other] = await Promise.all([verifyFeaturesOf(a), edit('crop50', a, o).then(verifyFeaturesOf), verifyFeaturesOf(o)]);
}, 60_000);
afterAll(async () => {
  await cache.close();
  await redis.stop();
});

describe('cache.verifyPair', () => {
  it('verifies once, then serves the cached verdict; keyed by the ordered pair under @p with a TTL', async () => {
    await cache.setMany([
      { imageId: 'src', features: source },
      { imageId: 'crop', features: cropped },
    ]);
    const first = await cache.verifyPair('src', 'crop');
    expect(first).toMatchObject({ verdict: 'derived', cached: false, reasons: ['cropped: B is 50% of A'] });
    const second = await cache.verifyPair('src', 'crop');
    expect(second).toEqual({ ...first, cached: true });
    const keys = await verdictKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^pc:@p:1\.0:[0-9a-f]{40}$/);
    const ttl = await redis.raw.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(PAIR_VERDICT_TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(PAIR_VERDICT_TTL_SECONDS);
    // the reverse pair is its own entry, with its own wording
    const reverse = await cache.verifyPair('crop', 'src');
    expect(reverse).toMatchObject({ cached: false, reasons: ['cropped: A is 50% of B'] });
    expect(await verdictKeys()).toHaveLength(2);
    // other options, other entry
    expect((await cache.verifyPair('src', 'crop', { minInliers: 20 })).cached).toBe(false);
  });

  it('an overwritten record is verified again (same second, different features)', async () => {
    await cache.setMany([
      { imageId: 'x', features: source },
      { imageId: 'y', features: cropped },
    ]);
    expect((await cache.verifyPair('x', 'y')).verdict).toBe('derived');
    expect((await cache.verifyPair('x', 'y')).cached).toBe(true);
    await cache.set('y', other);
    const after = await cache.verifyPair('x', 'y');
    expect(after).toMatchObject({ verdict: 'unrelated', cached: false });
    expect((await cache.verifyPair('x', 'y')).cached).toBe(true);
    // merge() rewrites the record too
    await cache.merge('y', { ...cropped });
    expect(await cache.verifyPair('x', 'y')).toMatchObject({ verdict: 'derived', cached: false });
  });

  it('an invalidated record: NOT_FOUND naming it, and its verdicts are gone', async () => {
    await cache.setMany([
      { imageId: 'p', features: source },
      { imageId: 'q', features: cropped },
    ]);
    await cache.verifyPair('p', 'q');
    const before = (await verdictKeys()).length;
    await cache.invalidate('q');
    await expect(cache.verifyPair('p', 'q')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { missing: ['q'] } });
    expect((await verdictKeys()).length).toBe(before - 1);
    await cache.set('q', cropped);
    expect((await cache.verifyPair('p', 'q')).cached).toBe(false);
  });

  it('a foreign value under the verdict key is recomputed and replaced', async () => {
    await cache.setMany([
      { imageId: 'm', features: source },
      { imageId: 'n', features: source },
    ]);
    await cache.verifyPair('m', 'n');
    const keysNow = await verdictKeys();
    for (const k of keysNow) await redis.raw.set(k, '{"not":"a verdict"');
    const r = await cache.verifyPair('m', 'n');
    expect(r).toMatchObject({ verdict: 'identical', cached: false });
    expect((await cache.verifyPair('m', 'n')).cached).toBe(true);
  });

  it('rejects bad IDs and options, and records without verifiable features', async () => {
    await expect(cache.verifyPair('', 'src')).rejects.toMatchObject({ code: 'INVALID_IMAGE_ID' });
    await expect(cache.verifyPair('src', 'crop', { cacheTtlSeconds: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.verifyPair('src', 'crop', { ratio: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await cache.set('bare', { ahash: '0000000000000000' });
    await expect(cache.verifyPair('src', 'bare')).rejects.toMatchObject({ code: 'INVALID_FEATURES' });
  });

  it('cleanup() removes verdicts of feature versions no longer in use, keeps its own', async () => {
    await redis.raw.set('pc:@p:0.9:0123456789abcdef0123456789abcdef01234567', '{}', 'EX', 100);
    const own = (await verdictKeys()).filter((k) => k.startsWith('pc:@p:1.0:'));
    expect(own.length).toBeGreaterThan(0);
    await cache.cleanup();
    expect(await redis.raw.exists('pc:@p:0.9:0123456789abcdef0123456789abcdef01234567')).toBe(0);
    expect((await verdictKeys()).filter((k) => k.startsWith('pc:@p:1.0:'))).toEqual(expect.arrayContaining(own));
  });
});
