/**
 * The near tier through a Sentinel failover: the master is SIGKILLed, the tier
 * is flushed when its invalidation connection drops, the connection follows the
 * promoted replica, and a write made on the new master by another client is
 * seen: no read returns the value held before the failover once it is replaced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createFeatureCache } from '../../src/index.js';
import type { RedisFeatureCache } from '../../src/cache/feature-cache.js';
import { eventually } from '../helpers/redis.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/topology.js';

let group: SentinelGroup;
let cache: RedisFeatureCache;

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 5000 });
  cache = (await createFeatureCache({ redis: group.redisTarget(), prefix: 'ns', nearCache: { maxBytes: 1 << 20 } })) as RedisFeatureCache;
});

afterAll(async () => {
  await cache?.close();
  await group?.stop();
});

describe('near tier on Sentinel', () => {
  it('is flushed when the master dies, follows the promoted replica and serves what is written there', async () => {
    await cache.set('a', { n: [1] });
    await eventually(async () => (await cache.get('a')) !== null && cache.near!.tier.size > 0, 5000, 10);
    expect(cache.near!.tier.size).toBe(1);
    // the replica has the record before the master goes
    const replica = new Redis(group.replicas[0]!.port, '127.0.0.1');
    await eventually(async () => (await replica.exists('ns:1.0:a')) === 1, 5000, 20);
    replica.disconnect();

    const killed = await group.killMaster();
    expect(await eventually(() => !cache.near!.tier.isLive, 5000, 5)).toBe(true);
    expect(cache.near!.tier.size).toBe(0);
    const promoted = await group.waitForFailover(killed, 20_000);

    // another writer on the new master replaces the record with the bytes of another one
    const raw = new Redis(promoted.port, promoted.host);
    try {
      await eventually(async () => {
        try {
          await cache.set('b', { n: [2] });
          return true;
        } catch {
          return false;
        }
      }, 20_000, 100);
      await raw.set('ns:1.0:a', (await raw.getBuffer('ns:1.0:b'))!);
      expect(await eventually(() => cache.near!.tier.isLive, 20_000, 20)).toBe(true);
      for (let i = 0; i < 20; i++) expect((await cache.get('a'))?.features).toEqual({ n: [2] });
      expect(cache.near!.tier.size).toBeGreaterThan(0);
      // and it is kept exact on the new master
      await raw.del('ns:1.0:a');
      expect(await eventually(async () => (await cache.get('a')) === null, 2000, 1)).toBe(true);
    } finally {
      raw.disconnect();
    }
  }, 90_000);
});
