/**
 * The library's options: one zod schema holds every default, bound and
 * description (the codec's fields included). FeatureCacheOptions is its input
 * type, the service's FEATCACHE_* variables map onto its fields by name
 * (src/env.ts), and the environment table of the docs is generated from it.
 * Resolved once at construction; per-call overrides never re-validate these.
 */
import { z } from 'zod';
import { codecOptionsSchema, invalidOptions } from '../codec/options.js';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { FeatureCacheOptions, Logger } from '../types.js';
import { featureVersionRule, maxImageIdBytesRule, prefixRule, ttlSecondsRule } from '../rules.js';
import type { CacheExtension, ExtensionContext } from './extension.js';

export const cacheOptionsSchema = z.object({
  prefix: prefixRule.default('fc').describe('Redis key prefix (a trailing ":" is the separator and may be left out).'),
  featureVersion: featureVersionRule.default('1.0').describe('Version of the extraction algorithms; records of other versions are misses.'),
  ttlSeconds: ttlSecondsRule.default(30 * 24 * 3600).describe('Default TTL of a record in seconds (30 days); 0 = no expiry.'),
  ttlJitter: z.number().min(0).max(0.5).default(0.1).describe('Relative jitter applied to every TTL (0.1 = +/-10%).'),
  ttlStrategy: z
    .enum(['fixed', 'sliding', 'none'])
    .default('fixed')
    .describe('`sliding`: reads extend the TTL; `none`: no expiry.'),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(100)
    .meta({ aliases: ['FEATCACHE_BATCH_CHUNK'] })
    .describe('Images per Redis pipeline chunk.'),
  batchConcurrency: z.number().int().min(1).max(256).default(8).describe('Chunks in flight at once per batch call.'),
  coalesce: z
    .boolean()
    .default(true)
    .describe('Concurrent single-image reads and writes of one event-loop turn share one Redis round trip (docs/ARCHITECTURE.md).'),
  maxImageIdBytes: maxImageIdBytesRule.default(512).describe('Longest image ID and group name in UTF-8 bytes.'),
  commandTimeoutMs: z.number().int().min(10).max(600_000).default(1000).describe('A Redis command unanswered this long fails with `REDIS_UNAVAILABLE`.'),
  connectTimeoutMs: z.number().int().min(10).max(600_000).default(5000).describe('How long start-up waits for the first Redis connection.'),
  statsFlushIntervalMs: z.number().int().min(10).max(3_600_000).default(1000).describe('Local counters are flushed to the shared stats hash this often.'),
  waitReplicas: z.number().int().min(0).max(16).default(0).describe('Wait for this many replicas to acknowledge each write (`WAIT`).'),
  waitTimeoutMs: z.number().int().min(1).max(60_000).default(1000).describe('Timeout of that `WAIT` in ms.'),
  trackExpiry: z.boolean().default(true).describe('Track TTL expiry and eviction through keyspace notifications (exact `cached_images`).'),
  ...codecOptionsSchema.shape,
  mergeRetries: z.number().int().min(1).max(1000).default(50).describe('Compare-and-set races `merge()` may lose before `MERGE_CONFLICT`.'),
});

/**
 * The near tier (src/cache/near-cache.ts): not a scalar, so not an environment
 * variable by name; the service maps FEATCACHE_NEAR_CACHE_* onto it (src/config.ts).
 */
export const nearCacheSchema = z
  .object({
    maxBytes: z.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).describe('Budget of decoded records kept in process.'),
    maxAgeMs: z.number().int().min(1).max(24 * 3600 * 1000).default(60_000).describe('A record older than this in the tier is read from Redis again.'),
    serveStaleMs: z.number().int().min(0).max(24 * 3600 * 1000).default(0).describe('How long a grace copy answers reads Redis cannot serve (0: never).'),
  })
  .strict();

/** The options of cacheOptionsSchema with every default applied. */
export type ResolvedCacheSettings = z.output<typeof cacheOptionsSchema>;

/** Every default of cacheOptionsSchema (for code that needs one without a cache, e.g. ID checks before a batch). */
export const DEFAULT_CACHE_OPTIONS: Readonly<ResolvedCacheSettings> = Object.freeze(cacheOptionsSchema.parse({}));

export type ResolvedOptions = ResolvedCacheSettings & {
  /** Internal: derived-data maintainers (the similarity index), set by createFeatureCache. */
  extensions?: Array<(ctx: ExtensionContext) => CacheExtension>;
  redis: FeatureCacheOptions['redis'];
  embedded: FeatureCacheOptions['embedded'];
  logger: Logger;
  onRedisCommand: FeatureCacheOptions['onRedisCommand'];
  nearCache: z.output<typeof nearCacheSchema> | undefined;
};

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveOptions(
  options: FeatureCacheOptions & { extensions?: Array<(ctx: ExtensionContext) => CacheExtension> },
): ResolvedOptions {
  const { redis, embedded, logger, extensions, onRedisCommand, nearCache, ...rest } = options;
  const parsed = cacheOptionsSchema.safeParse(rest);
  if (!parsed.success) throw invalidOptions(parsed.error);
  const near = nearCacheSchema.optional().safeParse(nearCache);
  if (!near.success) throw invalidOptions(near.error, 'nearCache');
  const resolved = { ...parsed.data, redis, embedded, extensions, onRedisCommand, nearCache: near.data, logger: logger ?? silent };
  if (resolved.ttlStrategy === 'none') resolved.ttlSeconds = 0;
  if (resolved.nearCache && resolved.ttlStrategy === 'sliding') {
    // a read answered in process cannot restart the record's TTL in Redis
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'invalid option nearCache: not available with ttlStrategy "sliding"');
  }
  return resolved;
}
