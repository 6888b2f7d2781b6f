/**
 * The provenance index through a Sentinel group and on a 3-master Redis
 * Cluster: set, search, overwrite, invalidate and cleanup work unchanged (no
 * CROSSSLOT), posting keys spread over the masters, and a real cropped image
 * finds its verified source on the Cluster (a smooth one through the
 * texture-poor tier, whose registry shards spread over the masters too).
 */
import sharp from 'sharp';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startCluster, startSentinelGroup, type RedisClusterTopology, type SentinelGroup } from '../helpers/topology.js';
import { featuresOf, sources } from '../provenance/index/fixture.js';
import { countPostings, randomOrb, sharing } from '../provenance/index/synthetic.js';
import { smoothPng } from '../provenance/smooth.js';

const opts = { limit: 5, verify: false as const, donors: false };
const found = async (c: FeatureCache, id: string) => (await c.searchProvenance({ imageId: id }, opts)).candidates.map((x) => x.imageId);

/** set, search, overwrite, invalidate, cleanup: the same steps on any topology. */
async function lifecycle(cache: FeatureCache, postings: () => Promise<number>): Promise<void> {
  const a = randomOrb(101);
  await cache.setMany([
    { imageId: 'a', features: { orb: a } },
    { imageId: 'q', features: { orb: sharing(a, 100, 102) } },
    { imageId: 'z', features: { orb: randomOrb(103) } },
  ]);
  expect(await found(cache, 'q')).toEqual(['a']);
  await cache.set('a', { orb: randomOrb(104) });
  expect(await found(cache, 'q')).toEqual([]);
  await cache.set('a', { orb: a });
  expect(await found(cache, 'q')).toEqual(['a']);
  await cache.invalidate('a');
  expect(await found(cache, 'q')).toEqual([]);
  const before = await postings();
  await cache.cleanup();
  // the two stale versions of 'a' (300 postings each, bar degenerate chunks) compacted away
  expect(before - (await postings())).toBeGreaterThanOrEqual(580);
}

describe('provenance index through Sentinel', () => {
  let group: SentinelGroup;
  let cache: FeatureCache;
  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 1 });
    cache = await createFeatureCache({ redis: group.redisTarget(), prefix: 'sv', provenanceIndex: { expectedImages: 1000 } });
  }, 60_000);
  afterAll(async () => {
    await cache?.close();
    await group?.stop();
  });

  it('keeps the index current and searches it', async () => {
    const m = await group.currentMaster();
    const raw = new Redis(m.port, m.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await lifecycle(cache, () => countPostings([raw], 'sv'));
    } finally {
      raw.disconnect();
    }
  });
});

describe('provenance index on a Redis Cluster', () => {
  let cluster: RedisClusterTopology;
  let cache: FeatureCache;
  let raws: Redis[];
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    cache = await createFeatureCache({ redis: cluster.redisTarget(), prefix: 'cv', commandTimeoutMs: 2000, provenanceIndex: { expectedImages: 1000 } });
    raws = (await cluster.masters()).map((m) => new Redis(m.port, m.host, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  }, 60_000);
  afterAll(async () => {
    for (const r of raws ?? []) r.disconnect();
    await cache?.close();
    await cluster?.stop();
  });

  it('keeps the index current and searches it; posting keys live on every master', async () => {
    await lifecycle(cache, () => countPostings(raws, 'cv'));
    const perMaster = await Promise.all(raws.map(async (r) => (await r.keys('cv:@x:*:prov:p:*')).length));
    expect(perMaster.every((n) => n > 0)).toBe(true);
  });

  it('a cropped image finds its verified source', async () => {
    const src = await sources(2, 950);
    await cache.setMany(src.map((s) => ({ imageId: s.imageId, features: s.features })));
    const crop = await sharp(src[1]!.image).extract({ left: 80, top: 60, width: 400, height: 300 }).png().toBuffer();
    await cache.set('crop', await featuresOf(crop));
    const res = await cache.searchProvenance({ imageId: 'crop' }, { limit: 3 });
    expect(res.candidates[0]).toMatchObject({ imageId: 'src-1', tier: 'host', verdict: 'derived' });
  });

  it('the texture-poor tier: a smooth image\'s crop finds its source; registry shards live on more than one master', async () => {
    const smooth = await Promise.all([31, 32, 33, 34].map((seed) => smoothPng(seed)));
    await cache.setMany(await Promise.all(smooth.map(async (image, i) => ({ imageId: `smooth-${i}`, features: await featuresOf(image) }))));
    const crop = await sharp(smooth[2]).extract({ left: 60, top: 40, width: 340, height: 255 }).png().toBuffer();
    const res = await cache.searchProvenance({ image: crop }, { limit: 3 });
    expect(res.candidates[0]).toMatchObject({ imageId: 'smooth-2', tier: 'appearance', verdict: 'derived' });
    await cache.invalidate('smooth-2');
    expect((await cache.searchProvenance({ image: crop }, { limit: 3 })).candidates.filter((c) => c.verdict === 'derived')).toEqual([]);
    const perMaster = await Promise.all(raws.map(async (r) => (await r.keys('cv:@x:*:prov:t:*')).length));
    expect(perMaster.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});
