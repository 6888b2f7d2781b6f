/**
 * The near tier on a real Redis Cluster (3 masters + 3 replicas): tracking on
 * every master, so a raw write through another cluster client to a key on any
 * master drops it from the tier; a master's death flushes the tier, nothing is
 * served from it until every master (the promoted replica included) tracks
 * again, and no read returns a value the tier held past that flush.
 *
 * Timing is not asserted: every wait is a generous upper bound that only ends
 * a broken run, so a loaded machine makes the test slower, never red.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache } from '../../src/index.js';
import type { RedisFeatureCache } from '../../src/cache/feature-cache.js';
import { slotOf } from '../../src/redis/slot-tags.js';
import { eventually } from '../helpers/redis.js';
import { parseInfo, redisCommand } from '../helpers/resp-command.js';
import { startCluster, type RedisClusterTopology } from '../helpers/topology.js';

/** Upper bound of every wait: only a broken run reaches it. */
const PATIENCE_MS = 60_000;

let cluster: RedisClusterTopology;
let cache: RedisFeatureCache;
/** Another writer (no near tier, no WAIT): what a second service instance or a script does. */
let writer: FeatureCache;
let raw: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
  // WAIT for the replica: Redis Cluster replicates asynchronously, and a write the
  // replica has not received when its master is killed is lost in the failover
  cache = (await createFeatureCache({
    redis: cluster.redisTarget(),
    prefix: 'nc',
    commandTimeoutMs: 2000,
    waitReplicas: 1,
    waitTimeoutMs: 20_000,
    nearCache: { maxBytes: 1 << 20 },
  })) as RedisFeatureCache;
  writer = await createFeatureCache({ redis: cluster.redisTarget(), prefix: 'nc', commandTimeoutMs: 2000 });
  raw = new Cluster(cluster.redisTarget().cluster.nodes);
});

afterAll(async () => {
  raw?.disconnect();
  await writer?.close();
  await cache?.close();
  await cluster?.stop();
});

const key = (id: string) => `nc:1.0:${id}`;
const values = (records: Array<{ features: Record<string, unknown> } | null>) => records.map((r) => (r ? (r.features.n as number[])[0] : null));

/** Retries `fn` until it resolves (the cluster may still be settling after a failover). */
async function settled<T>(fn: () => Promise<T>): Promise<T> {
  const end = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('near tier on a Cluster', () => {
  it('is live once every master tracks, and drops keys written on any master by another client', async () => {
    expect(await eventually(() => cache.near!.tier.isLive, PATIENCE_MS, 20)).toBe(true);
    // 60 IDs cover every master's slots
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    await cache.setMany(ids.map((imageId, i) => ({ imageId, features: { n: [i] } })));
    const slots = new Set(ids.map((id) => slotOf(key(id))));
    expect(slots.size).toBeGreaterThan(30);
    await cache.getMany(ids);
    expect(cache.near!.tier.size).toBe(ids.length);
    for (const id of ids) await raw.del(key(id));
    expect(await eventually(() => cache.near!.tier.size === 0, PATIENCE_MS, 5)).toBe(true);
    expect((await cache.getMany(ids)).every((r) => r === null)).toBe(true);
  }, 2 * PATIENCE_MS);

  it('is flushed when a master dies, serves nothing it held past the flush, and is live and exact again after the failover', async () => {
    const kept = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const lost = Array.from({ length: 30 }, (_, i) => `g${i}`);
    const victim = (await cluster.masters())[0]!;
    // the victim's slots (CLUSTER NODES) and its replica (the node replicating from its port)
    const table = String(await redisCommand(victim.host, victim.port, ['CLUSTER', 'NODES'])).trim().split('\n').map((l) => l.trim().split(' '));
    const victimSlots = new Set<number>();
    for (const range of table.find((f) => f[0] === victim.id)!.slice(8)) {
      const [a, b] = range.split('-').map(Number);
      for (let s = a!; s <= (b ?? a!); s++) victimSlots.add(s);
    }
    const roles = await Promise.all(cluster.nodes.map(async (n) => ({ n, info: parseInfo(await redisCommand(n.host, n.port, ['INFO', 'replication'])) })));
    const replica = roles.find((r) => r.info.role === 'slave' && Number(r.info.master_port) === victim.port)!.n;
    const onVictim = (id: string) => victimSlots.has(slotOf(key(id)));

    // kept: acknowledged by the replica (WAIT), so they survive the failover
    await cache.setMany(kept.map((imageId, i) => ({ imageId, features: { n: [i] } })));
    // lost: written while the victim's replica is stopped and cut off, so the failover loses the
    // victim's share of them (what async replication does to writes not yet on a replica)
    process.kill(replica.pid, 'SIGSTOP');
    try {
      await redisCommand(victim.host, victim.port, ['CLIENT', 'KILL', 'TYPE', 'replica']);
      await writer.setMany(lost.map((imageId, i) => ({ imageId, features: { n: [i] } })));
      await cache.getMany([...kept, ...lost]);
      expect(cache.near!.tier.size).toBe(kept.length + lost.length);
      await cluster.killNode(victim.port);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    const lostOnVictim = lost.filter(onVictim);
    expect(lostOnVictim.length).toBeGreaterThan(0);
    expect(lostOnVictim.length).toBeLessThan(lost.length);

    // the killed master's invalidation connection closes: flushed and bypassed
    expect(await eventually(() => !cache.near!.tier.isLive, PATIENCE_MS, 5)).toBe(true);
    expect(cache.near!.tier.size).toBe(0);

    // another writer rewrites every kept record once the promoted replica serves its slots
    await cluster.waitUntilReady(PATIENCE_MS);
    await settled(() => writer.setMany(kept.map((imageId, i) => ({ imageId, features: { n: [100 + i] } }))));
    const fresh = kept.map((_, i) => 100 + i);
    const survivors = lost.map((id, i) => (lostOnVictim.includes(id) ? null : i));

    // from here on every read that succeeds is exact: the new values, and nothing for the
    // records Redis lost (the tier held them before the flush), while bypassed and once live
    let reads = 0;
    const exact = async () => {
      const [k, l] = await settled(() => Promise.all([cache.getMany(kept), cache.getMany(lost)]));
      reads++;
      expect(values(k)).toEqual(fresh);
      expect(values(l), JSON.stringify({ got: values(l), survivors })).toEqual(survivors);
    };
    await exact();
    expect(await eventually(async () => (await exact(), cache.near!.tier.isLive), PATIENCE_MS, 50)).toBe(true);
    // live again: reads fill the tier, and the tier answers exactly (every master tracked)
    await exact();
    expect(await eventually(async () => (await exact(), cache.near!.tier.size === kept.length + lost.length - lostOnVictim.length), PATIENCE_MS, 50)).toBe(true);
    await exact();
    expect(reads).toBeGreaterThan(2);

    // exact on the promoted master too: raw deletes of every key empty the tier again
    for (const id of [...kept, ...lost]) await raw.del(key(id));
    expect(await eventually(() => cache.near!.tier.size === 0, PATIENCE_MS, 5)).toBe(true);
    expect((await cache.getMany([...kept, ...lost])).every((r) => r === null)).toBe(true);
  }, 5 * PATIENCE_MS);
});
