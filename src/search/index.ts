/** Similarity search over cached perceptual hashes (multi-index hashing on Redis). */
export { SimilarityIndex, UNKNOWN_IMAGE_CODE } from './similarity-index.js';
export { compareSet, pairsWithin, type CompareResult, type ComparePair, type GetManyFn } from './compare-set.js';
export type { SimilarResult, SimilarNeighbor } from './query.js';
export {
  chooseTables,
  defaultBucketBits,
  resolveSimilarityOptions,
  similarityOptionsSchema,
  searchOptionsSchema,
  similarQuerySchema,
  compareOptionsSchema,
  RADIUS_CEILING,
  type SimilarityOptions,
  type ResolvedSimilarityOptions,
  type SearchOptions,
  type SimilarQuery,
  type CompareOptions,
} from './options.js';
export { tableRadii, probeCount } from './probe.js';
export { hamming64, parseHash64, isHash64 } from './hash64.js';
