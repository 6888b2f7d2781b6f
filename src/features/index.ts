/** Image feature extraction: colour, imagehash-compatible aHash/dHash/pHash, histogram. */
export { extractFeatures } from './extract.js';
export type { ExtractedFeatures } from './extract.js';
export type { ExtractOptions } from './options.js';
export { DEFAULT_ALLOWED_FORMATS, DEFAULT_HISTOGRAM_BINS, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from './options.js';
export { EXTRACTORS, extractorVersion } from './extractors.js';
export type { ExtractorInfo } from './extractors.js';
export { hammingDistance } from './hamming.js';
