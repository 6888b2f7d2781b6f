/**
 * Configuration of every entry point: environment variables -> typed,
 * validated config. Three zod schemas hold every variable's default, bounds and
 * description, each written once:
 *
 * - the library's cacheOptionsSchema (src/cache/options.ts): FEATCACHE_PREFIX,
 *   FEATCACHE_TTL_SECONDS, ... map onto its fields by name (src/env.ts);
 * - redisSettingsSchema: where Redis is (REDIS_*, the embedded server);
 * - imageSettingsSchema and serviceSettingsSchema: extraction, similarity, HTTP.
 *
 * loadBackendConfig reads what a command needs to open the cache and the
 * extraction pool (`featcache ingest`, `get`, `export` ...); loadConfig adds
 * the HTTP service's settings and its listen-address rule. docs/HTTP.md and
 * README.md show the table generated from these schemas (`npm run docs:env`).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type { RedisOptions } from 'ioredis';
import { z } from 'zod';
import { cacheOptionsSchema, nearCacheSchema, type ResolvedCacheSettings } from './cache/options.js';
import { ConfigError, readEnv, type Env } from './env.js';
import { parseTrustedProxy, type TrustedProxy } from './http/client-address.js';
import { DEFAULT_EMBEDDED_DIR } from './redis/embedded.js';
import { DEFAULT_MAX_PIXELS } from './features/options.js';
import { similarityOptionsSchema } from './search/options.js';
import type { FeatureCacheOptions, Logger, ProvenanceIndexOptions, RedisTarget, SimilarityOptions } from './types.js';

export { ConfigError };

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
  | { kind: 'url'; url: string; tls?: RedisTlsFiles }
  | { kind: 'sentinel'; name: string; sentinels: HostPort[]; password?: string; username?: string; sentinelPassword?: string; readFromReplicas: boolean; tls?: RedisTlsFiles }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string; username?: string; tls?: RedisTlsFiles };

/** The REDIS_TLS_* files, read (PEM text); `{}` is TLS with Node's bundled CAs. */
export interface RedisTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
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

const port = z.number().int().min(0).max(65535);

const hostPort = z.string().transform((s, ctx): HostPort => {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  const p = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || p < 1 || p > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not host:port` });
    return z.NEVER;
  }
  return { host: m[1], port: p };
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

/** A comma-separated list of proxy addresses or subnets (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`). */
const proxyList = z.string().transform((s, ctx): TrustedProxy[] => {
  const entries = s.split(',').map((e) => e.trim()).filter(Boolean);
  const parsed = entries.map(parseTrustedProxy);
  const bad = entries.filter((_, i) => parsed[i] === undefined);
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected IP addresses or subnets like 10.0.0.0/8 (bad: ${bad.join(', ')})` });
    return z.NEVER;
  }
  return parsed as TrustedProxy[];
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

const formatList = z.array(z.string()).transform((list, ctx): string[] => {
  const names = list.map((f) => f.toLowerCase());
  const unknown = names.filter((f) => IMAGE_FORMATS[f] === undefined);
  if (names.length === 0 || unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${Object.keys(IMAGE_FORMATS).join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}` });
    return z.NEVER;
  }
  return [...new Set(names.map((f) => IMAGE_FORMATS[f]!))];
});

/** Where Redis is. Set at most one of url, sentinels, clusterNodes; none: an embedded redis-server. */
export const redisSettingsSchema = z.object({
  url: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .pipe(z.url())
    .optional()
    .meta({ env: 'REDIS_URL', defaultText: 'unset: embedded redis-server', description: '`redis://[user:pass@]host:port[/db]`, or `rediss://` for TLS.' }),
  sentinels: hostPortList
    .optional()
    .meta({ env: 'REDIS_SENTINELS', description: 'Sentinel list `host:port,host:port` (IPv6: `[::1]:26379`).' }),
  sentinelName: z.string().trim().min(1).default('featcache').meta({ env: 'REDIS_SENTINEL_NAME', description: 'Master group name for Sentinel.' }),
  sentinelReadReplicas: z.boolean().default(false).meta({ env: 'REDIS_SENTINEL_READ_REPLICAS', description: 'Read from replicas (stale reads possible).' }),
  clusterNodes: hostPortList.optional().meta({ env: 'REDIS_CLUSTER_NODES', description: 'Cluster seed nodes `host:port,host:port`.' }),
  username: z.string().optional().meta({ env: 'REDIS_USERNAME', description: 'ACL user for the URL (when it names none), Sentinel or Cluster.' }),
  password: z.string().optional().meta({ env: 'REDIS_PASSWORD', description: 'Password for the URL (when it carries none), Sentinel or Cluster.' }),
  sentinelPassword: z.string().optional().meta({ env: 'REDIS_SENTINEL_PASSWORD', description: 'Password of the Sentinels themselves (`requirepass` of sentinel.conf).' }),
  tls: z.boolean().default(false).meta({
    env: 'REDIS_TLS',
    description: 'TLS to the sentinels and the data nodes (REDIS_SENTINELS) or to the Cluster nodes (REDIS_CLUSTER_NODES); for one Redis use a `rediss://` URL.',
  }),
  tlsCaFile: z.string().trim().min(1).optional().meta({
    env: 'REDIS_TLS_CA_FILE',
    defaultText: "unset: Node's bundled CAs",
    description: 'PEM file of the CA(s) that sign the Redis servers\' certificates (TLS: `rediss://` or REDIS_TLS).',
  }),
  tlsCertFile: z.string().trim().min(1).optional().meta({
    env: 'REDIS_TLS_CERT_FILE',
    description: 'PEM client certificate, when Redis asks for one (`tls-auth-clients`); with REDIS_TLS_KEY_FILE.',
  }),
  tlsKeyFile: z.string().trim().min(1).optional().meta({ env: 'REDIS_TLS_KEY_FILE', description: 'PEM private key of REDIS_TLS_CERT_FILE.' }),
  dataDir: z.string().trim().min(1).default(DEFAULT_EMBEDDED_DIR).describe('Embedded redis-server data directory.'),
  embeddedPort: port.default(0).describe('Embedded redis-server port (`0`: a free port).'),
});

/** Extraction and similarity settings (the backend of every command). */
export const imageSettingsSchema = z.object({
  extractWorkers: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .meta({ defaultText: 'cores / processes (at least 1)', description: 'Extraction worker threads per process (the service divides the cores by `FEATCACHE_WORKERS`).' }),
  maxImageBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024)
    .describe('Largest uploaded or ingested image (413 `IMAGE_TOO_LARGE`); multipart bodies get 64 KiB more for the form.'),
  maxImagePixels: z
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .default(DEFAULT_MAX_PIXELS)
    .describe('Largest image in width x height, refused before decoding (413 `IMAGE_TOO_LARGE`).'),
  imageFormats: formatList
    .default(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'])
    .describe('Accepted formats (also `heif`; aliases `jpg`, `tif`, `heic`); others are 415 `UNSUPPORTED_IMAGE_FORMAT`.'),
  similarity: z.boolean().default(true).describe('Similarity index (phash, dhash) over extracted records, for `POST /analysis/similar`.'),
  similarityStored: z
    .boolean()
    .default(false)
    .describe('Similarity index over stored (client-written) records too (`source: "stored"`); one more Redis round trip per write chunk.'),
  expectedImages: similarityOptionsSchema.shape.expectedImages.describe(
    'Expected indexed images: sizes the index (docs/SEARCH.md). Every process on one Redis must use the same value.',
  ),
  searchMaxLimit: similarityOptionsSchema.shape.maxLimit.describe('Largest `limit` of a similarity query.'),
  provenanceIndex: z
    .boolean()
    .default(false)
    .describe(
      'Provenance index (ORB descriptor chunks) over extracted records, for `POST /analysis/provenance` and `featcache trace`; ~4 KB of Redis per image, sized by `FEATCACHE_EXPECTED_IMAGES` (docs/PROVENANCE.md).',
    ),
});

/** The HTTP service's own settings. */
export const serviceSettingsSchema = z.object({
  // an IPv6 address may come bracketed ("[::1]"): listen() wants it bare
  host: z
    .string()
    .trim()
    .transform((h) => h.replace(/^\[(.*)\]$/, '$1'))
    .pipe(z.string().min(1))
    .default('127.0.0.1')
    .meta({ env: 'HOST', description: 'Listen address. Without API keys only loopback (`127.x`, `::1`, `localhost`) is accepted. An IPv6 address may be bracketed (`[::1]`); the brackets are stripped.' }),
  port: port.default(8000).meta({ env: 'PORT', description: 'Listen port (`0`: a free port).' }),
  apiKeys: apiKeys.default([]).meta({
    defaultText: 'unset: no auth, loopback only',
    description: `\`key1:read,key2:write\` (\`Authorization: Bearer <key>\`); one scope per key; keys of at least ${MIN_API_KEY_LENGTH} characters beyond loopback.`,
  }),
  allowedHosts: hostList.default([]).meta({
    defaultText: 'unset: loopback names only',
    description: 'Host names (no port) served besides loopback ones while API keys are off, e.g. `cache.internal` (DNS-rebinding guard; docs/HTTP.md, Security).',
  }),
  corsOrigins: originList.default([]).meta({
    defaultText: 'unset: CORS off',
    description: 'Browser origins allowed to read answers and send writes, e.g. `https://app.example,http://localhost:3000` (exact origins, no `*`).',
  }),
  maxBodyBytes: z.number().int().min(1024).default(16 * 1024 * 1024).describe('Largest request body (413 above it).'),
  maxBatch: z.number().int().min(1).max(100_000).default(1000).describe('Most `image_ids` / `items` per batch request (413 above it).'),
  healthTimeoutMs: z.number().int().min(50).max(60_000).default(1500).describe('Health, readiness and metrics stop waiting for Redis after this long.'),
  shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000).describe('In-flight requests get this long to finish on SIGTERM/SIGINT.'),
  publicMetrics: z.boolean().default(false).describe('Serve `/metrics` without a key even when keys are configured.'),
  authFailureLimit: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(30)
    .describe(
      'Wrong API keys allowed per client address per minute; past it the address gets 429 `TOO_MANY_AUTH_FAILURES` (Retry-After) until the minute ends. `0`: off. Behind a proxy, list it in FEATCACHE_TRUSTED_PROXIES, or every client shares its address.',
    ),
  trustedProxies: proxyList.default([]).meta({
    defaultText: 'unset: none (the socket peer is the client)',
    description:
      'Proxies whose `X-Forwarded-For` names the client (addresses or subnets, e.g. `10.0.0.0/8,::1`): the wrong-key throttle then counts per real client. Never list addresses clients can reach directly.',
  }),
  workers: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Service processes on one port (node:cluster); the primary serves nothing and starts the embedded Redis once.'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .meta({ env: 'LOG_LEVEL', description: 'pino log level.' }),
});

/**
 * The near tier's variables (the library's `nearCache` option is an object, so it
 * has no variable by name). Bounds and defaults stay in nearCacheSchema: absent
 * variables leave the library's defaults.
 */
export const nearCacheSettingsSchema = z.object({
  nearCacheBytes: z.number().int().min(0).default(0).describe('Near tier budget in bytes: decoded records kept in process, invalidated by Redis (0: off).'),
  nearCacheMaxAgeMs: z.number().int().optional().meta({ defaultText: '`60000`', description: 'A record older than this in the near tier is read from Redis again.' }),
  nearCacheServeStaleMs: z.number().int().optional().meta({ defaultText: '`0`', description: 'How long the near tier answers reads Redis cannot serve, flagged stale (0: never).' }),
});

/** Every schema whose variables the environment table lists, in its order. */
export const ENV_SCHEMAS = [serviceSettingsSchema, redisSettingsSchema, cacheOptionsSchema, nearCacheSettingsSchema, imageSettingsSchema] as const;

export type LogLevel = z.output<typeof serviceSettingsSchema>['logLevel'];

/** Settings of POST /analysis/features, /analysis/similar, /analysis/compare and `featcache ingest`. */
export type ImageConfig = Omit<z.output<typeof imageSettingsSchema>, 'extractWorkers' | 'imageFormats'> & {
  /** Extraction worker threads of this process (resolved: the variable, else the cores divided by the processes). */
  extractWorkers: number;
  /** Accepted image formats, as sharp names them. */
  formats: string[];
};

/** What every command needs to open its backend (cache, extraction view, pool). */
export interface BackendConfig {
  redis: RedisConfig;
  /** The library's options, every default applied (cacheOptionsSchema). */
  cache: ResolvedCacheSettings;
  /** The near tier (FEATCACHE_NEAR_CACHE_BYTES > 0); absent: off. */
  nearCache?: z.output<typeof nearCacheSchema>;
  images: ImageConfig;
}

/** The HTTP service: its backend plus the listener, auth and limits. */
export type ServiceConfig = BackendConfig &
  z.output<typeof serviceSettingsSchema> & {
    /** Longest image ID and group name (the library's maxImageIdBytes). */
    maxImageIdBytes: number;
  };

/** True for 127.0.0.0/8, ::1 and localhost (an IPv6 address bare or in brackets). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

function toRedisConfig(r: z.output<typeof redisSettingsSchema>): RedisConfig {
  const given = (['url', 'sentinels', 'clusterNodes'] as const).filter((k) => r[k] !== undefined);
  if (given.length > 1) {
    const names = { url: 'REDIS_URL', sentinels: 'REDIS_SENTINELS', clusterNodes: 'REDIS_CLUSTER_NODES' };
    throw new ConfigError(given.map((k) => names[k]).join(' + '), 'set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES');
  }
  const auth = { ...(r.username ? { username: r.username } : {}), ...(r.password ? { password: r.password } : {}) };
  const tls = tlsFiles(r);
  const withTls = tls ? { tls } : {};
  if (r.url) return { kind: 'url', url: withCredentials(r.url, auth), ...withTls };
  if (r.sentinels) {
    const sentinelAuth = r.sentinelPassword ? { sentinelPassword: r.sentinelPassword } : {};
    return { kind: 'sentinel', name: r.sentinelName, sentinels: r.sentinels, readFromReplicas: r.sentinelReadReplicas, ...auth, ...sentinelAuth, ...withTls };
  }
  if (r.clusterNodes) return { kind: 'cluster', nodes: r.clusterNodes, ...auth, ...withTls };
  return { kind: 'embedded', dir: r.dataDir, port: r.embeddedPort };
}

/**
 * Whether Redis is reached over TLS, and the REDIS_TLS_* files read: TLS is a
 * `rediss://` URL, or REDIS_TLS with Sentinel or Cluster. A file without TLS, or
 * TLS that cannot apply, is refused rather than silently ignored.
 */
function tlsFiles(r: z.output<typeof redisSettingsSchema>): RedisTlsFiles | undefined {
  if (r.tls && r.url) throw new ConfigError('REDIS_TLS', 'for one Redis, use a rediss:// URL instead');
  if (r.tls && !r.sentinels && !r.clusterNodes) throw new ConfigError('REDIS_TLS', 'applies to REDIS_SENTINELS or REDIS_CLUSTER_NODES (the embedded server is plain TCP on loopback)');
  const on = r.tls || (r.url?.startsWith('rediss://') ?? false);
  const files = { ca: ['REDIS_TLS_CA_FILE', r.tlsCaFile], cert: ['REDIS_TLS_CERT_FILE', r.tlsCertFile], key: ['REDIS_TLS_KEY_FILE', r.tlsKeyFile] } as const;
  const given = Object.values(files).find(([, path]) => path !== undefined);
  if (!on) {
    if (given) throw new ConfigError(given[0], 'needs TLS: a rediss:// URL, or REDIS_TLS=true with REDIS_SENTINELS or REDIS_CLUSTER_NODES');
    return undefined;
  }
  if ((r.tlsCertFile === undefined) !== (r.tlsKeyFile === undefined)) {
    throw new ConfigError(r.tlsCertFile === undefined ? 'REDIS_TLS_CERT_FILE' : 'REDIS_TLS_KEY_FILE', 'set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE together');
  }
  const out: RedisTlsFiles = {};
  for (const [field, [variable, path]] of Object.entries(files) as Array<[keyof RedisTlsFiles, readonly [string, string | undefined]]>) {
    if (path === undefined) continue;
    try {
      out[field] = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  return out;
}

/** A `rediss://` URL as ioredis options, so the REDIS_TLS_* files can ride along. */
function urlOptions(url: string, tls: RedisTlsFiles): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(Number.isInteger(db) && db > 0 && { db }),
    tls,
  };
}

/** REDIS_USERNAME / REDIS_PASSWORD fill in what the URL does not carry itself. */
function withCredentials(url: string, auth: { username?: string; password?: string }): string {
  if (!auth.username && !auth.password) return url;
  const u = new URL(url);
  if (auth.password && !u.password) u.password = encodeURIComponent(auth.password);
  if (auth.username && !u.username) u.username = encodeURIComponent(auth.username);
  return u.toString();
}

/** The near-tier variables -> the library's nearCache option, validated by its schema. */
function toNearCache(near: z.output<typeof nearCacheSettingsSchema>): z.output<typeof nearCacheSchema> {
  const r = nearCacheSchema.safeParse({
    maxBytes: near.nearCacheBytes,
    ...(near.nearCacheMaxAgeMs !== undefined && { maxAgeMs: near.nearCacheMaxAgeMs }),
    ...(near.nearCacheServeStaleMs !== undefined && { serveStaleMs: near.nearCacheServeStaleMs }),
  });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = String(issue?.path[0] ?? 'maxBytes');
  const variable = { maxBytes: 'FEATCACHE_NEAR_CACHE_BYTES', maxAgeMs: 'FEATCACHE_NEAR_CACHE_MAX_AGE_MS', serveStaleMs: 'FEATCACHE_NEAR_CACHE_SERVE_STALE_MS' }[field] ?? field;
  throw new ConfigError(variable, issue?.message ?? 'invalid');
}

/**
 * Reads the backend's configuration: Redis, the library options, extraction.
 * No listen-address rule: a command that does not listen (ingest, get ...)
 * never fails on HOST.
 * @param processes processes sharing the cores (the service's FEATCACHE_WORKERS): the extraction threads' default divides by it
 * @throws ConfigError naming the first invalid variable
 */
export function loadBackendConfig(env: Env = process.env, processes = 1): BackendConfig {
  const redis = toRedisConfig(readEnv(redisSettingsSchema, env));
  const cache = readEnv(cacheOptionsSchema, env);
  const near = readEnv(nearCacheSettingsSchema, env);
  const { extractWorkers, imageFormats, ...images } = readEnv(imageSettingsSchema, env);
  return {
    redis,
    cache,
    ...(near.nearCacheBytes > 0 && { nearCache: toNearCache(near) }),
    images: {
      ...images,
      formats: imageFormats,
      // several service processes share the cores: do not start cores x processes threads
      extractWorkers: extractWorkers ?? Math.max(1, Math.floor(availableParallelism() / processes)),
    },
  };
}

/**
 * Reads and validates the HTTP service's configuration.
 * @throws ConfigError naming the first invalid variable
 */
export function loadConfig(env: Env = process.env): ServiceConfig {
  const service = readEnv(serviceSettingsSchema, env);
  const backend = loadBackendConfig(env, service.workers);
  if (service.apiKeys.length === 0 && !isLoopbackHost(service.host)) {
    throw new ConfigError(
      'HOST',
      `refusing to listen on ${service.host} without authentication: set FEATCACHE_API_KEYS (e.g. "secret1:read,secret2:write") or bind a loopback address such as 127.0.0.1`,
    );
  }
  if (!isLoopbackHost(service.host) && service.apiKeys.some((k) => k.key.length < MIN_API_KEY_LENGTH)) {
    throw new ConfigError(
      'FEATCACHE_API_KEYS',
      `keys must be at least ${MIN_API_KEY_LENGTH} characters when the service listens beyond loopback (HOST=${service.host})`,
    );
  }
  return { ...service, ...backend, maxImageIdBytes: backend.cache.maxImageIdBytes };
}

/** The library's Redis target for a RedisConfig (undefined: embedded). */
export function toRedisTarget(redis: RedisConfig): RedisTarget | undefined {
  switch (redis.kind) {
    case 'embedded':
      return undefined;
    case 'url':
      return redis.tls && Object.keys(redis.tls).length > 0 ? urlOptions(redis.url, redis.tls) : redis.url;
    case 'sentinel': {
      const { name, sentinels, readFromReplicas, password, username, sentinelPassword, tls } = redis;
      const auth = { ...(password ? { password } : {}), ...(username ? { username } : {}), ...(sentinelPassword ? { sentinelPassword } : {}) };
      return { sentinel: { name, sentinels, readFromReplicas, ...auth, ...(tls && { tls }) } };
    }
    case 'cluster': {
      const { nodes, password, username, tls } = redis;
      const redisOptions = { ...(password ? { password } : {}), ...(username ? { username } : {}) };
      return { cluster: { nodes, ...(password || username ? { options: { redisOptions } } : {}), ...(tls && { tls }) } };
    }
  }
}

/** Maps a backend config to createFeatureCache options. */
export function toFeatureCacheOptions(config: BackendConfig, logger?: Logger): FeatureCacheOptions {
  const options: FeatureCacheOptions = { ...config.cache };
  if (config.nearCache) options.nearCache = config.nearCache;
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
 * extracted and the stored index, and for every process on one Redis: the
 * index layout in Redis follows from them).
 */
export function toSimilarityOptions(images: ImageConfig): SimilarityOptions {
  return { fields: [...INDEXED_FIELDS], expectedImages: images.expectedImages, maxLimit: images.searchMaxLimit };
}

/** The provenance-index options of the service's extraction view (false when FEATCACHE_PROVENANCE_INDEX is off). */
export function toProvenanceIndexOptions(images: ImageConfig): ProvenanceIndexOptions | false {
  return images.provenanceIndex ? { expectedImages: images.expectedImages } : false;
}
