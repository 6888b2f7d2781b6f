/** featcache — the public library API (the HTTP service is `featcache/server`). */
export { createFeatureCache } from './cache/create.js';
export { cacheOptionsSchema } from './cache/options.js';
export { FeatureCacheError, ErrorCodes, isFeatureCacheError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';

// feature extraction (docs/FEATURES.md)
export { extractFeatures } from './features/extract.js';
export type { ExtractedFeatures } from './features/extract.js';
export { DEFAULT_ALLOWED_FORMATS, DEFAULT_HISTOGRAM_BINS, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from './features/options.js';
export type { ExtractOptions } from './features/options.js';
export { DEFAULT_EXTRACTORS, EXTRACTORS, extractorVersion, extractionFeatureVersion } from './features/extractors.js';
export type { ExtractorInfo } from './features/extractors.js';
export { hammingDistance } from './features/hamming.js';
export { createExtractionPool } from './features/pool.js';
export type { ExtractionPool, ExtractionPoolOptions, ExtractionPoolStats } from './features/pool.js';

// the rules of every input, for callers that validate before they call
export { KEY_SEGMENT, MAX_TTL_SECONDS } from './rules.js';
export { extractOrb } from './features/extract.js';
export { orbBackendInfo } from './features/orb-backend-choice.js';
export type { OrbBackendInfo } from './features/orb-backend-choice.js';
export type { ExtractOrbOptions, SelectedFeatures } from './features/extract.js';
export { DEFAULT_ORB_KEYPOINTS, ORB_MAX_SIDE } from './features/orb.js';
export { DIHEDRAL_ORIENTATIONS } from './features/dihedral.js';
export type { DihedralOrientation } from './features/dihedral.js';

// provenance (docs/PROVENANCE.md)
export { verifyFeatures } from './provenance/verify.js';
export { renderMatches } from './provenance/render.js';
