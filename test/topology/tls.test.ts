/**
 * Sentinel and Cluster over TLS, on real redis-server processes with a TLS port
 * beside the plain one (the plain port serves the readiness checks only): the
 * cache reaches them through their TLS ports with the `tls` option, and the
 * service's REDIS_TLS / REDIS_TLS_CA_FILE variables make the same target. A
 * client without TLS is refused by those ports, so the round trips prove TLS.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackendConfig, toRedisTarget } from '../../src/config.js';
import { createFeatureCache, FeatureCacheError, type FeatureCache, type RedisTarget } from '../../src/index.js';
import { pairsToObject, parseInfo, tryCommand } from '../helpers/resp-command.js';
import { freePortBlock, HOST, makeTempDir, removeDir, settleAll, startConfigFileNode, startDataNode, waitFor, type TopologyNode } from '../helpers/topology-common.js';
import { makeTestCertificates, tlsServerConfig, type TestCertificates } from '../helpers/tls-certs.js';

const exec = promisify(execFile);
let dir: string;
let certs: TestCertificates;
const nodes: TopologyNode[] = [];

beforeAll(() => {
  dir = makeTempDir('tls');
  certs = makeTestCertificates(dir);
});
afterAll(async () => {
  await settleAll(nodes.map((n) => n.kill()));
  removeDir(dir);
});

/** Writes, reads back and removes records across many keys (slots, on a Cluster). */
async function roundTrip(cache: FeatureCache): Promise<void> {
  const ids = Array.from({ length: 24 }, (_, i) => `tls-${i}`);
  await cache.setMany(ids.map((id, i) => ({ imageId: id, features: { phash: `${i}`.padStart(16, '0'), n: i } })));
  const got = await cache.getMany(ids);
  expect(got.map((r) => r?.features.n)).toEqual(ids.map((_, i) => i));
  expect(await cache.invalidate(ids[0]!)).toBe(true);
  expect(await cache.get(ids[0]!)).toBeNull();
}

/** createFeatureCache must fail (fast) when the target leaves TLS out. */
async function refusedWithoutTls(redis: RedisTarget): Promise<void> {
  const err = await createFeatureCache({ redis, connectTimeoutMs: 1500 }).then(
    async (c) => {
      await c.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeatureCacheError);
  expect((err as FeatureCacheError).code).toBe('REDIS_UNAVAILABLE');
}

describe('Sentinel over TLS', () => {
  it('finds the master through a TLS sentinel and talks TLS to it; REDIS_TLS + REDIS_TLS_CA_FILE make the same target', async () => {
    const base = await freePortBlock(2);
    const [masterTls, sentinelTls] = [base, base + 1];
    mkdirSync(join(dir, 'master'));
    const master = await startDataNode(join(dir, 'master'), { ...tlsServerConfig(certs, masterTls), 'tls-replication': 'yes' });
    nodes.push(master);
    const sdir = join(dir, 'sentinel');
    mkdirSync(sdir);
    const sentinelPlain = await freePortBlock(1);
    const tls = tlsServerConfig(certs, sentinelTls);
    writeFileSync(
      join(sdir, 'sentinel.conf'),
      [
        `port ${sentinelPlain}`,
        `bind ${HOST}`,
        `dir ${sdir}`,
        ...Object.entries(tls).map(([k, v]) => `${k} ${v}`),
        // the sentinel itself reaches the master over TLS
        'tls-replication yes',
        `sentinel monitor featcache ${HOST} ${masterTls} 1`,
      ].join('\n') + '\n',
    );
    nodes.push(await startConfigFileNode(join(sdir, 'sentinel.conf'), sentinelPlain, ['--sentinel']));
    await waitFor('the sentinel to see the master', async () => pairsToObject(await tryCommand(HOST, sentinelPlain, ['SENTINEL', 'MASTER', 'featcache'])).flags === 'master', 15_000);

    const sentinels = [{ host: HOST, port: sentinelTls }];
    const cache = await createFeatureCache({ redis: { sentinel: { name: 'featcache', sentinels, tls: { ca: certs.ca } } } });
    try {
      await roundTrip(cache);
    } finally {
      await cache.close();
    }
    await refusedWithoutTls({ sentinel: { name: 'featcache', sentinels } });

    const env = { REDIS_SENTINELS: `${HOST}:${sentinelTls}`, REDIS_TLS: 'true', REDIS_TLS_CA_FILE: certs.caFile };
    const target = toRedisTarget(loadBackendConfig(env).redis);
    expect(target).toEqual({ sentinel: { name: 'featcache', sentinels, readFromReplicas: false, tls: { ca: certs.ca } } });
    const fromEnv = await createFeatureCache({ redis: target! });
    try {
      expect((await fromEnv.get('tls-1'))?.features.n).toBe(1);
    } finally {
      await fromEnv.close();
    }
  }, 40_000);
});

describe('Cluster over TLS', () => {
  it('follows the slots the nodes announce on their TLS ports', async () => {
    // bus ports: +10000 of the TLS ports (tls-cluster), inside the block freePortBlock checked
    const tlsBase = await freePortBlock(3, true);
    const masters = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const ndir = join(dir, `cluster-${i}`);
        mkdirSync(ndir);
        const node = await startDataNode(ndir, {
          ...tlsServerConfig(certs, tlsBase + i),
          'tls-cluster': 'yes',
          'tls-replication': 'yes',
          'cluster-enabled': 'yes',
          'cluster-config-file': 'nodes.conf',
          'cluster-node-timeout': 2000,
        });
        nodes.push(node);
        return node;
      }),
    );
    const seeds = [0, 1, 2].map((i) => `${HOST}:${tlsBase + i}`);
    await exec('redis-cli', ['--tls', '--cacert', certs.caFile, '--cluster', 'create', ...seeds, '--cluster-yes'], { timeout: 30_000 });
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        for (const m of masters) if (parseInfo(await tryCommand(HOST, m.port, ['CLUSTER', 'INFO'])).cluster_state !== 'ok') return false;
        return true;
      },
      20_000,
    );

    const target = toRedisTarget(loadBackendConfig({ REDIS_CLUSTER_NODES: seeds.join(','), REDIS_TLS: 'true', REDIS_TLS_CA_FILE: certs.caFile }).redis);
    expect(target).toEqual({ cluster: { nodes: [0, 1, 2].map((i) => ({ host: HOST, port: tlsBase + i })), tls: { ca: certs.ca } } });
    const cache = await createFeatureCache({ redis: target! });
    try {
      await roundTrip(cache);
    } finally {
      await cache.close();
    }
    await refusedWithoutTls({ cluster: { nodes: [{ host: HOST, port: tlsBase }] } });
  }, 60_000);
});
