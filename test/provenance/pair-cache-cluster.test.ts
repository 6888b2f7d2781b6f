/**
 * cache.verifyPair on a real 3-master Redis Cluster: the verdict key and the
 * two records live in different slots; single-key commands only, so no
 * CROSSSLOT, and the cached verdict is served and invalidated as on one node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import { startCluster, type RedisClusterTopology } from '../helpers/topology.js';
import { edit, texturedPng, verifyFeaturesOf } from './edits.js';

let cluster: RedisClusterTopology;
let cache: FeatureCache;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  cache = await createFeatureCache({ redis: cluster.redisTarget(), prefix: 'pcx', commandTimeoutMs: 3000 });
}, 90_000);
afterAll(async () => {
  await cache?.close();
  await cluster?.stop();
});

describe('cache.verifyPair on a Cluster', () => {
  it('verifies, serves the cached verdict, and recomputes after an overwrite', async () => {
    const a = await texturedPng(100);
    const other = await texturedPng(101);
    const [fa, fcrop, fother] = await Promise.all([verifyFeaturesOf(a), edit('crop70', a, other).then(verifyFeaturesOf), verifyFeaturesOf(other)]);
    // the two records and the verdict key hash to three different slots
    await cache.setMany([
      { imageId: 'left', features: fa },
      { imageId: 'right', features: fcrop },
    ]);
    expect(await cache.verifyPair('left', 'right')).toMatchObject({ verdict: 'derived', cached: false, reasons: ['cropped: B is 70% of A'] });
    expect(await cache.verifyPair('left', 'right')).toMatchObject({ verdict: 'derived', cached: true });
    await cache.set('right', fother);
    expect(await cache.verifyPair('left', 'right')).toMatchObject({ verdict: 'unrelated', cached: false });
    await cache.invalidate('left');
    await expect(cache.verifyPair('left', 'right')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
