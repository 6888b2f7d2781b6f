/**
 * searchProvenance verifies twice as many candidates more when none of the first
 * `verify` is related: a source that shares few chunks with the query (ranked
 * below decoys that share more, in no consistent geometry) is still found and
 * comes first. Synthetic descriptors on one real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../../src/index.js';
import type { OrbFeatures } from '../../../src/features/orb.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { randomOrb, sharing } from './synthetic.js';

let redis: TestRedis;
let cache: FeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  cache = await createFeatureCache({ redis: redis.url, prefix: 'vm', provenanceIndex: { expectedImages: 1000 } });
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

/** An image holding `count` of `from`'s descriptors (from index `at`) at its own, random keypoint positions. */
function scrambled(from: OrbFeatures, at: number, count: number, seed: number): OrbFeatures {
  const own = randomOrb(seed);
  own.descriptors.set(from.descriptors.subarray(32 * at, 32 * (at + count)), 0);
  return own;
}

describe('searchProvenance: verifying more when nothing verified is related', () => {
  it('a source ranked 5th by votes, below 4 decoys, is verified and comes first with verify 3', async () => {
    const query = randomOrb(1);
    // the source: 24 of the query's keypoints, same positions (a consistent geometry)
    const source = sharing(query, 24, 2);
    // decoys: 30 other query descriptors each, at random positions (no geometry)
    const decoys = Array.from({ length: 4 }, (_, i) => scrambled(query, 24 + 30 * i, 30, 10 + i));
    await cache.setMany([{ imageId: 'source', features: { orb: source } }, ...decoys.map((orb, i) => ({ imageId: `decoy-${i}`, features: { orb } }))]);
    const votesOnly = await cache.searchProvenance({ features: { orb: query } }, { limit: 10, verify: false, donors: false });
    expect(votesOnly.candidates.map((c) => c.imageId).indexOf('source')).toBe(4);

    const res = await cache.searchProvenance({ features: { orb: query } }, { limit: 10, verify: 3, donors: false });
    expect(res.candidates[0]!.imageId).toBe('source');
    expect(res.candidates[0]!.verdict).not.toBe('unrelated');
    expect(res.candidates[0]!.verdict).toBeDefined();
    // verified: the first 3 (all decoys, unrelated); of the next ones the 4th decoy fails the screen
    // (no consistent geometry: left unverified) and the source passes it
    expect(res.candidates.filter((c) => c.verdict === 'unrelated')).toHaveLength(3);
  });
});
