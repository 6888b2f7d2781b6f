/**
 * cached_images after a Cluster failover: records that expire on the promoted
 * replica must still be counted down. The expiry tracker watches every node,
 * replicas included, so the promoted node's `expired` events are already
 * subscribed when it becomes a master.
 */
import { describe, expect, it } from 'vitest';
import { createFeatureCache } from '../../src/index.js';
import { eventually } from '../helpers/redis.js';
import { CLUSTER_SLOTS, startCluster, waitFor } from '../helpers/topology.js';

describe('Cluster failover and expiry tracking', () => {
  it('counts TTL expiries that happen on a promoted replica', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
    const cache = await createFeatureCache({
      redis: cluster.redisTarget(),
      prefix: 'fex',
      ttlJitter: 0,
    });
    try {
      await cache.setMany(Array.from({ length: 60 }, (_, i) => ({ imageId: `keep${i}`, features: { i } })));
      const victim = (await cluster.masters())[0]!;
      await cluster.killNode(victim.port);
      await waitFor(
        'a replica to take over the killed master',
        async () => {
          const now = await cluster.masters();
          return now.length === 3 && !now.some((m) => m.port === victim.port) && now.reduce((s, m) => s + m.slots, 0) === CLUSTER_SLOTS;
        },
        20_000,
      );
      // writes reach every master again, then short-lived records land on all of them
      await waitFor('writes to succeed again', async () => cache.set('probe', { ok: 1 }).then(() => true, () => false), 20_000);
      const before = (await cache.stats()).cached_images;
      await cache.setMany(Array.from({ length: 60 }, (_, i) => ({ imageId: `short${i}`, features: { i }, ttlSeconds: 1 })));
      expect((await cache.stats()).cached_images).toBe(before + 60);
      // every expiry is counted, including those on the promoted node
      expect(await eventually(async () => (await cache.stats()).cached_images === before, 10_000, 200)).toBe(true);
    } finally {
      await cache.close();
      await cluster.stop();
    }
  }, 60_000);
});
