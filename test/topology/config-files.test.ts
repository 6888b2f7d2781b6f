/**
 * The files in redis/ are accepted by the installed redis-server (7.0) and
 * actually apply the settings featcache depends on.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/redis-process.js';
import { pairsToObject, parseInfo, redisCommand } from '../helpers/resp-command.js';
import { makeTempDir, removeDir, startConfigFileNode, type TopologyNode } from '../helpers/topology-common.js';

const confDir = join(import.meta.dirname, '..', '..', 'redis');
const started: Array<{ node: TopologyNode; dir: string }> = [];

async function start(conf: string, extraArgs: (port: number, dir: string) => string[]) {
  const dir = makeTempDir('conf');
  const port = await freePort();
  const node = await startConfigFileNode(conf, port, [...extraArgs(port, dir), '--port', String(port), '--dir', dir]);
  started.push({ node, dir });
  return node;
}

async function configGet(node: TopologyNode, name: string): Promise<string> {
  const reply = await redisCommand(node.host, node.port, ['CONFIG', 'GET', name]);
  return pairsToObject(reply)[name] ?? '';
}

afterEach(async () => {
  for (const { node, dir } of started.splice(0)) {
    await node.kill();
    removeDir(dir);
  }
});

describe('redis/ config files on the installed redis-server', () => {
  it('redis.conf: eviction, keyspace notifications, lazyfree and AOF+RDB persistence', async () => {
    const node = await start(join(confDir, 'redis.conf'), () => []);
    expect(await configGet(node, 'maxmemory-policy')).toBe('volatile-lfu');
    expect(await configGet(node, 'lfu-log-factor')).toBe('0');
    expect(Number(await configGet(node, 'maxmemory'))).toBeGreaterThan(0);
    // Redis normalises "Exe" to some order of the same flags.
    expect([...(await configGet(node, 'notify-keyspace-events'))].sort().join('')).toBe('Eex');
    for (const k of ['lazyfree-lazy-eviction', 'lazyfree-lazy-expire', 'lazyfree-lazy-server-del', 'protected-mode']) {
      expect(await configGet(node, k), k).toBe('yes');
    }
    expect(await configGet(node, 'appendonly')).toBe('yes');
    expect(await configGet(node, 'appendfsync')).toBe('everysec');
    expect(await configGet(node, 'save')).not.toBe('');
    expect(await configGet(node, 'bind')).toBe('127.0.0.1');
  });

  it('cluster/cluster-node.conf on top of redis.conf: cluster mode without full coverage', async () => {
    const node = await start(join(confDir, 'redis.conf'), () => ['--include', join(confDir, 'cluster', 'cluster-node.conf')]);
    const info = parseInfo(await redisCommand(node.host, node.port, ['INFO', 'cluster']));
    expect(info.cluster_enabled).toBe('1');
    expect(await configGet(node, 'cluster-require-full-coverage')).toBe('no');
    expect(await configGet(node, 'maxmemory-policy')).toBe('volatile-lfu');
  });

  it('sentinel.conf: watches master "featcache" with quorum 2 from a writable copy', async () => {
    const sdir = makeTempDir('sentinel-conf');
    const copy = join(sdir, 'sentinel.conf');
    copyFileSync(join(confDir, 'sentinel.conf'), copy);
    try {
      const sentinel = await start(copy, () => ['--sentinel']);
      const master = pairsToObject(await redisCommand(sentinel.host, sentinel.port, ['SENTINEL', 'MASTER', 'featcache']));
      expect(master.port).toBe('6379');
      expect(master.quorum).toBe('2');
      expect(master['down-after-milliseconds']).toBe('5000');
      expect(master['failover-timeout']).toBe('60000');
      expect(master['parallel-syncs']).toBe('1');
    } finally {
      removeDir(sdir);
    }
  });
});
