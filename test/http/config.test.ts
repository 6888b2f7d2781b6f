/** Environment -> config: defaults, every kind of invalid value, and the mapping to library options. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableParallelism, tmpdir } from 'node:os';
import { cacheOptionsSchema } from '../../src/cache/options.js';
import { ConfigError, loadBackendConfig, loadConfig, toFeatureCacheOptions, toSimilarityOptions } from '../../src/config.js';
import { envName } from '../../src/env.js';
import { renderEnvTable, updateEnvDocs } from '../../scripts/docs-env.js';

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
      cache: { prefix: 'fc', featureVersion: '1.0', ttlSeconds: 30 * 24 * 3600, batchSize: 100, maxImageIdBytes: 512 },
      maxBodyBytes: 16 * 1024 * 1024,
      maxBatch: 1000,
      maxImageIdBytes: 512,
      logLevel: 'info',
      healthTimeoutMs: 1500,
      publicMetrics: false,
    });
    expect(toFeatureCacheOptions(c)).toEqual({ ...c.cache, embedded: { dir: './.featcache', port: 0 } });
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
    fails({ FEATCACHE_MAX_IMAGE_ID_BYTES: '65537' }, 'FEATCACHE_MAX_IMAGE_ID_BYTES');
    fails({ FEATCACHE_MAX_IMAGE_ID_BYTES: '0' }, 'FEATCACHE_MAX_IMAGE_ID_BYTES');
    fails({ FEATCACHE_PREFIX: 'my:app' }, 'FEATCACHE_PREFIX');
    fails({ FEATCACHE_FEATURE_VERSION: '2.0:' }, 'FEATCACHE_FEATURE_VERSION');
    fails({ FEATCACHE_BATCH_CONCURRENCY: '0' }, 'FEATCACHE_BATCH_CONCURRENCY');
    fails({ FEATCACHE_TRACK_EXPIRY: 'maybe' }, 'FEATCACHE_TRACK_EXPIRY');
    fails({ FEATCACHE_MAX_BODY_BYTES: '1e6' }, 'FEATCACHE_MAX_BODY_BYTES');
    fails({ FEATCACHE_COMPRESSION: 'gzip' }, 'FEATCACHE_COMPRESSION');
    fails({ FEATCACHE_QUANTIZE: 'int4' }, 'FEATCACHE_QUANTIZE');
    fails({ FEATCACHE_COALESCE: 'maybe' }, 'FEATCACHE_COALESCE');
    fails({ FEATCACHE_PREFIX: 'a b' }, 'FEATCACHE_PREFIX');
    fails({ FEATCACHE_TTL_SECONDS: '-5' }, 'FEATCACHE_TTL_SECONDS');
    fails({ FEATCACHE_PUBLIC_METRICS: 'maybe' }, 'FEATCACHE_PUBLIC_METRICS');
    fails({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
  });

  it('without API keys only loopback hosts are accepted', () => {
    fails({ HOST: '0.0.0.0' }, 'HOST');
    fails({ HOST: '10.1.2.3' }, 'HOST');
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(loadConfig({ HOST: host }).host).toBe(host);
    const c = loadConfig({ HOST: '0.0.0.0', FEATCACHE_API_KEYS: 'abc-0123456789abc:read, def-0123456789def:write' });
    expect(c.apiKeys).toEqual([
      { key: 'abc-0123456789abc', scope: 'read' },
      { key: 'def-0123456789def', scope: 'write' },
    ]);
  });

  it('enables the near tier only with FEATCACHE_NEAR_CACHE_BYTES above 0', () => {
    expect(loadConfig({}).nearCache).toBeUndefined();
    expect(loadConfig({ FEATCACHE_NEAR_CACHE_BYTES: '0' }).nearCache).toBeUndefined();
    const env = { FEATCACHE_NEAR_CACHE_BYTES: '67108864', FEATCACHE_NEAR_CACHE_MAX_AGE_MS: '5000', FEATCACHE_NEAR_CACHE_SERVE_STALE_MS: '30000' };
    expect(loadConfig(env).nearCache).toEqual({ maxBytes: 67108864, maxAgeMs: 5000, serveStaleMs: 30000 });
    fails({ FEATCACHE_NEAR_CACHE_BYTES: 'lots' }, 'FEATCACHE_NEAR_CACHE_BYTES');
  });

  it('one Redis topology at a time', () => {
    fails({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'a:1' }, 'REDIS_URL + REDIS_CLUSTER_NODES');
  });

  it('maps URL, Sentinel and Cluster to library options', () => {
    const url = loadConfig({ REDIS_URL: 'rediss://user:pw@cache.internal:6380/2', FEATCACHE_PREFIX: 'p1', FEATCACHE_FEATURE_VERSION: '2.0', FEATCACHE_TTL_SECONDS: '60', FEATCACHE_COMPRESSION: 'none', FEATCACHE_QUANTIZE: 'float16', FEATCACHE_PACK_FLOATS: 'false', FEATCACHE_COALESCE: 'no' });
    expect(toFeatureCacheOptions(url)).toMatchObject({
      redis: 'rediss://user:pw@cache.internal:6380/2',
      prefix: 'p1',
      featureVersion: '2.0',
      ttlSeconds: 60,
      compression: 'none',
      quantize: 'float16',
      packFloats: false,
      coalesce: false,
      maxImageIdBytes: 512,
    });
    // credentials the URL does not carry come from REDIS_USERNAME / REDIS_PASSWORD; its own win
    expect(toFeatureCacheOptions(loadConfig({ REDIS_URL: 'redis://cache:6379/1', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'p@ss' })).redis).toBe('redis://app:p%40ss@cache:6379/1');
    expect(toFeatureCacheOptions(loadConfig({ REDIS_URL: 'redis://u:own@cache:6379', REDIS_PASSWORD: 'other' })).redis).toBe('redis://u:own@cache:6379');
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
    expect(toFeatureCacheOptions(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_PASSWORD: 'spw' })).redis).toMatchObject({ sentinel: { sentinelPassword: 'spw' } });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,[::1]:7001', REDIS_SENTINEL_NAME: 'ignored' });
    expect(toFeatureCacheOptions(cluster).redis).toEqual({ cluster: { nodes: [{ host: 'n1', port: 7000 }, { host: '::1', port: 7001 }] } });
  });

  it('TLS: REDIS_TLS for Sentinel and Cluster, the REDIS_TLS_* files read, and every combination that cannot apply refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'featcache-tls-conf-'));
    try {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `-----${f}-----\n`);
      const files = { REDIS_TLS_CA_FILE: join(dir, 'ca.pem'), REDIS_TLS_CERT_FILE: join(dir, 'cert.pem'), REDIS_TLS_KEY_FILE: join(dir, 'key.pem') };
      const tls = { ca: '-----ca.pem-----\n', cert: '-----cert.pem-----\n', key: '-----key.pem-----\n' };
      expect(toFeatureCacheOptions(loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS: 'true', ...files })).redis).toEqual({ cluster: { nodes: [{ host: 'n1', port: 7000 }], tls } });
      expect(toFeatureCacheOptions(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_TLS: 'true' })).redis).toMatchObject({ sentinel: { tls: {} } });
      // a rediss:// URL with files becomes options, so the files ride along; without files it stays the URL
      expect(toFeatureCacheOptions(loadConfig({ REDIS_URL: 'rediss://u:p%40w@cache:6380/3', REDIS_TLS_CA_FILE: files.REDIS_TLS_CA_FILE })).redis).toEqual({
        host: 'cache',
        port: 6380,
        username: 'u',
        password: 'p@w',
        db: 3,
        tls: { ca: tls.ca },
      });
      expect(toFeatureCacheOptions(loadConfig({ REDIS_URL: 'rediss://cache:6380' })).redis).toBe('rediss://cache:6380');
      fails({ REDIS_URL: 'redis://cache:6379', REDIS_TLS: 'true' }, 'REDIS_TLS');
      fails({ REDIS_TLS: 'true' }, 'REDIS_TLS');
      fails({ REDIS_URL: 'redis://cache:6379', REDIS_TLS_CA_FILE: files.REDIS_TLS_CA_FILE }, 'REDIS_TLS_CA_FILE');
      fails({ REDIS_SENTINELS: 's:26379', REDIS_TLS_CA_FILE: files.REDIS_TLS_CA_FILE }, 'REDIS_TLS_CA_FILE');
      fails({ REDIS_SENTINELS: 's:26379', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') }, 'REDIS_TLS_CA_FILE');
      fails({ REDIS_SENTINELS: 's:26379', REDIS_TLS: 'true', REDIS_TLS_CERT_FILE: files.REDIS_TLS_CERT_FILE }, 'REDIS_TLS_KEY_FILE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('image and similarity variables', () => {
  it('defaults: 16 MiB, 40 MP, six formats, extracted index on, stored index off, 1M expected images', () => {
    const c = loadConfig({});
    expect(c.workers).toBe(1);
    expect(c.images).toEqual({
      extractWorkers: availableParallelism(),
      maxImageBytes: 16 * 1024 * 1024,
      maxImagePixels: 40_000_000,
      formats: ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'],
      similarity: true,
      similarityStored: false,
      expectedImages: 1_000_000,
      searchMaxLimit: 1000,
      provenanceIndex: false,
    });
    expect(toSimilarityOptions(c.images)).toEqual({ fields: ['phash', 'dhash'], expectedImages: 1_000_000, maxLimit: 1000 });
  });

  it('parses the variables and divides the extraction threads among FEATCACHE_WORKERS processes', () => {
    const c = loadConfig({
      FEATCACHE_MAX_IMAGE_BYTES: '1048576',
      FEATCACHE_MAX_IMAGE_PIXELS: '1000000',
      FEATCACHE_IMAGE_FORMATS: 'JPG, png,tif,jpeg',
      FEATCACHE_SIMILARITY: 'false',
      FEATCACHE_SIMILARITY_STORED: 'yes',
      FEATCACHE_EXPECTED_IMAGES: '50000',
      FEATCACHE_SEARCH_MAX_LIMIT: '20',
      FEATCACHE_EXTRACT_WORKERS: '3',
      FEATCACHE_PROVENANCE_INDEX: 'true',
    });
    expect(c.images).toEqual({
      extractWorkers: 3,
      maxImageBytes: 1048576,
      maxImagePixels: 1_000_000,
      formats: ['jpeg', 'png', 'tiff'],
      similarity: false,
      similarityStored: true,
      expectedImages: 50_000,
      searchMaxLimit: 20,
      provenanceIndex: true,
    });
    const many = loadConfig({ FEATCACHE_WORKERS: '64' });
    expect(many.workers).toBe(64);
    expect(many.images.extractWorkers).toBe(Math.max(1, Math.floor(availableParallelism() / 64)));
  });

  it('rejects invalid values naming the variable', () => {
    fails({ FEATCACHE_WORKERS: '0' }, 'FEATCACHE_WORKERS');
    fails({ FEATCACHE_WORKERS: '65' }, 'FEATCACHE_WORKERS');
    fails({ FEATCACHE_EXTRACT_WORKERS: '0' }, 'FEATCACHE_EXTRACT_WORKERS');
    fails({ FEATCACHE_MAX_IMAGE_BYTES: '16MiB' }, 'FEATCACHE_MAX_IMAGE_BYTES');
    fails({ FEATCACHE_MAX_IMAGE_BYTES: '100' }, 'FEATCACHE_MAX_IMAGE_BYTES');
    fails({ FEATCACHE_MAX_IMAGE_PIXELS: '0' }, 'FEATCACHE_MAX_IMAGE_PIXELS');
    fails({ FEATCACHE_IMAGE_FORMATS: 'jpeg,bmp' }, 'FEATCACHE_IMAGE_FORMATS');
    fails({ FEATCACHE_IMAGE_FORMATS: ',' }, 'FEATCACHE_IMAGE_FORMATS');
    fails({ FEATCACHE_SIMILARITY: 'sometimes' }, 'FEATCACHE_SIMILARITY');
    fails({ FEATCACHE_SIMILARITY_STORED: '2' }, 'FEATCACHE_SIMILARITY_STORED');
    fails({ FEATCACHE_EXPECTED_IMAGES: '0' }, 'FEATCACHE_EXPECTED_IMAGES');
    fails({ FEATCACHE_SEARCH_MAX_LIMIT: '100001' }, 'FEATCACHE_SEARCH_MAX_LIMIT');
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

describe('one options schema', () => {
  /** A valid value other than the default, as the variable's text. */
  const otherValue = (field: string, dflt: unknown): string => {
    const special: Record<string, string> = { prefix: 'app', featureVersion: '3.1', ttlStrategy: 'sliding', compression: 'none', quantize: 'int8', ttlJitter: '0.25' };
    if (special[field] !== undefined) return special[field];
    if (typeof dflt === 'boolean') return String(!dflt);
    if (typeof dflt === 'number') return String(dflt + 1);
    throw new Error(`no test value for ${field}`);
  };

  it('every library option is a FEATCACHE_ variable of the same name, with the library default when unset', () => {
    const defaults = cacheOptionsSchema.parse({});
    expect(loadBackendConfig({}).cache).toEqual(defaults);
    for (const [field, schema] of Object.entries(cacheOptionsSchema.shape)) {
      const name = envName(field, schema);
      expect(name).toBe(`FEATCACHE_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
      const text = otherValue(field, defaults[field as keyof typeof defaults]);
      const cache = loadBackendConfig({ [name]: text }).cache as Record<string, unknown>;
      expect({ field, value: String(cache[field]) }).toEqual({ field, value: text });
    }
  });

  it('FEATCACHE_BATCH_CHUNK still sets batchSize', () => {
    expect(loadBackendConfig({ FEATCACHE_BATCH_CHUNK: '7' }).cache.batchSize).toBe(7);
  });

  it('a backend config never applies the listen-address rule (HOST=0.0.0.0 without keys)', () => {
    expect(loadBackendConfig({ HOST: '0.0.0.0', FEATCACHE_TTL_SECONDS: '60' }).cache.ttlSeconds).toBe(60);
  });

  it('the environment tables of README.md and docs/HTTP.md are the ones generated from the schemas (npm run docs:env)', () => {
    expect(updateEnvDocs(true)).toEqual([]);
    const table = renderEnvTable();
    for (const [field, schema] of Object.entries(cacheOptionsSchema.shape)) expect(table).toContain(`| \`${envName(field, schema)}\` |`);
  });
});
