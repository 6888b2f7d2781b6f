/**
 * FeatureCacheOptions -> ResolvedOptions: defaults applied and every value
 * checked once, at construction. Per-call overrides never re-validate these.
 */
import { z } from 'zod';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { FeatureCacheOptions, Logger } from '../types.js';
import { SAFE_SEGMENT } from '../redis/keys.js';
import type { CacheExtension, ExtensionContext } from './extension.js';
import { MAX_TTL_SECONDS } from './validate.js';

const THIRTY_DAYS = 30 * 24 * 3600;

const schema = z.object({
  prefix: z.string().regex(SAFE_SEGMENT, 'letters, digits and . _ + - only (1-128 chars)').default('fc'),
  featureVersion: z.string().regex(SAFE_SEGMENT, 'letters, digits and . _ + - only (1-128 chars)').default('1.0'),
  ttlSeconds: z.number().int().min(0).max(MAX_TTL_SECONDS).default(THIRTY_DAYS),
  ttlJitter: z.number().min(0).max(0.5).default(0.1),
  ttlStrategy: z.enum(['fixed', 'sliding', 'none']).default('fixed'),
  batchSize: z.number().int().min(1).max(10_000).default(100),
  batchConcurrency: z.number().int().min(1).max(256).default(8),
  coalesce: z.boolean().default(true),
  maxImageIdBytes: z.number().int().min(1).max(65_536).default(512),
  commandTimeoutMs: z.number().int().min(10).max(600_000).default(1000),
  connectTimeoutMs: z.number().int().min(10).max(600_000).default(5000),
  statsFlushIntervalMs: z.number().int().min(10).max(3_600_000).default(1000),
  waitReplicas: z.number().int().min(0).max(16).default(0),
  waitTimeoutMs: z.number().int().min(1).max(60_000).default(1000),
  trackExpiry: z.boolean().default(true),
  compression: z.enum(['lz4', 'none']).default('lz4'),
  compressionThreshold: z.number().int().min(0).default(256),
  quantize: z.enum(['none', 'float16', 'int8']).default('none'),
  quantizeMinLength: z.number().int().min(1).default(16),
  maxRecordBytes: z.number().int().min(64).max(512 * 1024 * 1024).default(16 * 1024 * 1024),
  packFloats: z.boolean().default(true),
  mergeRetries: z.number().int().min(1).max(1000).default(50),
  nearCache: z
    .object({
      maxBytes: z.number().int().min(1024).max(Number.MAX_SAFE_INTEGER),
      maxAgeMs: z.number().int().min(1).max(24 * 3600 * 1000).default(60_000),
      serveStaleMs: z.number().int().min(0).max(24 * 3600 * 1000).default(0),
    })
    .strict()
    .optional(),
});

export type ResolvedOptions = z.infer<typeof schema> & {
  /** Internal: derived-data maintainers (the similarity index), set by createFeatureCache. */
  extensions?: Array<(ctx: ExtensionContext) => CacheExtension>;
  redis: FeatureCacheOptions['redis'];
  embedded: FeatureCacheOptions['embedded'];
  logger: Logger;
};

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveOptions(
  options: FeatureCacheOptions & { extensions?: Array<(ctx: ExtensionContext) => CacheExtension> },
): ResolvedOptions {
  const { redis, embedded, logger, extensions, ...rest } = options;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'options';
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `invalid option ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const resolved = { ...parsed.data, redis, embedded, extensions, logger: logger ?? silent };
  if (resolved.ttlStrategy === 'none') resolved.ttlSeconds = 0;
  if (resolved.nearCache && resolved.ttlStrategy === 'sliding') {
    // a read answered in process cannot restart the record's TTL in Redis
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'invalid option nearCache: not available with ttlStrategy "sliding"');
  }
  return resolved;
}
