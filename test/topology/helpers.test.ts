/**
 * The topology helpers other suites rely on really start, fail over and stop:
 * a standalone server survives kill/restart, a Sentinel group promotes a
 * replica after killMaster(), a cluster comes up with 3 masters covering all
 * slots and promotes a replica when a master dies.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pingRaw } from '../../src/redis/redis-process.js';
import { parseInfo, redisCommand } from '../helpers/resp-command.js';
import { CLUSTER_SLOTS, startCluster, startSentinelGroup, startStandalone, waitFor } from '../helpers/topology.js';

const HOST = '127.0.0.1';

describe('startStandalone', () => {
  it('starts on a free port, comes back after a crash, and stop() removes everything', async () => {
    const redis = await startStandalone({ maxmemory: '8mb' });
    try {
      expect(redis.port).not.toBe(6379);
      expect(await redisCommand(HOST, redis.port, ['CONFIG', 'GET', 'maxmemory'])).toEqual(['maxmemory', String(8 * 1024 * 1024)]);
      await redis.kill();
      expect(await pingRaw(HOST, redis.port)).toBe(false);
      await redis.restart();
      expect(await pingRaw(HOST, redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(await pingRaw(HOST, redis.port)).toBe(false);
    expect(existsSync(redis.dir)).toBe(false);
  });
});

describe('startSentinelGroup', () => {
  it('promotes a replica when the master is killed, and the old master rejoins as a replica', async () => {
    const group = await startSentinelGroup({ replicas: 2, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 5000 });
    try {
      expect(group.masterName).toBe('featcache');
      expect(group.replicas).toHaveLength(2);
      expect(group.sentinels).toHaveLength(3);
      const before = await group.currentMaster();
      expect(before.port).toBe(group.master.port);

      // A write acknowledged by both replicas must survive the failover.
      await redisCommand(HOST, before.port, ['SET', 'fc:probe', 'v1']);
      expect(await redisCommand(HOST, before.port, ['WAIT', 2, 2000])).toBe(2);

      const killed = await group.killMaster();
      expect(killed.port).toBe(before.port);
      const after = await group.waitForFailover(killed);
      expect(group.replicas.map((r) => r.port)).toContain(after.port);
      expect(parseInfo(await redisCommand(HOST, after.port, ['INFO', 'replication'])).role).toBe('master');
      expect(await redisCommand(HOST, after.port, ['GET', 'fc:probe'])).toBe('v1');
      // Every sentinel agrees on the new master.
      for (const s of group.sentinels) {
        const addr = await redisCommand(s.host, s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'featcache']);
        expect(addr).toEqual([HOST, String(after.port)]);
      }

      // The old master comes back as a replica of the new one.
      await group.master.restart();
      await group.waitUntilReady();
      const oldMaster = parseInfo(await redisCommand(HOST, group.master.port, ['INFO', 'replication']));
      expect(oldMaster.role).toBe('slave');
      expect(oldMaster.master_port).toBe(String(after.port));
    } finally {
      await group.stop();
    }
    for (const n of [group.master, ...group.replicas, ...group.sentinels]) {
      expect(await pingRaw(HOST, n.port)).toBe(false);
    }
  }, 45_000);
});

describe('startCluster', () => {
  it('comes up with 3 masters covering all slots, and a replica takes over a killed master', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    try {
      expect(cluster.nodes).toHaveLength(6);
      const masters = await cluster.masters();
      expect(masters).toHaveLength(3);
      expect(masters.reduce((sum, m) => sum + m.slots, 0)).toBe(CLUSTER_SLOTS);
      for (const n of cluster.nodes) {
        expect(parseInfo(await redisCommand(HOST, n.port, ['CLUSTER', 'INFO'])).cluster_state).toBe('ok');
      }

      const victim = masters[0];
      if (!victim) throw new Error('no master');
      await cluster.killNode(victim.port);
      // A replica is promoted: 3 masters with all slots again, none of them the victim.
      await waitFor('a replica to take over the killed master\'s slots', async () => {
        const now = await cluster.masters();
        return now.length === 3 && !now.some((m) => m.port === victim.port) &&
          now.reduce((sum, m) => sum + m.slots, 0) === CLUSTER_SLOTS;
      }, 20_000);
      await cluster.waitUntilReady();
    } finally {
      await cluster.stop();
    }
    for (const n of cluster.nodes) expect(await pingRaw(HOST, n.port)).toBe(false);
  }, 45_000);
});
