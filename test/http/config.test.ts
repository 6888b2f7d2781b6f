/** Environment -> config: defaults, every kind of invalid value, and the mapping to library options. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, toFeatureCacheOptions } from '../../src/config.js';

const fails = (env: Record<string, string>, variable: string) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message.startsWith(`${variable}:`)).toBe(true);
    return;
  }
  throw new Error(`expected ${variable} to be rejected`);
};

describe('loadConfig', () => {
  it('defaults: loopback, port 8000, embedded Redis, no auth, documented limits', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      redis: { kind: 'embedded', dir: './.featcache', port: 0 },
      apiKeys: [],
      cache: {},
      maxBodyBytes: 16 * 1024 * 1024,
      maxBatch: 1000,
      maxImageIdBytes: 512,
      logLevel: 'info',
      healthTimeoutMs: 1500,
      publicMetrics: false,
    });
    expect(toFeatureCacheOptions(c)).toEqual({ maxImageIdBytes: 512, embedded: { dir: './.featcache', port: 0 } });
  });

  it('rejects invalid values naming the variable', () => {
    fails({ PORT: 'eighty' }, 'PORT');
    fails({ PORT: '70000' }, 'PORT');
    fails({ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL');
    fails({ REDIS_SENTINELS: 'a:1,b' }, 'REDIS_SENTINELS');
    fails({ REDIS_CLUSTER_NODES: 'host:0' }, 'REDIS_CLUSTER_NODES');
    fails({ FEATCACHE_API_KEYS: 'k1:admin' }, 'FEATCACHE_API_KEYS');
    fails({ FEATCACHE_API_KEYS: 'justakey' }, 'FEATCACHE_API_KEYS');
    fails({ FEATCACHE_MAX_BATCH: '0' }, 'FEATCACHE_MAX_BATCH');
    fails({ FEATCACHE_MAX_IMAGE_ID_BYTES: '513' }, 'FEATCACHE_MAX_IMAGE_ID_BYTES');
    fails({ FEATCACHE_MAX_BODY_BYTES: '1e6' }, 'FEATCACHE_MAX_BODY_BYTES');
    fails({ FEATCACHE_COMPRESSION: 'gzip' }, 'FEATCACHE_COMPRESSION');
    fails({ FEATCACHE_QUANTIZE: 'int4' }, 'FEATCACHE_QUANTIZE');
    fails({ FEATCACHE_PREFIX: 'a b' }, 'FEATCACHE_PREFIX');
    fails({ FEATCACHE_TTL_SECONDS: '-5' }, 'FEATCACHE_TTL_SECONDS');
    fails({ FEATCACHE_PUBLIC_METRICS: 'maybe' }, 'FEATCACHE_PUBLIC_METRICS');
    fails({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
  });

  it('without API keys only loopback hosts are accepted', () => {
    fails({ HOST: '0.0.0.0' }, 'HOST');
    fails({ HOST: '10.1.2.3' }, 'HOST');
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(loadConfig({ HOST: host }).host).toBe(host);
    const c = loadConfig({ HOST: '0.0.0.0', FEATCACHE_API_KEYS: 'abc:read, def:write' });
    expect(c.apiKeys).toEqual([
      { key: 'abc', scope: 'read' },
      { key: 'def', scope: 'write' },
    ]);
  });

  it('one Redis topology at a time', () => {
    fails({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'a:1' }, 'REDIS_URL + REDIS_CLUSTER_NODES');
  });

  it('maps URL, Sentinel and Cluster to library options', () => {
    const url = loadConfig({ REDIS_URL: 'rediss://user:pw@cache.internal:6380/2', FEATCACHE_PREFIX: 'p1', FEATCACHE_FEATURE_VERSION: '2.0', FEATCACHE_TTL_SECONDS: '60', FEATCACHE_COMPRESSION: 'none', FEATCACHE_QUANTIZE: 'float16' });
    expect(toFeatureCacheOptions(url)).toEqual({
      redis: 'rediss://user:pw@cache.internal:6380/2',
      prefix: 'p1',
      featureVersion: '2.0',
      ttlSeconds: 60,
      compression: 'none',
      quantize: 'float16',
      maxImageIdBytes: 512,
    });
    const sentinel = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379', REDIS_PASSWORD: 'pw' });
    expect(toFeatureCacheOptions(sentinel).redis).toEqual({
      sentinel: {
        name: 'featcache',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
        readFromReplicas: false,
        password: 'pw',
      },
    });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,[::1]:7001', REDIS_SENTINEL_NAME: 'ignored' });
    expect(toFeatureCacheOptions(cluster).redis).toEqual({ cluster: { nodes: [{ host: 'n1', port: 7000 }, { host: '::1', port: 7001 }] } });
  });
});

describe('server entry point', () => {
  it('refuses to start on a non-loopback host without keys, saying why', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, HOST: '0.0.0.0', FEATCACHE_API_KEYS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('HOST');
    expect(r.stderr).toContain('FEATCACHE_API_KEYS');
  }, 30_000);
});
