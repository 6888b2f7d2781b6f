/**
 * The composition root: environment -> validated config (src/config.ts) ->
 * backend (the stored-features cache, its extraction view, the extraction
 * pool). Every entry point opens its backend here and nowhere else: the
 * service (each process of FEATCACHE_WORKERS), `featcache serve`, `ingest`,
 * `dedup`, `get`, `export`, `import`, `search` and `compare`. So every command honours
 * every Redis setting and every cache option the same way.
 */
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from './errors.js';
import { toFeatureCacheOptions, toProvenanceIndexOptions, toSimilarityOptions, type BackendConfig, type ImageConfig } from './config.js';
import { createFeatureCache } from './cache/create.js';
import { extractionFeatureVersion } from './features/extractors.js';
import type { ExtractOptions } from './features/options.js';
import { createExtractionPool, type ExtractionPool } from './features/pool.js';
import type { FeatureCache, FeatureCacheOptions, Logger } from './types.js';

/** The caches and the extraction pool behind an entry point. */
export interface Backend {
  /** User-stored features under FEATCACHE_FEATURE_VERSION. */
  readonly cache: FeatureCache;
  /** Extracted features under extractionFeatureVersion(FEATCACHE_FEATURE_VERSION), a view on the same connection. */
  readonly extracted: FeatureCache;
  /** Extraction worker threads (started on demand). */
  readonly pool: ExtractionPool;
  /** The limits every extraction of this backend runs with. */
  readonly extractOptions: ExtractOptions;
  /** Closes the caches (the view with its parent), then the pool. */
  close(): Promise<void>;
}

export interface BackendOptions {
  logger?: Logger;
  /** Told the latency of every Redis command (the service's metrics). */
  onRedisCommand?: FeatureCacheOptions['onRedisCommand'];
  /** Extraction tasks that may wait for a worker (ingest keeps its whole window in flight). @default the pool's */
  maxQueue?: number;
}

/** The extraction limits of an image config (uploads, ingest). */
export function extractOptionsOf(images: ImageConfig): ExtractOptions {
  return { maxBytes: images.maxImageBytes, maxPixels: images.maxImagePixels, allowedFormats: images.formats };
}

/** One radius-0 query: fails with INVALID_OPTIONS, naming the variable, when the index in Redis has another layout. */
async function checkIndexLayout(cache: FeatureCache, images: ImageConfig): Promise<void> {
  try {
    await cache.searchSimilar({ phash: '0123456789abcdef' }, { maxDistance: 0, limit: 1 });
  } catch (err) {
    if (!isFeatureCacheError(err, ErrorCodes.INVALID_OPTIONS)) throw err;
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `FEATCACHE_EXPECTED_IMAGES=${images.expectedImages} does not match the similarity index of version ${cache.featureVersion} in Redis ` +
        `(${err.message}); start with the value it was built with, or change FEATCACHE_FEATURE_VERSION to build a new index`,
      { cause: err, details: err.details },
    );
  }
}

/**
 * Opens the stored-features cache, its extraction view (the version
 * `/analysis/features` and `featcache ingest` write) and the extraction pool,
 * and checks that the similarity index in Redis has the configured layout
 * (fails fast otherwise).
 */
export async function openBackend(config: BackendConfig, opts: BackendOptions = {}): Promise<Backend> {
  const { images } = config;
  const similarity = toSimilarityOptions(images);
  const options = toFeatureCacheOptions(config, opts.logger);
  if (opts.onRedisCommand) options.onRedisCommand = opts.onRedisCommand;
  if (images.similarityStored) options.similarity = similarity;
  const cache = await createFeatureCache(options);
  let pool: ExtractionPool | undefined;
  try {
    const extracted = await cache.withVersion(extractionFeatureVersion(cache.featureVersion), {
      similarity: images.similarity ? similarity : false,
      provenanceIndex: toProvenanceIndexOptions(images),
    });
    // a layout mismatch (another FEATCACHE_EXPECTED_IMAGES on the same Redis) would otherwise surface on the first query
    if (images.similarity) await checkIndexLayout(extracted, images);
    if (images.similarityStored) await checkIndexLayout(cache, images);
    pool = createExtractionPool({ size: images.extractWorkers, ...(opts.maxQueue !== undefined ? { maxQueue: opts.maxQueue } : {}) });
    const p = pool;
    return {
      cache,
      extracted,
      pool,
      extractOptions: extractOptionsOf(images),
      async close() {
        await cache.close(); // closes the view too
        await p.close();
      },
    };
  } catch (err) {
    await cache.close();
    await pool?.close();
    throw err;
  }
}
