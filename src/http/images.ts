/**
 * The service's image side, shared by POST /analysis/features and
 * /analysis/similar: extraction in the worker pool (through the extraction
 * view's getOrCompute when an image ID is given), and the choice of cache for a
 * similarity query (`source`: extracted records or user-stored ones).
 */
import { performance } from 'node:perf_hooks';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from '../errors.js';
import { extractorVersion } from '../features/extractors.js';
import type { ExtractOptions } from '../features/options.js';
import type { OrbFeatures } from '../features/orb.js';
import type { ExtractionPool } from '../features/pool.js';
import type { AnalyzeSetOptions, AnalyzeSetResult } from '../provenance/analyze-set.js';
import type { FeatureCache, FeatureRecord, Features, GetOrComputeOptions } from '../types.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import type { HttpMetrics } from './metrics.js';

/** Where a similarity query or comparison looks: extracted records (default) or user-stored ones. */
export type Source = 'extracted' | 'stored';

export interface ImageServiceOptions {
  /** The stored-features cache (FEATCACHE_FEATURE_VERSION). */
  stored: FeatureCache;
  /** The extraction view: its featureVersion must contain extractorVersion() (use extractionFeatureVersion). */
  extracted: FeatureCache;
  /** The worker pool; with `verify`, analyzeSet's pair verification runs there too (off the event loop). */
  pool: Pick<ExtractionPool, 'extract'> | Pick<ExtractionPool, 'extract' | 'verify' | 'size'>;
  /** Limits passed to every extraction (maxBytes, maxPixels, allowedFormats). */
  extractOptions: ExtractOptions;
  /** Which caches keep a similarity index. */
  indexed: { extracted: boolean; stored: boolean };
  /** TTL, groups and lock settings of the records extraction writes. */
  computeOptions?: GetOrComputeOptions;
  metrics?: Pick<HttpMetrics, 'imageExtraction' | 'cacheReads'>;
}

export interface ImageService {
  readonly extracted: FeatureCache;
  readonly stored: FeatureCache;
  /** Extract `bytes` and cache the result under `imageId` (a cached record is returned as is). */
  extractAndCache(imageId: string, bytes: Uint8Array): Promise<{ record: FeatureRecord; computed: boolean }>;
  /** Extract `bytes` without storing anything. */
  extractOnly(bytes: Uint8Array): Promise<Features>;
  /** ORB of the mirrored image (verification's mirror pass), in the pool; nothing stored. */
  mirroredOrb(bytes: Uint8Array): Promise<OrbFeatures | undefined>;
  /** The full 32 px `thumb` of an image to search (a query is not stored: no record byte budget), in the pool. */
  queryThumb(bytes: Uint8Array): Promise<Features['thumb'] | undefined>;
  /** analyzeSet over the extracted records, verifying in the worker pool (a full queue: 503 with Retry-After). */
  analyzeSet(imageIds: string[], opts: AnalyzeSetOptions): Promise<AnalyzeSetResult>;
  /** The cache a similarity query over `source` runs on; 400 SIMILARITY_NOT_ENABLED when it has no index. */
  searchable(source: Source): FeatureCache;
  /** The cache of `source` (comparisons need no index). */
  cacheOf(source: Source): FeatureCache;
}

/**
 * Builds the image service.
 * Throws FeatureCacheError INVALID_OPTIONS when the extraction view's version does not name the extractors.
 */
export function createImageService(o: ImageServiceOptions): ImageService {
  const extractors = extractorVersion(o.extractOptions);
  if (!o.extracted.featureVersion.includes(extractors)) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `the extraction cache's featureVersion ${JSON.stringify(o.extracted.featureVersion)} must include the extractor versions ` +
        `(${extractors}); create it with featureVersion: extractionFeatureVersion(base)`,
      { details: { option: 'featureVersion' } },
    );
  }
  const computeOptions = o.computeOptions ?? {};

  /** pool.extract, counted and timed in the metrics. */
  async function extract(bytes: Uint8Array, options: ExtractOptions = o.extractOptions): Promise<Features> {
    const start = performance.now();
    try {
      const features = (await o.pool.extract(bytes, options)) as unknown as Features;
      o.metrics?.imageExtraction('ok', (performance.now() - start) / 1000);
      return features;
    } catch (err) {
      o.metrics?.imageExtraction('failed', (performance.now() - start) / 1000);
      throw err;
    }
  }

  /** A full extraction queue is 503 with Retry-After (thrown after getOrCompute, which would wrap other errors). */
  function queueFull(err: unknown): unknown {
    if (isFeatureCacheError(err, ErrorCodes.COMPUTE_FAILED) && err.details?.reason === 'QUEUE_FULL') {
      return new ApiError(503, ErrorCodes.COMPUTE_FAILED, 'The extraction queue is full; retry later', { 'retry-after': '1' });
    }
    return err;
  }

  const notEnabled = (source: Source) =>
    new ApiError(
      400,
      HttpErrorCodes.SIMILARITY_NOT_ENABLED,
      source === 'stored'
        ? 'Similarity search over stored records is off (FEATCACHE_SIMILARITY_STORED=false); search source "extracted" or enable the index'
        : 'Similarity search over extracted records is off (FEATCACHE_SIMILARITY=false)',
    );

  return {
    extracted: o.extracted,
    stored: o.stored,
    async extractAndCache(imageId, bytes) {
      let computed = false;
      try {
        const record = await o.extracted.getOrCompute(
          imageId,
          () => {
            computed = true;
            return extract(bytes);
          },
          computeOptions,
        );
        // an upload already extracted is a hit of the extracted records; one extracted now, a miss
        o.metrics?.cacheReads(computed ? 0 : 1, computed ? 1 : 0, 'extracted');
        return { record, computed };
      } catch (err) {
        throw queueFull(err);
      }
    },
    async extractOnly(bytes) {
      try {
        return await extract(bytes);
      } catch (err) {
        throw queueFull(err);
      }
    },
    async mirroredOrb(bytes) {
      try {
        return (await extract(bytes, { ...o.extractOptions, extractors: ['orb'], orbMirror: true })).orb as OrbFeatures | undefined;
      } catch (err) {
        throw queueFull(err);
      }
    },
    async queryThumb(bytes) {
      try {
        // `thumb` without `orb` is the full thumbnail (thumbLongSide)
        return (await extract(bytes, { ...o.extractOptions, extractors: ['thumb'] })).thumb;
      } catch (err) {
        throw queueFull(err);
      }
    },
    async analyzeSet(imageIds, opts) {
      try {
        return await o.extracted.analyzeSet(imageIds, 'verify' in o.pool ? { ...opts, pool: o.pool } : opts);
      } catch (err) {
        throw queueFull(err);
      }
    },
    searchable(source) {
      if (!o.indexed[source]) throw notEnabled(source);
      return source === 'stored' ? o.stored : o.extracted;
    },
    cacheOf(source) {
      return source === 'stored' ? o.stored : o.extracted;
    },
  };
}
