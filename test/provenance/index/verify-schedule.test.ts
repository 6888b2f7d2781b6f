/**
 * searchProvenance's staged verification (search.ts): hosts are verified in
 * rounds; a clear winner ends the verification early with the same answer as
 * the one-batch schedule, the verify-more round stops at the first related
 * host, and a related image left unverified below a clear winner comes back
 * through the donor tier. Synthetic descriptors on one real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type ProvenanceCandidate, type ProvenanceQuery, type ProvenanceSearchOptions } from '../../../src/index.js';
import { RedisFeatureCache } from '../../../src/cache/feature-cache.js';
import type { OrbFeatures } from '../../../src/features/orb.js';
import { ProvenanceIndex } from '../../../src/provenance/index/provenance-index.js';
import { extractQueryFeatures } from '../../../src/provenance/index/query-features.js';
import { DEFAULT_VERIFY_SCHEDULE, searchProvenance, VERIFY_ROUND } from '../../../src/provenance/index/search.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis.js';
import { randomOrb } from './synthetic.js';

let redis: TestRedis;
let cache: RedisFeatureCache;

beforeAll(async () => {
  redis = await startTestRedis();
  const c = await createFeatureCache({ redis: redis.url, prefix: 'vs', provenanceIndex: { expectedImages: 1000 } });
  if (!(c instanceof RedisFeatureCache)) throw new Error('expected a RedisFeatureCache');
  cache = c;
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

/** The search with a chosen schedule (staged: the default; one batch: the schedule it replaced). */
function search(query: ProvenanceQuery, options: ProvenanceSearchOptions, staged: boolean) {
  const index = cache.extensions.find((e): e is ProvenanceIndex => e instanceof ProvenanceIndex)!;
  return searchProvenance({ index, peekMany: (ids) => cache.getMany(ids), extract: extractQueryFeatures }, query, options, { ...DEFAULT_VERIFY_SCHEDULE, staged });
}

/** An image holding `count` of `from`'s keypoints (from index `at`), descriptors and positions alike (a consistent geometry). */
function holding(from: OrbFeatures, at: number, count: number, seed: number): OrbFeatures {
  const own = randomOrb(seed);
  own.descriptors.set(from.descriptors.subarray(32 * at, 32 * (at + count)), 0);
  own.keypoints.set(from.keypoints.subarray(2 * at, 2 * (at + count)), 0);
  return own;
}

/** An image holding `count` of `from`'s descriptors at its own, random positions (votes without geometry). */
function scrambled(from: OrbFeatures, at: number, count: number, seed: number): OrbFeatures {
  const own = randomOrb(seed);
  own.descriptors.set(from.descriptors.subarray(32 * at, 32 * (at + count)), 0);
  return own;
}

const related = (c: ProvenanceCandidate) => c.verdict !== undefined && c.verdict !== 'unrelated';
const verified = (list: ProvenanceCandidate[]) => list.filter((c) => c.verdict !== undefined);

describe('searchProvenance: staged verification', () => {
  it('a clear winner ends verification after the first round, with the same answer', async () => {
    const query = randomOrb(101);
    // the source: 120 of the query's keypoints; 8 decoys with 6-13 of its descriptors each, scattered
    await cache.setMany([
      { imageId: 'cw-source', features: { orb: holding(query, 0, 120, 102) } },
      ...Array.from({ length: 8 }, (_, i) => ({ imageId: `cw-decoy-${i}`, features: { orb: scrambled(query, 120 + 15 * i, 13 - i, 110 + i) } })),
    ]);
    const options = { limit: 10, verify: 10, donors: false };
    const staged = await search({ features: { orb: query } }, options, true);
    const oneBatch = await search({ features: { orb: query } }, options, false);

    expect(oneBatch.candidates).toHaveLength(9);
    expect(verified(oneBatch.candidates)).toHaveLength(9);
    // the first round only: the source and the best decoy
    expect(verified(staged.candidates)).toHaveLength(VERIFY_ROUND);
    // the same answer: the source first, verified, the only related image; the same order
    expect(staged.candidates[0]).toMatchObject({ imageId: 'cw-source', tier: 'host' });
    expect(staged.candidates.filter(related)).toEqual(oneBatch.candidates.filter(related));
    expect(staged.candidates.map((c) => c.imageId)).toEqual(oneBatch.candidates.map((c) => c.imageId));
    // the public method uses the staged schedule
    const pub = await cache.searchProvenance({ features: { orb: query } }, options);
    expect(verified(pub.candidates)).toHaveLength(VERIFY_ROUND);
  });

  it('the verify-more round stops at the round that finds the first related host', async () => {
    const query = randomOrb(201);
    // ranks by votes: 4 decoys of 30 shared descriptors, the source (24, consistent geometry), 4 decoys of 10
    await cache.setMany([
      ...Array.from({ length: 4 }, (_, i) => ({ imageId: `vm-high-${i}`, features: { orb: scrambled(query, 24 + 30 * i, 30, 210 + i) } })),
      { imageId: 'vm-source', features: { orb: holding(query, 0, 24, 202) } },
      ...Array.from({ length: 4 }, (_, i) => ({ imageId: `vm-low-${i}`, features: { orb: scrambled(query, 144 + 10 * i, 10, 220 + i) } })),
    ]);
    const options = { limit: 10, verify: 3, donors: false };
    const votesOnly = await search({ features: { orb: query } }, { ...options, verify: false }, true);
    expect(votesOnly.candidates.map((c) => c.imageId).indexOf('vm-source')).toBe(4);

    const staged = await search({ features: { orb: query } }, options, true);
    expect(staged.candidates[0]).toMatchObject({ imageId: 'vm-source' });
    expect(related(staged.candidates[0]!)).toBe(true);
    // verified: the 3 of the budget, then one round of VERIFY_ROUND (the 4th decoy, screened out: its shared
    // descriptors lie in no consistent geometry; and the source); the low decoys not even screened
    expect(staged.candidates.filter((c) => c.verdict === 'unrelated').map((c) => c.imageId).sort()).toEqual(['vm-high-0', 'vm-high-1', 'vm-high-2']);
    expect(staged.candidates.filter((c) => c.imageId === 'vm-high-3' || c.imageId.startsWith('vm-low-')).every((c) => c.verdict === undefined)).toBe(true);
    // the one-batch schedule verified all 2 x 3 more, the low decoys included, for the same related answer
    const oneBatch = await search({ features: { orb: query } }, options, false);
    expect(oneBatch.candidates.filter((c) => c.verdict === 'unrelated')).toHaveLength(8);
    expect(staged.candidates.filter(related)).toEqual(oneBatch.candidates.filter(related));
  });

  it('a related image left unverified below a clear winner is found and verified by the donor tier', async () => {
    const query = randomOrb(301);
    // the host: 150 of the query's keypoints; the other part: 26 others (its own region of the query); a decoy of 40 scattered between them
    await cache.setMany([
      { imageId: 'dt-host', features: { orb: holding(query, 0, 150, 302) } },
      { imageId: 'dt-part', features: { orb: holding(query, 150, 26, 303) } },
      { imageId: 'dt-decoy', features: { orb: scrambled(query, 176, 40, 304) } },
    ]);
    const votesOnly = await search({ features: { orb: query } }, { limit: 10, verify: false }, true);
    expect(votesOnly.candidates.map((c) => c.imageId)).toEqual(['dt-host', 'dt-decoy', 'dt-part']);

    const res = await cache.searchProvenance({ features: { orb: query } }, { limit: 10 });
    // the first round (host, decoy) finds a clear winner; the part comes back as a donor, verified
    expect(res.candidates.filter(related).map((c) => [c.imageId, c.tier])).toEqual([
      ['dt-host', 'host'],
      ['dt-part', 'donor'],
    ]);
    expect(res.candidates.filter((c) => c.imageId === 'dt-part')).toHaveLength(1);
    // without the donor tier it stays an unverified host candidate
    const hostsOnly = await cache.searchProvenance({ features: { orb: query } }, { limit: 10, donors: false });
    expect(hostsOnly.candidates.find((c) => c.imageId === 'dt-part')).toMatchObject({ tier: 'host' });
    expect(hostsOnly.candidates.find((c) => c.imageId === 'dt-part')!.verdict).toBeUndefined();
  });
});
