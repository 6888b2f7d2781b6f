/** featcache — the public library API. */
export { createFeatureCache } from './cache/create.js';
export { FeatureCacheError, ErrorCodes, isFeatureCacheError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';
export { verifyFeatures } from './provenance/verify.js';
export { renderMatches } from './provenance/render.js';
