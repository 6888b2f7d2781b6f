/**
 * The index on a real 3-master Redis Cluster: no CROSSSLOT, one HMGET per table
 * shard per query (not one per probe), exact results, and the maintenance paths
 * (invalidate, expiry seen by per-master subscriptions, cleanup) across nodes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotOf } from '../../src/redis/slot-tags.js';
import { startCluster, type RedisClusterTopology } from '../helpers/topology.js';
import { eventually } from '../helpers/redis.js';
import { bruteForce, cacheWithIndex, flip, hashSet, hex, rng, type IndexedCache } from './helpers.js';

let cluster: RedisClusterTopology;
let ic: IndexedCache;
const hashes = hashSet(2024, 1000, 60, 10, 8);
const all = new Map(hashes.map((h, i) => [`k${i}`, h] as const));

async function masterCalls(command: string): Promise<number> {
  let n = 0;
  for (const m of await cluster.masters()) {
    const raw = new Redis(m.port, m.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      const hit = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await raw.info('commandstats'));
      n += hit ? Number(hit[1]) : 0;
    } finally {
      raw.disconnect();
    }
  }
  return n;
}

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  ic = await cacheWithIndex(
    { redis: cluster.redisTarget(), prefix: 'cx', commandTimeoutMs: 2000 },
    { expectedImages: 1000, tables: 4, bucketBits: 16, tableShardBits: 2, dictionaryBits: 5 },
  );
  await ic.cache.setMany([...all].map(([imageId, h]) => ({ imageId, features: { phash: hex(h) } })));
}, 60_000);

afterAll(async () => {
  await ic?.cache.close();
  await cluster?.stop();
});

describe('similarity index on a Redis Cluster', () => {
  it('table shards are spread over the masters, each a single hash-tagged key', async () => {
    const layout = ic.index.fields.get('phash')!.layout;
    const keys = layout.allTableKeys();
    expect(keys).toHaveLength(16);
    const owners = new Set<string>();
    for (const m of await cluster.masters()) {
      const raw = new Redis(m.port, m.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        for (const k of keys) if ((await raw.call('CLUSTER', 'COUNTKEYSINSLOT', String(slotOf(k)))) as number > 0) owners.add(`${m.port}`);
      } finally {
        raw.disconnect();
      }
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('answers exactly, with one HMGET per table shard touched rather than one per probe', async () => {
    const rand = rng(1);
    for (const r of [0, 3, 6, 8, 10]) {
      for (let n = 0; n < 8; n++) {
        const q = flip(hashes[Math.floor(rand() * hashes.length)]!, n % 5, rand);
        const before = await masterCalls('hmget');
        const res = await ic.index.searchSimilar({ phash: hex(q) }, { maxDistance: r, limit: 1000 });
        const calls = (await masterCalls('hmget')) - before;
        expect(res.neighbors.map((x) => ({ imageId: x.imageId, distance: x.distance }))).toEqual(bruteForce(all, q, r));
        expect(calls).toBeLessThanOrEqual(16);
        if (r >= 6) expect(res.probes).toBeGreaterThan(calls * 5);
      }
    }
  });

  it('invalidate, TTL expiry and cleanup keep the index right across nodes', async () => {
    const target = hashes[1005]!; // a family member
    const want = bruteForce(all, target, 8).map((x) => x.imageId);
    expect(want.length).toBeGreaterThan(2);
    await ic.cache.invalidateMany(want.slice(0, 2));
    let res = await ic.index.searchSimilar({ phash: hex(target) }, { maxDistance: 8, limit: 1000 });
    expect(res.neighbors.map((x) => x.imageId)).toEqual(want.slice(2));
    expect(res.stale_skipped).toBe(0);

    await ic.cache.set('exp', { phash: hex(target) }, { ttlSeconds: 1 });
    const fi = ic.index.fields.get('phash')!;
    expect(await fi.store.dictGet(['exp'])).not.toEqual([null]);
    expect(await eventually(async () => (await fi.store.dictGet(['exp']))[0] === null, 10_000)).toBe(true);

    // a record removed behind the index's back (lost event) is found by cleanup
    const victim = want[2]!;
    const seed = cluster.nodes[0]!;
    const raw = new Redis.Cluster([{ host: seed.host, port: seed.port }]);
    try {
      await raw.unlink(`cx:1.0:${victim}`);
    } finally {
      raw.disconnect();
    }
    expect(await fi.store.dictGet([victim])).not.toEqual([null]);
    expect(await ic.index.cleanup()).toBe(1);
    expect(await fi.store.dictGet([victim])).toEqual([null]);
    res = await ic.index.searchSimilar({ phash: hex(target) }, { maxDistance: 8, limit: 1000 });
    expect(res.neighbors.map((x) => x.imageId)).toEqual(want.slice(3));
  });
});
