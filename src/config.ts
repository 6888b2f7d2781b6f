/**
 * Service configuration: environment variables -> typed, validated config.
 * Validated once at start-up; an invalid value stops the start with a
 * ConfigError naming the variable. Every variable and default is listed in
 * docs/HTTP.md.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { MAX_TTL_SECONDS } from './cache/validate.js';
import type { FeatureCacheOptions, Logger, RedisTarget, SimilarityOptions } from './types.js';

export type ApiScope = 'read' | 'write';

export interface ApiKey {
  key: string;
  scope: ApiScope;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Where the service's Redis is. */
export type RedisConfig =
  | { kind: 'embedded'; dir: string; port: number }
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; name: string; sentinels: HostPort[]; password?: string; username?: string; readFromReplicas: boolean }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string; username?: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServiceConfig {
  /** @default '127.0.0.1' */
  host: string;
  /** 0 picks a free port. @default 8000 */
  port: number;
  redis: RedisConfig;
  /** Empty: no authentication (then only a loopback host is accepted). */
  apiKeys: ApiKey[];
  /** Library options passed through when set (absent: the library's defaults). */
  cache: Pick<
    FeatureCacheOptions,
    'prefix' | 'featureVersion' | 'ttlSeconds' | 'ttlJitter' | 'ttlStrategy' | 'compression' | 'quantize' | 'batchSize' | 'commandTimeoutMs' | 'maxRecordBytes' | 'packFloats' | 'coalesce' | 'nearCache'
  >;
  /** Largest request body. @default 16 MiB */
  maxBodyBytes: number;
  /** Most image IDs / items in one batch request. @default 1000 */
  maxBatch: number;
  /** Longest image ID (and group name) in UTF-8 bytes. @default 512 */
  maxImageIdBytes: number;
  /** @default 'info' */
  logLevel: LogLevel;
  /** /health, /readyz and /metrics give up on Redis after this long. @default 1500 */
  healthTimeoutMs: number;
  /** In-flight requests get this long to finish on shutdown. @default 10000 */
  shutdownTimeoutMs: number;
  /** Serve /metrics without a key even when keys are configured. @default false */
  publicMetrics: boolean;
  /** Service processes on one port (node:cluster, src/server-cluster.ts). @default 1 */
  workers: number;
  /** Image upload, extraction and similarity settings. */
  images: ImageConfig;
  /** Host names (lower case, no port) accepted in the Host header besides loopback ones while keys are off. @default [] */
  allowedHosts: string[];
  /** Browser origins allowed by CORS and to send state-changing requests. @default [] (CORS off) */
  corsOrigins: string[];
}

/** Settings of POST /analysis/features, /analysis/similar and /analysis/compare. */
export interface ImageConfig {
  /** Extraction worker threads per service process. @default max(1, floor(os.availableParallelism() / workers)) */
  extractWorkers: number;
  /** Largest uploaded image in bytes. @default 16 MiB */
  maxImageBytes: number;
  /** Largest image in width x height (decompression-bomb guard). @default 40_000_000 */
  maxImagePixels: number;
  /** Accepted image formats, as sharp names them. @default ['jpeg','png','webp','gif','tiff','avif'] */
  formats: string[];
  /** Similarity index over extracted records (phash, dhash). @default true */
  similarity: boolean;
  /** Similarity index over user-stored records (PUT, batch-set): one more round trip per write chunk. @default false */
  similarityStored: boolean;
  /** Expected indexed images; sizes the index (tables, shards, largest radius). @default 1_000_000 */
  expectedImages: number;
  /** Largest `limit` of a similarity query. @default 1000 */
  searchMaxLimit: number;
}

/** Format names FEATCACHE_IMAGE_FORMATS accepts (sharp's names and common aliases). */
const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  jpeg: 'jpeg',
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  tif: 'tiff',
  avif: 'avif',
  heif: 'heif',
  heic: 'heif',
};
const DEFAULT_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'];

/** An invalid configuration variable. The message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['1', '0', 'true', 'false', 'yes', 'no']))
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const hostPort = z.string().transform((s, ctx): HostPort => {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not host:port` });
    return z.NEVER;
  }
  return { host: m[1], port };
});
const hostPortList = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
  .pipe(z.array(hostPort).min(1, 'needs at least one host:port'));

const apiKeys = z.string().transform((s, ctx): ApiKey[] => {
  const keys: ApiKey[] = [];
  for (const entry of s.split(',').map((e) => e.trim()).filter(Boolean)) {
    const i = entry.lastIndexOf(':');
    const key = i > 0 ? entry.slice(0, i) : '';
    const scope = entry.slice(i + 1);
    if (i <= 0 || (scope !== 'read' && scope !== 'write') || /\s/.test(key)) {
      ctx.addIssue({ code: 'custom', message: 'expected "key:read" or "key:write" entries separated by commas' });
      return z.NEVER;
    }
    const twin = keys.find((k) => k.key === key);
    if (twin !== undefined && twin.scope !== scope) {
      ctx.addIssue({ code: 'custom', message: 'a key is listed with both scopes: give each key one scope' });
      return z.NEVER;
    }
    if (twin === undefined) keys.push({ key, scope });
  }
  return keys;
});

/** Shortest API key accepted when the service listens beyond loopback. */
export const MIN_API_KEY_LENGTH = 16;

/** A comma-separated list of host names (the Host header's name part). */
const hostList = z.string().transform((s, ctx): string[] => {
  const names = s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const bad = names.filter((h) => !/^(?:[a-z0-9-_.]+|\[[0-9a-f:.]+\])$/.test(h));
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected host names without port or scheme (bad: ${bad.join(', ')})` });
    return z.NEVER;
  }
  return names.map((h) => h.replace(/^\[(.*)\]$/, '$1'));
});

/** A comma-separated list of origins: scheme://host[:port], no path. */
const originList = z.string().transform((s, ctx): string[] => {
  const origins: string[] = [];
  for (const entry of s.split(',').map((o) => o.trim()).filter(Boolean)) {
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin !== entry.replace(/\/$/, '').toLowerCase()) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin like https://app.example or http://localhost:3000` });
      return z.NEVER;
    }
    origins.push(origin);
  }
  return origins;
});

const formatList = z.string().transform((s, ctx): string[] => {
  const names = s.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((f) => IMAGE_FORMATS[f] === undefined);
  if (names.length === 0 || unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${Object.keys(IMAGE_FORMATS).join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}` });
    return z.NEVER;
  }
  return [...new Set(names.map((f) => IMAGE_FORMATS[f]!))];
});

/** Variable name -> schema. Absent (or empty) variables take the default. */
const VARS = {
  // an IPv6 address may come bracketed ("[::1]"): listen() wants it bare
  HOST: z.string().trim().transform((h) => h.replace(/^\[(.*)\]$/, '$1')).pipe(z.string().min(1)),
  PORT: int(0, 65535),
  REDIS_URL: z.string().trim().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').pipe(z.url()),
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: z.string().trim().min(1),
  REDIS_SENTINEL_READ_REPLICAS: bool,
  REDIS_CLUSTER_NODES: hostPortList,
  REDIS_USERNAME: z.string(),
  REDIS_PASSWORD: z.string(),
  FEATCACHE_DATA_DIR: z.string().trim().min(1),
  FEATCACHE_EMBEDDED_PORT: int(0, 65535),
  FEATCACHE_API_KEYS: apiKeys,
  FEATCACHE_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - only (1-64)'),
  FEATCACHE_FEATURE_VERSION: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - only (1-64)'),
  FEATCACHE_TTL_SECONDS: int(0, MAX_TTL_SECONDS),
  FEATCACHE_TTL_JITTER: z.string().transform(Number).pipe(z.number().min(0).max(0.5)),
  FEATCACHE_TTL_STRATEGY: z.enum(['fixed', 'sliding', 'none']),
  FEATCACHE_COMPRESSION: z.enum(['lz4', 'none']),
  FEATCACHE_QUANTIZE: z.enum(['none', 'float16', 'int8']),
  FEATCACHE_PACK_FLOATS: bool,
  FEATCACHE_COALESCE: bool,
  FEATCACHE_NEAR_CACHE_BYTES: int(0),
  FEATCACHE_NEAR_CACHE_MAX_AGE_MS: int(1, 24 * 3600 * 1000),
  FEATCACHE_NEAR_CACHE_SERVE_STALE_MS: int(0, 24 * 3600 * 1000),
  FEATCACHE_BATCH_CHUNK: int(1, 10_000),
  FEATCACHE_COMMAND_TIMEOUT_MS: int(10, 600_000),
  FEATCACHE_MAX_RECORD_BYTES: int(1024),
  FEATCACHE_MAX_BODY_BYTES: int(1024),
  FEATCACHE_MAX_BATCH: int(1, 100_000),
  FEATCACHE_MAX_IMAGE_ID_BYTES: int(1, 512),
  FEATCACHE_HEALTH_TIMEOUT_MS: int(50, 60_000),
  FEATCACHE_SHUTDOWN_TIMEOUT_MS: int(0, 600_000),
  FEATCACHE_PUBLIC_METRICS: bool,
  FEATCACHE_WORKERS: int(1, 64),
  FEATCACHE_EXTRACT_WORKERS: int(1, 256),
  FEATCACHE_MAX_IMAGE_BYTES: int(1024, 1024 * 1024 * 1024),
  FEATCACHE_MAX_IMAGE_PIXELS: int(1, 1_000_000_000),
  FEATCACHE_IMAGE_FORMATS: formatList,
  FEATCACHE_SIMILARITY: bool,
  FEATCACHE_SIMILARITY_STORED: bool,
  FEATCACHE_EXPECTED_IMAGES: int(1, 10_000_000_000),
  FEATCACHE_SEARCH_MAX_LIMIT: int(1, 100_000),
  FEATCACHE_ALLOWED_HOSTS: hostList,
  FEATCACHE_CORS_ORIGINS: originList,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
} as const;

type Vars = { [K in keyof typeof VARS]?: z.output<(typeof VARS)[K]> };

function parseVars(env: Record<string, string | undefined>): Vars {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(VARS)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const r = (schema as z.ZodType).safeParse(raw);
    if (!r.success) throw new ConfigError(name, r.error.issues[0]?.message ?? 'invalid value');
    out[name] = r.data;
  }
  return out as Vars;
}

/** True for 127.0.0.0/8, ::1 and localhost (an IPv6 address bare or in brackets). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * Reads and validates the service configuration.
 * @throws ConfigError naming the first invalid variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const v = parseVars(env);
  const topologies = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((k) => v[k] !== undefined);
  if (topologies.length > 1) {
    throw new ConfigError(topologies.join(' + '), 'set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES');
  }
  const auth = { ...(v.REDIS_USERNAME ? { username: v.REDIS_USERNAME } : {}), ...(v.REDIS_PASSWORD ? { password: v.REDIS_PASSWORD } : {}) };
  let redis: RedisConfig;
  if (v.REDIS_URL) redis = { kind: 'url', url: v.REDIS_URL };
  else if (v.REDIS_SENTINELS) {
    redis = {
      kind: 'sentinel',
      name: v.REDIS_SENTINEL_NAME ?? 'featcache',
      sentinels: v.REDIS_SENTINELS,
      readFromReplicas: v.REDIS_SENTINEL_READ_REPLICAS ?? false,
      ...auth,
    };
  } else if (v.REDIS_CLUSTER_NODES) redis = { kind: 'cluster', nodes: v.REDIS_CLUSTER_NODES, ...auth };
  else redis = { kind: 'embedded', dir: v.FEATCACHE_DATA_DIR ?? './.featcache', port: v.FEATCACHE_EMBEDDED_PORT ?? 0 };

  const host = v.HOST ?? '127.0.0.1';
  const keys = v.FEATCACHE_API_KEYS ?? [];
  if (keys.length === 0 && !isLoopbackHost(host)) {
    throw new ConfigError(
      'HOST',
      `refusing to listen on ${host} without authentication: set FEATCACHE_API_KEYS (e.g. "secret1:read,secret2:write") or bind a loopback address such as 127.0.0.1`,
    );
  }
  if (!isLoopbackHost(host) && keys.some((k) => k.key.length < MIN_API_KEY_LENGTH)) {
    throw new ConfigError('FEATCACHE_API_KEYS', `keys must be at least ${MIN_API_KEY_LENGTH} characters when the service listens beyond loopback (HOST=${host})`);
  }

  const cache: ServiceConfig['cache'] = {};
  if (v.FEATCACHE_PREFIX !== undefined) cache.prefix = v.FEATCACHE_PREFIX;
  if (v.FEATCACHE_FEATURE_VERSION !== undefined) cache.featureVersion = v.FEATCACHE_FEATURE_VERSION;
  if (v.FEATCACHE_TTL_SECONDS !== undefined) cache.ttlSeconds = v.FEATCACHE_TTL_SECONDS;
  if (v.FEATCACHE_TTL_JITTER !== undefined) cache.ttlJitter = v.FEATCACHE_TTL_JITTER;
  if (v.FEATCACHE_TTL_STRATEGY !== undefined) cache.ttlStrategy = v.FEATCACHE_TTL_STRATEGY;
  if (v.FEATCACHE_COMPRESSION !== undefined) cache.compression = v.FEATCACHE_COMPRESSION;
  if (v.FEATCACHE_QUANTIZE !== undefined) cache.quantize = v.FEATCACHE_QUANTIZE;
  if (v.FEATCACHE_PACK_FLOATS !== undefined) cache.packFloats = v.FEATCACHE_PACK_FLOATS;
  if (v.FEATCACHE_COALESCE !== undefined) cache.coalesce = v.FEATCACHE_COALESCE;
  // 0 or absent: no near tier
  if (v.FEATCACHE_NEAR_CACHE_BYTES) {
    cache.nearCache = {
      maxBytes: v.FEATCACHE_NEAR_CACHE_BYTES,
      maxAgeMs: v.FEATCACHE_NEAR_CACHE_MAX_AGE_MS,
      serveStaleMs: v.FEATCACHE_NEAR_CACHE_SERVE_STALE_MS,
    };
  }
  if (v.FEATCACHE_BATCH_CHUNK !== undefined) cache.batchSize = v.FEATCACHE_BATCH_CHUNK;
  if (v.FEATCACHE_COMMAND_TIMEOUT_MS !== undefined) cache.commandTimeoutMs = v.FEATCACHE_COMMAND_TIMEOUT_MS;
  if (v.FEATCACHE_MAX_RECORD_BYTES !== undefined) cache.maxRecordBytes = v.FEATCACHE_MAX_RECORD_BYTES;

  const workers = v.FEATCACHE_WORKERS ?? 1;
  const images: ImageConfig = {
    // several service processes share the cores: do not start cores x workers threads
    extractWorkers: v.FEATCACHE_EXTRACT_WORKERS ?? Math.max(1, Math.floor(availableParallelism() / workers)),
    maxImageBytes: v.FEATCACHE_MAX_IMAGE_BYTES ?? 16 * 1024 * 1024,
    maxImagePixels: v.FEATCACHE_MAX_IMAGE_PIXELS ?? 40_000_000,
    formats: v.FEATCACHE_IMAGE_FORMATS ?? [...DEFAULT_IMAGE_FORMATS],
    similarity: v.FEATCACHE_SIMILARITY ?? true,
    similarityStored: v.FEATCACHE_SIMILARITY_STORED ?? false,
    expectedImages: v.FEATCACHE_EXPECTED_IMAGES ?? 1_000_000,
    searchMaxLimit: v.FEATCACHE_SEARCH_MAX_LIMIT ?? 1000,
  };

  return {
    host,
    port: v.PORT ?? 8000,
    redis,
    apiKeys: keys,
    cache,
    maxBodyBytes: v.FEATCACHE_MAX_BODY_BYTES ?? 16 * 1024 * 1024,
    maxBatch: v.FEATCACHE_MAX_BATCH ?? 1000,
    maxImageIdBytes: v.FEATCACHE_MAX_IMAGE_ID_BYTES ?? 512,
    logLevel: v.LOG_LEVEL ?? 'info',
    healthTimeoutMs: v.FEATCACHE_HEALTH_TIMEOUT_MS ?? 1500,
    shutdownTimeoutMs: v.FEATCACHE_SHUTDOWN_TIMEOUT_MS ?? 10_000,
    publicMetrics: v.FEATCACHE_PUBLIC_METRICS ?? false,
    workers,
    images,
    allowedHosts: v.FEATCACHE_ALLOWED_HOSTS ?? [],
    corsOrigins: v.FEATCACHE_CORS_ORIGINS ?? [],
  };
}

/** The library's Redis target for a RedisConfig (undefined: embedded). */
export function toRedisTarget(redis: RedisConfig): RedisTarget | undefined {
  switch (redis.kind) {
    case 'embedded':
      return undefined;
    case 'url':
      return redis.url;
    case 'sentinel': {
      const { name, sentinels, readFromReplicas, password, username } = redis;
      return { sentinel: { name, sentinels, readFromReplicas, ...(password ? { password } : {}), ...(username ? { username } : {}) } };
    }
    case 'cluster': {
      const { nodes, password, username } = redis;
      const redisOptions = { ...(password ? { password } : {}), ...(username ? { username } : {}) };
      return { cluster: { nodes, ...(password || username ? { options: { redisOptions } } : {}) } };
    }
  }
}

/** Maps the service config to createFeatureCache options. */
export function toFeatureCacheOptions(config: ServiceConfig, logger?: Logger): FeatureCacheOptions {
  const options: FeatureCacheOptions = { ...config.cache, maxImageIdBytes: config.maxImageIdBytes };
  const target = toRedisTarget(config.redis);
  if (target !== undefined) options.redis = target;
  else if (config.redis.kind === 'embedded') options.embedded = { dir: config.redis.dir, port: config.redis.port };
  if (logger) options.logger = logger;
  return options;
}

/** Hash fields the service indexes: pHash for queries by default, dHash for `{ dhash }` queries. */
export const INDEXED_FIELDS: readonly string[] = Object.freeze(['phash', 'dhash']);

/**
 * The similarity-index options of the service's caches (the same for the
 * extracted and the stored index, and for every service process: the index
 * layout in Redis follows from them).
 */
export function toSimilarityOptions(images: ImageConfig): SimilarityOptions {
  return { fields: [...INDEXED_FIELDS], expectedImages: images.expectedImages, maxLimit: images.searchMaxLimit };
}
