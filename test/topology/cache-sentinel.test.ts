/**
 * The library through a real Sentinel group (master + 2 replicas + 3
 * sentinels): basic operations, health that names the master, its replicas and
 * the sentinels, and `readFromReplicas`, which sends reads to a replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureCache, type FeatureCache, type FeatureCacheOptions } from '../../src/index.js';
import { parseInfo, redisCommand } from '../helpers/resp-command.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/topology.js';

let group: SentinelGroup;
const caches: FeatureCache[] = [];

async function open(opts: FeatureCacheOptions & { readFromReplicas?: boolean }): Promise<FeatureCache> {
  const { readFromReplicas, ...rest } = opts;
  const cache = await createFeatureCache({
    redis: {
      sentinel: { ...group.redisTarget().sentinel, readFromReplicas },
    },
    ...rest,
  });
  caches.push(cache);
  return cache;
}

async function calls(port: number, command: string): Promise<number> {
  const info = String(await redisCommand('127.0.0.1', port, ['INFO', 'commandstats']));
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 2, sentinels: 3, downAfterMs: 1000 });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(caches.map((c) => c.close()));
  await group?.stop();
});

describe('featcache through Sentinel', () => {
  it('writes go to the master the sentinels name; batch ops and stats work', async () => {
    const cache = await open({ prefix: 'sn' });
    const ids = Array.from({ length: 150 }, (_, i) => `s-${i}`);
    await cache.setMany(ids.map((imageId, i) => ({ imageId, features: { i, v: new Float64Array([i]) }, groups: ['p'] })));
    const got = await cache.getMany(ids);
    got.forEach((r, i) => expect(r?.features).toEqual({ i, v: new Float64Array([i]) }));
    expect(await cache.invalidateMany(ids.slice(0, 10))).toBe(10);
    expect((await cache.listGroup('p')).length).toBe(140);
    const stats = await cache.stats();
    expect(stats.cached_images).toBe(140);
    expect(stats.cache_hits).toBe(150);

    const master = await group.currentMaster();
    expect(await redisCommand(master.host, master.port, ['EXISTS', 'sn:1.0:s-20'])).toBe(1);
  });

  it('health reports the current master, both replicas and the sentinels', async () => {
    const cache = await open({ prefix: 'snh' });
    const master = await group.currentMaster();
    const report = await cache.health();
    expect(report.status).toBe('healthy');
    expect(report.topology.mode).toBe('sentinel');
    expect(report.topology.master).toBe(`${master.host}:${master.port}`);
    const replicas = report.topology.nodes.filter((n) => n.role === 'replica').map((n) => n.address).sort();
    expect(replicas).toEqual(group.replicas.map((r) => `${r.host}:${r.port}`).sort());
    expect(report.topology.nodes.filter((n) => n.role === 'sentinel')).toHaveLength(3);
    expect(report.topology.nodes.filter((n) => n.role === 'master')).toEqual([
      { address: `${master.host}:${master.port}`, role: 'master', connected: true },
    ]);
  });

  it('readFromReplicas sends batch reads to a replica, writes to the master', async () => {
    const cache = await open({ prefix: 'snr', readFromReplicas: true });
    const master = await group.currentMaster();
    const ids = Array.from({ length: 40 }, (_, i) => `r-${i}`);
    await cache.setMany(ids.map((imageId, i) => ({ imageId, features: { i } })));
    // both replicas have the writes before we read
    expect(await redisCommand(master.host, master.port, ['WAIT', 2, 2000])).toBe(2);
    for (const r of group.replicas) {
      expect(parseInfo(await redisCommand(r.host, r.port, ['INFO', 'replication'])).role).toBe('slave');
    }

    const masterBefore = await calls(master.port, 'mget');
    const replicaBefore = await Promise.all(group.replicas.map((r) => calls(r.port, 'mget')));
    const got = await cache.getMany(ids);
    expect(got.map((r) => r?.features.i)).toEqual(ids.map((_, i) => i));
    const replicaAfter = await Promise.all(group.replicas.map((r) => calls(r.port, 'mget')));
    expect(await calls(master.port, 'mget')).toBe(masterBefore);
    const served = replicaAfter.map((n, i) => n - replicaBefore[i]!);
    expect(served.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
