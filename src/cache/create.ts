/** createFeatureCache: options -> connected, started FeatureCache. */
import type { FeatureCache, FeatureCacheOptions } from '../types.js';
import { connectRedis } from '../redis/connection.js';
import { defineScripts } from '../redis/scripts.js';
import { RedisFeatureCache } from './feature-cache.js';
import { resolveOptions } from './options.js';
import type { CacheExtension, ExtensionContext } from './extension.js';
import { provenanceFactory, similarityFactory } from './extension-factories.js';

/**
 * Connects to Redis (or starts the embedded redis-server when `options.redis`
 * is absent) and returns a ready cache. Throws REDIS_UNAVAILABLE when Redis
 * cannot be reached within `connectTimeoutMs`, INVALID_OPTIONS on bad options,
 * EMBEDDED_REDIS_FAILED when redis-server is missing.
 */
export async function createFeatureCache(
  options: FeatureCacheOptions & { extensions?: Array<(ctx: ExtensionContext) => CacheExtension> } = {},
): Promise<FeatureCache> {
  const { similarity, provenanceIndex, ...rest } = options;
  const extensions = [...(rest.extensions ?? [])];
  if (similarity) extensions.push(similarityFactory(similarity));
  if (provenanceIndex) extensions.push(provenanceFactory(provenanceIndex));
  const resolved = resolveOptions({ ...rest, extensions });
  const conn = await connectRedis(resolved.redis, {
    commandTimeoutMs: resolved.commandTimeoutMs,
    connectTimeoutMs: resolved.connectTimeoutMs,
    embedded: resolved.embedded,
    logger: resolved.logger,
    ...(resolved.onRedisCommand && { onCommand: resolved.onRedisCommand }),
  });
  defineScripts(conn.client);
  if (conn.reader !== conn.client) defineScripts(conn.reader);
  const cache = new RedisFeatureCache(resolved, conn);
  try {
    await cache.start();
  } catch (err) {
    await cache.close();
    throw err;
  }
  return cache;
}
